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


NONE = {"resumed": 0, "deleted": 0, "resolved": 0, "gave_up": 0, "discarded": 0}


def _counts(**kw):
    return dict(NONE, **kw)


def _events(ctx, uuid):
    (action,) = [a for a in db_api.actions_get(ctx, uuid)]
    return action, [(e.event, e.result) for e in db_api.action_events_get(ctx, action.id)]


def test_interrupted_create_before_the_runtime_existed_is_resumed_and_runs(
        db, ctx, admin, manager, driver):
    row = make_row(ctx, task_state=states.CONTAINER_CREATING)
    db_api.action_start(ctx, row.uuid, "create", intent={"run": True})
    assert manager.recover_interrupted(_later()) == _counts(resumed=1)
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.status, row.task_state, row.status_reason) == (states.RUNNING, None, None)
    assert [c.uuid for c in driver.containers.values()] == [row.uuid]
    action, events = _events(ctx, row.uuid)
    assert events == [("compute__resume", "Success"),
                      ("compute__do_container_create", "Success")]
    assert action.finish_time is not None and action.message is None
    assert action.attempts == 1


def test_a_create_never_acknowledged_leaves_nothing(db, ctx, admin, manager, driver):
    """The process died between the row and its action record: no 202 was
    given (the record precedes the send), nothing exists on the host."""
    row = make_row(ctx, task_state=states.CONTAINER_CREATING)
    assert manager.recover_interrupted(_later()) == _counts(discarded=1)
    with pytest.raises(exception.ContainerNotFound):
        db_api.container_get_by_uuid(admin, row.uuid)
    assert driver.containers == {}


def test_a_create_only_request_is_resumed_without_a_start(db, ctx, admin, manager):
    row = make_row(ctx, task_state=states.CONTAINER_CREATING)
    db_api.action_start(ctx, row.uuid, "create", intent={"run": False})
    manager.recover_interrupted(_later())
    assert db_api.container_get_by_uuid(admin, row.uuid).status == states.CREATED


def test_a_record_without_intent_is_resolved_as_before(db, ctx, admin, manager):
    row = make_row(ctx, task_state=states.CONTAINER_CREATING)
    db_api.action_start(ctx, row.uuid, "create")   # written before intents were kept
    assert manager.recover_interrupted(_later()) == _counts(resolved=1)
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.status, row.task_state) == (states.ERROR, None)
    assert "interrupted" in row.status_reason and "create" in row.status_reason
    (action,) = db_api.actions_get(ctx, row.uuid)
    assert action.finish_time is not None and action.message == "Error"


def test_interrupted_create_after_the_runtime_existed_is_adopted_not_duplicated(
        db, ctx, admin, manager, driver):
    row = make_row(ctx, task_state=states.CONTAINER_CREATING)
    db_api.action_start(ctx, row.uuid, "create", intent={"run": True})
    facts = _runtime(driver, row, state="created")
    manager.recover_interrupted(_later())
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.status, row.container_id, row.task_state) == (
        states.RUNNING, facts.container_id, None)
    assert len(driver.containers) == 1


def test_interrupted_delete_is_completed(db, ctx, admin, manager, driver):
    row = make_row(ctx, task_state=states.CONTAINER_DELETING)
    facts = _runtime(driver, row)
    db_api.container_update(admin, row.uuid, {"container_id": facts.container_id})
    assert manager.recover_interrupted(_later())["deleted"] == 1
    assert driver.containers == {}
    with pytest.raises(exception.ContainerNotFound):
        db_api.container_get_by_uuid(admin, row.uuid)


@pytest.mark.parametrize("action,task,before,after", [
    ("stop", states.CONTAINER_STOPPING, "running", states.STOPPED),
    ("start", states.CONTAINER_STARTING, "exited", states.RUNNING),
    ("pause", states.CONTAINER_PAUSING, "running", states.PAUSED),
    ("unpause", states.CONTAINER_UNPAUSING, "paused", states.RUNNING),
    ("reboot", states.CONTAINER_REBOOTING, "exited", states.RUNNING),
    # already at its target (the agent died after the runtime acted)
    ("stop", states.CONTAINER_STOPPING, "exited", states.STOPPED),
])
def test_interrupted_actions_are_driven_to_their_target(
        db, ctx, admin, manager, driver, action, task, before, after):
    row = make_row(ctx, status=states.RUNNING, task_state=task)
    facts = _runtime(driver, row, state=before)
    db_api.container_update(admin, row.uuid, {"container_id": facts.container_id})
    db_api.action_start(ctx, row.uuid, action, intent={})
    assert manager.recover_interrupted(_later()) == _counts(resumed=1)
    manager._waits.shutdown(wait=True)   # stop and reboot run on the wait pool
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.status, row.task_state) == (after, None)


def test_an_interrupted_kill_is_not_sent_again(db, ctx, admin, manager, driver):
    row = make_row(ctx, status=states.RUNNING, task_state=states.CONTAINER_KILLING)
    facts = _runtime(driver, row, state="running")
    db_api.container_update(admin, row.uuid, {"container_id": facts.container_id})
    db_api.action_start(ctx, row.uuid, "kill", intent={"signal": "SIGHUP"})
    assert manager.recover_interrupted(_later()) == _counts(resolved=1)
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.status, row.task_state) == (states.RUNNING, None)
    assert "kill operation was interrupted" in row.status_reason


