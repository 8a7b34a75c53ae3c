"""Create fields that must reach Docker or be refused, never stored and ignored.

Against ``zun-all`` and the real engine: ``runtime`` becomes the container's
OCI runtime (kept across a rebuild), an unknown one is a 400 that leaves no
row; ``healthcheck`` becomes Docker's probe and its verdict shows in the
API; ``cpu_policy: dedicated`` and ``security_groups`` other than
``default`` are refused, naming what this deployment lacks, while their
empty forms keep working.
"""
from __future__ import annotations

import uuid as uuidlib

import pytest

from tests.functional import harness


@pytest.fixture(scope="module")
def admin(zun_all) -> harness.ApiClient:
    # runtime is an admin-only create field (container:create:runtime)
    client = harness.ApiClient(zun_all.url, roles="admin")
    # the agent reports the engine's runtimes with its first inventory
    harness.wait_until(lambda: any(h.get("runtimes") for h in client.get(
        "/v1/hosts").json()["hosts"]), what="a host to report its runtimes")
    return client


def _name() -> str:
    return "rf-%s" % uuidlib.uuid4().hex[:8]


def _rows_named(deployment, name: str) -> list[tuple]:
    return deployment.db_rows("SELECT uuid FROM container WHERE name = ?", (name,))


def _title(resp) -> str:
    return resp.json()["errors"][0]["title"]


def _cleanup(api, uuid: str) -> None:
    api.delete("/v1/containers/%s" % uuid, force="True", stop="True")


def test_runtime_reaches_docker_and_survives_a_rebuild(admin, docker_client):
    uuid = admin.run(name=_name(), runtime="runc")["uuid"]
    try:
        shown = admin.wait_status(uuid, "Running")
        assert shown["runtime"] == "runc"
        attrs = docker_client.containers.get("zun-%s" % uuid).attrs
        assert attrs["HostConfig"]["Runtime"] == "runc"
        first_id = attrs["Id"]

        resp = admin.post("/v1/containers/%s/rebuild" % uuid)
        assert resp.status_code == 202, resp.text
        harness.wait_until(
            lambda: (lambda b: b["status"] == "Running" and b["task_state"] is None
                     and b.get("status_reason") is None and b)(admin.show(uuid)),
            what="the rebuilt container to run")
        attrs = docker_client.containers.get("zun-%s" % uuid).attrs
        assert attrs["Id"] != first_id
        assert attrs["HostConfig"]["Runtime"] == "runc"
    finally:
        _cleanup(admin, uuid)


def test_unknown_runtime_is_400_and_leaves_no_row(admin, zun_all):
    name = _name()
    resp = admin.post("/v1/containers?run=true",
                      {"image": harness.IMAGE, "name": name, "runtime": "no-such-oci"})
    assert resp.status_code == 400, resp.text
    title = _title(resp)
    assert title.startswith("Invalid input for field 'runtime'. Value: 'no-such-oci'.")
    assert "runc" in title  # names what is on offer
    assert _rows_named(zun_all, name) == []


def test_healthcheck_reaches_docker_and_its_verdict_shows(admin, docker_client):
    # the probe passes while /tmp/ok exists; python-zunclient sends "cmd"
    uuid = admin.run(name=_name(), command=[
        "sh", "-c", "touch /tmp/ok; trap 'exit 0' TERM; sleep 3600 & wait"],
        healthcheck={"cmd": "test -f /tmp/ok", "interval": 1, "timeout": 5,
                     "retries": 1})["uuid"]
    try:
        shown = admin.wait_status(uuid, "Running")
        assert shown["healthcheck"] == {"test": "test -f /tmp/ok", "interval": 1,
                                        "timeout": 5, "retries": 1}
        container = docker_client.containers.get("zun-%s" % uuid)
        assert container.attrs["Config"]["Healthcheck"] == {
            "Test": ["CMD-SHELL", "test -f /tmp/ok"], "Interval": 1_000_000_000,
            "Timeout": 5_000_000_000, "Retries": 1}
        harness.wait_until(
            lambda: (admin.show(uuid)["status_detail"] or "").endswith("(healthy)"),
            what="the API to report the container healthy")

        container.exec_run(["rm", "/tmp/ok"])  # the next probe fails
        harness.wait_until(
            lambda: (admin.show(uuid)["status_detail"] or "").endswith("(unhealthy)"),
            what="the API to report the container unhealthy")
        assert admin.show(uuid)["status"] == "Running"
    finally:
        _cleanup(admin, uuid)


def test_cpu_policy_dedicated_is_refused(admin, zun_all):
    name = _name()
    resp = admin.post("/v1/containers", {"image": harness.IMAGE, "name": name,
                                         "cpu_policy": "dedicated"})
    assert resp.status_code == 400, resp.text
    assert _title(resp).startswith("Invalid input for field 'cpu_policy'.")
    assert "enable_cpu_pinning" in _title(resp)
    assert _rows_named(zun_all, name) == []


def test_security_groups_are_refused(admin, zun_all):
    # exposed_ports are served: tests/functional/test_exposed_ports.py
    name = _name()
    resp = admin.post("/v1/containers", {"image": harness.IMAGE, "name": name,
                                         "security_groups": ["web"]})
    assert resp.status_code == 400, resp.text
    assert _title(resp).startswith("Invalid input for field 'security_groups'.")
    assert "security groups need Neutron" in _title(resp)
    assert _rows_named(zun_all, name) == []


def test_empty_network_fields_and_shared_cpus_still_run(admin):
    uuid = admin.run(name=_name(), security_groups=["default"], exposed_ports={},
                     cpu_policy="shared")["uuid"]
    try:
        assert admin.wait_status(uuid, "Running")["cpu_policy"] == "shared"
    finally:
        _cleanup(admin, uuid)
