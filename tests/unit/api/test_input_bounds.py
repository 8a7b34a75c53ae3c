"""Request limits: body size (413), nesting, field and collection bounds,
NUL characters and ``since`` (400 naming the field); nothing is written."""
from __future__ import annotations

import base64
import io
import json

import pytest
import webtest

from tests.unit.api.conftest import ALICE, make_container, v
from zun.api.middleware import request_limits
from zun.common.context import RequestContext
from zun.conf import CONF
from zun.db.api import containers as db_containers

_JSON_HEADERS = dict(ALICE, **{"Content-Type": "application/json"})


def _error(response) -> dict:
    return response.json["errors"][0]


def _rows() -> list:
    return db_containers.container_list(RequestContext(user_id="alice",
                                                       project_id="proj-a"))


def _refused(app, compute, body, status=400, headers=None):
    """POST a create that must be refused, leaving no row and no call."""
    if not isinstance(body, bytes):
        body = json.dumps(body).encode("utf-8")
    response = app.post("/v1/containers", body, status=status,
                        headers=dict(headers or v("1.40"), **{"Content-Type": "application/json"}))
    assert compute.calls == []
    assert _rows() == []
    return response


# --- body size ---------------------------------------------------------------------
def test_body_over_the_limit_is_413_in_the_error_body(app, compute):
    CONF.set_override("max_request_body_size", 4096, "api")
    try:
        body = {"image": "busybox", "environment": {"A%d" % i: "x" * 100 for i in range(100)}}
        response = _refused(app, compute, body, status=413)
    finally:
        CONF.clear_override("max_request_body_size", "api")
    error = _error(response)
    assert error["status"] == 413
    assert error["code"] == "container.request_entity_too_large"
    assert "4096" in error["title"] and "max_request_body_size" in error["title"]


def test_body_of_unknown_length_is_read_only_up_to_the_limit(app, compute):
    raw = json.dumps({"image": "busybox", "workdir": "/" + "a" * 5000}).encode()
    # no Content-Length, as a chunked body arrives: read one byte past the limit
    request = webtest.TestRequest.blank(
        "/v1/containers", method="POST", headers=_JSON_HEADERS,
        environ={"wsgi.input": io.BytesIO(raw), "wsgi.input_terminated": True})
    request.environ.pop("CONTENT_LENGTH", None)
    CONF.set_override("max_request_body_size", 1024, "api")
    try:
        result = request.get_response(app.app)
    finally:
        CONF.clear_override("max_request_body_size", "api")
    assert result.status_int == 413
    assert json.loads(result.body)["errors"][0]["code"] == "container.request_entity_too_large"
    assert compute.calls == [] and _rows() == []


def test_default_limit_admits_a_full_injected_file(app, compute):
    content = base64.b64encode(b"\xff" * (1024 * 1024)).decode("ascii")
    body = {"image": "busybox",
            "mounts": [{"type": "bind", "source": content, "destination": "/etc/f"}]}
    app.post_json("/v1/containers", body, headers=v("1.40"), status=202)
    assert len(_rows()) == 1


# --- nesting and parsing -------------------------------------------------------------
def test_deeply_nested_json_is_400(app, compute):
    response = _refused(app, compute, b"[" * 100000)
    assert "nests too deeply" in _error(response)["title"]


def test_nesting_within_the_parser_but_over_the_bound_is_400(app, compute):
    body = b'{"image": "busybox", "labels": ' + b"[" * 100 + b"]" * 100 + b"}"
    response = _refused(app, compute, body)
    assert "nests too deeply" in _error(response)["title"]


def test_depth_bound():
    assert not request_limits.deeper_than({"a": [{"b": 1}]}, 3)
    assert request_limits.deeper_than({"a": [{"b": [1]}]}, 3)
    assert not request_limits.deeper_than("scalar", 0)


