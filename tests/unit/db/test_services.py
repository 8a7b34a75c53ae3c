"""zun_service rows: registration, heartbeat upsert, up/down facts."""
from __future__ import annotations

import threading

import pytest

from zun.common import exception
from zun.db import api


def test_create_get_list_update_destroy(db_url, admin_ctx):
    svc = api.service_create(admin_ctx, {"host": "h1", "binary": "zun-compute",
                                         "driver": "docker",
                                         "capabilities": ["create", "start"]})
    assert (svc.disabled, svc.forced_down, svc.report_count) == (False, False, 0)
    api.service_create(admin_ctx, {"host": "h1", "binary": "zun-api"})
    with pytest.raises(exception.ServiceAlreadyExists) as err:
        api.service_create(admin_ctx, {"host": "h1", "binary": "zun-compute"})
    assert err.value.code == 409

    got = api.service_get(admin_ctx, "h1", "zun-compute")
    assert got.capabilities == ["create", "start"]
    assert [s.binary for s in api.service_list(admin_ctx)] == [
        "zun-compute", "zun-api"]
    assert [s.host for s in api.service_list(admin_ctx, "zun-api")] == ["h1"]

    updated = api.service_update(admin_ctx, "h1", "zun-compute",
                                 {"disabled": True, "disabled_reason": "maint"})
    assert (updated.disabled, updated.disabled_reason) == (True, "maint")

    api.service_destroy(admin_ctx, "h1", "zun-compute")
    for call in (lambda: api.service_get(admin_ctx, "h1", "zun-compute"),
                 lambda: api.service_update(admin_ctx, "h1", "zun-compute", {}),
                 lambda: api.service_destroy(admin_ctx, "h1", "zun-compute")):
        with pytest.raises(exception.ServiceNotFound) as err:
            call()
        assert err.value.code == 404


def test_heartbeat_upserts(db_url, admin_ctx):
    first = api.service_heartbeat(admin_ctx, "h1", "zun-compute",
                                  {"driver": "docker", "capabilities": ["start"]})
    assert first.report_count == 1 and first.last_seen_up is not None
    assert first.driver == "docker"
    second = api.service_heartbeat(admin_ctx, "h1", "zun-compute")
    assert second.id == first.id
    assert second.report_count == 2
    assert second.last_seen_up >= first.last_seen_up
    assert second.capabilities == ["start"]
    third = api.service_heartbeat(admin_ctx, "h1", "zun-compute",
                                  {"capabilities": ["start", "stop"]})
    assert (third.report_count, third.capabilities) == (3, ["start", "stop"])
    assert len(api.service_list(admin_ctx)) == 1


def test_concurrent_first_heartbeats_make_one_row(db_url, admin_ctx):
    count = 8
    barrier = threading.Barrier(count)
    errors: list[str] = []

    def beat() -> None:
        barrier.wait()
        try:
            api.service_heartbeat(admin_ctx, "h9", "zun-compute")
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=beat) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = api.service_list(admin_ctx, "zun-compute")
    assert len(rows) == 1
    assert rows[0].report_count == count
