"""compute.api: every path that grows usage takes the create's claim.

A resize (with or without a runtime container) is checked against the
project's quota and its host's capacity in the transaction of its claim,
and given back when the agent does not take it; a rebuild, start or reboot
of a row that holds nothing on its host takes the host claim. The agent
side is the real manager on the in-memory driver.
"""
from __future__ import annotations

import oslo_messaging
import pytest

from tests.unit.compute.conftest import HOST, make_row, register_host
from zun.common import exception, states
from zun.compute import api as compute_api
from zun.db import api as db_api

QUOTA = {"containers": 3, "cpu": 1, "memory": 256}


class AgentClient:
    """Casts are recorded; calls run the real manager, as the bus would."""

    def __init__(self, manager=None, fail=None):
        self.manager = manager
        self.fail = fail
        self.casts = []
        self.calls = []

    def cast(self, context, host, method, version, **kwargs):
        self.casts.append((host, method, kwargs))

    def call(self, context, host, method, version, **kwargs):
        self.calls.append((host, method, kwargs))
        if self.fail:
            raise self.fail
        return getattr(self.manager, method)(context, **kwargs)


@pytest.fixture
def quota(db, ctx, admin):
    register_host(admin)
    db_api.quota_update(admin, ctx.project_id, QUOTA)


def _running(ctx, manager, driver, **values):
    """A running container with its runtime container in the fake driver."""
    row = make_row(ctx, status=states.CREATED, task_state=states.CONTAINER_CREATING,
                   **values)
    manager.container_create(ctx, row.uuid, run=True)
    row = db_api.container_get_by_uuid(ctx, row.uuid)
    assert row.status == states.RUNNING and row.container_id
    return row


def _same(ctx, row):
    now = db_api.container_get_by_uuid(ctx, row.uuid)
    assert (now.cpu, now.memory, now.task_state) == (row.cpu, row.memory, row.task_state)
    return now


def test_resize_beyond_quota_is_403_and_nothing_is_sent(quota, ctx, manager, driver):
    row = _running(ctx, manager, driver, cpu=0.5, memory="128")
    client = AgentClient(manager)
    with pytest.raises(exception.OverQuota) as err:
        compute_api.API(client).container_update(ctx, row, {"cpu": 1.5, "memory": 512})
    assert err.value.code == 403
    assert str(err.value) == ("Quota exceeded for cpu: requested 1.0, but already "
                              "used 0.5 of 1.")
    _same(ctx, row)
    assert client.calls == [] and ("update", row.container_id) not in driver.calls


def test_resize_within_quota_reaches_the_runtime(quota, ctx, manager, driver):
    row = _running(ctx, manager, driver, cpu=0.5, memory="128")
    updated = compute_api.API(AgentClient(manager)).container_update(
        ctx, row, {"cpu": 1.0, "memory": 256, "name": "bigger"})
    assert (updated.cpu, updated.memory, updated.task_state, updated.name) == (
        1.0, "256", None, "bigger")
    assert ("update", row.container_id) in driver.calls


def test_shrinking_is_allowed_over_a_lowered_quota(quota, ctx, admin, manager, driver):
    row = _running(ctx, manager, driver, cpu=1.0, memory="256")
    db_api.quota_update(admin, ctx.project_id, {"cpu": 0.25, "memory": 64})
    updated = compute_api.API(AgentClient(manager)).container_update(
        ctx, row, {"cpu": 0.5})
    assert (updated.cpu, updated.memory) == (0.5, "256")


def test_a_failed_resize_gives_back_exactly_what_it_took(quota, ctx, manager, driver):
    row = _running(ctx, manager, driver, cpu=0.5, memory="128")
    driver.fail["update"] = exception.RuntimeOperationFailed(
        operation="update", reason="kernel says no")
    with pytest.raises(exception.RuntimeOperationFailed):
        compute_api.API(AgentClient(manager)).container_update(
            ctx, row, {"cpu": 1.0, "memory": 256})
    _same(ctx, row)
    # the quota it held for a moment is free again
    assert db_api.quota_usage(ctx, ctx.project_id)["cpu"] == 0.5


def test_an_unreachable_agent_gives_the_resize_back(quota, ctx, manager, driver):
    row = _running(ctx, manager, driver, cpu=0.5, memory="128")
    client = AgentClient(fail=oslo_messaging.MessageUndeliverable(
        Exception("gone"), "ex", "rk", "msg"))
    with pytest.raises(exception.ServiceUnavailable):
        compute_api.API(client).container_update(ctx, row, {"cpu": 1.0})
    _same(ctx, row)


def test_a_resize_without_answer_stays_charged(quota, ctx, manager, driver):
    # the agent may still apply it: never charge less than the runtime may hold
    row = _running(ctx, manager, driver, cpu=0.5, memory="128")
    client = AgentClient(fail=oslo_messaging.MessagingTimeout("slow"))
    with pytest.raises(exception.ServiceUnavailable):
        compute_api.API(client).container_update(ctx, row, {"cpu": 1.0})
    now = db_api.container_get_by_uuid(ctx, row.uuid)
    assert (now.cpu, now.task_state) == (1.0, None)


