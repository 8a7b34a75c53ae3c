"""State sync: runtime facts -> rows, compare-and-set, skips and misses."""
from __future__ import annotations

import pytest

from tests.unit.compute.conftest import HOST, make_row
from zun.common import exception, states
from zun.compute import sync as sync_mod
from zun.container.driver import base
from zun.db import api as db_api


def facts(state, **kw):
    return base.RuntimeFacts(container_id="c1", uuid="u", state=state, **kw)


@pytest.mark.parametrize("state,status", [
    ("created", states.CREATED), ("running", states.RUNNING),
    ("paused", states.PAUSED), ("restarting", states.RESTARTING),
    ("exited", states.STOPPED), ("dead", states.DEAD), ("bogus", states.UNKNOWN)])
def test_runtime_state_maps_to_status(state, status):
    assert sync_mod.values_from_facts(facts(state))["status"] == status


def test_exit_code_and_detail_are_kept():
    values = sync_mod.values_from_facts(
        facts("exited", exit_code=3, finished_at="2026-11-22T01:02:03.123456789Z"))
    assert values["exit_code"] == 3
    assert values["status_detail"].startswith("Exited(3) at 2026-11-22T01:02:03")
    assert values["finished_at"].year == 2026


def test_oom_kill_is_explained():
    values = sync_mod.values_from_facts(facts("exited", exit_code=137, oom_killed=True))
    assert "OOM" in values["status_reason"]


def test_running_has_no_exit_code():
    values = sync_mod.values_from_facts(facts("running", exit_code=0,
                                              started_at="2026-11-22T01:00:00Z"))
    assert values["exit_code"] is None
    assert values["status_detail"] == "Up since 2026-11-22T01:00:00Z"


def _created_row(ctx, driver, **kw):
    row = make_row(ctx, **kw)
    fact = driver.create(base.ContainerSpec(uuid=row.uuid, project_id=ctx.project_id,
                                            image="busybox:local", host=row.host))
    driver.start(fact.container_id)
    return db_api.container_update(ctx, row.uuid, {"container_id": fact.container_id,
                                                   "status": states.RUNNING})


def test_reconcile_updates_misses_and_skips(db, ctx, admin, driver):
    sync = sync_mod.StateSync(driver, HOST)
    exited = _created_row(ctx, driver)
    driver.stop(exited.container_id)
    vanished = _created_row(ctx, driver)
    driver.containers.pop(vanished.container_id)
    auto_removed = _created_row(ctx, driver, auto_remove=True)
    driver.containers.pop(auto_removed.container_id)
    busy = _created_row(ctx, driver, task_state=states.CONTAINER_STOPPING)
    driver.stop(busy.container_id)
    elsewhere = _created_row(ctx, driver, host="other-host")
    driver.stop(elsewhere.container_id)
    unchanged = _created_row(ctx, driver)
    orphan = driver.create(base.ContainerSpec(uuid="orphan-uuid", project_id="p",
                                              image="busybox:local"))

    counts = sync.reconcile()

    assert db_api.container_get_by_uuid(admin, exited.uuid).status == states.STOPPED
    gone = db_api.container_get_by_uuid(admin, vanished.uuid)
    assert (gone.status, gone.status_reason) == (states.ERROR, "No such container")
    with pytest.raises(exception.ContainerNotFound):
        db_api.container_get_by_uuid(admin, auto_removed.uuid)
    assert db_api.container_get_by_uuid(admin, busy.uuid).status == states.RUNNING
    assert db_api.container_get_by_uuid(admin, elsewhere.uuid).status == states.RUNNING
    # the other host's container (same runtime) is not an orphan of ours
    assert counts["orphans"] == 1 and orphan.uuid == "orphan-uuid"
    assert counts["skipped"] == 1
    # unchanged rows are not rewritten: the version stays put
    before = unchanged.version
    sync.reconcile()
    assert db_api.container_get_by_uuid(admin, unchanged.uuid).version >= before
    again = sync.reconcile()
    assert again["updated"] == 0


def test_event_during_operation_is_replayed_after_it(db, ctx, admin, driver):
    sync = sync_mod.StateSync(driver, HOST)
    row = _created_row(ctx, driver, task_state=states.CONTAINER_PAUSING)
    driver.stop(row.container_id)  # the container exits meanwhile
    sync.on_event(base.RuntimeEvent(uuid=row.uuid, container_id=row.container_id,
                                    action="die", time=0))
    assert db_api.container_get_by_uuid(admin, row.uuid).status == states.RUNNING
    db_api.container_update(admin, row.uuid, {"task_state": None})
    sync.resync_if_dirty(row.uuid)
    assert db_api.container_get_by_uuid(admin, row.uuid).status == states.STOPPED


