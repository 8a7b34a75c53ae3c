"""``/v1/services`` and ``/v1/availability_zones`` on the real app and DB."""
from __future__ import annotations

import datetime

import pytest

from tests.unit.api.conftest import ADMIN, ALICE, make_container
from zun.common.context import get_admin_context
from zun.conf import CONF
from zun.db import api as db_api

BIN = "zun-compute"


def register(host: str = "host1", age: int = 0, zone: str | None = "nova") -> None:
    ctx = get_admin_context()
    db_api.service_heartbeat(ctx, host, BIN, {"availability_zone": zone})
    if age:
        db_api.service_update(ctx, host, BIN, {
            "last_seen_up": datetime.datetime.utcnow()
            - datetime.timedelta(seconds=age)})


def errors(resp) -> dict:
    return resp.json["errors"][0]


# --- list ------------------------------------------------------------------------
def test_list_shows_every_field_and_up_down(app):
    register("host1")
    register("host2", age=CONF.service_down_time + 30)
    resp = app.get("/v1/services", headers=ADMIN)
    assert resp.status_int == 200
    by_host = {s["host"]: s for s in resp.json["services"]}
    assert set(by_host) == {"host1", "host2"}
    one = by_host["host1"]
    assert set(one) == {"id", "host", "binary", "state", "disabled",
                        "disabled_reason", "forced_down", "report_count",
                        "availability_zone", "created_at", "updated_at"}
    assert one["state"] == "up" and one["binary"] == BIN
    assert one["disabled"] is False and one["forced_down"] is False
    assert one["report_count"] == 1 and one["availability_zone"] == "nova"
    assert by_host["host2"]["state"] == "down"


def test_list_trailing_slash_and_empty(app):
    resp = app.get("/v1/services/", headers=ADMIN)
    assert resp.json == {"services": []}


def test_member_is_forbidden_with_the_rule_named(app):
    register()
    resp = app.get("/v1/services", headers=ALICE, expect_errors=True)
    assert resp.status_int == 403
    assert "zun-service:get_all" in errors(resp)["title"]


def test_unknown_query_parameter_is_400(app):
    resp = app.get("/v1/services?color=red", headers=ADMIN, expect_errors=True)
    assert resp.status_int == 400
    assert "color" in errors(resp)["title"]


# --- enable / disable / force_down ---------------------------------------------------
def test_disable_then_enable_from_the_query_string(app):
    register()
    resp = app.put("/v1/services/disable?host=host1&binary=zun-compute"
                   "&disabled_reason=maintenance", headers=ADMIN)
    service = resp.json["service"]
    assert service["disabled"] is True
    assert service["disabled_reason"] == "maintenance"
    assert db_api.service_get(get_admin_context(), "host1", BIN).disabled is True

    resp = app.put("/v1/services/enable?host=host1&binary=zun-compute",
                   headers=ADMIN)
    assert resp.json["service"]["disabled"] is False
    assert resp.json["service"]["disabled_reason"] is None


def test_disable_without_reason_as_zunclient_sends_it(app):
    register()
    resp = app.put("/v1/services/disable?host=host1&binary=zun-compute",
                   headers=dict(ADMIN, **{"Content-Length": "0",
                                          "Content-Type": "application/json"}))
    assert resp.json["service"]["disabled"] is True
    assert resp.json["service"]["disabled_reason"] is None


def test_disable_from_a_json_body(app):
    register()
    resp = app.put_json("/v1/services/disable",
                        {"host": "host1", "binary": BIN,
                         "disabled_reason": "disk swap"}, headers=ADMIN)
    assert resp.json["service"]["disabled_reason"] == "disk swap"


@pytest.mark.parametrize("value, forced, state", [("True", True, "down"),
                                                  ("False", False, "up")])
def test_force_down_sets_state(app, value, forced, state):
    register()
    resp = app.put("/v1/services/force_down?host=host1&binary=zun-compute"
                   "&forced_down=%s" % value, headers=ADMIN)
    assert resp.json["service"]["forced_down"] is forced
    assert resp.json["service"]["state"] == state


def test_force_down_from_body_and_unset(app):
    register()
    app.put_json("/v1/services/force_down",
                 {"host": "host1", "binary": BIN, "forced_down": True}, headers=ADMIN)
    listed = app.get("/v1/services", headers=ADMIN).json["services"][0]
    assert listed["state"] == "down"
    app.put_json("/v1/services/force_down",
                 {"host": "host1", "binary": BIN, "forced_down": False}, headers=ADMIN)
    listed = app.get("/v1/services", headers=ADMIN).json["services"][0]
    assert listed["state"] == "up" and listed["forced_down"] is False


