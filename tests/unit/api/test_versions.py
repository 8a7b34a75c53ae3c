"""Version discovery, microversion negotiation and the headers on every answer."""
from __future__ import annotations

import pytest

from tests.unit.api.conftest import ALICE, v
from zun.api import versions
from zun.common import exception


def _version_headers_ok(response, used: str) -> None:
    assert response.headers["OpenStack-API-Minimum-Version"] == "container 1.1"
    assert response.headers["OpenStack-API-Maximum-Version"] == "container 1.40"
    assert response.headers["OpenStack-API-Version"] == "container %s" % used
    assert "OpenStack-API-Version" in response.headers["Vary"]


def test_root_document_is_public_and_has_current_version(app):
    response = app.get("/", headers={"Host": "zun.example:9517"})
    body = response.json
    current = [x for x in body["versions"] if x["status"] == "CURRENT"]
    assert current == [body["default_version"]]
    assert current[0]["min_version"] == "1.1"
    assert current[0]["max_version"] == "1.40"
    assert current[0]["links"] == [{"href": "http://zun.example:9517/v1/",
                                    "rel": "self"}]
    assert response.content_type == "application/json"


def test_v1_document_lists_containers(app):
    for path in ("/v1", "/v1/"):
        body = app.get(path).json
        assert body["id"] == "v1"
        assert body["containers"][0]["href"] == "http://localhost/v1/containers/"


def test_no_header_means_minimum(app):
    _version_headers_ok(app.get("/v1/containers", headers=ALICE), "1.1")


def test_latest_means_maximum(app):
    _version_headers_ok(app.get("/v1/containers", headers=v("latest")), "1.40")


def test_requested_version_is_echoed(app):
    _version_headers_ok(app.get("/v1/containers", headers=v("1.12")), "1.12")


def test_legacy_header_is_accepted(app):
    headers = dict(ALICE, **{"X-OpenStack-Zun-API-Version": "1.18"})
    _version_headers_ok(app.get("/v1/containers", headers=headers), "1.18")


@pytest.mark.parametrize("value", ["container 1.41", "container 2.0",
                                   "container 1.0", "container garbage",
                                   "container 1.x", "a b c"])
def test_bad_or_out_of_range_version_is_406(app, value):
    headers = dict(ALICE, **{"OpenStack-API-Version": value})
    response = app.get("/v1/containers", headers=headers, status=406)
    error = response.json["errors"][0]
    assert error["status"] == 406
    assert error["code"] == "container.not_acceptable"
    assert "1.40" in error["title"]
    _version_headers_ok(response, "1.1")


def test_other_services_versions_are_ignored():
    assert versions.parse_header("compute 2.1") == versions.MIN_VERSION
    assert versions.parse_header("compute 2.1, container 1.20") == versions.Version(1, 20)


def test_version_ordering_is_numeric():
    assert versions.Version.parse("1.9") < versions.Version.parse("1.10")
    with pytest.raises(exception.NotAcceptable):
        versions.parse_header("container 1.100")


def test_healthcheck_is_public(app):
    response = app.get("/healthcheck")
    assert response.status_int == 200


def test_request_id_header_on_success_and_error(app):
    ok = app.get("/v1/containers", headers=ALICE)
    assert ok.headers["x-openstack-request-id"].startswith("req-")
    bad = app.get("/v1/containers/nope", headers=ALICE, status=404)
    request_id = bad.headers["x-openstack-request-id"]
    assert bad.json["errors"][0]["request_id"] == request_id


# --- the history: one row per microversion ------------------------------------
def test_history_has_exactly_one_row_per_version_in_order():
    listed = [change.version for change in versions.HISTORY]
    expected = [versions.Version(versions.MIN_VERSION.major, minor) for minor in
                range(versions.MIN_VERSION.minor, versions.MAX_VERSION.minor + 1)]
    assert listed == expected
    for change in versions.HISTORY:
        assert change.summary.strip(), change.version
        assert change.here == change.here.strip(), change.version


def test_history_names_each_create_field_where_it_appears():
    by_version = {change.version: change for change in versions.HISTORY}
    for field, introduced in versions.CREATE_FIELD_MIN_VERSION.items():
        assert "'%s'" % field in by_version[introduced].summary, (field, introduced)


def test_history_is_in_the_openapi_description():
    from zun.api import openapi
    description = openapi.document()["info"]["description"]
    for change in versions.HISTORY:
        assert "**%s** %s" % (change.version, change.summary) in description
        if change.here:
            assert change.here in description