def test_reconcile_inspects_only_rows_whose_summary_differs(db, ctx, admin, driver):
    sync = sync_mod.StateSync(driver, HOST)
    same = _created_row(ctx, driver)
    changed = _created_row(ctx, driver)
    driver.stop(changed.container_id)
    full_list = driver.list_containers

    def summaries():
        out = []
        for f in full_list():
            f.complete, f.started_at, f.finished_at = False, None, None
            out.append(f)
        return out
    driver.list_containers = summaries
    driver.calls.clear()
    sync.reconcile()
    inspected = [cid for name, cid in driver.calls if name == "inspect"]
    assert inspected == [changed.container_id]
    row = db_api.container_get_by_uuid(admin, changed.uuid)
    assert row.status == states.STOPPED and row.finished_at is not None
    assert db_api.container_get_by_uuid(admin, same.uuid).status == states.RUNNING


def test_restart_count_is_part_of_the_detail():
    running = sync_mod.values_from_facts(facts("running", started_at="T", restart_count=1))
    assert running["status_detail"] == "Up since T, restarted 1 time"
    stopped = sync_mod.values_from_facts(facts("exited", exit_code=1, restart_count=2))
    assert stopped["status_detail"] == "Exited(1), restarted 2 times"
    restarting = sync_mod.values_from_facts(facts("restarting", restart_count=3))
    assert (restarting["status"], restarting["status_detail"]) == (
        states.RESTARTING, "Restarting, restarted 3 times")


@pytest.mark.parametrize("health,note", [
    (None, ""), ("starting", " (health: starting)"), ("healthy", " (healthy)"),
    ("unhealthy", " (unhealthy)")])
def test_health_is_reported_in_the_running_detail(health, note):
    running = sync_mod.values_from_facts(facts("running", started_at="T", health=health))
    assert running["status_detail"] == "Up since T" + note
    # a stopped container's last verdict is not news
    stopped = sync_mod.values_from_facts(facts("exited", exit_code=0, health=health))
    assert stopped["status_detail"] == "Exited(0)"


def test_health_event_updates_the_detail(db, ctx, admin, driver):
    sync = sync_mod.StateSync(driver, HOST)
    row = _created_row(ctx, driver)
    driver.containers[row.container_id].health = "starting"
    sync.on_event(base.RuntimeEvent(uuid=row.uuid, container_id=row.container_id,
                                    action="start", time=0))
    assert db_api.container_get_by_uuid(admin, row.uuid).status_detail.endswith(
        "(health: starting)")
    driver.containers[row.container_id].health = "unhealthy"
    sync.on_event(base.RuntimeEvent(uuid=row.uuid, container_id=row.container_id,
                                    action="health_status", time=0))
    assert db_api.container_get_by_uuid(admin, row.uuid).status_detail.endswith(
        "(unhealthy)")


def test_exec_events_are_not_re_inspected(db, ctx, admin, driver):
    """Each health probe is an exec: one inspect per probe would be waste."""
    sync = sync_mod.StateSync(driver, HOST)
    row = _created_row(ctx, driver)
    driver.calls.clear()
    for verb in ("exec_create", "exec_start", "exec_die"):
        sync.on_event(base.RuntimeEvent(uuid=row.uuid, container_id=row.container_id,
                                        action=verb, time=0))
    assert driver.calls == []


def test_reconcile_catches_a_health_change_from_the_summary(db, ctx, admin, driver):
    sync = sync_mod.StateSync(driver, HOST)
    row = _created_row(ctx, driver)
    driver.containers[row.container_id].health = "healthy"
    sync.reconcile()
    assert db_api.container_get_by_uuid(admin, row.uuid).status_detail.endswith("(healthy)")
    full_list = driver.list_containers

    def summaries():
        out = []
        for f in full_list():
            f.complete, f.started_at = False, None
            out.append(f)
        return out
    driver.list_containers = summaries
    driver.calls.clear()
    sync.reconcile()  # the summary agrees: nothing inspected
    assert driver.calls == []
    driver.containers[row.container_id].health = "unhealthy"  # event lost
    sync.reconcile()
    assert [name for name, _ in driver.calls] == ["inspect"]
    assert db_api.container_get_by_uuid(admin, row.uuid).status_detail.endswith(
        "(unhealthy)")


def test_ports_and_their_published_places_reach_the_row(db, ctx):
    published = [{"port": 8080, "protocol": "tcp", "host_ip": "127.0.0.1",
                  "host_port": 32768}]
    values = sync_mod.values_from_facts(facts("running", ports=[80, 8080],
                                              published_ports=published))
    assert values["ports"] == [80, 8080]
    assert values["published_ports"] == published
    # stopped: the engine has released the host ports
    assert sync_mod.values_from_facts(facts("exited", exit_code=0))["published_ports"] == []
    from zun.compute import manager as manager_mod
    row = make_row(ctx, exposed_ports={"8080/tcp": {}, "53/udp": {}})
    assert manager_mod.spec_from_row(row).exposed_ports == [(53, "udp"), (8080, "tcp")]
    assert manager_mod.spec_from_row(make_row(ctx)).exposed_ports == []
