"""Atomic resource claims on insert: concurrent creates never overcommit a host.

Runs on SQLite and, in `make test`, on MariaDB and PostgreSQL too.
"""
from __future__ import annotations

import threading

import pytest

from zun.common import exception
from zun.db import api as db_api

HOST = "claim-host"


def _create(ctx, capacity, **values):
    base = {"image": "i", "host": HOST, "status": "Creating", "cpu": 1.0,
            "memory": "100", "disk": 1}
    base.update(values)
    return db_api.container_create(ctx, base, capacity=capacity)


def test_claim_refuses_what_does_not_fit_and_says_why(db_url, ctx):
    _create(ctx, {"cpu": 2.0, "memory": 1000, "disk": 10})
    _create(ctx, {"cpu": 2.0, "memory": 1000, "disk": 10})
    with pytest.raises(exception.HostFull) as err:
        _create(ctx, {"cpu": 2.0, "memory": 1000, "disk": 10})
    assert err.value.code == 409
    # members read the message: no host name, no capacity (kwargs keep them)
    assert str(err.value) == "The host has no room for 1.0 more cpu."
    assert err.value.kwargs == {"host": "claim-host", "resource": "cpu",
                                "requested": 1.0, "used": 2.0, "limit": 2.0}
    # memory is checked too, and a missing limit is no limit
    with pytest.raises(exception.HostFull):
        _create(ctx, {"memory": 250}, cpu=0.1)


def test_rows_holding_nothing_do_not_count(db_url, ctx):
    _create(ctx, {"cpu": 1.0}, status="Error", container_id=None)
    _create(ctx, {"cpu": 1.0})  # the failed one above holds no cpu
    assert db_api.host_usage(ctx, HOST)["cpu"] == 1.0


def test_concurrent_creates_never_overcommit(db_url, ctx):
    db_api.compute_node_upsert(ctx, HOST, {"cpus": 2, "mem_total": 1024})
    results = []
    barrier = threading.Barrier(30)

    def create():
        barrier.wait()
        try:
            _create(ctx, {"cpu": 10.0}, cpu=1.0)
            results.append("ok")
        except exception.HostFull:
            results.append("full")

    threads = [threading.Thread(target=create) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("ok") == 10 and results.count("full") == 20
    assert db_api.host_usage(ctx, HOST)["cpu"] == 10.0
