"""OpenStack's default roles, with real Keystone tokens (zun-api + zun-compute).

tools/start-keystone.sh makes ``demo_reader`` (role ``reader`` on project
demo), ``demo`` (``member``: Keystone's bootstrap makes it imply reader)
and ``admin`` (``admin`` on project admin and on the system). A reader
reads the project's containers and gets 403 on every write; a member acts;
an admin acts on any project.

A system-scoped token carries no project: it is 403 on every
project-owned resource and keeps only the deployment APIs (services,
hosts) its admin role allows. With ``delay_auth_decision = true`` an
invalid token is still 401.
"""
from __future__ import annotations

import uuid as uuidlib

import pytest

from tests.functional import harness
from tests.functional.keystone_fixtures import KeystoneApiClient


@pytest.fixture(scope="module")
def reader(keystone_api_as):
    return keystone_api_as("demo_reader")


@pytest.fixture(scope="module")
def member(keystone_api_as):
    return keystone_api_as("demo")


@pytest.fixture(scope="module")
def admin(keystone_api_as):
    return keystone_api_as("admin")


@pytest.fixture(scope="module")
def system_admin(zun_keystone, keystone):
    return KeystoneApiClient(zun_keystone.url, keystone.system_session("admin"))


def _name(prefix: str) -> str:
    return "%s-%s" % (prefix, uuidlib.uuid4().hex[:8])


@pytest.fixture(scope="module")
def running(member):
    """A Running container of project demo, and the request id that made it."""
    resp = member.post("/v1/containers?run=true",
                       {"name": _name("roles"), "image": harness.IMAGE,
                        "command": harness.SLEEPER})
    assert resp.status_code == 202, resp.text
    body = member.wait_status(resp.json()["uuid"], "Running")
    body["create_request_id"] = resp.headers["x-openstack-request-id"]
    yield body
    member.delete("/v1/containers/%s" % body["uuid"], stop="True")


def _assert_forbidden(resp, rule: str) -> None:
    assert resp.status_code == 403, "%s: %s %s" % (rule, resp.status_code, resp.text)
    assert resp.headers["Content-Type"].startswith("application/json")
    errors = resp.json()["errors"]
    assert len(errors) == 1
    error = errors[0]
    assert error["status"] == 403
    assert error["code"] == "container.policy_not_authorized"
    assert error["detail"] == "Policy doesn't allow %s to be performed." % rule
    assert error["request_id"] == resp.headers["x-openstack-request-id"]


def _writes(uuid: str) -> list[tuple[str, str, str, dict, dict | None, str | None]]:
    """(rule, method, path, params, body, version) of writes on one container."""
    one = "/v1/containers/%s" % uuid
    return [
        ("container:update", "PATCH", one, {}, {"memory": "128"}, None),
        ("container:delete", "DELETE", one, {}, None, None),
        ("container:start", "POST", one + "/start", {}, None, None),
        ("container:stop", "POST", one + "/stop", {"timeout": "0"}, None, None),
        ("container:reboot", "POST", one + "/reboot", {"timeout": "0"}, None, None),
        ("container:pause", "POST", one + "/pause", {}, None, None),
        ("container:unpause", "POST", one + "/unpause", {}, None, None),
        ("container:kill", "POST", one + "/kill", {"signal": "SIGKILL"}, None, None),
        ("container:execute", "POST", one + "/execute",
         {"command": '"echo" "reader"'}, None, None),
        ("container:rebuild", "POST", one + "/rebuild", {}, None, None),
        ("container:rename", "POST", one + "/rename", {"name": "renamed"}, None, "1.13"),
    ]


# --- reader ---------------------------------------------------------------------------

def test_reader_token_carries_only_reader(keystone, token_for):
    """What the rest relies on: the reader account has no implied member."""
    session = token_for("demo_reader")
    token = session.get_token()
    body = session.get(keystone.auth_url + "/auth/tokens",
                       headers={"X-Subject-Token": token}).json()["token"]
    assert [r["name"] for r in body["roles"]] == ["reader"]
    assert body["project"]["id"] == keystone.accounts["demo"]["project_id"]


