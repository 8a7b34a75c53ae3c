"""Honest reporting: a host whose driver cannot create is never chosen.

The agents here are real ComputeService heartbeats (service row and
inventory written as in production); only the capable host's driver is the
in-memory fake. The scheduler reads what the heartbeats wrote.
"""
from __future__ import annotations

import pytest

from tests.unit.compute.conftest import FakeDriver
from zun.common import exception
from zun.compute import api as compute_api
from zun.compute import service as service_mod
from zun.container.driver import rkt
from zun.db import api as db_api
from zun.scheduler import scheduler

RKT_HOST = "rkt-host"
DOCKER_HOST = "capable-host"


class _NoCast:
    def cast(self, *args, **kwargs):
        pass


def _heartbeat(driver, host):
    service_mod.ComputeService(driver, host=host).heartbeat()


def test_a_rkt_host_heartbeats_as_up_but_offers_nothing(db, admin):
    _heartbeat(rkt.RktDriver(), RKT_HOST)
    service = db_api.service_get(admin, RKT_HOST, scheduler.COMPUTE_BINARY)
    # an operator sees the host: the service is up ...
    assert scheduler.service_is_up(service)
    assert service.driver == "rkt"
    # ... offering nothing: no capability, no runtime in its inventory
    assert service.capabilities == []
    assert db_api.compute_node_get(admin, RKT_HOST).runtimes == []


def test_a_host_whose_driver_cannot_create_is_never_chosen(db, admin, ctx):
    _heartbeat(rkt.RktDriver(), RKT_HOST)
    _heartbeat(FakeDriver(), DOCKER_HOST)
    # The candidate order is shuffled: ask often enough that a leak would show.
    for _ in range(50):
        hosts = [c.host for c in scheduler.candidate_hosts(ctx, "create")]
        assert hosts == [DOCKER_HOST]
    api = compute_api.API(_NoCast())
    rows = [api.container_create(ctx, {"image": "i", "project_id": "p1",
                                       "user_id": "u1"}, run=False)
            for _ in range(10)]
    assert {row.host for row in rows} == {DOCKER_HOST}


def test_a_host_lacking_only_create_is_not_chosen_either(db, admin, ctx):
    class NoCreate(FakeDriver):
        name = "readonly"
        capabilities = frozenset(FakeDriver.capabilities - {"create"})

    _heartbeat(NoCreate(), "readonly-host")
    with pytest.raises(exception.UnsupportedOperation) as info:
        scheduler.candidate_hosts(ctx, "create")
    assert "readonly" in str(info.value) and info.value.code == 400


def test_a_fleet_of_rkt_hosts_refuses_create_with_a_clear_400(db, admin, ctx):
    _heartbeat(rkt.RktDriver(), RKT_HOST)
    with pytest.raises(exception.UnsupportedOperation) as info:
        compute_api.API(_NoCast()).container_create(
            ctx, {"image": "i", "project_id": "p1", "user_id": "u1"}, run=False)
    assert info.value.code == 400
    assert "'rkt'" in str(info.value) and "'create'" in str(info.value)
    assert db_api.container_list(ctx) == []
