"""Members read no infrastructure in reasons and errors; admins keep the detail.

Against a real zun-all on the Docker engine: a scheduling failure shows the
member what about their request failed (never a host name), while an admin
reads the per-host detail in the create action's event; a 409 for a host
that is down names no host; a bad image keeps its tenant-useful reason but
names neither the engine's socket nor a host path.
"""
from __future__ import annotations

import uuid as uuidlib

import pytest

from tests.functional import harness

BINARY = "zun-compute"


@pytest.fixture(scope="module")
def deployment(request, docker_client):
    with harness.running(request, mode="all") as zun:
        yield zun


@pytest.fixture
def member(deployment):
    return harness.ApiClient(deployment.url, project="reasons-%s" % uuidlib.uuid4().hex[:6],
                             user="tenant")


@pytest.fixture
def admin(deployment):
    return harness.ApiClient(deployment.url, project="ops", user="root", roles="admin")


def admin_event_details(admin: harness.ApiClient, uuid: str, action: str = "create") -> str:
    """The tracebacks/details of an action's events, as an admin reads them
    (members get no events: policy ``container:actions:events``)."""
    listed = admin.get("/v1/containers/%s/container_actions" % uuid, all_projects="1")
    assert listed.status_code == 200, listed.text
    (row,) = [a for a in listed.json()["containerActions"] if a["action"] == action]
    shown = admin.get("/v1/containers/%s/container_actions/%s" % (uuid, row["request_id"]),
                      all_projects="1")
    assert shown.status_code == 200, shown.text
    return "\n".join(event["traceback"] or "" for event in shown.json()["events"])


def _delete(client: harness.ApiClient, uuid: str) -> None:
    client.delete("/v1/containers/%s" % uuid, force="True", stop="True")


def test_unmatched_hint_member_sees_the_request_admin_sees_the_host(deployment, member,
                                                                    admin):
    body = member.run(hints={"disk": "nvme"})
    try:
        shown = member.wait_status(body["uuid"], "Error")
        assert shown["status_reason"] == ("No valid host was found: no host matches "
                                          "the scheduler hints")
        assert deployment.host not in str(shown)
        (action,) = member.get("/v1/containers/%s/container_actions"
                               % body["uuid"]).json()["containerActions"]
        assert action["message"] == "Error"
        own = member.get("/v1/containers/%s/container_actions/%s"
                         % (body["uuid"], action["request_id"])).json()
        assert own["events"] == []
        detail = admin_event_details(admin, body["uuid"])
        assert "%s: labels do not match hint(s) disk=nvme" % deployment.host in detail
    finally:
        _delete(member, body["uuid"])


def test_host_down_conflict_names_no_host(deployment, member, admin):
    body = member.run()
    params = {"host": deployment.host, "binary": BINARY}
    try:
        member.wait_status(body["uuid"], "Running")
        down = admin.request("PUT", "/v1/services/force_down", forced_down="true",
                             **params)
        assert down.status_code == 200, down.text
        refused = member.post("/v1/containers/%s/stop" % body["uuid"])
        assert refused.status_code == 409, refused.text
        title = refused.json()["errors"][0]["title"]
        assert "is down" in title and deployment.host not in title
        # the admin finds the host on the container itself
        assert admin.get("/v1/containers/%s" % body["uuid"],
                         all_projects="1").json()["host"] == deployment.host
    finally:
        up = admin.request("PUT", "/v1/services/force_down", forced_down="false", **params)
        assert up.status_code == 200, up.text
        _delete(member, body["uuid"])


def test_bad_image_reason_is_the_tenants_and_names_no_engine(deployment, member, admin):
    image = "no-such-image-%s:1" % uuidlib.uuid4().hex[:6]
    body = member.run(image=image)
    try:
        reason = member.wait_status(body["uuid"], "Error")["status_reason"]
        assert image.split(":")[0] in reason  # the tenant's own problem, readable
        for secret in (deployment.docker_url, deployment.docker_url.split("://")[-1],
                       str(deployment.dir), deployment.host):
            assert secret not in reason, (secret, reason)
        assert image.split(":")[0] in admin_event_details(admin, body["uuid"])
    finally:
        _delete(member, body["uuid"])
