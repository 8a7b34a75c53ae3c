"""Every path that grows usage takes the create's claim: rows in Error count
against the quota; a claim (resize, rebuild/start of a row holding nothing)
checks quota and host capacity in its compare-and-set's transaction.

Runs on SQLite and, with ZUN_TEST_DB_URL, on MariaDB and PostgreSQL.
"""
from __future__ import annotations

import itertools
import threading

import pytest
import sqlalchemy as sa

from zun.common import exception, states
from zun.db import api as db_api
from zun.db import session as db_session
from zun.db.api import claims

HOST = "paths-host"
QUOTA = {"containers": 3, "cpu": 1, "memory": 256, "disk": 100}
ROOM = {"cpu": 2.0, "memory": 1024.0, "disk": 100.0}


def _create(ctx, quota=QUOTA, capacity=None, **values):
    base = {"image": "i", "host": HOST, "status": states.RUNNING,
            "container_id": "c", "cpu": 0.5, "memory": "64", "disk": 0}
    base.update(values)
    return db_api.container_create(ctx, base, capacity=capacity, quota=quota)


def _error_row(ctx, quota=QUOTA, **values):
    """What a create whose image is missing (or no host took) leaves."""
    return _create(ctx, quota, **dict(dict(status=states.ERROR, container_id=None),
                                      **values))


def _resize(ctx, row, quota=QUOTA, capacity=None, **values):
    return db_api.container_claim(
        ctx, row.uuid, dict(values, task_state=states.CONTAINER_UPDATING),
        expected={"task_state": None}, capacity=capacity, quota=quota)


def _rebuild(ctx, row, capacity=ROOM):
    return db_api.container_claim(
        ctx, row.uuid, {"task_state": states.CONTAINER_REBUILDING},
        expected={"task_state": None}, capacity=capacity)


def _unchanged(ctx, row):
    now = db_api.container_get_by_uuid(ctx, row.uuid)
    assert (now.cpu, now.memory, now.task_state, now.version) == (
        row.cpu, row.memory, row.task_state, row.version)


def test_python_and_sql_agree_on_which_rows_hold_host_resources(db_url, ctx):
    combos = list(itertools.product([states.ERROR, states.RUNNING, states.CREATED],
                                    [None, "c"], [None, states.CONTAINER_STARTING]))
    rows = {_create(ctx, None, status=s, container_id=c, task_state=t).uuid: (s, c, t)
            for s, c, t in combos}
    with db_session.reader() as session:
        holding = set(session.execute(
            sa.select(claims.Container.uuid).where(*claims._consuming())).scalars())
    assert holding == {u for u, facts in rows.items() if db_api.holds_on_host(*facts)}
    assert len(holding) == len(combos) - 1  # only Error, no runtime, no task


def test_error_rows_count_against_the_quota_until_deleted(db_url, ctx):
    rows = [_error_row(ctx, cpu=0.25) for _ in range(3)]
    with pytest.raises(exception.OverQuota) as err:
        _error_row(ctx, cpu=0.25)
    assert err.value.code == 403
    assert str(err.value) == ("Quota exceeded for containers: requested 1, but "
                              "already used 3 of 3.")
    assert len(db_api.container_list(ctx)) == 3  # the refused one wrote nothing
    assert db_api.quota_usage(ctx, ctx.project_id)["containers"] == 3
    db_api.container_destroy(ctx, rows[0].uuid)
    _error_row(ctx, cpu=0.25)  # a delete gives its share back
    # ... but an Error row still holds nothing on its host
    assert db_api.host_usage(ctx, HOST) == {"cpu": 0.0, "memory": 0.0, "disk": 0.0}


def test_resize_within_quota_is_written_with_the_claim(db_url, ctx):
    row = _create(ctx, cpu=0.5, memory="128")
    claimed, previous = _resize(ctx, row, cpu=1.0, memory="256")
    assert (claimed.cpu, claimed.memory, claimed.task_state) == (
        1.0, "256", states.CONTAINER_UPDATING)
    assert claimed.version == row.version + 1
    assert previous == {"cpu": 0.5, "memory": "128", "task_state": None}


def test_resize_beyond_quota_is_403_and_changes_nothing(db_url, ctx):
    row = _create(ctx, cpu=0.5, memory="128")
    with pytest.raises(exception.OverQuota) as err:
        _resize(ctx, row, cpu=1.5, memory=512)
    # the row's own 0.5 is not counted twice: it asks for 1.0 more
    assert str(err.value) == ("Quota exceeded for cpu: requested 1.0, but "
                              "already used 0.5 of 1.")
    _unchanged(ctx, row)
    with pytest.raises(exception.OverQuota) as err:
        _resize(ctx, row, memory=512)
    assert str(err.value) == ("Quota exceeded for memory: requested 384, but "
                              "already used 128 of 256.")
    _unchanged(ctx, row)


def test_other_rows_and_error_rows_count_for_a_resize(db_url, ctx, other_ctx):
    row = _create(ctx, cpu=0.25)
    _error_row(ctx, cpu=0.5)
    _create(other_ctx, None, cpu=5.0)  # another project's usage is not ours
    _resize(ctx, row, cpu=0.5)
    with pytest.raises(exception.OverQuota):
        db_api.container_claim(ctx, row.uuid, {"cpu": 0.6},
                               expected={"task_state": states.CONTAINER_UPDATING},
                               quota=QUOTA)


