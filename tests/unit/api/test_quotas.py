"""``/v1/quotas`` and ``/v1/quota_classes``: shapes, policy, validation, and
a create over quota refused with 403 and no row (real compute API, real DB,
a recording RPC client)."""
from __future__ import annotations

from typing import Iterator

import pytest
import webtest
from zunclient import client as zun_client

from tests.unit.api.conftest import ADMIN, ALICE, make_container, v
from tests.unit.api.test_zunclient_wire import endpoint  # noqa: F401 (fixture)
from tests.unit.compute.conftest import register_host
from zun.api import app as api_app
from zun.common import context as zun_context
from zun.common import policy
from zun.compute import api as compute_api
from zun.conf import CONF
from zun.db import api as db_api

DEFAULTS = {"containers": 40, "cpu": 20, "memory": 51200, "disk": 100}


def _put(app, path, body, headers=ADMIN, **kw):
    return app.put_json(path, body, headers=headers, **kw)


def _title(resp) -> str:
    return resp.json["errors"][0]["detail"]


def test_project_reads_its_own_quota_at_any_version(app):
    for version in ("1.1", "1.26", "1.40"):
        resp = app.get("/v1/quotas/proj-a", headers=v(version))
        assert resp.json == DEFAULTS


def test_other_projects_quota_is_forbidden(app):
    resp = app.get("/v1/quotas/proj-b", headers=ALICE, expect_errors=True)
    assert resp.status_int == 403
    assert app.get("/v1/quotas/proj-b", headers=ADMIN).json == DEFAULTS


def test_usages(app):
    make_container(cpu=1.5, memory="512", disk=3)
    resp = app.get("/v1/quotas/proj-a?usages=True", headers=ALICE)
    assert resp.json == {
        "containers": {"limit": 40, "in_use": 1}, "cpu": {"limit": 20, "in_use": 1.5},
        "memory": {"limit": 51200, "in_use": 512}, "disk": {"limit": 100, "in_use": 3}}
    assert app.get("/v1/quotas/proj-a?usages=False", headers=ALICE).json == DEFAULTS


def test_update_and_delete_are_admin_only(app):
    assert _put(app, "/v1/quotas/proj-a", {"cpu": 4}, ALICE,
                expect_errors=True).status_int == 403
    assert app.delete("/v1/quotas/proj-a", headers=ALICE,
                      expect_errors=True).status_int == 403
    resp = _put(app, "/v1/quotas/proj-a", {"cpu": 4, "containers": -1})
    assert resp.json == dict(DEFAULTS, cpu=4, containers=-1)
    assert app.get("/v1/quotas/proj-a", headers=ALICE).json["cpu"] == 4
    resp = app.delete("/v1/quotas/proj-a", headers=ADMIN)
    assert resp.status_int == 204 and resp.body == b""
    assert app.get("/v1/quotas/proj-a", headers=ALICE).json == DEFAULTS


@pytest.mark.parametrize("body,field", [
    ({"cpu": -2}, "cpu"), ({"memory": "10"}, "memory"), ({"disk": 1.5}, "disk"),
    ({"containers": True}, "containers"), ({"gpus": 1}, "gpus"),
    ({"cpu": 2 ** 31}, "cpu")])
def test_bad_bodies_are_400_naming_the_field(app, body, field):
    resp = _put(app, "/v1/quotas/proj-a", body, expect_errors=True)
    assert resp.status_int == 400
    assert "'%s'" % field in _title(resp)
    resp = _put(app, "/v1/quota_classes/default", body, expect_errors=True)
    assert resp.status_int == 400


