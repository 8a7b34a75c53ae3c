"""Who the caller is under each auth strategy."""
from __future__ import annotations

import pytest
import webtest

from tests.unit.api.conftest import ALICE, make_container
from zun.api import app as api_app
from zun.conf import CONF


def test_noauth_trusts_identity_headers(app, compute):
    app.post_json("/v1/containers", {"image": "busybox", "name": "mine"},
                  headers=dict(ALICE, **{"X-Auth-Token": "ignored"}), status=202)
    (ctx, values), _ = compute.last("container_create")
    assert (ctx.user_id, ctx.project_id, ctx.is_admin) == ("alice", "proj-a", False)
    assert (values["user_id"], values["project_id"]) == ("alice", "proj-a")


def test_noauth_without_project_is_the_single_admin_user(app, compute):
    app.post_json("/v1/containers", {"image": "busybox", "name": "trial"},
                  headers={"X-Auth-Token": "notused"}, status=202)
    (ctx, values), _ = compute.last("container_create")
    assert (ctx.user_id, ctx.project_id) == ("noauth", "noauth")
    assert ctx.is_admin
    assert values["project_id"] == "noauth"


def test_noauth_without_project_keeps_given_roles(app):
    make_container(project="noauth", user="noauth")
    response = app.get("/v1/containers?all_projects=1",
                       headers={"X-Roles": "member"}, status=403)
    assert response.json["errors"][0]["status"] == 403


def test_request_id_reaches_the_context(app, compute):
    response = app.post_json("/v1/containers", {"image": "busybox", "name": "rq"},
                             headers=ALICE, status=202)
    (ctx, _), _ = compute.last("container_create")
    assert ctx.request_id == response.headers["x-openstack-request-id"]


@pytest.fixture
def keystone_app(db, compute):
    CONF.set_override("auth_strategy", "keystone", "api")
    CONF.set_override("www_authenticate_uri", "http://127.0.0.1:1/identity",
                      "keystone_authtoken")
    CONF.set_override("delay_auth_decision", False, "keystone_authtoken")
    try:
        yield webtest.TestApp(api_app.setup_app(compute_api=compute))
    finally:
        CONF.clear_override("auth_strategy", "api")
        CONF.clear_override("www_authenticate_uri", "keystone_authtoken")
        CONF.clear_override("delay_auth_decision", "keystone_authtoken")


def test_keystone_public_routes_need_no_token(keystone_app):
    for path in ("/", "/v1", "/v1/", "/healthcheck"):
        assert keystone_app.get(path).status_int == 200


def test_keystone_protected_route_without_token_is_401_in_error_shape(keystone_app, compute):
    response = keystone_app.get("/v1/containers", headers=ALICE, status=401)
    error = response.json["errors"][0]
    assert error["status"] == 401
    assert error["code"] == "container.unauthorized"
    assert "WWW-Authenticate" in response.headers
    assert response.headers["OpenStack-API-Version"] == "container 1.1"
    assert compute.calls == []


@pytest.fixture
def delayed_keystone_app(db, compute):
    CONF.set_override("auth_strategy", "keystone", "api")
    CONF.set_override("www_authenticate_uri", "http://127.0.0.1:1/identity",
                      "keystone_authtoken")
    CONF.set_override("delay_auth_decision", True, "keystone_authtoken")
    try:
        yield webtest.TestApp(api_app.setup_app(compute_api=compute))
    finally:
        CONF.clear_override("auth_strategy", "api")
        CONF.clear_override("www_authenticate_uri", "keystone_authtoken")
        CONF.clear_override("delay_auth_decision", "keystone_authtoken")


def test_delayed_auth_decision_still_401s_an_invalid_identity(delayed_keystone_app,
                                                              compute):
    """auth_token passes a request without a valid token on, marked Invalid;
    forged identity headers and status from the client are not trusted."""
    forged = dict(ALICE, **{"X-Identity-Status": "Confirmed", "X-Roles": "admin"})
    for headers in (ALICE, forged):
        response = delayed_keystone_app.get("/v1/containers", headers=headers, status=401)
        error = response.json["errors"][0]
        assert error["status"] == 401 and error["code"] == "container.unauthorized"
        assert "token is missing, invalid or expired" in error["detail"]
    assert delayed_keystone_app.get("/v1").status_int == 200
    assert compute.calls == []


# --- a token with no project, past authentication ---------------------------------
@pytest.fixture
def projectless_app(db, compute, monkeypatch):
    """The API as keystonemiddleware leaves a system-scoped or unscoped token:
    confirmed, with user and roles but no X-Project-Id."""
    from zun.api.middleware import auth
    from zun.common import policy
    monkeypatch.setattr(auth, "wrap", lambda app: app)
    policy.reset()
    yield webtest.TestApp(api_app.setup_app(compute_api=compute))
    policy.reset()


SYSTEM_ADMIN = {"Content-Type": "application/json", "X-Identity-Status": "Confirmed",
                "X-User-Id": "cloud-admin", "X-Roles": "admin,member,reader",
                "X-System-Scope": "all"}


@pytest.mark.parametrize("method, path", [
    ("GET", "/v1/containers"), ("GET", "/v1/containers?all_projects=1"),
    ("POST", "/v1/containers"), ("GET", "/v1/containers/c-none"),
    ("DELETE", "/v1/containers/c-none?force=True"),
    ("POST", "/v1/containers/c-none/stop"),
    ("GET", "/v1/containers/c-none/container_actions"),
    ("GET", "/v1/quotas/proj-a"), ("GET", "/v1/quotas/proj-a/defaults")])
def test_no_project_is_403_on_project_owned_resources(projectless_app, compute,
                                                      method, path):
    make_container(project="proj-a")
    # a row of no project (as before this check): the owner rule must not match it
    make_container(project=None, user="cloud-admin", name="c-none")
    body = {"image": "busybox", "name": "sys"} if method == "POST" else None
    response = projectless_app.request(path, method=method, headers=SYSTEM_ADMIN,
                                       json=body, expect_errors=True)
    assert response.status_int == 403, response.text
    assert response.json["errors"][0]["code"] == "container.policy_not_authorized"
    assert compute.calls == []


def test_system_admin_reads_services_and_hosts(projectless_app):
    headers = dict(SYSTEM_ADMIN, **{"OpenStack-API-Version": "container 1.4"})
    for path in ("/v1/services", "/v1/hosts", "/v1/availability_zones"):
        assert projectless_app.get(path, headers=headers).status_int == 200
    reader = dict(SYSTEM_ADMIN, **{"X-Roles": "reader"})
    assert projectless_app.get("/v1/services", headers=reader, status=403)
