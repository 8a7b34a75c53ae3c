"""The scheduler words a failure twice: for the member who asked (what about
the request could not be met; no host, zone internals, label or capacity) and
for administrators (every host and why it refused)."""
from __future__ import annotations

import pytest

from tests.unit.compute.conftest import register_host
from zun.common import context as zun_context
from zun.common import exception
from zun.db import api as db_api
from zun.scheduler import scheduler

# what no member may read of these hosts
SECRETS = ("rack-secret-7", "gpu-node-3", "maintenance-window-42", "zone-internal",
           "disk=", "cpus")


@pytest.fixture
def ctx():
    return zun_context.RequestContext(user_id="u1", project_id="p1", roles=["member"])


@pytest.fixture
def admin():
    return zun_context.get_admin_context()


def _fails(ctx, **asked):
    with pytest.raises(exception.NoValidHost) as err:
        scheduler.candidate_hosts(ctx, "create", **asked)
    return err.value


def _member_safe(text):
    leaked = [secret for secret in SECRETS if secret in text]
    assert not leaked, (leaked, text)


@pytest.fixture
def fleet(db, admin):
    """A host with labels, one disabled with a telling reason, one down."""
    register_host(admin, host="rack-secret-7")
    db_api.compute_node_upsert(admin, "rack-secret-7",
                               {"cpus": 4, "mem_total": 2048, "runtimes": ["runc"],
                                "labels": {"disk": "hdd"}})
    register_host(admin, host="gpu-node-3")
    db_api.service_update(admin, "gpu-node-3", "zun-compute",
                          {"disabled": True,
                           "disabled_reason": "maintenance-window-42"})
    register_host(admin, host="zone-internal", age=3600)


def test_unmatched_hints_name_the_hints_not_the_hosts(fleet, ctx):
    err = _fails(ctx, hints={"disk": "ssd"})
    assert err.message == ("No valid host was found: no host matches the scheduler "
                           "hints; the other compute hosts are unavailable")
    _member_safe(err.message)
    assert "rack-secret-7: labels do not match hint(s) disk=ssd" in err.detail
    assert "gpu-node-3: service is disabled (maintenance-window-42)" in err.detail
    assert "zone-internal: service is down" in err.detail
    assert err.detail.startswith("No valid host was found: ")


def test_zone_and_runtime_are_the_requested_ones(fleet, ctx):
    err = _fails(ctx, availability_zone="west")
    assert err.message == ("No valid host was found: no host is available in "
                           "availability zone west; the other compute hosts are "
                           "unavailable")
    assert "rack-secret-7: in availability zone nova, not west" in err.detail
    err = _fails(ctx, runtime="runc", hints={"disk": "ssd"})
    _member_safe(err.message)
    assert "hints" in err.message


def test_only_unavailable_hosts(db, admin, ctx):
    register_host(admin, host="zone-internal", age=3600)
    err = _fails(ctx)
    assert err.message == "No valid host was found: no compute host is available"
    assert "zone-internal: service is down" in err.detail


def test_a_runtime_some_host_lacks_is_worded_by_the_runtime(db, admin, ctx):
    register_host(admin, host="rack-secret-7")
    register_host(admin, host="gpu-node-3")
    db_api.compute_node_upsert(admin, "rack-secret-7", {"runtimes": ["runc"]})
    db_api.compute_node_upsert(admin, "gpu-node-3", {"runtimes": ["runc", "runsc"]})
    err = _fails(ctx, runtime="runsc", requested_host="rack-secret-7")
    assert err.message == "No valid host was found: no host offers runtime runsc"
    assert "rack-secret-7: runtime runsc not offered (has: runc)" in err.detail


def test_no_compute_service_at_all(db, ctx):
    err = _fails(ctx)
    assert err.message == "No valid host was found: no compute host is available"
    assert "no compute service is registered" in err.detail


def test_each_summary_is_said_once(db, admin, ctx):
    for host in ("a-host", "b-host", "c-host"):
        register_host(admin, host=host)
    err = _fails(ctx, hints={"k": "v"})
    assert err.message == "No valid host was found: no host matches the scheduler hints"
    assert err.detail.count("labels do not match") == 3


def test_no_room_names_the_request_and_keeps_the_hosts_for_admins():
    refusals = [exception.HostFull(host="gpu-node-3", resource="cpu", requested=0.5,
                                   used=3.75, limit=4.0),
                exception.HostFull(host="rack-secret-7", resource="memory",
                                   requested=128, used=2000, limit=2048)]
    err = scheduler.no_room({"cpu": 0.5, "memory": "128"}, refusals)
    assert err.message == "No valid host was found: no host has room for 0.5 cpu / 128 MiB"
    assert err.code == 409
    _member_safe(err.message)
    assert ("gpu-node-3 cannot fit 0.5 more cpu (3.75 used of 4.0); rack-secret-7 "
            "cannot fit 128 more memory (2000 used of 2048)") in err.detail
    assert scheduler.no_room({}, refusals).message.endswith(
        "no host has room for this container")


def test_host_full_alone_names_no_host_or_capacity():
    full = exception.HostFull(host="gpu-node-3", resource="cpu", requested=1.0,
                              used=3.5, limit=4.0)
    assert str(full) == "The host has no room for 1.0 more cpu."


def test_detail_defaults_to_the_message():
    err = exception.NoValidHost(reason="requested host x is not a compute host")
    assert err.detail == err.message