@pytest.mark.parametrize("signal,state,outcome,after", [
    (None, "running", "resumed", states.STOPPED),        # SIGKILL never arrived
    ("SIGKILL", "exited", "resolved", states.STOPPED),   # it did
])
def test_an_interrupted_sigkill_is_sent_only_if_it_never_arrived(
        db, ctx, admin, manager, driver, signal, state, outcome, after):
    row = make_row(ctx, status=states.RUNNING, task_state=states.CONTAINER_KILLING)
    facts = _runtime(driver, row, state=state)
    db_api.container_update(admin, row.uuid, {"container_id": facts.container_id})
    db_api.action_start(ctx, row.uuid, "kill", intent={"signal": signal})
    assert manager.recover_interrupted(_later()) == _counts(**{outcome: 1})
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.status, row.task_state) == (after, None)


@pytest.mark.parametrize("refused", [False, True])
def test_an_interrupted_resize_is_applied_or_given_back(db, ctx, admin, manager,
                                                        driver, refused):
    row = make_row(ctx, status=states.RUNNING, task_state=states.CONTAINER_UPDATING,
                   cpu=2.0, memory="256")              # the claim wrote the new limits
    facts = _runtime(driver, row, state="running")
    db_api.container_update(admin, row.uuid, {"container_id": facts.container_id})
    db_api.action_start(ctx, row.uuid, "update", intent={
        "cpu": 2.0, "memory": "256", "previous": {"cpu": 1.0, "memory": "128"}})
    if refused:
        driver.fail["update"] = exception.Invalid(reason="too much")
    assert manager.recover_interrupted(_later()) == _counts(resumed=1)
    row = db_api.container_get_by_uuid(admin, row.uuid)
    expected = (1.0, "128") if refused else (2.0, "256")
    assert (row.cpu, row.memory, row.task_state) == (*expected, None)


def test_an_interrupted_rebuild_ends_with_one_new_container(db, ctx, admin, manager,
                                                             driver):
    row = make_row(ctx, status=states.RUNNING, task_state=states.CONTAINER_REBUILDING)
    old = _runtime(driver, row, state="running")
    db_api.container_update(admin, row.uuid, {"container_id": old.container_id})
    db_api.action_start(ctx, row.uuid, "rebuild", intent={"image": "other", "run": True})
    manager.recover_interrupted(_later())
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.status, row.task_state, row.image) == (states.RUNNING, None, "other")
    assert list(driver.containers) == [row.container_id] != [old.container_id]


def test_resumes_are_bounded_and_the_last_cause_is_kept(db, ctx, admin, manager):
    row = make_row(ctx, task_state=states.CONTAINER_CREATING)
    action = db_api.action_start(ctx, row.uuid, "create", intent={"run": True})
    for _ in range(CONF.compute.resume_attempts):
        db_api.action_count_attempt(ctx, action.id)  # earlier agents died mid-resume
    assert manager.recover_interrupted(_later()) == _counts(gave_up=1)
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.status, row.task_state) == (states.ERROR, None)
    assert row.status_reason.startswith(
        "The create operation was interrupted and could not be completed after 3 attempts")
    assert db_api.actions_get(ctx, row.uuid)[0].attempts == 3   # the bound, not one more


def test_an_unreachable_engine_is_retried_then_given_up(db, ctx, admin, manager, driver):
    row = make_row(ctx, task_state=states.CONTAINER_CREATING)
    db_api.action_start(ctx, row.uuid, "create", intent={"run": True})
    driver.fail["create"] = exception.engine_unreachable()
    manager.container_create(ctx, row.uuid, run=True)
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.status, row.task_state) == (states.CREATING, states.CONTAINER_CREATING)
    assert row.status_reason.startswith("Waiting to create container")
    long_ago = datetime.datetime.utcnow() - datetime.timedelta(hours=1)
    # retried on each pass whatever its age, until the bound
    for _ in range(CONF.compute.resume_attempts):
        assert manager.recover_interrupted(long_ago) == _counts(resumed=1)
    assert manager.recover_interrupted(long_ago) == _counts(gave_up=1)
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.status, row.task_state) == (states.ERROR, None)
    assert "after 3 attempts (last: Waiting to create container" in row.status_reason
    assert row.status_reason.count("cannot be reached") == 1
    assert driver.containers == {}


def test_an_engine_back_before_the_bound_completes_the_create(db, ctx, admin, manager,
                                                               driver):
    row = make_row(ctx, task_state=states.CONTAINER_CREATING)
    db_api.action_start(ctx, row.uuid, "create", intent={"run": True})
    driver.fail["create"] = exception.engine_unreachable()
    manager.container_create(ctx, row.uuid, run=True)
    driver.fail.clear()                                  # the engine restarted
    long_ago = datetime.datetime.utcnow() - datetime.timedelta(hours=1)
    assert manager.recover_interrupted(long_ago) == _counts(resumed=1)
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.status, row.task_state, row.status_reason) == (states.RUNNING, None, None)


def test_recent_and_active_rows_are_left_alone(db, ctx, admin, manager):
    recent = make_row(ctx, task_state=states.CONTAINER_CREATING)
    long_ago = datetime.datetime.utcnow() - datetime.timedelta(hours=1)
    assert manager.recover_interrupted(long_ago) == NONE
    manager._active.add(recent.uuid)
    assert manager.recover_interrupted(_later()) == NONE
    assert db_api.container_get_by_uuid(admin, recent.uuid).task_state is not None


def test_a_request_arriving_after_the_resume_does_nothing(db, ctx, admin, manager, driver):
    row = make_row(ctx, task_state=states.CONTAINER_CREATING)
    db_api.action_start(ctx, row.uuid, "create", intent={"run": True})
    manager.recover_interrupted(_later())
    manager.container_create(ctx, row.uuid, run=True)  # the late, stale request
    assert len(driver.containers) == 1
    assert db_api.container_get_by_uuid(admin, row.uuid).status == states.RUNNING


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
