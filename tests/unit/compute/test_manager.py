"""Manager: driver outcome -> row, failures recorded truthfully."""
from __future__ import annotations

import pytest

from tests.unit.compute.conftest import HOST, make_row
from zun.common import actions, exception, states
from zun.compute import manager as manager_mod
from zun.compute import sync as sync_mod
from zun.db import api as db_api


@pytest.fixture
def manager(driver, network):
    return manager_mod.Manager(driver, HOST, sync_mod.StateSync(driver, HOST),
                               network=network)


def _creating(ctx):
    row = make_row(ctx, task_state=states.CONTAINER_CREATING)
    db_api.action_start(ctx, row.uuid, "create")
    return row


def test_create_and_run(db, ctx, admin, manager, driver):
    row = _creating(ctx)
    manager.container_create(ctx, row.uuid, run=True)
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.status, row.task_state) == (states.RUNNING, None)
    assert row.container_id in driver.containers
    (action,) = db_api.actions_get(ctx, row.uuid)
    assert action.finish_time is not None and action.message is None
    (event,) = db_api.action_events_get(ctx, action.id)
    assert (event.event, event.result) == ("compute__do_container_create", "Success")


def test_create_without_run_is_created(db, ctx, admin, manager):
    row = _creating(ctx)
    manager.container_create(ctx, row.uuid, run=False)
    assert db_api.container_get_by_uuid(admin, row.uuid).status == states.CREATED


def test_create_failure_is_error_with_reason(db, ctx, admin, manager, driver):
    driver.fail["create"] = exception.ImageNotFound(image="nope:1", reason="pull failed")
    row = _creating(ctx)
    manager.container_create(ctx, row.uuid, run=True)
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.status, row.task_state) == (states.ERROR, None)
    assert "nope:1" in row.status_reason
    (action,) = db_api.actions_get(ctx, row.uuid)
    assert action.message == "Error"
    (event,) = db_api.action_events_get(ctx, action.id)
    assert event.result == "Error" and event.traceback


def test_start_failure_after_create_leaves_created_with_reason(db, ctx, admin, manager,
                                                              driver):
    driver.fail["start"] = exception.RuntimeOperationFailed(reason="exec format error")
    row = _creating(ctx)
    manager.container_create(ctx, row.uuid, run=True)
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert row.status == states.CREATED and "exec format error" in row.status_reason
    assert row.container_id in driver.containers  # not orphaned: still tracked


def _running(ctx, manager):
    row = _creating(ctx)
    manager.container_create(ctx, row.uuid, run=True)
    return db_api.container_get_by_uuid(ctx, row.uuid)


@pytest.mark.parametrize("action,params,status", [
    ("stop", {"timeout": 1}, states.STOPPED), ("pause", {}, states.PAUSED),
    ("kill", {"signal": "SIGKILL"}, states.STOPPED), ("reboot", {}, states.RUNNING)])
def test_actions(db, ctx, admin, manager, driver, action, params, status):
    row = _running(ctx, manager)
    db_api.container_update(admin, row.uuid,
                            {"task_state": actions.get(action).task_state})
    waiting = manager.container_action(ctx, row.uuid, action, params)
    if waiting is not None:  # stop/reboot run on the manager's wait pool
        waiting.result()
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.status, row.task_state) == (status, None)


def test_failed_action_keeps_runtime_truth(db, ctx, admin, manager, driver):
    row = _running(ctx, manager)
    driver.fail["pause"] = exception.RuntimeOperationFailed(reason="freezer busy")
    db_api.container_update(admin, row.uuid, {"task_state": states.CONTAINER_PAUSING})
    manager.container_action(ctx, row.uuid, "pause", {})
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.status, row.task_state) == (states.RUNNING, None)
    assert "freezer busy" in row.status_reason


def test_delete_removes_runtime_and_row(db, ctx, admin, manager, driver):
    row = _running(ctx, manager)
    db_api.container_update(admin, row.uuid, {"task_state": states.CONTAINER_DELETING})
    manager.container_delete(ctx, row.uuid, force=False, stop=True)
    assert driver.containers == {}
    with pytest.raises(exception.ContainerNotFound):
        db_api.container_get_by_uuid(admin, row.uuid)


def test_update_resizes_and_records(db, ctx, admin, manager, driver):
    row = _running(ctx, manager)
    db_api.container_update(admin, row.uuid, {"task_state": states.CONTAINER_UPDATING})
    manager.container_update(ctx, row.uuid, cpu=1.5, memory="256")
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.cpu, row.memory, row.task_state) == (1.5, "256", None)
    assert ("update", row.container_id) in driver.calls


def test_exec_and_reads(db, ctx, manager):
    row = _running(ctx, manager)
    assert manager.container_exec(ctx, row.uuid, ["echo", "hi"]) == {
        "output": "echo hi", "exit_code": 0, "exec_id": None, "proxy_url": None}
    assert manager.container_logs(ctx, row.uuid) == "log line\n"
    assert manager.container_top(ctx, row.uuid, None)["Titles"] == ["PID"]


def test_exec_without_run_only_creates_it(db, ctx, manager, driver):
    row = _running(ctx, manager)
    created = []
    driver.exec_create = lambda cid, command, interactive: (
        created.append((cid, command, interactive)) or "exec-1")
    assert manager.container_exec(ctx, row.uuid, ["sh"], run=False, interactive=True) == {
        "output": None, "exit_code": None, "exec_id": "exec-1", "proxy_url": None}
    assert created == [(row.container_id, ["sh"], True)]
    # run=True ignores interactive, as upstream does
    assert manager.container_exec(ctx, row.uuid, ["id"], interactive=True)["output"] == "id"