def test_reader_lists_and_shows(reader, running):
    uuid = running["uuid"]
    listing = reader.get("/v1/containers")
    assert listing.status_code == 200, listing.text
    assert uuid in [c["uuid"] for c in listing.json()["containers"]]
    shown = reader.get("/v1/containers/%s" % uuid)
    assert shown.status_code == 200, shown.text
    assert shown.json()["name"] == running["name"]
    assert reader.get("/v1/containers/%s" % running["name"]).status_code == 200


def test_reader_reads_what_a_container_says(reader, keystone, running):
    uuid = running["uuid"]
    one = "/v1/containers/%s" % uuid
    for path, params in [(one + "/logs", {"stdout": "True", "stderr": "True"}),
                         (one + "/top", {"ps_args": "None"}),
                         (one + "/stats", {}),
                         (one + "/network_list", {}),
                         (one + "/container_actions", {}),
                         (one + "/container_actions/" + running["create_request_id"], {}),
                         ("/v1/quotas/" + keystone.accounts["demo"]["project_id"], {})]:
        resp = reader.get(path, **params)
        assert resp.status_code == 200, "%s: %s %s" % (path, resp.status_code, resp.text)


def test_reader_cannot_create(reader, member):
    before = {c["uuid"] for c in member.get("/v1/containers").json()["containers"]}
    resp = reader.post("/v1/containers?run=true",
                       {"name": _name("by-reader"), "image": harness.IMAGE,
                        "command": harness.SLEEPER})
    _assert_forbidden(resp, "container:create")
    after = {c["uuid"] for c in member.get("/v1/containers").json()["containers"]}
    assert after == before


def test_every_write_of_a_reader_is_403_and_changes_nothing(reader, member, running):
    uuid = running["uuid"]
    for rule, method, path, params, body, version in _writes(uuid):
        resp = reader.request(method, path, body, version=version, **params)
        _assert_forbidden(resp, rule)
    after = member.show(uuid)
    assert after["status"] == "Running" and after["task_state"] is None
    assert after["name"] == running["name"]
    assert after["memory"] == running["memory"]
    actions = member.get("/v1/containers/%s/container_actions" % uuid).json()
    assert [a["action"] for a in actions["containerActions"]] == ["create"]


def test_reader_cannot_change_the_quota(reader, keystone):
    project = keystone.accounts["demo"]["project_id"]
    _assert_forbidden(reader.request("PUT", "/v1/quotas/" + project, {"containers": 100}),
                      "quota:update")


# --- member and admin -----------------------------------------------------------------

def test_member_acts(member):
    uuid = member.run(name=_name("member"))["uuid"]
    member.wait_status(uuid, "Running")
    resp = member.request("PATCH", "/v1/containers/%s" % uuid, {"memory": "128"})
    assert resp.status_code == 200, resp.text
    out = member.post("/v1/containers/%s/execute" % uuid, command='"echo" "member"')
    assert out.status_code == 200 and out.json()["output"].strip() == "member"
    assert member.post("/v1/containers/%s/stop" % uuid, timeout="0").status_code == 202
    member.wait_status(uuid, "Stopped")
    assert member.post("/v1/containers/%s/start" % uuid).status_code == 202
    member.wait_status(uuid, "Running")
    assert member.delete("/v1/containers/%s" % uuid, stop="True").status_code == 204
    member.wait_gone(uuid)


def test_admin_acts_on_its_own_and_on_another_project(admin, member):
    own = admin.run(name=_name("admin"))["uuid"]
    admin.wait_status(own, "Running")
    assert admin.post("/v1/containers/%s/pause" % own).status_code == 202
    admin.wait_status(own, "Paused")
    assert admin.post("/v1/containers/%s/unpause" % own).status_code == 202
    admin.wait_status(own, "Running")
    assert admin.delete("/v1/containers/%s" % own, stop="True").status_code == 204
    admin.wait_gone(own)
    # another project's container: through all_projects (show, delete)
    theirs = member.run(run=False, name=_name("for-admin"))["uuid"]
    member.wait_status(theirs, "Created")
    shown = admin.get("/v1/containers/%s" % theirs, all_projects="True")
    assert shown.status_code == 200, shown.text
    resp = admin.delete("/v1/containers/%s" % theirs, all_projects="True")
    assert resp.status_code == 204, resp.text
    member.wait_gone(theirs)