# --- field bounds --------------------------------------------------------------------
@pytest.mark.parametrize("field, value", [
    ("workdir", "/" + "w" * 5000),
    ("image", "i" * 256),
    ("name", "n" * 256),
    ("runtime", "r" * 256),
    ("hostname", "h" * 64),
    ("availability_zone", "z" * 256),
    ("environment", {"K%d" % i: "v" for i in range(1025)}),
    ("environment", {"k" * 256: "v"}),
    ("labels", {"l%d" % i: "v" for i in range(257)}),
    ("labels", {"l": "v" * 4097}),
    ("hints", {"h%d" % i: "v" for i in range(65)}),
    ("hints", {"h": "v" * 256}),
    ("command", ["x"] * 1025),
    ("entrypoint", ["e" * 131073]),
    ("security_groups", ["default"] * 65),
])
def test_oversized_field_is_400_naming_it(app, compute, field, value):
    response = _refused(app, compute, {"image": "busybox", field: value}
                        if field != "image" else {"image": value})
    title = _error(response)["title"]
    assert title.startswith("Invalid input for field '%s" % field), title


def test_bounds_at_the_edge_are_accepted(app, compute):
    body = {"image": "i" * 255, "workdir": "/" + "w" * 254,
            "environment": {"K%d" % i: "v" for i in range(1024)},
            "command": ["x"] * 1024}
    app.post_json("/v1/containers", body, headers=v("1.40"), status=202)


def test_oversized_update_and_rebuild_fields_are_400(app, compute):
    make_container(name="c1")
    response = app.patch_json("/v1/containers/c1", {"cpu": "1" * 40},
                              headers=v("1.40"), status=400)
    assert "'cpu'" in _error(response)["title"]
    response = app.post_json("/v1/containers/c1/rebuild", {"image": "i" * 256},
                             headers=v("1.40"), status=400)
    assert "'image'" in _error(response)["title"]
    assert compute.calls == []


# --- NUL characters --------------------------------------------------------------------
@pytest.mark.parametrize("body, field", [
    ({"image": "busy\x00box"}, "image"),
    ({"image": "busybox", "environment": {"A": "b\x00"}}, "environment.A"),
    ({"image": "busybox", "command": ["sh", "-c\x00"]}, "command.1"),
    ({"image": "busybox", "labels": {"a\x00b": "c"}}, "labels.a\\x00b"),
])
def test_nul_in_any_string_is_400_naming_the_field(app, compute, body, field):
    response = _refused(app, compute, body)
    title = _error(response)["title"]
    assert title.startswith("Invalid input for field '%s'" % field), title
    assert "NUL" in title


@pytest.mark.parametrize("method,path,field", [
    ("post", "/v1/containers/c1/rebuild?image=busy%00box", "image"),
    # a list filter reaches the DB: PostgreSQL cannot compare a NUL
    ("get", "/v1/containers?image=%00%C3%97", "image"),
    ("get", "/v1/containers?name=x&unknown%00=1", "unknown\\x00"),
])
def test_nul_in_a_query_parameter_is_400(app, compute, method, path, field):
    make_container(name="c1")
    response = getattr(app, method)(path, headers=ALICE, status=400)
    assert "query parameter '%s'" % field in _error(response)["title"]
    assert compute.calls == []


def test_nul_in_the_path_is_400(app, compute):
    response = app.get("/v1/containers/c1%00x", headers=ALICE, status=400)
    assert "field 'path'" in _error(response)["title"]
    assert compute.calls == []


# --- logs since ----------------------------------------------------------------------
@pytest.mark.parametrize("since", ["9" * 5000, "99999999999999", "yesterday",
                                   "2024-13-01T00:00:00", "1.5e9"])
def test_bad_since_is_400_naming_it(app, compute, since):
    make_container(name="c1")
    response = app.get("/v1/containers/c1/logs?since=%s" % since,
                       headers=ALICE, status=400)
    assert "'since'" in _error(response)["title"]
    assert compute.calls == []


@pytest.mark.parametrize("since", ["0", "1700000000", "2024-01-31T12:00:00Z",
                                   "2024-01-31T12:00:00+02:00", "2024-01-31"])
def test_good_since_is_passed_on(app, compute, since):
    make_container(name="c1")
    app.get("/v1/containers/c1/logs?since=%s" % since.replace("+", "%2B"),
            headers=ALICE)
    _, kwargs = compute.last("container_logs")
    assert kwargs["since"] == since
