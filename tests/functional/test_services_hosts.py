"""Services, hosts and availability zones end to end: real agents report
themselves (heartbeat and inventory from the real Docker engine), the real
scheduler honours a disabled service, and the real `zun` CLI prints both
lists. Runs against both deployments (zun-all, and zun-api + zun-compute
over RabbitMQ)."""
from __future__ import annotations

import uuid as uuidlib

import pytest

from tests.functional import harness
from tests.functional.test_cli import zun_cli
from tests.functional.test_reason_exposure import admin_event_details
from tests.functional.token_stub import TokenStub

BINARY = "zun-compute"


@pytest.fixture
def admin(zun):
    return harness.ApiClient(zun.url, project="admin-project", user="root",
                             roles="admin")


@pytest.fixture
def member(zun):
    return harness.ApiClient(zun.url)


def _own_service(admin, zun) -> dict:
    resp = admin.get("/v1/services")
    assert resp.status_code == 200, resp.text
    mine = [s for s in resp.json()["services"] if s["host"] == zun.host]
    assert len(mine) == 1, resp.json()
    return mine[0]


def _set_disabled(admin, zun, disabled: bool, reason: str | None = None) -> dict:
    params = {"host": zun.host, "binary": BINARY}
    if reason:
        params["disabled_reason"] = reason
    resp = admin.request("PUT", "/v1/services/%s" % ("disable" if disabled else "enable"),
                         **params)
    assert resp.status_code == 200, resp.text
    return resp.json()["service"]


def test_agent_reports_itself_as_service_and_host(zun, admin):
    service = _own_service(admin, zun)
    assert service["binary"] == BINARY and service["state"] == "up"
    assert service["disabled"] is False and service["report_count"] >= 1
    assert service["availability_zone"] == "nova"

    hosts = admin.get("/v1/hosts").json()["hosts"]
    (host,) = [h for h in hosts if h["hostname"] == zun.host]
    assert host["cpus"] > 0 and host["mem_total"] > 0
    assert "runc" in host["runtimes"]
    assert host["disk_total"] > 0 and host["os"]
    shown = admin.get("/v1/hosts/%s" % zun.host).json()
    assert shown["uuid"] == host["uuid"]
    assert admin.get("/v1/hosts/%s" % host["uuid"]).json()["hostname"] == zun.host

    zones = admin.get("/v1/availability_zones").json()["availability_zones"]
    assert {"availability_zone": "nova"} in zones


def test_inventory_counts_the_hosts_containers(zun, admin, member):
    body = member.run(memory="64", cpu=0.5)
    try:
        member.wait_status(body["uuid"], "Running")

        def counted():
            host = admin.get("/v1/hosts/%s" % zun.host).json()
            return host if host["total_containers"] >= 1 and host["mem_used"] >= 64 else None
        host = harness.wait_until(counted, what="the next heartbeat to count the container")
        assert host["cpu_used"] >= 0.5
    finally:
        member.delete("/v1/containers/%s" % body["uuid"], force="True", stop="True")


def test_members_are_refused(zun, member):
    assert member.get("/v1/services").status_code == 403
    assert member.get("/v1/hosts").status_code == 403
    resp = member.request("PUT", "/v1/services/disable", host=zun.host, binary=BINARY)
    assert resp.status_code == 403
    assert "zun-service:update" in resp.json()["errors"][0]["title"]


def test_a_disabled_host_gets_no_new_container(zun, admin, member):
    reason = "maintenance-%s" % uuidlib.uuid4().hex[:6]
    disabled = _set_disabled(admin, zun, True, reason)
    assert disabled["disabled"] is True and disabled["disabled_reason"] == reason
    created = []
    try:
        refused = member.run()
        created.append(refused["uuid"])
        shown = member.wait_status(refused["uuid"], "Error")
        # the member reads no host and no disabled reason; the admin does (events)
        assert shown["status_reason"] == ("No valid host was found: no compute host "
                                          "is available")
        detail = admin_event_details(admin, refused["uuid"])
        assert zun.host in detail and "disabled" in detail and reason in detail
    finally:
        enabled = _set_disabled(admin, zun, False)
    assert enabled["disabled"] is False
    try:
        body = member.run()
        created.append(body["uuid"])
        member.wait_status(body["uuid"], "Running")
    finally:
        for uuid in created:
            member.delete("/v1/containers/%s" % uuid, force="True", stop="True")


def test_service_with_containers_cannot_be_deleted(zun, admin, member):
    body = member.run(run=False)
    try:
        member.wait_status(body["uuid"], "Created")
        resp = admin.delete("/v1/services", host=zun.host, binary=BINARY)
        assert resp.status_code == 409, resp.text
        assert _own_service(admin, zun)["state"] == "up"
    finally:
        member.delete("/v1/containers/%s" % body["uuid"], force="True")


def test_zun_cli_lists_and_steers_services_and_hosts(zun):
    with TokenStub(zun.url + "/v1") as stub:
        services = zun_cli(stub, zun.url, "service-list").stdout
        assert zun.host in services and BINARY in services and "up" in services

        hosts = zun_cli(stub, zun.url, "host-list").stdout
        assert zun.host in hosts
        for column in ("uuid", "hostname", "mem_total", "cpus", "disk_total"):
            assert column in hosts

        shown = zun_cli(stub, zun.url, "host-show", zun.host).stdout
        assert "runtimes" in shown and "runc" in shown

        try:
            out = zun_cli(stub, zun.url, "service-disable", "--reason", "cli-test",
                          zun.host, BINARY).stdout
            assert "cli-test" in out and "True" in out
        finally:
            out = zun_cli(stub, zun.url, "service-enable", zun.host, BINARY).stdout
        assert "disabled" in out and "False" in out

        zones = zun_cli(stub, zun.url, "availability-zone-list").stdout
        assert "nova" in zones
