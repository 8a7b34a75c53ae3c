"""container_update: one guarded UPDATE, version bump, StaleUpdate."""
from __future__ import annotations

import threading

import pytest

from zun.common import exception
from zun.db import api


@pytest.fixture
def row(db_url, ctx):
    return api.container_create(ctx, {"name": "c", "image": "busybox",
                                      "status": "Created", "disk": 0})


def test_update_bumps_version(ctx, row):
    updated = api.container_update(ctx, row.uuid, {"status": "Running",
                                                   "memory": 64})
    assert updated.status == "Running"
    assert updated.memory == "64"
    assert updated.version == 2
    assert updated.updated_at is not None
    again = api.container_update(ctx, row.uuid, {"host": "h1"})
    assert again.version == 3
    assert api.container_get_by_uuid(ctx, row.uuid).as_dict()["host"] == "h1"


def test_expected_values_and_lists(ctx, row):
    updated = api.container_update(
        ctx, row.uuid, {"task_state": "container_starting"},
        expected={"status": ["Created", "Stopped"], "task_state": None})
    assert updated.task_state == "container_starting"
    updated = api.container_update(
        ctx, row.uuid, {"task_state": None, "status": "Running"},
        expected={"task_state": "container_starting", "version": 2})
    assert (updated.status, updated.task_state, updated.version) == (
        "Running", None, 3)


def test_stale_update_reports_actual_values(ctx, row):
    api.container_update(ctx, row.uuid, {"task_state": "container_stopping"})
    with pytest.raises(exception.StaleUpdate) as err:
        api.container_update(ctx, row.uuid, {"task_state": "container_starting"},
                             expected={"task_state": None, "status": "Created"})
    assert err.value.code == 409
    assert err.value.kwargs["uuid"] == row.uuid
    assert err.value.kwargs["expected"] == {"task_state": None,
                                            "status": "Created"}
    assert err.value.kwargs["actual"] == {"task_state": "container_stopping",
                                          "status": "Created"}
    # A failed compare-and-set writes nothing.
    current = api.container_get_by_uuid(ctx, row.uuid)
    assert (current.task_state, current.version) == ("container_stopping", 2)


def test_missing_or_foreign_row(ctx, other_ctx, admin_ctx, row):
    with pytest.raises(exception.ContainerNotFound):
        api.container_update(ctx, "0b5f3a8e-1111-4222-8333-944455556666",
                             {"status": "Running"}, expected={"status": "x"})
    # Another project's non-admin caller cannot see it, so cannot write it.
    with pytest.raises(exception.ContainerNotFound):
        api.container_update(other_ctx, row.uuid, {"status": "Running"})
    # An admin (compute agent, sync) writes any project's row.
    assert api.container_update(admin_ctx, row.uuid,
                                {"status": "Running"}).status == "Running"


def test_identity_columns_are_read_only(ctx, row):
    for field in ("id", "uuid", "version"):
        with pytest.raises(exception.Invalid, match=field):
            api.container_update(ctx, row.uuid, {field: 1})
    with pytest.raises(exception.Invalid, match="nope"):
        api.container_update(ctx, row.uuid, {"status": "x"},
                             expected={"nope": 1})


def test_racing_claims_have_exactly_one_winner(admin_ctx, row):
    threads_count = 10
    barrier = threading.Barrier(threads_count)
    outcomes: list[str] = []
    lock = threading.Lock()

    def claim(i: int) -> None:
        barrier.wait()
        try:
            api.container_update(admin_ctx, row.uuid,
                                 {"task_state": f"task_{i}"},
                                 expected={"task_state": None})
            result = "won"
        except exception.StaleUpdate:
            result = "stale"
        except Exception as exc:  # reported below, not swallowed
            result = f"error: {exc!r}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=claim, args=(i,))
               for i in range(threads_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["stale"] * 9 + ["won"], outcomes
    final = api.container_get_by_uuid(admin_ctx.elevated(), row.uuid)
    assert final.version == 2
    assert final.task_state.startswith("task_")


def test_version_guarded_increments_lose_nothing(admin_ctx, row):
    """Read-modify-write guarded by version: no increment is lost."""
    threads_count, per_thread = 5, 4
    errors: list[str] = []

    def bump() -> None:
        done = 0
        while done < per_thread:
            cur = api.container_get_by_uuid(admin_ctx.elevated(), row.uuid)
            try:
                api.container_update(admin_ctx, row.uuid,
                                     {"disk": cur.disk + 1},
                                     expected={"version": cur.version})
                done += 1
            except exception.StaleUpdate:
                continue
            except Exception as exc:
                errors.append(repr(exc))
                return

    threads = [threading.Thread(target=bump) for _ in range(threads_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    final = api.container_get_by_uuid(admin_ctx.elevated(), row.uuid)
    assert final.disk == threads_count * per_thread
    assert final.version == 1 + threads_count * per_thread
