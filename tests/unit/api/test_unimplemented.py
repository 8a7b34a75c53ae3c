"""Upstream top-level resources zun does not serve yet: a 404 naming the
feature for every method and sub-path, never the generic routing 404."""
from __future__ import annotations

import pytest

from tests.unit.api.conftest import ADMIN, ALICE, v
from zun.api.controllers import unimplemented

# The upstream v1 resources (reference/zun-api.md) and whether zun serves them.
UPSTREAM = {"containers": True, "hosts": True, "services": True, "quotas": True,
            "quota_classes": True, "availability_zones": True,
            "images": True, "capsules": False, "registries": True, "networks": False}


def test_every_upstream_resource_is_served_or_named():
    assert set(unimplemented.RESOURCES) == {r for r, served in UPSTREAM.items()
                                            if not served}


@pytest.mark.parametrize("resource", sorted(unimplemented.RESOURCES))
@pytest.mark.parametrize("method,suffix", [
    ("GET", ""), ("GET", "/"), ("POST", "/"), ("GET", "/some-uuid"),
    ("DELETE", "/some-uuid"), ("PATCH", "/some-uuid"), ("PUT", "/a/b"),
    ("GET", "/search?image=busybox&exact_match=True"),
])
def test_answers_404_naming_the_feature(app, resource, method, suffix):
    resp = app.request("/v1/%s%s" % (resource, suffix), method=method,
                       headers=v("1.40", ALICE), expect_errors=True)
    assert resp.status_int == 404
    error = resp.json["errors"][0]
    assert error["code"] == "container.feature_not_implemented"
    assert error["title"] == (
        "The %s API (/v1/%s) is not implemented by this zun yet (issue: %s)."
        % (resource, resource, unimplemented.RESOURCES[resource]))
    assert resp.headers["OpenStack-API-Version"] == "container 1.40"


def test_same_answer_for_admins_and_at_the_oldest_version(app):
    resp = app.get("/v1/capsules/", headers=v("1.1", ADMIN), expect_errors=True)
    assert resp.status_int == 404
    assert resp.json["errors"][0]["code"] == "container.feature_not_implemented"


def test_a_resource_upstream_never_had_stays_a_routing_404(app):
    resp = app.get("/v1/volumes", headers=ALICE, expect_errors=True)
    assert resp.status_int == 404
    assert resp.json["errors"][0]["code"] == "container.not_found"


def test_v1_document_does_not_advertise_them(app):
    body = app.get("/v1").json
    assert not set(unimplemented.RESOURCES) & set(body)


def test_openapi_documents_them_as_404():
    from zun.api import openapi
    paths = openapi.document()["paths"]
    for resource, issue in unimplemented.RESOURCES.items():
        op = paths["/v1/%s" % resource]["get"]
        assert issue in op["summary"]
        assert "404" in op["responses"]
        assert not any(code.startswith("2") for code in op["responses"])