# --- a system-scoped token: no project --------------------------------------------------

def test_system_token_has_no_project(keystone, system_admin):
    token = system_admin.session.get_token()
    body = system_admin.session.get(keystone.auth_url + "/auth/tokens",
                                    headers={"X-Subject-Token": token}).json()["token"]
    assert body["system"] == {"all": True}
    assert "project" not in body
    assert "admin" in [r["name"] for r in body["roles"]]


def test_system_token_gets_no_project_owned_resource(system_admin, member, keystone,
                                                     running):
    uuid = running["uuid"]
    _assert_forbidden(system_admin.get("/v1/containers"), "container:get_all")
    resp = system_admin.post("/v1/containers", {"name": _name("system"),
                                                "image": harness.IMAGE,
                                                "command": harness.SLEEPER})
    _assert_forbidden(resp, "container:create")
    _assert_forbidden(system_admin.get("/v1/containers/%s" % uuid), "container:get_one")
    _assert_forbidden(system_admin.post("/v1/containers/%s/stop" % uuid, timeout="0"),
                      "container:stop")
    _assert_forbidden(system_admin.delete("/v1/containers/%s" % uuid), "container:delete")
    _assert_forbidden(system_admin.get("/v1/containers/%s/container_actions" % uuid),
                      "container:actions")
    project = keystone.accounts["demo"]["project_id"]
    _assert_forbidden(system_admin.get("/v1/quotas/" + project), "quota:get")
    after = member.show(uuid)
    assert after["status"] == "Running" and after["task_state"] is None


def test_system_admin_reads_the_deployment(system_admin, zun_keystone):
    services = system_admin.get("/v1/services")
    assert services.status_code == 200, services.text
    assert zun_keystone.host in [s["host"] for s in services.json()["services"]]
    hosts = system_admin.get("/v1/hosts")
    assert hosts.status_code == 200, hosts.text
    assert zun_keystone.host in [h["hostname"] for h in hosts.json()["hosts"]]


# --- delay_auth_decision ------------------------------------------------------------------

@pytest.fixture(scope="module")
def delayed(request, docker_client, keystone):
    """zun-all whose auth_token lets unauthenticated requests through, marked."""
    conf = keystone.authtoken_conf().replace("delay_auth_decision = false",
                                             "delay_auth_decision = true")
    assert "delay_auth_decision = true" in conf
    with harness.running(request, mode="all", auth_strategy="keystone",
                         extra_conf=conf) as deployment:
        yield deployment


def test_delayed_decision_still_refuses_an_invalid_token(delayed, token_for):
    """auth_token passes these on marked X-Identity-Status: Invalid; zun's
    own check (not auth_token) answers 401."""
    assert "delay_auth_decision = true" in delayed.conf_file.read_text()
    anonymous = KeystoneApiClient(delayed.url, None)
    for headers in ({"X-Auth-Token": "gAAAAAbogus" + "x" * 80}, {}):
        for method, path in (("GET", "/v1/containers"), ("POST", "/v1/containers"),
                             ("GET", "/v1/services")):
            body = {"image": harness.IMAGE} if method == "POST" else None
            resp = anonymous.request(method, path, body, headers=headers)
            assert resp.status_code == 401, (headers, path, resp.text)
            error = resp.json()["errors"][0]
            assert error["status"] == 401 and error["code"] == "container.unauthorized"
    # a forged identity next to an invalid token is still nobody
    forged = {"X-Auth-Token": "gAAAAAbogus" + "x" * 80, "X-Identity-Status": "Confirmed",
              "X-Project-Id": "p", "X-User-Id": "u", "X-Roles": "admin"}
    assert anonymous.get("/v1/containers", headers=forged).status_code == 401
    # and a valid token goes through as usual
    demo = KeystoneApiClient(delayed.url, token_for("demo"))
    assert demo.get("/v1/containers").status_code == 200
    reader = KeystoneApiClient(delayed.url, token_for("demo_reader"))
    assert reader.get("/v1/containers").status_code == 200
    resp = reader.post("/v1/containers", {"image": harness.IMAGE})
    _assert_forbidden(resp, "container:create")