def test_resize_beyond_the_host_is_409_and_changes_nothing(quota, ctx, admin, manager,
                                                          driver):
    db_api.quota_update(admin, ctx.project_id, {"cpu": -1})
    db_api.compute_node_upsert(admin, HOST, {"cpus": 1})  # 16 cpu at ratio 16
    row = _running(ctx, manager, driver, cpu=0.5, memory="128")
    with pytest.raises(exception.HostFull) as err:
        compute_api.API(AgentClient(manager)).container_update(ctx, row, {"cpu": 17.0})
    assert err.value.code == 409
    assert str(err.value) == "The host has no room for 16.5 more cpu."
    _same(ctx, row)


def test_resize_without_runtime_container_takes_the_same_claim(quota, ctx, admin):
    # a row whose runtime container is not there (yet): the DB-only resize
    row = make_row(ctx, status=states.CREATED, container_id=None, cpu=0.5, memory="128")
    client = AgentClient()
    api = compute_api.API(client)
    with pytest.raises(exception.OverQuota):
        api.container_update(ctx, row, {"memory": 512})
    _same(ctx, row)
    db_api.quota_update(admin, ctx.project_id, {"cpu": -1})
    db_api.compute_node_upsert(admin, HOST, {"cpus": 1})  # 16 cpu
    with pytest.raises(exception.HostFull):
        api.container_update(ctx, row, {"cpu": 17.0})
    _same(ctx, row)
    updated = api.container_update(ctx, row, {"cpu": 0.75})
    assert (updated.cpu, updated.task_state) == (0.75, None)
    assert client.calls == []


@pytest.mark.parametrize("action", ["rebuild", "start", "reboot"])
def test_an_error_row_cannot_grow_a_full_host(quota, ctx, admin, action):
    db_api.quota_update(admin, ctx.project_id, {"cpu": -1})
    db_api.compute_node_upsert(admin, HOST, {"cpus": 1})  # 16 cpu
    make_row(ctx, status=states.RUNNING, container_id="c", cpu=15.5)
    row = make_row(ctx, status=states.ERROR, container_id=None, cpu=1.0)
    client = AgentClient()
    api = compute_api.API(client)
    do = (api.container_rebuild if action == "rebuild"
          else lambda c, r: api.container_action(c, r, action))
    with pytest.raises(exception.HostFull) as err:
        do(ctx, row)
    assert err.value.code == 409 and "no room for 1.0 more cpu" in str(err.value)
    _same(ctx, row)  # no task state left
    assert client.casts == []
    # one that fits takes its claim with the task state
    small = make_row(ctx, status=states.ERROR, container_id=None, cpu=0.5)
    do(ctx, small)
    assert db_api.container_get_by_uuid(ctx, small.uuid).task_state is not None
    assert db_api.host_usage(ctx, HOST)["cpu"] == 16.0


def test_actions_on_rows_that_hold_resources_are_not_refused(quota, ctx, admin,
                                                             manager, driver):
    db_api.quota_update(admin, ctx.project_id, {"cpu": -1})
    row = _running(ctx, manager, driver, cpu=20.0)
    db_api.compute_node_upsert(admin, HOST, {"cpus": 1})  # overcommitted since
    client = AgentClient(manager)
    compute_api.API(client).container_rebuild(ctx, row)
    assert client.casts[-1][1] == "container_rebuild"


@pytest.mark.parametrize("action", ["rebuild", "start", "reboot"])
def test_never_placed_rows_stay_refused(quota, ctx, action):
    row = make_row(ctx, status=states.ERROR, host=None, container_id=None,
                   status_reason="No valid host was found: no compute host is available")
    client = AgentClient()
    api = compute_api.API(client)
    with pytest.raises(exception.Conflict) as err:
        if action == "rebuild":
            api.container_rebuild(ctx, row)
        else:
            api.container_action(ctx, row, action)
    assert err.value.code == 409 and "never placed on a host" in str(err.value)
    assert db_api.container_get_by_uuid(ctx, row.uuid).task_state is None
    assert client.casts == []


def test_missing_image_creates_count_until_deleted(quota, ctx, manager, driver):
    driver.fail["create"] = exception.ImageNotFound(image="nope")
    api = compute_api.API(AgentClient(manager))
    rows = []
    for _ in range(3):
        row = api.container_create(ctx, {"image": "nope", "cpu": 0.25, "memory": "64"},
                                   run=True)
        manager.container_create(ctx, row.uuid, run=True)
        rows.append(db_api.container_get_by_uuid(ctx, row.uuid))
    assert {(r.status, r.container_id) for r in rows} == {(states.ERROR, None)}
    with pytest.raises(exception.OverQuota) as err:
        api.container_create(ctx, {"image": "nope", "cpu": 0.25, "memory": "64"},
                             run=True)
    assert "containers" in str(err.value)
    assert len(db_api.container_list(ctx)) == 3


def test_auto_heal_does_not_grow_a_host_by_itself(db, ctx, admin, manager):
    row = make_row(ctx, status=states.ERROR, container_id=None, auto_heal=True)
    assert manager.heal(row, run=True) is False
    assert db_api.container_get_by_uuid(ctx, row.uuid).task_state is None
