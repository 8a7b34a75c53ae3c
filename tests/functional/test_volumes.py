"""Volumes end to end: real zun-all, real Docker volumes, real zunclient CLI.

A named volume belongs to its project and outlives its containers; an
anonymous one dies with its container; what no host can enforce (a size) or
must never be allowed (a tenant's host path) is refused up front.
"""
from __future__ import annotations

import base64
import uuid as uuidlib

import pytest

from tests.functional import harness
from tests.functional.test_cli import NOAUTH_PROJECT, zun_cli
from tests.functional.token_stub import TokenStub


def _volume_name() -> str:
    return "vol-%s" % uuidlib.uuid4().hex[:8]


@pytest.fixture
def volume_name(docker_client):
    """A fresh volume name; every project's volume of that name is removed after."""
    name = _volume_name()
    yield name
    for volume in docker_client.volumes.list(filters={"label": "zun.volume=%s" % name}):
        # a failed test may leave its container behind, holding the volume
        for user in docker_client.containers.list(
                all=True, filters={"volume": volume.name}):
            user.remove(force=True)
        volume.remove(force=True)


def _api(zun_all, project: str) -> harness.ApiClient:
    return harness.ApiClient(zun_all.url, project=project, user="u-" + project)


def _run_to_exit(api: harness.ApiClient, script: str, mounts: list) -> tuple[str, str]:
    """Run ``sh -c script`` with ``mounts`` until it exits; (uuid, its output)."""
    uuid = api.run(command=["sh", "-c", script], mounts=mounts)["uuid"]
    shown = api.wait_status(uuid, "Stopped")
    assert shown["status_detail"].startswith("Exited(0)"), shown
    return uuid, api.get("/v1/containers/%s/logs" % uuid).json()


def _delete(api: harness.ApiClient, uuid: str) -> None:
    resp = api.delete("/v1/containers/%s" % uuid, stop="True")
    assert resp.status_code in (202, 204), resp.text
    api.wait_gone(uuid)


def _volumes(docker_client, **labels: str) -> list:
    return docker_client.volumes.list(filters={"label": [
        "%s=%s" % item for item in labels.items()]})


def test_named_volume_keeps_data_for_its_project_only(zun_all, docker_client,
                                                      volume_name):
    alice, bob = _api(zun_all, "vol-proj-a"), _api(zun_all, "vol-proj-b")
    mounts = [{"source": volume_name, "destination": "/data"}]
    token = uuidlib.uuid4().hex

    first, _ = _run_to_exit(alice, "echo %s > /data/f" % token, mounts)
    assert alice.show(first)["mounts"] == [
        {"type": "volume", "source": volume_name, "destination": "/data"}]
    _delete(alice, first)
    (volume,) = _volumes(docker_client, **{"zun.volume": volume_name})
    assert volume.attrs["Labels"]["zun.project_id"] == "vol-proj-a"
    assert volume.name != volume_name  # the runtime name is the project's

    second, output = _run_to_exit(alice, "cat /data/f", mounts)
    assert token in output
    _delete(alice, second)

    other, output = _run_to_exit(bob, "cat /data/f 2>/dev/null || echo nothing-here",
                                 mounts)
    assert "nothing-here" in output and token not in output
    _delete(bob, other)
    by_project = {v.attrs["Labels"]["zun.project_id"]: v.name
                  for v in _volumes(docker_client, **{"zun.volume": volume_name})}
    assert set(by_project) == {"vol-proj-a", "vol-proj-b"}
    assert by_project["vol-proj-a"] != by_project["vol-proj-b"]


def test_rebuild_keeps_the_named_volume(zun_all, docker_client, volume_name):
    api = _api(zun_all, "vol-proj-a")
    uuid = api.run(command=["sh", "-c", "[ -f /data/f ] || echo kept > /data/f; "
                                        "trap 'exit 0' TERM; sleep 3600 & wait"],
                   mounts=[{"source": volume_name, "destination": "/data"}])["uuid"]
    try:
        api.wait_status(uuid, "Running")
        before = docker_client.containers.get("zun-%s" % uuid).id
        # the rebuild's task is claimed before the 202: the wait sees it end
        assert api.post("/v1/containers/%s/rebuild" % uuid).status_code == 202
        api.wait_status(uuid, "Running")
        assert docker_client.containers.get("zun-%s" % uuid).id != before
        resp = api.post("/v1/containers/%s/execute" % uuid, command="cat /data/f")
        assert resp.status_code == 200 and "kept" in resp.json()["output"], resp.text
    finally:
        _delete(api, uuid)


def test_anonymous_volume_is_removed_with_its_container(zun_all, docker_client):
    api = _api(zun_all, "vol-proj-a")
    uuid = api.run(mounts=[{"type": "volume", "destination": "/scratch"}])["uuid"]
    try:
        api.wait_status(uuid, "Running")
        (volume,) = _volumes(docker_client, **{"zun.uuid": uuid})
        assert volume.attrs["Labels"]["zun.project_id"] == "vol-proj-a"
        attrs = docker_client.containers.get("zun-%s" % uuid).attrs
        assert [(m["Type"], m["Name"], m["Destination"]) for m in attrs["Mounts"]] == [
            ("volume", volume.name, "/scratch")]
        assert api.show(uuid)["mounts"] == [
            {"type": "volume", "source": "", "destination": "/scratch"}]
    finally:
        _delete(api, uuid)
    assert _volumes(docker_client, **{"zun.uuid": uuid}) == []


@pytest.mark.parametrize("mount,field,needle", [
    ({"source": "sized", "destination": "/data", "size": "1"}, "mounts[0].size", "quota"),
    ({"type": "bind", "source": "/etc/passwd", "destination": "/p"},
     "mounts[0].source", "base64"),
    ({"type": "bind", "source": base64.b64encode(b"x").decode(), "destination": "/"},
     "mounts.0.destination", "/"),
])
def test_what_cannot_be_honoured_is_refused(zun_all, docker_client, mount, field,
                                            needle):
    api = _api(zun_all, "vol-proj-a")
    resp = api.post("/v1/containers", {"image": harness.IMAGE, "mounts": [mount]})
    assert resp.status_code == 400, resp.text
    title = resp.json()["errors"][0]["title"]
    assert field in title and needle in title
    assert _volumes(docker_client, **{"zun.volume": "sized"}) == []


def test_zun_cli_mounts_a_named_volume(zun_all, docker_client, volume_name):
    http = harness.ApiClient(zun_all.url, project=NOAUTH_PROJECT, user="noauth",
                             roles="admin")
    name = "cli-vol-%s" % uuidlib.uuid4().hex[:8]
    with TokenStub(zun_all.url + "/v1") as stub:
        zun_cli(stub, zun_all.url, "run", "--name", name, "--mount",
                "source=%s,destination=/data" % volume_name, harness.IMAGE,
                "sh", "-c", "echo from-cli > /data/f")
        try:
            shown = http.wait_status(name, "Stopped")
            assert shown["mounts"] == [
                {"type": "volume", "source": volume_name, "destination": "/data"}]
            (volume,) = _volumes(docker_client, **{"zun.volume": volume_name})
            assert volume.attrs["Labels"]["zun.project_id"] == NOAUTH_PROJECT
            refused = zun_cli(stub, zun_all.url, "run", "--mount",
                              "size=1,destination=/data", harness.IMAGE, check=False)
            assert refused.returncode != 0 and "size" in refused.stderr
        finally:
            zun_cli(stub, zun_all.url, "delete", "--force", name)
            http.wait_gone(name)
