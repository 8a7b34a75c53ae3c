"""compute.api: state table, one-operation claim, scheduling, bus failures."""
from __future__ import annotations

import dataclasses
import threading

import pytest

from tests.unit.compute.conftest import make_row, register_host
from zun.common import actions, exception, states
from zun.common import context as zun_context
from zun.compute import api as compute_api
from zun.db import api as db_api
from zun.scheduler import scheduler


class RecordingClient:
    def __init__(self, fail=None):
        self.casts = []
        self.calls = []
        self.versions = []
        self.fail = fail

    def cast(self, context, host, method, version, **kwargs):
        if self.fail:
            raise self.fail
        self.versions.append(version)
        self.casts.append((host, method, kwargs))

    def call(self, context, host, method, version, **kwargs):
        if self.fail:
            raise self.fail
        self.versions.append(version)
        self.calls.append((host, method, kwargs))
        return {"output": "x", "exit_code": 0}


def test_create_schedules_records_and_casts(db, ctx, admin):
    register_host(admin)
    client = RecordingClient()
    row = compute_api.API(client).container_create(
        ctx, {"image": "busybox:local", "project_id": "p1", "user_id": "u1"}, run=True)
    assert (row.status, row.task_state, row.host) == (
        states.CREATING, states.CONTAINER_CREATING, "host-1")
    assert client.casts == [("host-1", "container_create", {"uuid": row.uuid, "run": True})]
    assert [a.action for a in db_api.actions_get(ctx, row.uuid)] == ["create"]
    assert db_api.actions_get(ctx, row.uuid)[0].intent == {"run": True}


@pytest.mark.parametrize("action,params,status,intent", [
    ("stop", {"timeout": 7}, states.RUNNING, {"timeout": 7}),
    ("start", {}, states.STOPPED, {}),
    # kept: the agent decides from it whether the signal may be sent again
    ("kill", {"signal": "SIGHUP"}, states.RUNNING, {"signal": "SIGHUP"}),
])
def test_accepted_casts_keep_what_a_resume_needs(db, ctx, admin, action, params,
                                                 status, intent):
    register_host(admin)
    row = make_row(ctx, status=status, container_id="c")
    compute_api.API(RecordingClient()).container_action(ctx, row, action, **params)
    (record,) = db_api.actions_get(ctx, row.uuid)
    assert (record.action, record.intent) == (action, intent)


def test_rebuild_and_delete_keep_their_intent(db, ctx, admin):
    register_host(admin)
    api = compute_api.API(RecordingClient())
    running = make_row(ctx, status=states.RUNNING, container_id="c")
    api.container_rebuild(ctx, running, image="other")
    stopped = make_row(ctx, status=states.STOPPED, container_id="d")
    api.container_delete(ctx, stopped, stop=True)
    assert db_api.actions_get(ctx, running.uuid)[0].intent == {"image": "other",
                                                               "run": True}
    assert db_api.actions_get(ctx, stopped.uuid)[0].intent == {"force": False,
                                                               "stop": True}


def schedule_detail(row):
    """The admin-only account of a scheduling failure: the create action's
    event (status_reason, which members read, names no host)."""
    admin = zun_context.get_admin_context()
    (action,) = db_api.actions_get(admin, row.uuid)
    (event,) = db_api.action_events_get(admin, action.id)
    assert (event.event, event.result) == (scheduler.EVENT, "Error")
    return event.traceback


def test_create_without_hosts_is_an_error_row_with_reason(db, ctx):
    row = compute_api.API(RecordingClient()).container_create(
        ctx, {"image": "i", "project_id": "p1", "user_id": "u1"}, run=False)
    assert row.status == states.ERROR
    assert "No valid host" in row.status_reason


def test_create_on_a_driver_that_cannot_create_is_400_and_writes_nothing(db, ctx, admin):
    register_host(admin, capabilities=[], driver="rkt")
    with pytest.raises(exception.UnsupportedOperation) as err:
        compute_api.API(RecordingClient()).container_create(
            ctx, {"image": "i", "project_id": "p1", "user_id": "u1"}, run=False)
    assert err.value.code == 400 and "rkt" in str(err.value)
    assert db_api.container_list(ctx) == []


def test_create_with_bus_down_is_503_and_row_is_error(db, ctx, admin):
    import oslo_messaging
    register_host(admin)
    client = RecordingClient(fail=oslo_messaging.MessageDeliveryFailure("down"))
    from zun.compute import rpcapi
    api = compute_api.API(client)
    with pytest.raises(exception.ServiceUnavailable) as err:
        api.container_create(ctx, {"image": "i", "project_id": "p1", "user_id": "u1"},
                             run=False)
    assert err.value.code == 503
    (row,) = db_api.container_list(ctx)
    assert (row.status, row.task_state) == (states.ERROR, None)
    assert rpcapi  # the 503 translation lives there


