"""Tenant isolation with real Keystone tokens (zun-api + zun-compute over RabbitMQ).

Identity comes only from the token keystonemiddleware validated: forged
X-Project-Id/X-Roles headers change nothing. Another project's container is
404 (never 403) on every endpoint, admin-only endpoints are 403 for members,
and an admin with all_projects sees and deletes across projects.

Error body on 401: keystonemiddleware rejects the request, and zun's error
middleware (outside auth) rewrites its body into the upstream Zun shape
``{"errors": [{"status": 401, "code": "container.unauthorized", ...}]}``
while keeping keystonemiddleware's ``WWW-Authenticate: Keystone uri=...``.
"""
from __future__ import annotations

import uuid as uuidlib

import pytest

from tests.functional import harness
from tests.functional.keystone_fixtures import KeystoneApiClient


@pytest.fixture(scope="module")
def deployment(zun_keystone):
    return zun_keystone


@pytest.fixture(scope="module")
def demo(keystone_api_as):
    return keystone_api_as("demo")


@pytest.fixture(scope="module")
def alt(keystone_api_as):
    return keystone_api_as("alt_demo")


@pytest.fixture(scope="module")
def admin(keystone_api_as):
    return keystone_api_as("admin")


@pytest.fixture(scope="module")
def anonymous(deployment):
    return KeystoneApiClient(deployment.url, None)


def _name(prefix: str) -> str:
    return "%s-%s" % (prefix, uuidlib.uuid4().hex[:8])


@pytest.fixture(scope="module")
def demo_container(demo, keystone):
    """A Running container of project demo, plus the request id that made it."""
    resp = demo.post("/v1/containers?run=true",
                     {"name": _name("demo"), "image": harness.IMAGE,
                      "command": harness.SLEEPER})
    assert resp.status_code == 202, resp.text
    body = demo.wait_status(resp.json()["uuid"], "Running")
    body["create_request_id"] = resp.headers["x-openstack-request-id"]
    yield body
    demo.delete("/v1/containers/%s" % body["uuid"], stop="True")


@pytest.fixture(scope="module")
def alt_container(alt):
    body = alt.run(name=_name("alt"))
    body = alt.wait_status(body["uuid"], "Running")
    yield body
    alt.delete("/v1/containers/%s" % body["uuid"], stop="True")


def _error(resp) -> dict:
    assert resp.headers["Content-Type"].startswith("application/json"), resp.headers
    errors = resp.json()["errors"]
    assert len(errors) == 1
    return errors[0]


# --- authentication -----------------------------------------------------------

def test_no_token_is_401_in_the_upstream_error_shape(anonymous, keystone):
    resp = anonymous.get("/v1/containers")
    assert resp.status_code == 401
    error = _error(resp)
    assert error["status"] == 401
    assert error["code"] == "container.unauthorized"
    assert error["title"]
    assert error["request_id"] == resp.headers["x-openstack-request-id"]
    assert resp.headers["WWW-Authenticate"].startswith("Keystone uri=")
    assert keystone.auth_url in resp.headers["WWW-Authenticate"]


def test_bogus_token_is_401(deployment):
    client = KeystoneApiClient(deployment.url, None)
    resp = client.get("/v1/containers", headers={"X-Auth-Token": "gAAAAAbogus" + "x" * 80})
    assert resp.status_code == 401
    assert _error(resp)["status"] == 401


def test_forged_identity_headers_without_token_are_401(anonymous, keystone):
    demo_project = keystone.accounts["demo"]["project_id"]
    resp = anonymous.get("/v1/containers", headers={
        "X-Project-Id": demo_project, "X-User-Id": "someone", "X-Roles": "admin",
        "X-Identity-Status": "Confirmed"})
    assert resp.status_code == 401


@pytest.mark.parametrize("path", ["/", "/v1", "/v1/", "/healthcheck"])
def test_public_routes_answer_without_token(anonymous, path):
    resp = anonymous.get(path)
    assert resp.status_code == 200, resp.text
    assert resp.headers["x-openstack-request-id"].startswith("req-")


def test_root_document_lists_v1(anonymous):
    versions = anonymous.get("/").json()["versions"]
    assert [v["id"] for v in versions if v["status"] == "CURRENT"] == ["v1"]


# --- request ids ---------------------------------------------------------------

def _log(deployment, name: str) -> str:
    return (deployment.dir / ("%s.log" % name)).read_text(errors="replace")


def _wait_logged(deployment, name: str, request_id: str) -> None:
    # a line is written just after the response leaves, so poll briefly
    harness.wait_until(lambda: request_id in _log(deployment, name), timeout=10,
                       what="%s in %s.log" % (request_id, name))