def test_shrinking_is_allowed_over_a_since_lowered_quota(db_url, ctx):
    row = _create(ctx, cpu=1.0, memory="256")
    lowered = dict(QUOTA, cpu=0.25, memory=64)
    claimed, _ = _resize(ctx, row, lowered, cpu=0.5)
    assert claimed.cpu == 0.5
    # keeping a value is not growing it either
    db_api.container_update(ctx, row.uuid, {"task_state": None})
    claimed, _ = _resize(ctx, row, lowered, cpu=0.5, memory="256")
    assert claimed.memory == "256"


def test_resize_beyond_the_host_is_409_and_changes_nothing(db_url, ctx):
    row = _create(ctx, None, cpu=1.0)
    _create(ctx, None, cpu=0.5)
    with pytest.raises(exception.HostFull) as err:
        _resize(ctx, row, None, capacity=ROOM, cpu=1.6)
    assert err.value.code == 409
    assert err.value.kwargs["used"] == 1.5 and err.value.kwargs["limit"] == 2.0
    assert err.value.kwargs["requested"] == pytest.approx(0.6)
    _unchanged(ctx, row)
    claimed, _ = _resize(ctx, row, None, capacity=ROOM, cpu=1.5)
    assert claimed.cpu == 1.5 and db_api.host_usage(ctx, HOST)["cpu"] == 2.0


def test_resize_of_a_row_holding_nothing_checks_quota_not_the_host(db_url, ctx):
    _create(ctx, None, cpu=2.0)  # the host is full
    row = _error_row(ctx, None, cpu=0.5)
    claimed, _ = db_api.container_claim(ctx, row.uuid, {"cpu": 1.0},
                                        expected={"task_state": None},
                                        capacity=ROOM, quota=dict(QUOTA, cpu=-1))
    assert claimed.cpu == 1.0
    with pytest.raises(exception.OverQuota):
        db_api.container_claim(ctx, row.uuid, {"cpu": 1.5}, capacity=ROOM,
                               quota=dict(QUOTA, cpu=1))


def test_rebuild_of_an_error_row_takes_the_host_claim(db_url, ctx):
    _create(ctx, None, cpu=1.5)
    row = _error_row(ctx, None, cpu=1.0)
    with pytest.raises(exception.HostFull) as err:
        _rebuild(ctx, row)
    assert err.value.kwargs["requested"] == 1.0
    _unchanged(ctx, row)  # no task state left behind
    small = _error_row(ctx, None, cpu=0.5)
    claimed, _ = _rebuild(ctx, small)
    assert claimed.task_state == states.CONTAINER_REBUILDING
    assert db_api.host_usage(ctx, HOST)["cpu"] == 2.0


def test_claims_on_rows_already_holding_are_never_refused(db_url, ctx):
    row = _create(ctx, None, cpu=2.0)
    _create(ctx, None, cpu=2.0)  # the host is overcommitted (capacity lowered)
    claimed, _ = _rebuild(ctx, row)
    assert claimed.task_state == states.CONTAINER_REBUILDING


def test_a_stale_claim_is_refused_before_any_check(db_url, ctx):
    _create(ctx, None, cpu=2.0)
    row = _error_row(ctx, None, cpu=1.0, task_state=None)
    with pytest.raises(exception.StaleUpdate):
        db_api.container_claim(ctx, row.uuid, {"task_state": states.CONTAINER_REBUILDING},
                               expected={"status": [states.RUNNING]}, capacity=ROOM)
    with pytest.raises(exception.ContainerNotFound):
        db_api.container_claim(ctx, "00000000-0000-0000-0000-000000000000",
                               {"task_state": states.CONTAINER_REBUILDING})
    _unchanged(ctx, row)


def test_concurrent_resizes_never_exceed_the_quota(db_url, ctx):
    quota = dict(QUOTA, containers=10, cpu=3, memory=-1)
    rows = [_create(ctx, quota, cpu=0.25) for _ in range(10)]  # 2.5 of 3
    barrier = threading.Barrier(len(rows))
    results = []

    def grow(row):
        barrier.wait()
        try:
            _resize(ctx, row, quota, cpu=0.5)
            results.append("ok")
        except exception.OverQuota:
            results.append("403")

    threads = [threading.Thread(target=grow, args=(r,)) for r in rows]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 2 and results.count("403") == 8
    assert db_api.quota_usage(ctx, ctx.project_id)["cpu"] == 3.0


def test_concurrent_rebuilds_and_creates_never_overcommit_the_host(db_url, ctx):
    db_api.compute_node_upsert(ctx, HOST, {"cpus": 4})
    errors = [_error_row(ctx, None, cpu=1.0) for _ in range(6)]
    barrier = threading.Barrier(len(errors) + 6)
    results = []

    def rebuild(row):
        barrier.wait()
        try:
            _rebuild(ctx, row, {"cpu": 4.0})
            results.append("ok")
        except exception.HostFull:
            results.append("full")

    def create():
        barrier.wait()
        try:
            _create(ctx, None, capacity={"cpu": 4.0}, cpu=1.0)
            results.append("ok")
        except exception.HostFull:
            results.append("full")

    threads = ([threading.Thread(target=rebuild, args=(r,)) for r in errors]
               + [threading.Thread(target=create) for _ in range(6)])
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 4 and results.count("full") == 8
    assert db_api.host_usage(ctx, HOST)["cpu"] == 4.0
