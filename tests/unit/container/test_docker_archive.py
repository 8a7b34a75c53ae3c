"""docker_archive: the bound on reading, the stat, and not-found told apart.

The engine is faked at the SDK's low-level helpers (``_get``, ``put_archive``)
the module calls; tests/functional/test_archive.py and the driver conformance
suite run the same code against a real engine.
"""
from __future__ import annotations

import base64
import functools
import json

import docker.errors
import pytest
import requests

from zun.common import exception
from zun.container.driver import docker_archive, docker_errors

URL = "unix:///run/docker.sock"
ERRORS = functools.partial(docker_errors.translate, URL)


def header(stat: dict) -> str:
    return base64.b64encode(json.dumps(stat).encode()).decode()


class Response:
    def __init__(self, chunks, stat, status=200, error=None):
        self.chunks = chunks
        self.headers = {docker_archive.STAT_HEADER: header(stat)} if stat else {}
        self.read = 0
        self.closed = False
        self.error = error

    def iter_content(self, size, decode):
        for chunk in self.chunks:
            assert len(chunk) <= size
            self.read += 1
            yield chunk

    def close(self):
        self.closed = True


class Api:
    def __init__(self, response=None, error=None):
        self.response = response
        self.error = error
        self.put = []

    def _url(self, template, *args):
        return template.format(*args)

    def _get(self, url, **kw):
        assert kw["stream"] and kw["params"] == {"path": "/p"}
        return self.response

    def _raise_for_status(self, response):
        if self.error:
            raise self.error

    def put_archive(self, container_id, path, data):
        if self.error:
            raise self.error
        self.put.append((container_id, path, data))
        return True


def api_error(cls, status, explanation):
    response = requests.Response()
    response.status_code = status
    return cls("error", response=response, explanation=explanation)


FILE = {"name": "p", "size": 10, "mode": 0o644, "mtime": "t", "linkTarget": ""}
DIR = dict(FILE, size=4096, mode=docker_archive.MODE_DIR | 0o755)


def test_reads_the_whole_archive_under_the_bound_and_closes():
    response = Response([b"a" * 10, b"b" * 10], FILE)
    data, stat = docker_archive.get(Api(response), ERRORS, "cid", "/p", 20)
    assert data == b"a" * 10 + b"b" * 10 and stat == FILE and response.closed


def test_stops_reading_past_the_bound():
    response = Response([b"x" * 10] * 1000, DIR)
    with pytest.raises(exception.ArchiveTooLarge) as info:
        docker_archive.get(Api(response), ERRORS, "cid", "/p", 25)
    assert info.value.code == 413 and "'/p'" in str(info.value)
    assert response.read == 3 and response.closed   # not one chunk more


def test_a_file_the_stat_says_is_too_large_is_not_read_at_all():
    response = Response([b"x" * 10], dict(FILE, size=100))
    with pytest.raises(exception.ArchiveTooLarge):
        docker_archive.get(Api(response), ERRORS, "cid", "/p", 50)
    assert response.read == 0 and response.closed


def test_stat_has_every_upstream_key():
    assert docker_archive.stat_of(header({"name": "x"})) == {
        "name": "x", "size": 0, "mode": 0, "mtime": "", "linkTarget": ""}
    assert docker_archive.stat_of("not base64 json")["name"] == ""
    assert docker_archive.stat_of(None)["size"] == 0


def test_missing_path_and_missing_container_are_told_apart():
    path_gone = api_error(docker.errors.NotFound, 404,
                          "Could not find the file /p in container zun-x")
    with pytest.raises(exception.ArchivePathNotFound) as info:
        docker_archive.get(Api(Response([], None), path_gone), ERRORS, "cid", "/p", 9)
    assert info.value.code == 404 and "/p" in str(info.value)
    gone = api_error(docker.errors.NotFound, 404, "No such container: cid")
    with pytest.raises(exception.RuntimeContainerNotFound):
        docker_archive.put(Api(error=gone), ERRORS, "cid", "/p", b"")


@pytest.mark.parametrize("status,explanation,kind", [
    (403, "container rootfs is marked read-only", exception.RuntimeOperationFailed),
    # Docker 24 answers 500 for it: still the caller's path, a 400
    (500, "extraction point is not a directory", exception.Invalid),
    (400, "bad parameter", exception.Invalid),
    (409, "container is paused", exception.RuntimeOperationFailed),
])
def test_engine_refusals_of_a_put_follow_the_error_table(status, explanation, kind):
    err = api_error(docker.errors.APIError, status, explanation)
    with pytest.raises(kind) as info:
        docker_archive.put(Api(error=err), ERRORS, "cid", "/p", b"tar")
    assert info.value.code < 500
    assert explanation in str(info.value) or "'path'" in str(info.value)


def test_put_hands_the_bytes_over_as_they_are():
    api = Api()
    docker_archive.put(api, ERRORS, "cid", "/p", b"tar")
    assert api.put == [("cid", "/p", b"tar")]