def test_request_id_on_every_response(anonymous, demo, alt, demo_container):
    uuid = demo_container["uuid"]
    responses = [anonymous.get("/"), anonymous.get("/v1/containers"),
                 demo.get("/v1/containers"), demo.get("/v1/containers/%s" % uuid),
                 alt.get("/v1/containers/%s" % uuid),
                 demo.post("/v1/containers/%s/unpause" % uuid),  # 409: not paused
                 demo.get("/v1/no-such-resource")]
    assert [r.status_code for r in responses] == [200, 401, 200, 200, 404, 409, 404]
    ids = [r.headers.get("x-openstack-request-id") for r in responses]
    assert all(i and i.startswith("req-") for i in ids), ids
    assert len(set(ids)) == len(ids)


def test_request_id_in_api_and_compute_logs(deployment, demo):
    resp = demo.post("/v1/containers?run=true",
                     {"name": _name("reqid"), "image": harness.IMAGE,
                      "command": harness.SLEEPER})
    assert resp.status_code == 202, resp.text
    uuid = resp.json()["uuid"]
    demo.wait_status(uuid, "Running")
    stop = demo.post("/v1/containers/%s/stop" % uuid, timeout="0")
    assert stop.status_code == 202, stop.text
    request_id = stop.headers["x-openstack-request-id"]
    demo.wait_status(uuid, "Stopped")
    # the compute agent recorded the action under the API's request id
    actions = demo.get("/v1/containers/%s/container_actions" % uuid).json()
    assert request_id in [a["request_id"] for a in actions["containerActions"]]
    _wait_logged(deployment, "zun-api", request_id)
    _wait_logged(deployment, "zun-compute", request_id)
    demo.delete("/v1/containers/%s" % uuid)
    demo.wait_gone(uuid)


def test_request_id_in_api_log_for_rejected_requests(deployment, anonymous, demo):
    """Requests stopped before a context exists (401, unknown route) are
    logged under their id too, so an operator can find a user's complaint."""
    ids = [anonymous.get("/v1/containers").headers["x-openstack-request-id"],
           demo.get("/v1/no-such-resource").headers["x-openstack-request-id"]]
    for request_id in ids:
        _wait_logged(deployment, "zun-api", request_id)


# --- isolation -----------------------------------------------------------------

def _container_endpoints(uuid: str, action_request_id: str):
    """(label, method, path, params, body, version) for every per-container route."""
    base = "/v1/containers/%s" % uuid
    return [
        ("show", "GET", base, {}, None, None),
        ("update", "PATCH", base, {}, {"memory": "128"}, None),
        ("delete", "DELETE", base, {"stop": "True"}, None, None),
        ("start", "POST", base + "/start", {}, None, None),
        ("stop", "POST", base + "/stop", {"timeout": "0"}, None, None),
        ("reboot", "POST", base + "/reboot", {"timeout": "0"}, None, None),
        ("pause", "POST", base + "/pause", {}, None, None),
        ("unpause", "POST", base + "/unpause", {}, None, None),
        ("kill", "POST", base + "/kill", {"signal": "SIGKILL"}, None, None),
        ("logs", "GET", base + "/logs", {"stdout": "True", "stderr": "True"}, None, None),
        ("execute", "POST", base + "/execute", {"command": '"echo" "pwned"'}, None, None),
        ("top", "GET", base + "/top", {"ps_args": "None"}, None, None),
        ("stats", "GET", base + "/stats", {}, None, None),
        ("actions list", "GET", base + "/container_actions", {}, None, None),
        ("action show", "GET", base + "/container_actions/" + action_request_id, {},
         None, None),
        ("rename", "POST", base + "/rename", {"name": "stolen"}, None, "1.13"),
    ]


@pytest.mark.parametrize("by", ["uuid", "name"])
def test_other_project_gets_404_on_every_container_endpoint(demo, alt, demo_container, by):
    ident = demo_container[by]
    for label, method, path, params, body, version in _container_endpoints(
            ident, demo_container["create_request_id"]):
        resp = alt.request(method, path, body, version=version, **params)
        assert resp.status_code == 404, "%s by alt_demo: %s %s" % (
            label, resp.status_code, resp.text)
        assert _error(resp)["status"] == 404
    # nothing happened to it
    after = demo.show(demo_container["uuid"])
    assert after["status"] == "Running" and after["task_state"] is None
    assert after["name"] == demo_container["name"]
    assert after["memory"] == demo_container["memory"]


