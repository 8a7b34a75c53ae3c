"""Quotas in the DB layer: how limits resolve, and a check made in the
inserting transaction so concurrent creates never exceed a quota.

Runs on SQLite and, with ZUN_TEST_DB_URL, on MariaDB and PostgreSQL.
"""
from __future__ import annotations

import threading

import pytest

from zun.common import exception
from zun.conf import CONF
from zun.db import api as db_api

DEFAULTS = {"containers": 40, "cpu": 20, "memory": 51200, "disk": 100}


def _create(ctx, quota, **values):
    base = {"image": "i", "status": "Creating", "cpu": 1.0, "memory": "100",
            "disk": 1}
    base.update(values)
    return db_api.container_create(ctx, base, quota=quota)


def test_defaults_come_from_config_then_default_class(db_url, ctx):
    assert db_api.quota_defaults(ctx) == DEFAULTS
    CONF.set_override("cpu", 7, "quota")
    try:
        assert db_api.quota_get(ctx, "proj1")["cpu"] == 7
        db_api.quota_class_update(ctx, "default", {"cpu": 9})
        assert db_api.quota_get(ctx, "proj1")["cpu"] == 9
        assert db_api.quota_defaults(ctx)["cpu"] == 9
    finally:
        CONF.clear_override("cpu", "quota")


def test_project_rows_override_and_delete_restores(db_url, ctx):
    db_api.quota_class_update(ctx, "default", {"memory": 1000})
    got = db_api.quota_update(ctx, "proj1", {"memory": 5, "containers": -1})
    assert got == dict(DEFAULTS, memory=5, containers=-1)
    assert db_api.quota_update(ctx, "proj1", {"memory": 6})["memory"] == 6
    assert db_api.quota_get(ctx, "proj2")["memory"] == 1000
    db_api.quota_destroy(ctx, "proj1")
    assert db_api.quota_get(ctx, "proj1") == dict(DEFAULTS, memory=1000)


def test_named_class_falls_back_to_default_class(db_url, ctx):
    db_api.quota_class_update(ctx, "default", {"disk": 3})
    assert db_api.quota_class_update(ctx, "gold", {"cpu": 99}) == dict(
        DEFAULTS, cpu=99, disk=3)
    assert db_api.quota_class_get(ctx, "never-set") == dict(DEFAULTS, disk=3)


def test_unknown_resource_is_invalid(db_url, ctx):
    with pytest.raises(exception.Invalid):
        db_api.quota_update(ctx, "proj1", {"gpus": 1})


def test_usage_counts_every_row_of_the_project_even_in_error(db_url, ctx, other_ctx):
    _create(ctx, None, cpu=1.5, memory="256", disk=2)
    # holds nothing on a host, but the project asked for it: it counts
    _create(ctx, None, status="Error", container_id=None)
    _create(other_ctx, None)
    assert db_api.quota_usage(ctx, "proj1") == {
        "containers": 2, "cpu": 2.5, "memory": 356, "disk": 3}


def test_over_quota_is_403_naming_resource_limit_and_usage(db_url, ctx):
    quota = dict(DEFAULTS, memory=250)
    _create(ctx, quota, memory="200")
    with pytest.raises(exception.OverQuota) as err:
        _create(ctx, quota, memory="100")
    assert err.value.code == 403
    assert str(err.value) == ("Quota exceeded for memory: requested 100, but "
                              "already used 200 of 250.")
    assert len(db_api.container_list(ctx)) == 1  # nothing was written


def test_unlimited_and_unrequested_resources_pass(db_url, ctx):
    _create(ctx, dict(DEFAULTS, cpu=-1), cpu=500.0)
    # usage is now above a lowered cpu limit, but this create asks for no cpu
    _create(ctx, dict(DEFAULTS, cpu=1), cpu=0)
    with pytest.raises(exception.OverQuota):
        _create(ctx, dict(DEFAULTS, cpu=1), cpu=0.5)


def test_quota_is_per_project(db_url, ctx, other_ctx):
    quota = dict(DEFAULTS, containers=1)
    _create(ctx, quota)
    _create(other_ctx, quota)
    with pytest.raises(exception.OverQuota):
        _create(ctx, quota)


def test_quota_and_host_claim_share_the_transaction(db_url, ctx):
    db_api.compute_node_upsert(ctx, "qhost", {"cpus": 1})
    quota = dict(DEFAULTS, containers=5)
    db_api.container_create(ctx, {"image": "i", "host": "qhost", "cpu": 1.0,
                                      "status": "Creating"},
                            capacity={"cpu": 1.0}, quota=quota)
    with pytest.raises(exception.HostFull):
        db_api.container_create(ctx, {"image": "i", "host": "qhost", "cpu": 1.0,
                                      "status": "Creating"},
                                capacity={"cpu": 1.0}, quota=quota)
    with pytest.raises(exception.OverQuota):
        db_api.container_create(ctx, {"image": "i", "host": "qhost", "cpu": 1.0,
                                      "status": "Creating"},
                                capacity={"cpu": 1.0}, quota=dict(quota, containers=1))
    assert len(db_api.container_list(ctx)) == 1


def test_concurrent_creates_never_exceed_the_quota(db_url, ctx, other_ctx):
    quota = dict(DEFAULTS, containers=5)
    # another project already has a lock row; this one has none yet, so the
    # racers also race to create it
    _create(other_ctx, quota)
    results = []
    barrier = threading.Barrier(30)

    def create():
        barrier.wait()
        try:
            _create(ctx, quota, cpu=0.1)
            results.append("ok")
        except exception.OverQuota:
            results.append("over")

    threads = [threading.Thread(target=create) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("ok") == 5 and results.count("over") == 25
    assert db_api.quota_usage(ctx, "proj1")["containers"] == 5
    assert len(db_api.container_list(ctx)) == 5
