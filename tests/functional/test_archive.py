"""Copy in and out (get_archive / put_archive, ``zun cp``) against a real
zun-all and Docker: what goes in comes back out at both encodings, the
bound holds both ways, bad input is a 4xx naming its field, and the real
CLIs (``zun cp``, ``openstack appcontainer cp``) work in both directions.

Each runs on zun-all and on zun-api + zun-compute over RabbitMQ. The
deployment's ``[api] max_archive_size`` is small (256 KiB) so the 413
cases move little data; files under it are copied whole.
"""
from __future__ import annotations

import base64
import io
import tarfile
from urllib.parse import quote

import pytest

from tests.functional import harness
from tests.functional.test_cli import osc, zun_cli
from tests.functional.token_stub import TokenStub

BOUND = 256 * 1024
PROJECT = "noauth"   # what the CLIs' requests run as in noauth mode


@pytest.fixture(scope="module", params=["all", "split"])
def zun(request, docker_client):
    """zun-all, then zun-api + zun-compute over RabbitMQ (the archive and
    the errors crossing a real bus)."""
    extra = "[api]\nmax_archive_size = %d\n" % BOUND
    kwargs = {}
    if request.param == "split":
        kwargs["transport_url"] = request.getfixturevalue("transport_url")
    with harness.running(request, mode=request.param, extra_conf=extra,
                         **kwargs) as deployment:
        yield deployment


@pytest.fixture(scope="module")
def api(zun):
    return harness.ApiClient(zun.url, project=PROJECT, user="noauth", roles="member")


@pytest.fixture(scope="module")
def box(api):
    """A running container of the CLIs' project."""
    body = api.run(name="cp-box")
    api.wait_status(body["uuid"], "Running")
    yield body["uuid"]
    api.delete("/v1/containers/%s?stop=true" % body["uuid"])


def tar_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(content))
    return out.getvalue()


