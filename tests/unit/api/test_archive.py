"""GET get_archive / POST put_archive (zun cp): encodings by microversion,
bounds, bad input and what reaches the compute API."""
from __future__ import annotations

import base64
import io
import json
import tarfile

import pytest

from tests.unit.api.conftest import ALICE, BOB, make_container, v
from zun.common import archive, exception
from zun.conf import CONF

READER = dict(ALICE, **{"X-Roles": "reader"})


def tar_of(name: str = "f.txt", content: bytes = b"hello") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def small_bound():
    CONF.set_override("max_archive_size", 2048, "api")
    yield 2048
    CONF.clear_override("max_archive_size", "api")


def error_of(response) -> dict:
    return response.json["errors"][0]


# --- get_archive -----------------------------------------------------------------
def test_get_is_base64_from_1_25_as_the_agent_sent_it(app, compute):
    make_container()
    tar = tar_of()
    compute.archive_result = (b64(tar), {"name": "f.txt", "size": 5, "mode": 420,
                                         "mtime": "t", "linkTarget": ""})
    body = app.get("/v1/containers/c1/get_archive?path=/tmp/f.txt",
                   headers=v("1.25")).json
    assert base64.b64decode(body["data"]) == tar
    assert body["stat"] == {"name": "f.txt", "size": 5, "mode": 420, "mtime": "t",
                            "linkTarget": ""}
    args, _ = compute.last("container_get_archive")
    assert args[2:] == ("/tmp/f.txt", CONF.api.max_archive_size)


def test_get_is_raw_text_before_1_25(app, compute):
    make_container()
    tar = tar_of(content="é".encode())
    compute.archive_result = (b64(tar), {"name": "f.txt"})
    body = app.get("/v1/containers/c1/get_archive?path=/f.txt", headers=v("1.24")).json
    # python-zunclient reads it back with str.encode() (UTF-8)
    assert body["data"].encode() == tar


def test_get_of_binary_content_before_1_25_is_406_naming_the_way_out(app, compute):
    make_container()
    compute.archive_result = (b64(tar_of(content=b"\xff\xfe")), {})
    resp = app.get("/v1/containers/c1/get_archive?path=/bin/x", headers=v("1.1"),
                   status=406)
    assert "1.25" in error_of(resp)["detail"] and "/bin/x" in error_of(resp)["detail"]


@pytest.mark.parametrize("query,why", [
    ("", "required"),
    ("?path=", "required"),
    ("?path=tmp/x", "absolute"),
    ("?path=/" + "a" * 4096, "longer than 4096"),
])
def test_bad_paths_are_400_naming_path(app, compute, query, why):
    make_container()
    resp = app.get("/v1/containers/c1/get_archive" + query, headers=v("1.25"), status=400)
    assert "'path'" in error_of(resp)["detail"] and why in error_of(resp)["detail"]
    resp = app.post("/v1/containers/c1/put_archive" + query, json.dumps({"data": ""}),
                    headers=dict(v("1.25"), **{"Content-Type": "application/json"}),
                    status=400)
    assert "'path'" in error_of(resp)["detail"]
    assert "container_get_archive" not in compute.names()


def test_nul_in_path_is_400(app):
    make_container()
    resp = app.get("/v1/containers/c1/get_archive?path=/a%00b", headers=v("1.25"),
                   status=400)
    assert "path" in error_of(resp)["detail"]


def test_missing_path_in_the_container_is_404(app, compute):
    make_container()
    compute.raise_on["container_get_archive"] = exception.ArchivePathNotFound(path="/x")
    resp = app.get("/v1/containers/c1/get_archive?path=/x", headers=v("1.25"), status=404)
    assert error_of(resp)["code"] == "container.archive_path_not_found"
    assert "/x" in error_of(resp)["detail"]


def test_too_large_archive_out_is_413(app, compute):
    make_container()
    compute.raise_on["container_get_archive"] = exception.ArchiveTooLarge(
        what="The archive of path '/'", limit=8)
    resp = app.get("/v1/containers/c1/get_archive?path=/", headers=v("1.25"), status=413)
    assert error_of(resp)["code"] == "container.archive_too_large"
    assert "max_archive_size" in error_of(resp)["detail"]


@pytest.mark.parametrize("status", ["Error", "Creating", "Deleted", "Dead"])
def test_statuses_outside_the_table_are_409(app, status):
    make_container(status=status)
    app.get("/v1/containers/c1/get_archive?path=/x", headers=v("1.25"), status=409)
    app.post_json("/v1/containers/c1/put_archive?path=/x", {"data": b64(tar_of())},
                  headers=v("1.25"), status=409)


def test_another_projects_container_is_404(app, compute):
    make_container()
    app.get("/v1/containers/c1/get_archive?path=/x", headers=v("1.25", BOB), status=404)
    assert "container_get_archive" not in compute.names()


