"""Recovery of interrupted operations, orphans, auto_heal, dead hosts."""
from __future__ import annotations

import datetime

import pytest

from tests.unit.compute.conftest import HOST, make_row, register_host
from tests.unit.compute.test_api import RecordingClient
from zun.common import exception, states
from zun.compute import api as compute_api
from zun.compute import manager as manager_mod
from zun.compute import sync as sync_mod
from zun.conf import CONF
from zun.container.driver import base
from zun.db import api as db_api


@pytest.fixture
def sync(driver, network):
    return sync_mod.StateSync(driver, HOST, network=network)


@pytest.fixture
def manager(driver, sync, network):
    m = manager_mod.Manager(driver, HOST, sync, network=network)
    sync.heal = m.heal
    return m


def _later():
    return datetime.datetime.utcnow() + datetime.timedelta(seconds=5)


def _runtime(driver, row, state="running"):
    facts = driver.create(base.ContainerSpec(uuid=row.uuid, project_id=row.project_id,
                                             image=row.image, host=HOST))
    facts.state = state
    return facts


def test_interrupted_create_before_the_runtime_existed_is_error(db, ctx, admin, manager):
    row = make_row(ctx, task_state=states.CONTAINER_CREATING)
    db_api.action_start(ctx, row.uuid, "create")
    assert manager.recover_interrupted(_later()) == {"resolved": 1, "deleted": 0}
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.status, row.task_state) == (states.ERROR, None)
    assert "interrupted" in row.status_reason and "create" in row.status_reason
    (action,) = db_api.actions_get(ctx, row.uuid)
    assert action.finish_time is not None and action.message == "Error"


def test_interrupted_create_after_the_runtime_existed_is_adopted_not_duplicated(
        db, ctx, admin, manager, driver):
    row = make_row(ctx, task_state=states.CONTAINER_CREATING)
    facts = _runtime(driver, row, state="created")
    manager.recover_interrupted(_later())
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.status, row.container_id, row.task_state) == (
        states.CREATED, facts.container_id, None)
    assert len(driver.containers) == 1


def test_interrupted_delete_is_completed(db, ctx, admin, manager, driver):
    row = make_row(ctx, task_state=states.CONTAINER_DELETING)
    facts = _runtime(driver, row)
    db_api.container_update(admin, row.uuid, {"container_id": facts.container_id})
    assert manager.recover_interrupted(_later())["deleted"] == 1
    assert driver.containers == {}
    with pytest.raises(exception.ContainerNotFound):
        db_api.container_get_by_uuid(admin, row.uuid)


def test_interrupted_stop_is_rechecked(db, ctx, admin, manager, driver):
    row = make_row(ctx, status=states.RUNNING, task_state=states.CONTAINER_STOPPING)
    facts = _runtime(driver, row, state="exited")
    db_api.container_update(admin, row.uuid, {"container_id": facts.container_id})
    manager.recover_interrupted(_later())
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.status, row.task_state) == (states.STOPPED, None)


def test_recent_and_active_rows_are_left_alone(db, ctx, admin, manager):
    recent = make_row(ctx, task_state=states.CONTAINER_CREATING)
    long_ago = datetime.datetime.utcnow() - datetime.timedelta(hours=1)
    assert manager.recover_interrupted(long_ago) == {"resolved": 0, "deleted": 0}
    manager._active.add(recent.uuid)
    assert manager.recover_interrupted(_later()) == {"resolved": 0, "deleted": 0}
    assert db_api.container_get_by_uuid(admin, recent.uuid).task_state is not None


def test_a_request_arriving_after_recovery_does_nothing(db, ctx, admin, manager, driver):
    row = make_row(ctx, task_state=states.CONTAINER_CREATING)
    manager.recover_interrupted(_later())
    manager.container_create(ctx, row.uuid, run=True)  # the late, stale request
    assert driver.containers == {}
    assert db_api.container_get_by_uuid(admin, row.uuid).status == states.ERROR


def test_orphans_are_removed_after_the_grace_period(db, ctx, driver, sync):
    facts = _runtime(driver, make_row(ctx))
    db_api.container_destroy(ctx, facts.uuid)   # e.g. force-deleted while down
    CONF.set_override("orphan_grace", 3600, "compute")
    try:
        assert sync.reconcile()["orphans_removed"] == 0
        assert facts.container_id in driver.containers
        CONF.set_override("orphan_grace", 0, "compute")
        assert sync.reconcile()["orphans_removed"] == 1
        assert driver.containers == {}
    finally:
        CONF.clear_override("orphan_grace", "compute")


def test_auto_heal_recreates_a_vanished_container(db, ctx, admin, manager, driver, sync):
    row = make_row(ctx, status=states.RUNNING, auto_heal=True)
    facts = _runtime(driver, row)
    db_api.container_update(admin, row.uuid, {"container_id": facts.container_id})
    driver.containers.pop(facts.container_id)       # removed behind zun's back
    sync.reconcile()
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.status, row.task_state) == (states.RUNNING, None)
    assert row.container_id in driver.containers and row.container_id != facts.container_id
    assert "rebuild" in [a.action for a in db_api.actions_get(ctx, row.uuid)]


def test_force_delete_on_a_down_host_removes_the_record_at_once(db, ctx, admin):
    register_host(admin, age=3600)
    row = make_row(ctx, status=states.RUNNING, container_id="c")
    client = RecordingClient()
    compute_api.API(client).container_delete(admin, row, force=True)
    assert client.casts == []
    with pytest.raises(exception.ContainerNotFound):
        db_api.container_get_by_uuid(admin, row.uuid)
    # a plain delete on a down host is a clear 409, not a 500
    other = make_row(ctx, status=states.STOPPED, container_id="c2")
    with pytest.raises(exception.ContainerHostNotUp):
        compute_api.API(client).container_delete(ctx, other)


def test_auto_heal_after_an_outside_kill_and_remove_brings_it_back_running(
        db, ctx, admin, manager, driver, sync):
    """`docker rm -f` shows a die (-> Stopped) just before the container vanishes."""
    row = make_row(ctx, status=states.RUNNING, auto_heal=True)
    facts = _runtime(driver, row)
    db_api.container_update(admin, row.uuid, {"container_id": facts.container_id})
    driver.kill(facts.container_id)
    sync.on_event(base.RuntimeEvent(uuid=row.uuid, container_id=facts.container_id,
                                    action="die", time=0))
    assert db_api.container_get_by_uuid(admin, row.uuid).status == states.STOPPED
    driver.containers.pop(facts.container_id)
    sync.on_event(base.RuntimeEvent(uuid=row.uuid, container_id=facts.container_id,
                                    action="destroy", time=0))
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.status, row.task_state) == (states.RUNNING, None)