@pytest.mark.parametrize("path, field", [
    ("/v1/services/force_down?host=host1&binary=zun-compute", "forced_down"),
    ("/v1/services/disable?binary=zun-compute", "host"),
    ("/v1/services/enable?host=host1", "binary"),
    ("/v1/services/force_down?host=host1&binary=zun-compute&forced_down=maybe",
     "forced_down"),
    ("/v1/services/enable?host=host1&binary=zun-compute&colour=red", "colour"),
])
def test_bad_parameters_are_400_naming_the_field(app, path, field):
    register()
    resp = app.put(path, headers=ADMIN, expect_errors=True)
    assert resp.status_int == 400
    assert field in errors(resp)["title"]


def test_body_of_wrong_type_is_400(app):
    register()
    resp = app.put_json("/v1/services/force_down",
                        {"host": "host1", "binary": BIN, "forced_down": "yes"},
                        headers=ADMIN, expect_errors=True)
    assert resp.status_int == 400
    assert "forced_down" in errors(resp)["title"]


def test_update_of_unknown_host_is_404(app):
    resp = app.put("/v1/services/disable?host=nohost&binary=zun-compute",
                   headers=ADMIN, expect_errors=True)
    assert resp.status_int == 404
    assert "nohost" in errors(resp)["title"]


def test_unknown_action_is_404(app):
    register()
    resp = app.put("/v1/services/reboot?host=host1&binary=zun-compute",
                   headers=ADMIN, expect_errors=True)
    assert resp.status_int == 404
    assert "reboot" in errors(resp)["title"]


@pytest.mark.parametrize("path", ["/v1/services/disable?host=host1&binary=zun-compute",
                                  "/v1/services/enable?host=host1&binary=zun-compute"])
def test_member_may_not_update(app, path):
    register()
    resp = app.put(path, headers=ALICE, expect_errors=True)
    assert resp.status_int == 403
    assert db_api.service_get(get_admin_context(), "host1", BIN).disabled is False


# --- delete ------------------------------------------------------------------------
def test_delete_removes_service_and_inventory(app):
    register()
    ctx = get_admin_context()
    db_api.compute_node_upsert(ctx, "host1", {"cpus": 2})
    resp = app.delete("/v1/services?host=host1&binary=zun-compute", headers=ADMIN)
    assert resp.status_int == 204 and resp.body == b""
    assert app.get("/v1/services", headers=ADMIN).json["services"] == []
    with pytest.raises(Exception) as info:
        db_api.compute_node_get(ctx, "host1")
    assert info.value.code == 404


def test_delete_refuses_a_host_with_containers(app):
    register()
    make_container(host="host1")
    resp = app.delete("/v1/services?host=host1&binary=zun-compute",
                      headers=ADMIN, expect_errors=True)
    assert resp.status_int == 409
    assert "1 container" in errors(resp)["title"]
    assert len(app.get("/v1/services", headers=ADMIN).json["services"]) == 1


def test_delete_unknown_is_404_and_missing_params_400(app):
    resp = app.delete("/v1/services?host=x&binary=zun-compute", headers=ADMIN,
                      expect_errors=True)
    assert resp.status_int == 404
    resp = app.delete("/v1/services?host=x", headers=ADMIN, expect_errors=True)
    assert resp.status_int == 400
    assert "binary" in errors(resp)["title"]


def test_member_may_not_delete(app):
    register()
    resp = app.delete("/v1/services?host=host1&binary=zun-compute",
                      headers=ALICE, expect_errors=True)
    assert resp.status_int == 403
    assert len(db_api.service_list(get_admin_context())) == 1


# --- availability zones --------------------------------------------------------------
def test_zones_of_up_services_only(app):
    register("host1", zone="az1")
    register("host2", zone=None)
    register("host3", zone="az-dead", age=CONF.service_down_time + 30)
    resp = app.get("/v1/availability_zones", headers=ADMIN)
    assert resp.json == {"availability_zones": [
        {"availability_zone": "az1"},
        {"availability_zone": CONF.default_availability_zone}]}


def test_zones_are_admin_only(app):
    resp = app.get("/v1/availability_zones", headers=ALICE, expect_errors=True)
    assert resp.status_int == 403


def test_v1_document_links_the_new_resources(app):
    body = app.get("/v1", headers=ALICE).json
    for name in ("services", "hosts", "availability_zones"):
        assert body[name][0]["href"].endswith("/v1/%s/" % name)