def test_readers_may_not_copy_out_or_in(app, compute):
    make_container()
    app.get("/v1/containers/c1/get_archive?path=/x", headers=v("1.25", READER),
            status=403)
    app.post_json("/v1/containers/c1/put_archive?path=/x", {"data": b64(tar_of())},
                  headers=v("1.25", READER), status=403)
    assert compute.names() == []


# --- put_archive -----------------------------------------------------------------
def test_put_passes_base64_through_unchanged_and_answers_200(app, compute):
    make_container()
    data = b64(tar_of())
    resp = app.post_json("/v1/containers/c1/put_archive?path=/tmp", {"data": data},
                         headers=v("1.25"), status=200)
    assert resp.json is None   # upstream's answer: a JSON null
    args, _ = compute.last("container_put_archive")
    assert args[2:] == ("/tmp", data)


def test_put_before_1_25_takes_the_archive_as_text(app, compute):
    make_container()
    tar = tar_of(content="é".encode())
    # what python-zunclient sends: jsonutils.dumps of the bytes (UTF-8 text)
    app.post("/v1/containers/c1/put_archive?path=/tmp",
             json.dumps({"data": tar.decode("utf-8")}),
             headers=dict(v("1.24"), **{"Content-Type": "application/json"}), status=200)
    args, _ = compute.last("container_put_archive")
    assert base64.b64decode(args[3]) == tar


@pytest.mark.parametrize("body,why", [
    ({"data": "not base64!"}, "not valid base64"),
    ({"data": "abc"}, "not valid base64"),
    ({"data": 12}, "must be a string"),
    ({}, "required"),
])
def test_bad_data_is_400_naming_data(app, compute, body, why):
    make_container()
    resp = app.post_json("/v1/containers/c1/put_archive?path=/tmp", body,
                         headers=v("1.25"), status=400)
    assert "'data'" in error_of(resp)["detail"] and why in error_of(resp)["detail"]
    assert "container_put_archive" not in compute.names()


def test_unknown_field_is_400(app):
    make_container()
    resp = app.post_json("/v1/containers/c1/put_archive?path=/tmp",
                         {"data": b64(tar_of()), "mode": 1}, headers=v("1.25"), status=400)
    assert "'mode'" in error_of(resp)["detail"]


def test_archive_over_the_bound_is_413(app, compute, small_bound):
    make_container()
    resp = app.post_json("/v1/containers/c1/put_archive?path=/tmp",
                         {"data": b64(b"\0" * (small_bound + 1))}, headers=v("1.25"),
                         status=413)
    assert error_of(resp)["code"] == "container.archive_too_large"
    assert "max_archive_size" in error_of(resp)["detail"]
    # exactly at the bound: accepted
    app.post_json("/v1/containers/c1/put_archive?path=/tmp",
                  {"data": b64(b"\0" * small_bound)}, headers=v("1.25"), status=200)
    # raw, before 1.25: the same bound on the archive's bytes
    resp = app.post_json("/v1/containers/c1/put_archive?path=/tmp",
                         {"data": "x" * (small_bound + 1)}, headers=v("1.1"), status=413)
    assert error_of(resp)["code"] == "container.archive_too_large"


def test_put_body_may_exceed_the_general_body_limit_up_to_the_archive_bound(app, compute):
    make_container()
    general = CONF.api.max_request_body_size
    data = b64(b"\0" * (general + 1024))   # over the general limit, under the archive's
    assert general < len(data) < archive.body_limit(CONF.api.max_archive_size)
    app.post_json("/v1/containers/c1/put_archive?path=/tmp", {"data": data},
                  headers=v("1.25"), status=200)
    # every other route keeps the general limit
    resp = app.post_json("/v1/containers/c1/rename", {"name": "x" * (general + 10)},
                         headers=v("1.1"), status=413)
    assert error_of(resp)["code"] == "container.request_entity_too_large"


@pytest.fixture
def small_body():
    CONF.set_override("max_request_body_size", 1024, "api")
    yield
    CONF.clear_override("max_request_body_size", "api")


def test_put_body_over_its_limit_is_413_naming_the_archive_bound(app, small_bound,
                                                                 small_body):
    make_container()
    limit = archive.body_limit(small_bound)
    resp = app.post("/v1/containers/c1/put_archive?path=/tmp", "x" * (limit + 1),
                    headers=dict(v("1.25"), **{"Content-Type": "application/json"}),
                    status=413)
    error = error_of(resp)
    assert error["code"] == "container.archive_too_large"
    assert "max_archive_size" in error["detail"] and str(small_bound) in error["detail"]


def test_a_bad_tar_from_the_agent_is_400(app, compute):
    make_container()
    compute.raise_on["container_put_archive"] = exception.invalid_field(
        "data", reason="It is not an uncompressed tar archive (invalid header).")
    resp = app.post_json("/v1/containers/c1/put_archive?path=/tmp",
                         {"data": b64(b"garbage!")}, headers=v("1.25"), status=400)
    assert "'data'" in error_of(resp)["detail"]