def test_console_offers_a_relay_ticket_for_the_runtime_container(db, ctx, driver,
                                                                 network):
    from zun.compute import console as console_mod
    relay = console_mod.ConsoleRelay(driver, host="127.0.0.1", port=0)
    manager = manager_mod.Manager(driver, HOST, sync_mod.StateSync(driver, HOST),
                                  network=network, console=relay)
    row = _running(ctx, manager)
    with pytest.raises(exception.ServiceUnavailable):  # not listening yet
        manager.container_console(ctx, row.uuid)
    relay.start()
    try:
        offer = manager.container_console(ctx, row.uuid, "exec-1")
        assert offer["port"] == relay.port and offer["host"] == "127.0.0.1"
        assert relay._claim(offer["ticket"]).container_id == row.container_id
    finally:
        relay.stop()


def test_resizes_reach_the_runtime_container(db, ctx, manager, driver):
    row = _running(ctx, manager)
    driver.resize = lambda *args: driver.calls.append(("resize",) + args)
    driver.exec_resize = lambda *args: driver.calls.append(("exec_resize",) + args)
    manager.container_resize(ctx, row.uuid, 24, 80)
    manager.container_exec_resize(ctx, row.uuid, "exec-1", 30, 100)
    assert driver.calls[-2:] == [("resize", row.container_id, 24, 80),
                                 ("exec_resize", row.container_id, "exec-1", 30, 100)]


def test_rebuild_replaces_the_runtime_container_and_keeps_it_running(
        db, ctx, admin, manager, driver):
    row = _running(ctx, manager)
    old_id = row.container_id
    db_api.container_update(admin, row.uuid, {"task_state": states.CONTAINER_REBUILDING})
    db_api.action_start(ctx, row.uuid, "rebuild")
    manager.container_rebuild(ctx, row.uuid, image="busybox:2")
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.status, row.task_state, row.image) == (states.RUNNING, None, "busybox:2")
    assert row.container_id != old_id and old_id not in driver.containers
    rebuild = [a for a in db_api.actions_get(ctx, row.uuid) if a.action == "rebuild"][0]
    assert rebuild.finish_time is not None and rebuild.message is None


def test_rebuild_of_a_stopped_container_leaves_it_created(db, ctx, admin, manager,
                                                           driver):
    row = _running(ctx, manager)
    db_api.container_update(admin, row.uuid, {"status": states.STOPPED,
                                              "task_state": states.CONTAINER_REBUILDING})
    manager.container_rebuild(ctx, row.uuid)
    assert db_api.container_get_by_uuid(admin, row.uuid).status == states.CREATED


def test_injected_files_are_written_and_bound(db, ctx, admin, manager, driver, tmp_path):
    import base64

    from zun.conf import CONF
    CONF.set_override("state_path", str(tmp_path))
    try:
        row = make_row(ctx, task_state=states.CONTAINER_CREATING, mounts=[
            {"type": "bind", "destination": "/data/f",
             "content": base64.b64encode(b"secret").decode()}])
        seen = []
        original = driver.create
        driver.create = lambda spec: (seen.append(spec.binds), original(spec))[1]
        manager.container_create(ctx, row.uuid, run=False)
        ((host_path, dest),) = seen[0]
        assert dest == "/data/f" and open(host_path, "rb").read() == b"secret"
        db_api.container_update(admin, row.uuid,
                                {"task_state": states.CONTAINER_DELETING})
        manager.container_delete(ctx, row.uuid, force=True, stop=False)
        import os
        assert not os.path.exists(host_path)
    finally:
        CONF.clear_override("state_path")


# --- networks --------------------------------------------------------------------
def _claimed(ctx, manager, task):
    row = _running(ctx, manager)
    db_api.container_update(ctx.elevated(), row.uuid, {"task_state": task})
    return row


def test_network_detach_and_attach_record_the_runtimes_addresses(db, ctx, admin,
                                                                 manager, network):
    row = _claimed(ctx, manager, states.NETWORK_DETACHING)
    manager.container_network_detach(ctx, row.uuid, "default")
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.task_state, row.addresses) == (None, {})
    db_api.container_update(admin, row.uuid, {"task_state": states.NETWORK_ATTACHING})
    manager.container_network_attach(ctx, row.uuid, "default")
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert row.task_state is None and list(row.addresses) == ["zun-net-p1"]
    assert row.status == states.RUNNING
    assert [c for c in network.calls if c[0] in ("connect", "disconnect")] == [
        ("disconnect", "p1"), ("connect", "p1")]


def test_another_projects_network_is_404_and_leaves_the_container_as_it_was(
        db, ctx, admin, manager):
    row = _claimed(ctx, manager, states.NETWORK_ATTACHING)
    before = db_api.container_get_by_uuid(admin, row.uuid)
    with pytest.raises(exception.NetworkNotFound):
        manager.container_network_attach(ctx, row.uuid, "zun-net-p2")
    after = db_api.container_get_by_uuid(admin, row.uuid)
    assert after.task_state is None
    assert (after.status, after.addresses) == (before.status, before.addresses)