def test_defaults_follow_the_default_class(app):
    assert app.get("/v1/quotas/proj-a/defaults", headers=ALICE).json == DEFAULTS
    assert app.get("/v1/quota_classes/default", headers=ALICE,
                   expect_errors=True).status_int == 403
    assert _put(app, "/v1/quota_classes/default", {"memory": 100}, ALICE,
                expect_errors=True).status_int == 403
    resp = _put(app, "/v1/quota_classes/default", {"memory": 100})
    assert resp.json == dict(DEFAULTS, memory=100)
    assert app.get("/v1/quota_classes/default", headers=ADMIN).json["memory"] == 100
    assert app.get("/v1/quotas/proj-a/defaults", headers=ALICE).json["memory"] == 100
    assert app.get("/v1/quotas/proj-a", headers=ALICE).json["memory"] == 100


class _Client:
    """The RPC client: records casts, sends nothing."""

    def __init__(self) -> None:
        self.casts: list = []
        self.app: webtest.TestApp | None = None

    def cast(self, context, host, method, **kwargs):
        self.casts.append((host, method))

    def call(self, context, host, method, **kwargs):
        raise AssertionError("no call expected")


@pytest.fixture
def client(db) -> Iterator[_Client]:
    """The real compute API behind the app, with a recording RPC client."""
    CONF.set_override("auth_strategy", "noauth", "api")
    policy.reset()
    recorder = _Client()
    recorder.app = webtest.TestApp(
        api_app.setup_app(compute_api=compute_api.API(recorder)))
    yield recorder
    CONF.clear_override("auth_strategy", "api")
    policy.reset()


def test_create_over_quota_is_403_and_writes_nothing(client):
    app = client.app
    register_host(zun_context.get_admin_context(), host="h1")
    db_api.quota_update(zun_context.get_admin_context(), "proj-a", {"containers": 1})
    body = {"image": "busybox", "memory": "64", "cpu": 0.5}
    assert app.post_json("/v1/containers", body, headers=ALICE).status_int == 202
    resp = app.post_json("/v1/containers", body, headers=ALICE, expect_errors=True)
    assert resp.status_int == 403
    assert _title(resp) == ("Quota exceeded for containers: requested 1, but "
                            "already used 1 of 1.")
    assert len(client.casts) == 1
    rows = db_api.container_list(zun_context.get_admin_context())
    assert len(rows) == 1


def test_zunclient_quota_commands(endpoint):  # noqa: F811
    zun = zun_client.Client("1.40", auth_token="notused", endpoint_override=endpoint)
    assert zun.quotas.get("p1")._info == DEFAULTS
    assert zun.quotas.update("p1", containers=5, cpu=4)._info == dict(
        DEFAULTS, containers=5, cpu=4)
    usages = zun.quotas.get("p1", usages=True)._info
    assert usages["containers"] == {"limit": 5, "in_use": 0}
    assert zun.quotas.defaults("p1")._info == DEFAULTS
    zun.quotas.delete("p1")
    assert zun.quotas.get("p1")._info == DEFAULTS
    assert zun.quota_classes.update("default", disk=7)._info == dict(DEFAULTS, disk=7)
    assert zun.quota_classes.get("default")._info["disk"] == 7


def test_over_quota_wins_over_no_valid_host(client):
    # no host at all: within quota the row is an Error one (it counts) ...
    db_api.quota_update(zun_context.get_admin_context(), "proj-a", {"cpu": 1})
    body = {"image": "busybox", "memory": "64", "cpu": 0.5}
    resp = client.app.post_json("/v1/containers", body, headers=ALICE)
    assert resp.status_int == 202 and resp.json["status"] == "Error"
    # ... over quota it is a 403 and no row at all
    resp = client.app.post_json("/v1/containers", dict(body, cpu=2.0), headers=ALICE,
                                expect_errors=True)
    assert resp.status_int == 403
    assert "Quota exceeded for cpu" in _title(resp)
    # the Error row's 0.5 cpu is charged: 0.6 more no longer fits
    resp = client.app.post_json("/v1/containers", dict(body, cpu=0.6), headers=ALICE,
                                expect_errors=True)
    assert resp.status_int == 403
    assert _title(resp) == ("Quota exceeded for cpu: requested 0.6, but already "
                            "used 0.5 of 1.")
    assert len(db_api.container_list(zun_context.get_admin_context())) == 1