def test_action_refused_by_state_table(db, ctx, admin):
    register_host(admin)
    row = make_row(ctx, status=states.STOPPED, container_id="c")
    with pytest.raises(exception.InvalidStateException) as err:
        compute_api.API(RecordingClient()).container_action(ctx, row, "pause")
    assert err.value.code == 409
    assert "Cannot pause container %s in Stopped state" % row.uuid in str(err.value)


def test_action_refused_while_another_is_in_flight(db, ctx, admin):
    register_host(admin)
    row = make_row(ctx, status=states.RUNNING, container_id="c",
                   task_state=states.CONTAINER_STOPPING)
    with pytest.raises(exception.ContainerTaskInFlight) as err:
        compute_api.API(RecordingClient()).container_action(ctx, row, "pause")
    assert err.value.code == 409 and "container_stopping" in str(err.value)


def test_racing_actions_only_one_wins(db, ctx, admin):
    register_host(admin)
    row = make_row(ctx, status=states.RUNNING, container_id="c")
    client = RecordingClient()
    api = compute_api.API(client)
    results = []
    barrier = threading.Barrier(8)

    def act(action):
        barrier.wait()
        try:
            api.container_action(ctx, row, action)
            results.append("ok")
        except exception.Conflict:
            results.append("409")

    threads = [threading.Thread(target=act, args=(a,))
               for a in ["stop", "pause", "kill", "reboot"] * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 1 and results.count("409") == 7
    assert len(client.casts) == 1


def test_action_with_bus_down_releases_the_claim(db, ctx, admin):
    import oslo_messaging
    register_host(admin)
    row = make_row(ctx, status=states.RUNNING, container_id="c")
    api = compute_api.API(RecordingClient(fail=oslo_messaging.MessagingTimeout("t")))
    with pytest.raises(exception.ServiceUnavailable):
        api.container_action(ctx, row, "stop", timeout=5)
    assert db_api.container_get_by_uuid(ctx, row.uuid).task_state is None


def test_action_on_a_down_host_is_409(db, ctx, admin):
    register_host(admin, age=3600)
    row = make_row(ctx, status=states.RUNNING, container_id="c")
    with pytest.raises(exception.ContainerHostNotUp) as err:
        compute_api.API(RecordingClient()).container_action(ctx, row, "stop")
    assert err.value.code == 409


def test_unsupported_action_on_the_host_driver_is_400(db, ctx, admin):
    register_host(admin, capabilities=["create", "start"], driver="rkt")
    row = make_row(ctx, status=states.RUNNING, container_id="c")
    with pytest.raises(exception.UnsupportedOperation) as err:
        compute_api.API(RecordingClient()).container_action(ctx, row, "pause")
    assert err.value.code == 400


def test_an_agent_too_old_for_the_action_is_409_and_nothing_is_sent(db, ctx, admin,
                                                                    monkeypatch):
    # A rolling upgrade: this API knows an action the host's agent (RPC 1.0,
    # or no version recorded at all) cannot take yet.
    register_host(admin)
    newer = dataclasses.replace(actions.get("pause"), rpc_version="1.1")
    monkeypatch.setitem(actions.ACTIONS, "pause", newer)
    row = make_row(ctx, status=states.RUNNING, container_id="c")
    client = RecordingClient()
    with pytest.raises(exception.Conflict) as err:
        compute_api.API(client).container_action(ctx, row, "pause")
    assert err.value.code == 409
    assert "serves RPC API 1.0" in str(err.value) and "needs 1.1" in str(err.value)
    assert client.casts == []
    assert db_api.container_get_by_uuid(ctx, row.uuid).task_state is None
    # once the agent reports the newer version, the same request goes through
    db_api.service_update(admin, "host-1", "zun-compute", {"rpc_version": "1.1"})
    compute_api.API(client).container_action(ctx, row, "pause")
    assert client.versions == ["1.1"]


def test_messages_carry_the_rpc_version_of_their_action(db, ctx, admin):
    register_host(admin)
    client = RecordingClient()
    row = make_row(ctx, status=states.RUNNING, container_id="c")
    compute_api.API(client).container_action(ctx, row, "stop")
    assert client.versions == [actions.get("stop").rpc_version]


def test_delete_of_a_container_that_never_reached_a_host(db, ctx, admin):
    row = make_row(ctx, status=states.ERROR, host=None)
    compute_api.API(RecordingClient()).container_delete(ctx, row)
    with pytest.raises(exception.ContainerNotFound):
        db_api.container_get_by_uuid(ctx, row.uuid)


def test_delete_running_needs_stop_or_force(db, ctx, admin):
    register_host(admin)
    row = make_row(ctx, status=states.RUNNING, container_id="c")
    client = RecordingClient()
    api = compute_api.API(client)
    with pytest.raises(exception.InvalidStateException):
        api.container_delete(ctx, row)
    api.container_delete(ctx, row, stop=True)
    assert client.casts[-1][1:] == ("container_delete",
                                    {"uuid": row.uuid, "force": False, "stop": True})


def test_reads_check_status_only(db, ctx, admin):
    register_host(admin)
    row = make_row(ctx, status=states.STOPPED, container_id="c")
    api = compute_api.API(RecordingClient())
    with pytest.raises(exception.InvalidStateException):
        api.container_exec(ctx, row, ["ls"])
    assert api.container_logs(ctx, row) is not None


def test_create_in_an_availability_zone(db, ctx, admin):
    register_host(admin, host="host-nova")
    db_api.service_heartbeat(admin, "host-east", "zun-compute",
                             {"driver": "fake", "availability_zone": "east",
                              "capabilities": ["create"]})
    api = compute_api.API(RecordingClient())
    row = api.container_create(ctx, {"image": "i", "availability_zone": "east"}, run=False)
    assert row.host == "host-east"
    row = api.container_create(ctx, {"image": "i", "availability_zone": "west"}, run=False)
    assert row.status == states.ERROR
    assert row.status_reason == ("No valid host was found: no host is available in "
                                 "availability zone west")
    assert "host-east: in availability zone east, not west" in schedule_detail(row)


def test_full_hosts_are_skipped_and_named_when_nothing_fits(db, ctx, admin):
    register_host(admin, host="small")
    register_host(admin, host="big")
    db_api.compute_node_upsert(admin, "small", {"cpus": 1, "mem_total": 2048})
    db_api.compute_node_upsert(admin, "big", {"cpus": 4, "mem_total": 8192})
    api = compute_api.API(RecordingClient())
    db_api.quota_update(admin, ctx.project_id, {"cpu": -1})  # hosts, not quota, refuse here
    # 1 cpu * 16 (allocation ratio) on "small": a 20-cpu container only fits "big"
    row = api.container_create(ctx, {"image": "i", "cpu": 20.0, "memory": "64"}, run=False)
    assert row.host == "big"
    failed = api.container_create(ctx, {"image": "i", "cpu": 60.0, "memory": "64"},
                                  run=False)
    assert failed.status == states.ERROR and failed.host is None
    assert failed.status_reason == ("No valid host was found: no host has room for "
                                    "60 cpu / 64 MiB")
    assert "small cannot fit 60.0 more cpu" in schedule_detail(failed)
    assert "big cannot fit 60.0 more cpu (20.0 used of 64.0)" in schedule_detail(failed)


def test_runtime_filter_keeps_hosts_that_offer_the_runtime(db, ctx, admin):
    register_host(admin, host="plain")
    register_host(admin, host="gvisor")
    db_api.compute_node_upsert(admin, "plain", {"runtimes": ["runc"]})
    db_api.compute_node_upsert(admin, "gvisor", {"runtimes": ["runc", "runsc"]})
    api = compute_api.API(RecordingClient())
    for _ in range(5):  # candidates are shuffled: only "gvisor" may ever win
        row = api.container_create(ctx, {"image": "i", "runtime": "runsc"}, run=False)
        assert row.host == "gvisor"
    # offered by some host, but not the one asked for: a scheduling failure
    failed = api.container_create(
        ctx, {"image": "i", "runtime": "runsc", "host": "plain"}, run=False)
    assert failed.status == states.ERROR and failed.host is None
    assert failed.status_reason == "No valid host was found: no host offers runtime runsc"
    assert "plain: runtime runsc not offered (has: runc)" in schedule_detail(failed)


def test_a_runtime_no_host_offers_is_400_and_writes_nothing(db, ctx, admin):
    register_host(admin, host="plain")
    register_host(admin, host="gvisor")
    register_host(admin, host="off")
    register_host(admin, host="fresh")  # no inventory reported yet
    db_api.compute_node_upsert(admin, "plain", {"runtimes": ["runc"]})
    db_api.compute_node_upsert(admin, "gvisor", {"runtimes": ["runc", "runsc"]})
    db_api.compute_node_upsert(admin, "off", {"runtimes": ["kata"]})
    db_api.service_update(admin, "off", "zun-compute", {"disabled": True})
    client = RecordingClient()
    api = compute_api.API(client)
    for asked in ({}, {"host": "plain"}):
        with pytest.raises(exception.ValidationError) as err:
            api.container_create(ctx, dict({"image": "i", "runtime": "kata"}, **asked),
                                 run=False)
        assert str(err.value) == (
            "Invalid input for field 'runtime'. Value: 'kata'. No compute host "
            "offers this runtime; the runtimes on offer are: runc, runsc.")
    assert db_api.container_list(ctx) == [] and client.casts == []
    assert db_api.quota_usage(ctx, ctx.project_id)["containers"] == 0


def test_runtime_is_not_judged_before_any_host_reported_one(db, ctx, admin):
    register_host(admin, host="fresh")  # up, but no inventory yet
    failed = compute_api.API(RecordingClient()).container_create(
        ctx, {"image": "i", "runtime": "runc"}, run=False)
    assert failed.status == states.ERROR
    assert "fresh: runtime runc not offered (has: no inventory reported yet)" \
        in schedule_detail(failed)


def test_label_hints_must_all_match_the_host_labels(db, ctx, admin):
    register_host(admin, host="hdd")
    register_host(admin, host="ssd")
    register_host(admin, host="bare")  # no inventory reported yet: no labels
    db_api.compute_node_upsert(admin, "hdd", {"labels": {"disk": "hdd", "rack": "1"}})
    db_api.compute_node_upsert(admin, "ssd", {"labels": {"disk": "ssd", "rack": "1"}})
    api = compute_api.API(RecordingClient())
    for _ in range(5):
        row = api.container_create(
            ctx, {"image": "i", "hints": {"disk": "ssd", "rack": "1"}}, run=False)
        assert row.host == "ssd"
    # without hints every host is a candidate
    hosts = {api.container_create(ctx, {"image": "i"}, run=False).host for _ in range(30)}
    assert hosts == {"hdd", "ssd", "bare"}
    failed = api.container_create(
        ctx, {"image": "i", "hints": {"disk": "ssd", "rack": "2"}}, run=False)
    assert failed.status == states.ERROR
    assert failed.status_reason == ("No valid host was found: no host matches the "
                                    "scheduler hints")
    detail = schedule_detail(failed)
    assert "ssd: labels do not match hint(s) rack=2" in detail
    assert "hdd: labels do not match hint(s) disk=ssd, rack=2" in detail
    assert "bare: labels do not match" in detail
    # a container no host accepted still counts against the quota (as
    # upstream): 35 placed and 1 refused are 36 rows
    assert db_api.quota_usage(ctx, ctx.project_id)["containers"] == 36


def test_first_rejecting_filter_names_the_reason(db, ctx, admin):
    register_host(admin, host="off")
    db_api.service_update(admin, "off", "zun-compute",
                          {"disabled": True, "disabled_reason": "maintenance"})
    db_api.compute_node_upsert(admin, "off", {"runtimes": ["runc"]})
    row = compute_api.API(RecordingClient()).container_create(
        ctx, {"image": "i", "runtime": "runc"}, run=False)
    assert row.status == states.ERROR
    assert row.status_reason == "No valid host was found: no compute host is available"
    assert schedule_detail(row).endswith("off: service is disabled (maintenance)")


def test_stale_forced_down_and_disabled_hosts_are_never_candidates(db, ctx, admin):
    import datetime
    for host in ("fresh", "stale", "forced", "off"):
        register_host(admin, host=host)
    db_api.service_update(admin, "stale", "zun-compute", {
        "last_seen_up": datetime.datetime.utcnow() - datetime.timedelta(hours=1)})
    db_api.service_update(admin, "forced", "zun-compute", {"forced_down": True})
    db_api.service_update(admin, "off", "zun-compute", {"disabled": True})
    db_api.compute_node_upsert(admin, "fresh", {"cpus": 2, "mem_total": 4096})
    api = compute_api.API(RecordingClient())
    hosts = {api.container_create(ctx, {"image": "i"}, run=False).host for _ in range(12)}
    assert hosts == {"fresh"}


def test_network_attach_is_a_call_at_rpc_1_1_holding_its_task(db, ctx, admin):
    register_host(admin)
    db_api.service_update(admin, "host-1", "zun-compute", {"rpc_version": "1.1"})
    row = make_row(ctx, status=states.RUNNING, container_id="c")
    client = RecordingClient()
    shown = compute_api.API(client).container_network_attach(ctx, row, "default")
    assert client.calls == [("host-1", "container_network_attach",
                             {"uuid": row.uuid, "network": "default"})]
    assert client.versions == ["1.1"] and shown.uuid == row.uuid
    # the agent clears the task when it is done; here nobody did
    assert db_api.container_get_by_uuid(ctx, row.uuid).task_state == \
        states.NETWORK_ATTACHING


def test_network_detach_on_an_agent_from_before_networks_is_409(db, ctx, admin):
    register_host(admin)   # reports no RPC version: a 1.0 agent
    row = make_row(ctx, status=states.RUNNING, container_id="c")
    client = RecordingClient()
    with pytest.raises(exception.Conflict) as err:
        compute_api.API(client).container_network_detach(ctx, row, "default")
    assert "needs 1.1" in str(err.value) and client.calls == []
