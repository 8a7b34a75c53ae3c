"""Quota and host capacity hold on every path that grows usage (issue 12),
end to end: a real zun-all, the real Docker engine, the admin quota API.

* A resize (PATCH cpu/memory) beyond the project's quota is a 403 and
  changes nothing, neither the row nor the runtime container's limits.
* Creates of a missing image count against the quota (their rows end in
  Error): the one past ``containers`` is a 403 that writes no row, so
  rebuilding the failed ones with a good image cannot make more live
  containers than the quota allows.
* A rebuild of an Error row that holds nothing on its host takes the
  host's capacity claim: past the capacity it is a 409, and the row keeps
  no task state.
"""
from __future__ import annotations

import uuid as uuidlib

import pytest

from tests.functional import harness

MISSING = "no-such-image:404"


@pytest.fixture(scope="module")
def zun(request, docker_client):
    # ratio 1, nothing reserved: the host's cpu capacity is its CPU count
    deployment = harness.ZunProcesses(mode="all", extra_conf=(
        "[scheduler]\ncpu_allocation_ratio = 1\nreserved_host_cpus = 0\n"))
    deployment.start()
    yield deployment
    if request.session.testsfailed:
        print(deployment.logs())
    deployment.stop()


def _project(zun, **quota):
    """A fresh project with ``quota``, and a member's client for it."""
    project = "quota-paths-%s" % uuidlib.uuid4().hex[:8]
    admin = harness.ApiClient(zun.url, project="admin", roles="admin")
    resp = admin.request("PUT", "/v1/quotas/%s" % project, quota)
    assert resp.status_code == 200, resp.text
    return harness.ApiClient(zun.url, project=project)


def _detail(resp):
    return resp.json()["errors"][0]["detail"]


def _delete_all(api):
    for container in api.get("/v1/containers").json()["containers"]:
        api.wait_status(container["uuid"], ("Created", "Running", "Stopped", "Error"))
        resp = api.delete("/v1/containers/%s" % container["uuid"], stop="True")
        assert resp.status_code == 204, resp.text
        api.wait_gone(container["uuid"])


def _fail_to_create(api, **fields):
    """A container whose image is missing: accepted, then Error."""
    created = api.run(image=MISSING, **fields)
    return api.wait_status(created["uuid"], "Error")


def test_resize_beyond_quota_is_403_and_changes_nothing(zun, docker_client):
    api = _project(zun, containers=3, cpu=1, memory=256)
    try:
        uuid = api.run(cpu=0.5, memory="128")["uuid"]
        api.wait_status(uuid, "Running")
        runtime = docker_client.containers.get("zun-%s" % uuid)
        limits = runtime.attrs["HostConfig"]["Memory"], runtime.attrs["HostConfig"]["NanoCpus"]
        assert limits == (128 * 2 ** 20, 5 * 10 ** 8)

        resp = api.patch("/v1/containers/%s" % uuid, {"cpu": 1.5, "memory": 512})
        assert resp.status_code == 403, resp.text
        assert _detail(resp) == ("Quota exceeded for cpu: requested 1.0, but already "
                                 "used 0.5 of 1.")
        shown = api.show(uuid)
        assert (shown["cpu"], shown["memory"], shown["task_state"]) == (0.5, "128", None)
        runtime.reload()
        assert (runtime.attrs["HostConfig"]["Memory"],
                runtime.attrs["HostConfig"]["NanoCpus"]) == limits
        usage = api.get("/v1/quotas/%s" % api.headers["X-Project-Id"],
                        usages="True").json()
        assert usage["cpu"] == {"limit": 1, "in_use": 0.5}

        # up to the quota it is taken, by the row and by the runtime
        resp = api.patch("/v1/containers/%s" % uuid, {"cpu": 1.0, "memory": 256})
        assert resp.status_code == 200, resp.text
        assert (resp.json()["cpu"], resp.json()["memory"]) == (1.0, "256")
        runtime.reload()
        assert runtime.attrs["HostConfig"]["Memory"] == 256 * 2 ** 20
    finally:
        _delete_all(api)


def test_missing_image_creates_count_and_rebuilds_stay_within_the_quota(zun,
                                                                       docker_client):
    api = _project(zun, containers=3, cpu=2)
    try:
        failed = [_fail_to_create(api, cpu=0.1) for _ in range(3)]
        resp = api.post("/v1/containers?run=true",
                        {"image": MISSING, "command": harness.SLEEPER, "cpu": 0.1})
        assert resp.status_code == 403, resp.text
        assert _detail(resp) == ("Quota exceeded for containers: requested 1, but "
                                 "already used 3 of 3.")
        assert len(api.get("/v1/containers").json()["containers"]) == 3

        for container in failed:
            resp = api.post("/v1/containers/%s/rebuild" % container["uuid"],
                            image=harness.IMAGE)
            assert resp.status_code == 202, resp.text
        for container in failed:
            api.wait_status(container["uuid"], ("Created", "Running"))
        live = [c for c in docker_client.containers.list(all=True)
                if c.labels.get("zun.project_id") == api.headers["X-Project-Id"]]
        assert len(live) == 3
        # still three: a fourth create remains refused
        assert api.post("/v1/containers", {"image": harness.IMAGE}).status_code == 403
    finally:
        _delete_all(api)


def test_rebuild_of_error_rows_cannot_exceed_the_host(zun):
    admin = harness.ApiClient(zun.url, project="admin", roles="admin")
    (host,) = [h for h in admin.get("/v1/hosts").json()["hosts"]
               if h["hostname"] == zun.host]
    half = host["cpus"] / 2
    api = _project(zun, containers=10, cpu=-1)
    try:
        # one at a time: a create holds its cpu on the host until it fails
        failed = [_fail_to_create(api, cpu=half) for _ in range(3)]
        for container in failed[:2]:
            resp = api.post("/v1/containers/%s/rebuild" % container["uuid"],
                            image=harness.IMAGE)
            assert resp.status_code == 202, resp.text
        resp = api.post("/v1/containers/%s/rebuild" % failed[2]["uuid"],
                        image=harness.IMAGE)
        assert resp.status_code == 409, resp.text
        assert _detail(resp) == "The host has no room for %s more cpu." % float(half)
        shown = api.show(failed[2]["uuid"])
        assert (shown["status"], shown["task_state"]) == ("Error", None)
        # nor may it be started into a host that is full
        resp = api.post("/v1/containers/%s/start" % failed[2]["uuid"])
        assert resp.status_code == 409, resp.text
        assert "no room" in _detail(resp)
    finally:
        _delete_all(api)
