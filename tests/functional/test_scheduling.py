"""Claims end to end: 50 concurrent creates neither overcommit a host nor
exceed a project's quota."""
from __future__ import annotations

import concurrent.futures

import pytest

from tests.functional import harness


@pytest.fixture(scope="module")
def small_host(request, docker_client):
    # the agent reports this machine's CPUs; a ratio of 5 per CPU and a
    # 1-CPU reservation leave room for exactly (cpus * 5 - 1) one-CPU containers
    deployment = harness.ZunProcesses(mode="all", extra_conf=(
        "[scheduler]\ncpu_allocation_ratio = 5\nreserved_host_cpus = 1\n"
        "[quota]\ncpu = -1\ncontainers = -1\n"))
    deployment.start()
    yield deployment
    deployment.stop()


def test_fifty_concurrent_creates_never_overcommit(small_host):
    admin = harness.ApiClient(small_host.url, roles="admin")
    api = harness.ApiClient(small_host.url)
    hosts = admin.get("/v1/hosts").json()["hosts"]
    (host,) = [h for h in hosts if h["hostname"] == small_host.host]
    capacity = host["cpus"] * 5 - 1

    def create(_):
        resp = api.post("/v1/containers", {"image": harness.IMAGE,
                                           "command": harness.SLEEPER, "cpu": 1})
        assert resp.status_code == 202, resp.text
        return resp.json()

    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        created = list(pool.map(create, range(50)))
    placed = [c for c in created if c["status"] != "Error"]
    refused = [c for c in created if c["status"] == "Error"]
    print("SCHEDULING capacity=%d placed=%d refused=%d"
          % (capacity, len(placed), len(refused)))
    assert len(placed) == capacity and len(refused) == 50 - capacity
    # what members read names the request (1 cpu, default memory), not the host
    assert all(c["status_reason"].startswith(
        "No valid host was found: no host has room for 1 cpu / ") for c in refused)
    assert not any(small_host.host in c["status_reason"] for c in refused)
    assert admin.show(refused[0]["uuid"])["host"] is None  # charged to no host
    for container in placed:
        api.wait_status(container["uuid"], "Created")
    # what was placed is exactly the capacity: one more does not fit
    extra = api.post("/v1/containers", {"image": harness.IMAGE, "cpu": 1}).json()
    assert extra["status"] == "Error"
    for container in created + [extra]:
        assert api.delete("/v1/containers/%s" % container["uuid"]).status_code == 204


def test_fifty_concurrent_creates_never_exceed_a_quota(small_host):
    admin = harness.ApiClient(small_host.url, project="admin", roles="admin")
    project = "quota-project"
    api = harness.ApiClient(small_host.url, project=project)
    resp = admin.request("PUT", "/v1/quotas/%s" % project, {"containers": 5})
    assert resp.status_code == 200, resp.text

    def create(_):
        return api.post("/v1/containers", {"image": harness.IMAGE, "cpu": 0.1})

    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(create, range(50)))
    codes = [a.status_code for a in answers]
    print("QUOTA limit=5 accepted=%d refused=%d" % (codes.count(202), codes.count(403)))
    assert codes.count(202) == 5 and codes.count(403) == 45, codes
    message = next(a for a in answers if a.status_code == 403).json()["errors"][0]["detail"]
    assert "containers" in message and "5" in message
    listed = api.get("/v1/containers").json()["containers"]
    assert len(listed) == 5  # refused creates left no rows
    usage = api.get("/v1/quotas/%s" % project, usages="True").json()
    assert usage["containers"] == {"limit": 5, "in_use": 5}
    for container in listed:
        # a create still in flight refuses the delete (409): wait for it
        api.wait_status(container["uuid"], "Created")
        assert api.delete("/v1/containers/%s" % container["uuid"]).status_code == 204
