"""``/v1/images`` on the real app, DB layer and compute API, with a recording
RPC client (the agent's part is tests/unit/compute/test_images.py)."""
from __future__ import annotations

from typing import Any

import pytest
import webtest

from tests.unit.api.conftest import ADMIN, ALICE, make_container, v
from zun.api import app as api_app
from zun.common import policy
from zun.common.context import get_admin_context
from zun.compute import api as compute_api
from zun.conf import CONF
from zun.db import api as db_api
from zun.db.api import images as image_rows

UUID0 = "00000000-0000-0000-0000-000000000000"


class RecordingRPC:
    """Casts are recorded; the image_delete call does what the agent would
    (forget the row) unless told to raise."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str, dict[str, Any]]] = []
        self.raise_on: dict[str, Exception] = {}

    def _record(self, how: str, host: str, method: str, kwargs: dict[str, Any]) -> None:
        self.sent.append((how, host, method, kwargs))
        if method in self.raise_on:
            raise self.raise_on[method]

    def cast(self, context, host, method, version="1.0", **kwargs):
        assert version == "1.2"
        self._record("cast", host, method, kwargs)

    def call(self, context, host, method, version="1.0", **kwargs):
        assert version == "1.2"
        self._record("call", host, method, kwargs)
        if method == "image_delete":
            db_api.image_destroy(get_admin_context(), kwargs["uuid"])
        if method == "container_commit":
            db_api.image_update(get_admin_context(), kwargs["image_uuid"],
                                {"status": image_rows.AVAILABLE, "image_id": "sha256:c"})


@pytest.fixture
def rpc() -> RecordingRPC:
    return RecordingRPC()


@pytest.fixture
def app(db, rpc):
    CONF.set_override("auth_strategy", "noauth", "api")
    policy.reset()
    yield webtest.TestApp(api_app.setup_app(compute_api=compute_api.API(rpc_client=rpc)))
    CONF.clear_override("auth_strategy", "api")
    CONF.clear_override("search_registries", "registry")
    policy.reset()


def add_service(host: str = "host1", **values: Any) -> None:
    row = {"driver": "docker", "capabilities": ["create", "image"], "rpc_version": "1.2"}
    row.update(values)
    db_api.service_heartbeat(get_admin_context(), host, "zun-compute", row)


def pull(app, body: dict, headers: dict | None = None, status: int = 202):
    return app.post_json("/v1/images/", body, headers=headers or v("1.40", ADMIN),
                         status=status)


# --- pull ---------------------------------------------------------------------
def test_pull_writes_a_pulling_row_and_casts_to_the_host(app, rpc):
    add_service()
    resp = pull(app, {"repo": "busybox:latest", "host": "host1"})
    body = resp.json
    assert body["repo"] == "busybox" and body["tag"] == "latest"
    assert body["status"] == image_rows.PULLING and body["host"] == "host1"
    assert resp.headers["Location"].endswith("/v1/images/%s" % body["uuid"])
    assert rpc.sent == [("cast", "host1", "image_pull", {"uuid": body["uuid"]})]


def test_pull_tag_apart_and_default_latest(app):
    add_service()
    assert pull(app, {"repo": "busybox", "host": "host1", "tag": "1.36"}).json["tag"] == "1.36"
    assert pull(app, {"repo": "alpine", "host": "host1"}).json["tag"] == "latest"
    # a registry with a port keeps its colon in the repo
    CONF.set_override("allow", ["127.0.0.1:5000"], "registry")
    try:
        body = pull(app, {"repo": "127.0.0.1:5000/zun-test/busybox:1", "host": "host1"}).json
    finally:
        CONF.clear_override("allow", "registry")
    assert (body["repo"], body["tag"]) == ("127.0.0.1:5000/zun-test/busybox", "1")


@pytest.mark.parametrize("body,field", [
    ({"repo": "Bad Name!", "host": "host1"}, "repo"),
    ({"repo": "busybox@sha256:" + "a" * 64, "host": "host1"}, "repo"),
    ({"repo": "busybox:1", "tag": "2", "host": "host1"}, "tag"),
    ({"repo": "busybox", "tag": "-x", "host": "host1"}, "tag"),
    ({"repo": "busybox"}, "host"),
    ({"repo": "busybox", "host": "host1", "size": 1}, "size"),
    ({"repo": "", "host": "host1"}, "repo"),
])
def test_pull_bad_input_is_a_400_naming_the_field(app, rpc, body, field):
    add_service()
    resp = pull(app, body, status=400)
    assert "'%s'" % field in resp.json["errors"][0]["title"], resp.json
    assert rpc.sent == [] and db_api.image_list(get_admin_context()) == []


def test_pull_unknown_host_is_a_400_naming_host(app, rpc):
    resp = pull(app, {"repo": "busybox", "host": "nowhere"}, status=400)
    assert "'host'" in resp.json["errors"][0]["title"]
    assert rpc.sent == [] and db_api.image_list(get_admin_context()) == []


def test_pull_from_a_loopback_registry_is_refused_unless_allowed(app, rpc):
    add_service()
    resp = pull(app, {"repo": "127.0.0.1:5000/x", "host": "host1"}, status=400)
    assert resp.json["errors"][0]["code"] == "container.registry_not_allowed"
    assert rpc.sent == []


def test_pull_on_a_host_without_images_or_too_old(app, rpc):
    add_service("rkt1", driver="rkt", capabilities=[])
    assert pull(app, {"repo": "busybox", "host": "rkt1"}, status=400).json[
        "errors"][0]["code"] == "container.unsupported_operation"
    add_service("old1", rpc_version="1.1")
    assert "RPC API 1.1" in pull(app, {"repo": "busybox", "host": "old1"},
                                 status=409).json["errors"][0]["title"]
    assert rpc.sent == []


def test_pull_again_refreshes_the_row_but_not_while_pulling(app, rpc):
    add_service()
    first = pull(app, {"repo": "busybox", "host": "host1"}).json
    assert pull(app, {"repo": "busybox:latest", "host": "host1"}, status=409)
    db_api.image_update(get_admin_context(), first["uuid"],
                        {"status": image_rows.AVAILABLE})
    again = pull(app, {"repo": "busybox", "host": "host1"}).json
    assert again["uuid"] == first["uuid"] and again["status"] == image_rows.PULLING
    assert len(db_api.image_list(get_admin_context())) == 1


def test_pull_with_the_bus_down_is_a_503_and_the_row_says_error(app, rpc):
    from zun.common import exception
    add_service()
    rpc.raise_on["image_pull"] = exception.ServiceUnavailable(reason="bus away")
    pull(app, {"repo": "busybox", "host": "host1"}, status=503)
    (row,) = db_api.image_list(get_admin_context())
    assert row.status == image_rows.ERROR and "bus away" in row.status_reason


# --- list / show ---------------------------------------------------------------
def test_list_and_show(app):
    add_service()
    uuid = pull(app, {"repo": "busybox", "host": "host1"}).json["uuid"]
    listing = app.get("/v1/images/", headers=v("1.40", ADMIN)).json
    assert [i["uuid"] for i in listing["images"]] == [uuid]
    assert {"uuid", "image_id", "repo", "tag", "size"} <= set(listing["images"][0])
    assert app.get("/v1/images", headers=v("1.40", ADMIN)).json == listing
    shown = app.get("/v1/images/%s" % uuid, headers=v("1.40", ADMIN)).json
    assert shown["repo"] == "busybox"
    assert app.get("/v1/images/?host=other", headers=v("1.40", ADMIN)).json[
        "images"] == []
    assert app.get("/v1/images/%s" % UUID0, headers=v("1.40", ADMIN),
                   status=404).json["errors"][0]["code"] == "container.image_record_not_found"
    app.get("/v1/images/not-a-uuid", headers=v("1.40", ADMIN), status=404)
    app.get("/v1/images/?bogus=1", headers=v("1.40", ADMIN), status=400)
    app.get("/v1/images/?sort_key=nope", headers=v("1.40", ADMIN), status=400)


def test_list_pages(app):
    add_service()
    uuids = [pull(app, {"repo": "img%d" % i, "host": "host1"}).json["uuid"] for i in range(3)]
    page = app.get("/v1/images/?limit=2", headers=v("1.40", ADMIN)).json
    assert [i["uuid"] for i in page["images"]] == uuids[:2] and page["next"]
    rest = app.get("/v1/images/?limit=2&marker=%s" % uuids[1], headers=v("1.40", ADMIN)).json
    assert [i["uuid"] for i in rest["images"]] == uuids[2:] and rest["next"] is None


# --- policies ---------------------------------------------------------------------
@pytest.mark.parametrize("method,path", [
    ("GET", "/v1/images/"), ("GET", "/v1/images/%s" % UUID0),
    ("POST", "/v1/images/"), ("DELETE", "/v1/images/%s" % UUID0)])
def test_members_may_not_touch_host_images(app, rpc, method, path):
    add_service()
    kwargs: dict[str, Any] = {}
    if method == "POST":
        kwargs = {"body": b'{"repo": "busybox", "host": "host1"}',
                  "content_type": "application/json"}
    resp = app.request(path, method=method, headers=v("1.40", ALICE),
                       expect_errors=True, **kwargs)
    assert resp.status_int == 403, resp.text
    assert rpc.sent == []


# --- delete -------------------------------------------------------------------------
def _available(app, repo: str = "busybox") -> str:
    add_service()
    uuid = pull(app, {"repo": repo, "host": "host1"}).json["uuid"]
    db_api.image_update(get_admin_context(), uuid, {"status": image_rows.AVAILABLE,
                                                     "image_id": "sha256:1"})
    return uuid


def test_delete_asks_the_host_and_answers_204(app, rpc):
    uuid = _available(app)
    resp = app.delete("/v1/images/%s" % uuid, headers=v("1.40", ADMIN), status=204)
    assert resp.body == b""
    assert rpc.sent[-1] == ("call", "host1", "image_delete", {"uuid": uuid})
    app.get("/v1/images/%s" % uuid, headers=v("1.40", ADMIN), status=404)


def test_delete_of_an_image_in_use_on_its_host_is_a_409(app, rpc):
    uuid = _available(app)
    # another spelling of the same image, on the same host
    make_container(image="docker.io/library/busybox:latest", host="host1")
    resp = app.delete("/v1/images/%s" % uuid, headers=v("1.40", ADMIN), status=409)
    assert resp.json["errors"][0]["code"] == "container.image_in_use"
    assert [s for s in rpc.sent if s[2] == "image_delete"] == []
    app.get("/v1/images/%s" % uuid, headers=v("1.40", ADMIN), status=200)


def test_delete_ignores_containers_of_other_hosts_and_images(app):
    uuid = _available(app)
    make_container(image="busybox", host="host2", name="elsewhere")
    make_container(image="busybox:1.36", host="host1", name="othertag")
    app.delete("/v1/images/%s" % uuid, headers=v("1.40", ADMIN), status=204)


def test_delete_while_pulling_is_a_409(app):
    add_service()
    uuid = pull(app, {"repo": "busybox", "host": "host1"}).json["uuid"]
    app.delete("/v1/images/%s" % uuid, headers=v("1.40", ADMIN), status=409)


def test_delete_that_the_engine_refuses_keeps_the_row(app, rpc):
    from zun.common import exception
    uuid = _available(app)
    rpc.raise_on["image_delete"] = exception.RuntimeOperationFailed(
        reason="image is being used by stopped container 123")
    app.delete("/v1/images/%s" % uuid, headers=v("1.40", ADMIN), status=409)
    app.get("/v1/images/%s" % uuid, headers=v("1.40", ADMIN), status=200)


# --- search ----------------------------------------------------------------------------
def test_search_with_no_registries_is_empty_and_says_why(app):
    resp = app.get("/v1/images/busybox/search?image_driver=docker&exact_match=False",
                   headers=v("1.40", ALICE))
    assert resp.json == []
    assert "search_registries" in resp.headers["Warning"]


def test_search_needs_an_image_and_the_docker_driver(app):
    app.get("/v1/images/search", headers=v("1.40", ALICE), status=400)
    resp = app.get("/v1/images/busybox/search?image_driver=glance",
                   headers=v("1.40", ALICE), status=400)
    assert "'image_driver'" in resp.json["errors"][0]["title"]


def test_search_reads_the_catalog_and_tags(app, monkeypatch):
    from zun.api import image_search
    pages = {"http://reg:5000/v2/_catalog?n=1000": {"repositories": ["zun-test/busybox",
                                                                     "other/thing"]},
             "http://reg:5000/v2/zun-test/busybox/tags/list": {"tags": ["2", "1"]}}
    monkeypatch.setattr(image_search, "_get", lambda url: pages[url])
    CONF.set_override("search_registries", ["reg:5000"], "registry")
    for path in ("/v1/images/zun-test/busybox/search",
                 "/v1/images/search?image=busybox"):
        found = app.get(path, headers=v("1.40", ALICE)).json
        assert found == [{"id": None, "name": "reg:5000/zun-test/busybox",
                          "tags": ["1", "2"], "status": None, "size": None,
                          "metadata": {"registry": "reg:5000"}}], path
    exact = app.get("/v1/images/search?image=busybox&exact_match=True",
                    headers=v("1.40", ALICE)).json
    assert exact == []


def test_search_skips_a_registry_that_fails_and_says_so(app, monkeypatch):
    import requests

    from zun.api import image_search

    def broken(url):
        raise requests.ConnectionError("refused")
    monkeypatch.setattr(image_search, "_get", broken)
    CONF.set_override("search_registries", ["reg:5000"], "registry")
    resp = app.get("/v1/images/search?image=x", headers=v("1.40", ALICE))
    assert resp.json == [] and "reg:5000" in resp.headers["Warning"]


# --- commit -------------------------------------------------------------------------------
def _committable(**values: Any):
    add_service(capabilities=["create", "image", "commit"])
    return make_container(**values)


def test_commit_answers_202_with_the_image_row(app, rpc):
    row = _committable()
    resp = app.post("/v1/containers/%s/commit?repository=mine/snap&tag=v1" % row.uuid,
                    headers=v("1.40", ALICE), status=202)
    uuid = resp.json["uuid"]
    assert rpc.sent[-1] == ("call", "host1", "container_commit",
                            {"uuid": row.uuid, "image_uuid": uuid})
    image = db_api.image_get(get_admin_context(), uuid)
    assert (image.repo, image.tag, image.host, image.status) == (
        "mine/snap", "v1", "host1", image_rows.AVAILABLE)
    assert [a.action for a in db_api.actions_get(get_admin_context(), row.uuid)] == [
        "commit"]
    # zunclient's form: the tag inside repository, tag=None
    again = app.post("/v1/containers/%s/commit?repository=mine/snap:v2&tag=None"
                     % row.uuid, headers=v("1.40", ALICE), status=202).json["uuid"]
    assert db_api.image_get(get_admin_context(), again).tag == "v2"


@pytest.mark.parametrize("query,field", [
    ("", "repository"), ("?repository=Bad!", "repository"),
    ("?repository=a:1&tag=2", "tag"), ("?repository=a&tag=-x", "tag"),
    ("?repository=a&bogus=1", "bogus")])
def test_commit_bad_input_is_a_400(app, rpc, query, field):
    row = _committable()
    resp = app.post("/v1/containers/%s/commit%s" % (row.uuid, query),
                    headers=v("1.40", ALICE), status=400)
    assert field in resp.json["errors"][0]["title"]
    assert rpc.sent == [] and db_api.image_list(get_admin_context()) == []


def test_commit_of_a_container_being_deleted_is_a_409(app, rpc):
    row = _committable(task_state="container_deleting")
    app.post("/v1/containers/%s/commit?repository=a" % row.uuid,
             headers=v("1.40", ALICE), status=409)
    created = _committable(name="c2", status="Created")
    app.post("/v1/containers/%s/commit?repository=a" % created.uuid,
             headers=v("1.40", ALICE), status=409)
    assert rpc.sent == [] and db_api.image_list(get_admin_context()) == []


def test_commit_of_another_projects_container_is_a_404(app, rpc):
    row = _committable(project="proj-b", user="bob")
    app.post("/v1/containers/%s/commit?repository=a" % row.uuid,
             headers=v("1.40", ALICE), status=404)