def members(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def put(api, uuid, path, data, version="1.40"):
    return api.post("/v1/containers/%s/put_archive?path=%s" % (uuid, quote(path)),
                    {"data": data}, version=version)


def get(api, uuid, path, version="1.40"):
    return api.get("/v1/containers/%s/get_archive?path=%s" % (uuid, quote(path)),
                   version=version)


def error(resp) -> dict:
    return resp.json()["errors"][0]


def in_container(docker_client, uuid, *command) -> str:
    result = docker_client.containers.get("zun-%s" % uuid).exec_run(list(command))
    assert result.exit_code == 0, result.output
    return result.output.decode(errors="replace")


# --- the API ---------------------------------------------------------------------
def test_put_then_get_back_in_base64(api, box, docker_client):
    content = bytes(range(256)) * 40      # binary, 10 KiB
    resp = put(api, box, "/tmp", b64(tar_of({"bin.dat": content})))
    assert resp.status_code == 200, resp.text
    assert resp.json() is None
    assert in_container(docker_client, box, "wc", "-c", "/tmp/bin.dat").split()[0] == "10240"
    resp = get(api, box, "/tmp/bin.dat")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert members(base64.b64decode(body["data"])) == {"bin.dat": content}
    assert body["stat"]["name"] == "bin.dat" and body["stat"]["size"] == 10240
    assert set(body["stat"]) == {"name", "size", "mode", "mtime", "linkTarget"}


def test_put_then_get_back_raw_before_1_25(api, box):
    # what python-zunclient (and tempest's legacy test) send below 1.25: the
    # tar's bytes as the characters of a JSON string
    tar = tar_of({"legacy.txt": "héllo raw\n".encode()})
    resp = put(api, box, "/tmp", tar.decode("utf-8"), version="1.24")
    assert resp.status_code == 200, resp.text
    resp = get(api, box, "/tmp/legacy.txt", version="1.24")
    assert resp.status_code == 200, resp.text
    assert members(resp.json()["data"].encode()) == {"legacy.txt": "héllo raw\n".encode()}
    # binary content cannot travel raw: 406 naming the way out
    put(api, box, "/tmp", b64(tar_of({"bin2": b"\xff\xfe"})))
    resp = get(api, box, "/tmp/bin2", version="1.24")
    assert resp.status_code == 406, resp.text
    assert "1.25" in error(resp)["detail"]


def test_stopped_containers_copy_too(api, docker_client):
    uuid = api.run(name="cp-stopped")["uuid"]
    try:
        api.wait_status(uuid, "Running")
        assert api.post("/v1/containers/%s/stop" % uuid).status_code == 202
        api.wait_status(uuid, "Stopped")
        assert put(api, uuid, "/", b64(tar_of({"s.txt": b"still"}))).status_code == 200
        resp = get(api, uuid, "/s.txt")
        assert members(base64.b64decode(resp.json()["data"])) == {"s.txt": b"still"}
    finally:
        api.delete("/v1/containers/%s?stop=true" % uuid)


def test_too_large_is_413_both_ways_and_the_service_carries_on(api, box, docker_client):
    resp = put(api, box, "/tmp", b64(b"\0" * (BOUND + 512)))
    assert resp.status_code == 413, resp.text
    assert error(resp)["code"] == "container.archive_too_large"
    # a file larger than the bound (refused from its stat) and a directory
    # whose archive grows past it (refused while reading)
    in_container(docker_client, box, "sh", "-c",
                 "mkdir -p /tmp/big && dd if=/dev/zero of=/tmp/big/a bs=1024 count=200 "
                 "&& dd if=/dev/zero of=/tmp/big/b bs=1024 count=200 "
                 "&& dd if=/dev/zero of=/tmp/huge bs=1024 count=1024")
    for path in ("/tmp/huge", "/tmp/big"):
        resp = get(api, box, path)
        assert resp.status_code == 413, resp.text
        assert error(resp)["code"] == "container.archive_too_large"
        assert path in error(resp)["detail"] and "max_archive_size" in error(resp)["detail"]
    assert get(api, box, "/tmp/big/a").status_code == 200


@pytest.mark.parametrize("data,why", [
    ("not base64 at all!", "not valid base64"),
    (b64(b"this is no tar archive" * 40), "not an uncompressed tar"),
])
def test_bad_archives_are_400_naming_data(api, box, data, why):
    resp = put(api, box, "/tmp", data)
    assert resp.status_code == 400, resp.text
    assert "'data'" in error(resp)["detail"] and why in error(resp)["detail"]


def test_paths(api, box):
    resp = get(api, box, "/no/such/file")
    assert resp.status_code == 404, resp.text
    assert error(resp)["code"] == "container.archive_path_not_found"
    resp = put(api, box, "/no/such/dir", b64(tar_of({"x": b"x"})))
    assert resp.status_code == 404, resp.text
    resp = get(api, box, "relative/path")
    assert resp.status_code == 400 and "'path'" in error(resp)["detail"]
    # extracting into a file, not a directory: the engine's 400
    put(api, box, "/tmp", b64(tar_of({"plain": b"x"})))
    resp = put(api, box, "/tmp/plain", b64(tar_of({"x": b"x"})))
    assert resp.status_code == 400, resp.text
    assert "'path'" in error(resp)["detail"] and "not a directory" in error(resp)["detail"]


# --- the real CLIs -------------------------------------------------------------------
@pytest.fixture(scope="module")
def stub(zun):
    with TokenStub(zun.url + "/v1") as token_stub:
        yield token_stub


def test_zun_cp_both_ways(zun, stub, api, box, tmp_path, docker_client):
    source = tmp_path / "notes.txt"
    source.write_bytes(b"copied in by zun cp\n" + bytes(range(256)))
    zun_cli(stub, zun.url, "cp", str(source), "cp-box:/tmp")
    assert "copied in by zun cp" in in_container(docker_client, box, "cat",
                                                 "/tmp/notes.txt")
    out = tmp_path / "out"
    out.mkdir()
    zun_cli(stub, zun.url, "cp", "cp-box:/tmp/notes.txt", str(out))
    assert (out / "notes.txt").read_bytes() == source.read_bytes()
    # and at a version before 1.25 (raw), with text
    text = tmp_path / "plain.txt"
    text.write_text("raw cp\n")
    zun_cli(stub, zun.url, "--zun-api-version", "1.24", "cp", str(text), "cp-box:/tmp")
    old = tmp_path / "old"
    old.mkdir()
    zun_cli(stub, zun.url, "--zun-api-version", "1.24", "cp", "cp-box:/tmp/plain.txt",
            str(old))
    assert (old / "plain.txt").read_text() == "raw cp\n"


def test_openstack_appcontainer_cp_both_ways(zun, box, tmp_path, docker_client):
    source = tmp_path / "osc.txt"
    source.write_text("from openstack cp\n")
    osc(zun.url, "appcontainer", "cp", str(source), "cp-box:/tmp")
    assert in_container(docker_client, box, "cat", "/tmp/osc.txt") == "from openstack cp\n"
    out = tmp_path / "back"
    out.mkdir()
    osc(zun.url, "appcontainer", "cp", "cp-box:/tmp/osc.txt", str(out))
    assert (out / "osc.txt").read_text() == "from openstack cp\n"


def test_zun_cp_of_a_missing_path_says_so(zun, stub, box, tmp_path):
    proc = zun_cli(stub, zun.url, "cp", "cp-box:/nope", str(tmp_path), check=False)
    assert proc.returncode != 0
    assert "/nope" in proc.stderr + proc.stdout
