"""``/v1/hosts`` on the real app and DB, with rows as agents write them."""
from __future__ import annotations

import pytest

from tests.unit.api.conftest import ADMIN, ALICE, v
from zun.common.context import get_admin_context
from zun.compute import resources
from zun.db import api as db_api

FIELDS = {"uuid", "hostname", "mem_total", "mem_used", "total_containers",
          "cpus", "cpu_used", "architecture", "os_type", "os",
          "kernel_version", "labels", "disk_total", "disk_used",
          "disk_quota_supported", "runtimes", "enable_cpu_pinning", "links"}


def add_host(name: str, **values) -> object:
    row = {"uuid": resources.node_uuid(name), "cpus": 4, "mem_total": 8192,
           "mem_used": 512, "disk_total": 100, "disk_used": 10,
           "total_containers": 1, "cpu_used": 0.5, "architecture": "x86_64",
           "os_type": "linux", "os": "Debian", "kernel_version": "6.1",
           "labels": {}, "runtimes": ["runc"], "enable_cpu_pinning": False}
    row.update(values)
    return db_api.compute_node_upsert(get_admin_context(), name, row)


def admin(version: str = "1.40") -> dict:
    return v(version, ADMIN)


def test_list_has_the_upstream_fields(app):
    add_host("host1")
    resp = app.get("/v1/hosts", headers=admin())
    assert resp.json["next"] is None
    (host,) = resp.json["hosts"]
    assert set(host) == FIELDS
    assert host["hostname"] == "host1"
    assert host["uuid"] == resources.node_uuid("host1")
    assert host["cpus"] == 4 and host["mem_total"] == 8192
    assert host["runtimes"] == ["runc"] and host["disk_quota_supported"] is False
    assert host["links"][0]["href"].endswith("/v1/hosts/%s" % host["uuid"])


def test_list_with_trailing_slash_as_zunclient_asks(app):
    add_host("host1")
    resp = app.get("/v1/hosts/", headers=admin())
    assert [h["hostname"] for h in resp.json["hosts"]] == ["host1"]


def test_show_by_uuid_and_by_hostname(app):
    node = add_host("host1")
    by_uuid = app.get("/v1/hosts/%s" % node.uuid, headers=admin()).json
    by_name = app.get("/v1/hosts/host1", headers=admin()).json
    assert by_uuid == by_name
    assert set(by_name) == FIELDS


def test_show_unknown_is_404(app):
    resp = app.get("/v1/hosts/nohost", headers=admin(), expect_errors=True)
    assert resp.status_int == 404
    assert "nohost" in resp.json["errors"][0]["title"]


@pytest.mark.parametrize("path", ["/v1/hosts", "/v1/hosts/host1"])
def test_below_1_4_is_406(app, path):
    add_host("host1")
    resp = app.get(path, headers=admin("1.3"), expect_errors=True)
    assert resp.status_int == 406
    assert "1.4" in resp.json["errors"][0]["title"]
    assert app.get(path, headers=admin("1.4")).status_int == 200


def test_cpu_pinning_field_appears_at_1_29(app):
    add_host("host1")
    assert "enable_cpu_pinning" not in app.get("/v1/hosts/host1",
                                               headers=admin("1.28")).json
    assert app.get("/v1/hosts/host1", headers=admin("1.29")).json[
        "enable_cpu_pinning"] is False


@pytest.mark.parametrize("path", ["/v1/hosts", "/v1/hosts/host1"])
def test_member_is_forbidden(app, path):
    add_host("host1")
    resp = app.get(path, headers=v("1.40", ALICE), expect_errors=True)
    assert resp.status_int == 403
    assert "host:get" in resp.json["errors"][0]["title"]


def test_pages_follow_next_in_sort_order(app):
    for name, cpus in (("h-a", 8), ("h-b", 2), ("h-c", 4)):
        add_host(name, cpus=cpus)
    first = app.get("/v1/hosts?limit=2&sort_key=cpus&sort_dir=desc",
                    headers=admin()).json
    assert [h["hostname"] for h in first["hosts"]] == ["h-a", "h-c"]
    assert first["next"] is not None
    nxt = first["next"].split("localhost", 1)[1]
    second = app.get(nxt, headers=admin()).json
    assert [h["hostname"] for h in second["hosts"]] == ["h-b"]
    assert second["next"] is None


@pytest.mark.parametrize("query, field", [
    ("limit=0", "limit"), ("limit=x", "limit"), ("sort_key=labels", "sort_key"),
    ("sort_key=nope", "sort_key"), ("sort_dir=up", "sort_dir"),
    ("marker=00000000-0000-0000-0000-000000000000", "marker"),
    ("color=red", "color"),
])
def test_bad_list_parameters_are_400(app, query, field):
    add_host("host1")
    resp = app.get("/v1/hosts?%s" % query, headers=admin(), expect_errors=True)
    assert resp.status_int == 400
    assert field in resp.json["errors"][0]["title"]