def test_owner_reaches_the_same_endpoints(demo, demo_container):
    """The 404s above are about tenancy, not about the routes themselves."""
    uuid = demo_container["uuid"]
    assert demo.get("/v1/containers/%s/top" % uuid, ps_args="None").status_code == 200
    assert demo.get("/v1/containers/%s/stats" % uuid).status_code == 200
    assert demo.get("/v1/containers/%s/logs" % uuid).status_code == 200
    assert demo.get("/v1/containers/%s/container_actions/%s" % (
        uuid, demo_container["create_request_id"])).status_code == 200
    out = demo.post("/v1/containers/%s/execute" % uuid, command='"echo" "mine"')
    assert out.status_code == 200 and out.json()["output"].strip() == "mine"


def test_other_project_does_not_list_it(demo, alt, demo_container, alt_container):
    alt_uuids = [c["uuid"] for c in alt.get("/v1/containers").json()["containers"]]
    assert alt_container["uuid"] in alt_uuids
    assert demo_container["uuid"] not in alt_uuids
    demo_uuids = [c["uuid"] for c in demo.get("/v1/containers").json()["containers"]]
    assert demo_container["uuid"] in demo_uuids
    assert alt_container["uuid"] not in demo_uuids
    # a project filter cannot widen a member's view either
    filtered = alt.get("/v1/containers", project_id=demo_container["project_id"])
    assert demo_container["uuid"] not in [
        c["uuid"] for c in filtered.json().get("containers", [])]


def test_containers_belong_to_the_token_project(keystone, demo_container, alt_container):
    demo_account = keystone.accounts["demo"]
    assert demo_container["project_id"] == demo_account["project_id"]
    assert demo_container["user_id"] == demo_account["user_id"]
    assert alt_container["project_id"] == keystone.accounts["alt_demo"]["project_id"]


def test_forged_identity_headers_are_ignored(keystone, alt, demo_container):
    forged = {"X-Project-Id": demo_container["project_id"],
              "X-Tenant-Id": demo_container["project_id"],
              "X-User-Id": keystone.accounts["demo"]["user_id"],
              "X-Roles": "admin", "X-Role": "admin"}
    uuid = demo_container["uuid"]
    assert alt.get("/v1/containers/%s" % uuid, headers=forged).status_code == 404
    listing = alt.get("/v1/containers", headers=forged)
    assert uuid not in [c["uuid"] for c in listing.json()["containers"]]
    assert alt.get("/v1/containers", all_projects="True",
                   headers=forged).status_code == 403
    # and what alt creates with forged headers is still alt's
    resp = alt.post("/v1/containers", {"name": _name("forged"), "image": harness.IMAGE,
                                       "command": harness.SLEEPER}, headers=forged)
    assert resp.status_code == 202, resp.text
    assert resp.json()["project_id"] == keystone.accounts["alt_demo"]["project_id"]
    alt.wait_status(resp.json()["uuid"], "Created")
    assert alt.delete("/v1/containers/%s" % resp.json()["uuid"]).status_code == 204


# --- admin-only endpoints ----------------------------------------------------------

def test_member_cannot_list_all_projects(demo):
    resp = demo.get("/v1/containers", all_projects="True")
    assert resp.status_code == 403, resp.text
    assert _error(resp)["status"] == 403


def test_member_cannot_force_delete(demo, demo_container):
    uuid = demo_container["uuid"]
    resp = demo.delete("/v1/containers/%s" % uuid, force="True", version="1.7")
    assert resp.status_code == 403, resp.text
    assert demo.show(uuid)["status"] == "Running"


def test_member_cannot_list_services(demo):
    resp = demo.get("/v1/services")
    assert resp.status_code == 403, resp.text


def test_admin_can_list_services(admin):
    resp = admin.get("/v1/services")
    assert resp.status_code == 200, resp.text
    assert any(s["binary"] == "zun-compute" for s in resp.json()["services"])


def test_admin_sees_all_projects_and_deletes_demos_container(
        admin, demo, keystone, demo_container, alt_container):
    # without all_projects an admin sees only its own project
    own = [c["uuid"] for c in admin.get("/v1/containers").json()["containers"]]
    assert demo_container["uuid"] not in own
    listing = admin.get("/v1/containers", all_projects="True")
    assert listing.status_code == 200, listing.text
    by_uuid = {c["uuid"]: c for c in listing.json()["containers"]}
    assert by_uuid[demo_container["uuid"]]["project_id"] == \
        keystone.accounts["demo"]["project_id"]
    assert by_uuid[alt_container["uuid"]]["project_id"] == \
        keystone.accounts["alt_demo"]["project_id"]

    uuid = demo_container["uuid"]
    resp = admin.delete("/v1/containers/%s" % uuid, all_projects="True", stop="True")
    assert resp.status_code == 204, resp.text
    demo.wait_gone(uuid)
