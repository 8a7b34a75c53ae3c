"""The images API against a real zun-all, a real Docker engine and a real
registry (Debian's docker-registry, started by tools/start-registry.sh) into
which these tests push busybox:local themselves.

The deployment allows the registry (it is on loopback, refused by default)
and searches it ([registry] search_registries).
"""
from __future__ import annotations

import uuid as uuidlib

import pytest

from tests.functional import harness
from tests.functional.test_cli import zun_cli
from tests.functional.token_stub import TokenStub

PROJECT_REPO = "zun-test/busybox"


@pytest.fixture(scope="module")
def pushed(docker_client, registry) -> dict[str, str]:
    return {tag: harness.push_to_registry(docker_client, registry, PROJECT_REPO, tag)
            for tag in ("1", "gone", "del")}


@pytest.fixture(scope="module")
def deployment(request, docker_client, registry, pushed):
    with harness.running(request, mode="all", extra_conf=(
            "[registry]\nallow = %s\nsearch_registries = %s\n" % (registry, registry))
    ) as zun:
        yield zun


@pytest.fixture(scope="module")
def admin(deployment) -> harness.ApiClient:
    return harness.ApiClient(deployment.url, project="project-a", roles="admin")


def pull(admin: harness.ApiClient, repo: str, host: str) -> dict:
    resp = admin.post("/v1/images", {"repo": repo, "host": host})
    assert resp.status_code == 202, resp.text
    return resp.json()


def wait_image(admin: harness.ApiClient, uuid: str, status: str,
               timeout: float = 120) -> dict:
    def check():
        body = admin.get("/v1/images/%s" % uuid).json()
        return body if body["status"] == status else None
    return harness.wait_until(check, timeout=timeout,
                              what="image %s to become %s" % (uuid, status))


def engine_has(docker_client, ref: str) -> bool:
    import docker
    try:
        docker_client.images.get(ref)
        return True
    except docker.errors.ImageNotFound:
        return False


def test_pull_list_show_from_the_local_registry(deployment, admin, pushed, docker_client):
    ref = pushed["1"]
    row = pull(admin, ref, deployment.host)
    assert row["status"] == "Pulling" and row["tag"] == "1"
    done = wait_image(admin, row["uuid"], "Available")
    assert done["image_id"].startswith("sha256:") and done["size"] > 0
    assert ref in done["tags"]
    assert engine_has(docker_client, ref)
    listed = admin.get("/v1/images/").json()["images"]
    assert row["uuid"] in [i["uuid"] for i in listed]
    # members see nothing of hosts' images
    member = harness.ApiClient(deployment.url)
    assert member.get("/v1/images/").status_code == 403


def test_a_tag_the_registry_lacks_ends_in_error_with_its_message(deployment, admin,
                                                                 registry):
    row = pull(admin, "%s/%s:no-such-tag" % (registry, PROJECT_REPO), deployment.host)
    done = wait_image(admin, row["uuid"], "Error")
    assert "no-such-tag" in done["status_reason"]
    assert "not found" in done["status_reason"].lower() \
        or "unknown" in done["status_reason"].lower(), done["status_reason"]


def test_bad_pulls_are_4xx(deployment, admin):
    resp = admin.post("/v1/images", {"repo": "UPPER/Case!", "host": deployment.host})
    assert resp.status_code == 400 and "'repo'" in resp.text
    resp = admin.post("/v1/images", {"repo": "busybox", "host": "no-such-host"})
    assert resp.status_code == 400 and "'host'" in resp.text
    resp = admin.post("/v1/images", {"repo": "127.0.0.1:1/x", "host": deployment.host})
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["code"] == "container.registry_not_allowed"


def test_delete_is_refused_while_a_container_uses_it(deployment, admin, pushed,
                                                     docker_client):
    ref = pushed["del"]
    row = pull(admin, ref, deployment.host)
    wait_image(admin, row["uuid"], "Available")
    container = admin.run(image=ref, name="img-user-%s" % uuidlib.uuid4().hex[:6])
    admin.wait_status(container["uuid"], "Running")
    resp = admin.delete("/v1/images/%s" % row["uuid"])
    assert resp.status_code == 409, resp.text
    assert resp.json()["errors"][0]["code"] == "container.image_in_use"
    assert engine_has(docker_client, ref)
    assert admin.delete("/v1/containers/%s?force=True" % container["uuid"]).status_code == 204
    admin.wait_gone(container["uuid"])
    assert admin.delete("/v1/images/%s" % row["uuid"]).status_code == 204
    assert admin.get("/v1/images/%s" % row["uuid"]).status_code == 404
    assert not engine_has(docker_client, ref)


def test_an_image_removed_outside_is_noticed(deployment, admin, pushed, docker_client):
    ref = pushed["gone"]
    row = pull(admin, ref, deployment.host)
    wait_image(admin, row["uuid"], "Available")
    docker_client.images.remove(ref)
    gone = wait_image(admin, row["uuid"], "Error", timeout=60)  # the periodic pass
    assert "removed outside zun" in gone["status_reason"]


def test_search_finds_the_pushed_repository(deployment, pushed, registry):
    member = harness.ApiClient(deployment.url)
    found = member.get("/v1/images/%s/search" % PROJECT_REPO).json()
    names = {f["name"]: f["tags"] for f in found}
    assert "1" in names["%s/%s" % (registry, PROJECT_REPO)]
    again = member.get("/v1/images/search", image="busybox", exact_match="True")
    assert again.status_code == 200 and again.json() == []


def test_never_pull_policy_without_the_image_ends_in_error(deployment, admin, registry):
    missing = "%s/%s:never-here" % (registry, PROJECT_REPO)
    container = admin.run(image=missing, image_pull_policy="never",
                          name="never-%s" % uuidlib.uuid4().hex[:6])
    done = admin.wait_status(container["uuid"], "Error")
    assert "never" in done["status_reason"], done["status_reason"]
    admin.delete("/v1/containers/%s?force=True" % container["uuid"])


# --- the real zunclient ----------------------------------------------------------------
@pytest.fixture(scope="module")
def stub(deployment):
    with TokenStub(deployment.url + "/v1") as token_stub:
        yield token_stub


def test_zun_cli_image_commands(deployment, stub, pushed, registry, admin):
    ref = pushed["1"]
    out = zun_cli(stub, deployment.url, "pull", ref, deployment.host).stdout
    uuid = next(line.split("|")[2].strip() for line in out.splitlines()
                if line.startswith("| uuid "))
    wait_image(admin, uuid, "Available")
    listing = zun_cli(stub, deployment.url, "image-list").stdout
    assert uuid in listing and PROJECT_REPO in listing
    shown = zun_cli(stub, deployment.url, "image-show", uuid).stdout
    assert "Available" in shown
    found = zun_cli(stub, deployment.url, "image-search", PROJECT_REPO).stdout
    assert "%s/%s" % (registry, PROJECT_REPO) in found
    zun_cli(stub, deployment.url, "image-delete", uuid)
    assert admin.get("/v1/images/%s" % uuid).status_code == 404


# --- commit -------------------------------------------------------------------------------
def test_commit_then_run_the_committed_image(deployment, docker_client):
    member = harness.ApiClient(deployment.url)
    marker = uuidlib.uuid4().hex
    source = member.run(command=["sh", "-c", "echo %s > /committed.txt; "
                                 "trap 'exit 0' TERM; sleep 3600 & wait" % marker],
                        name="commit-src-%s" % marker[:6])
    member.wait_status(source["uuid"], "Running")
    harness.wait_until(lambda: member.post(
        "/v1/containers/%s/execute" % source["uuid"],
        {"command": "cat /committed.txt"}).json().get("output", "").strip() == marker,
        what="the file to be written")
    repo = "zun-test/committed"
    resp = member.post("/v1/containers/%s/commit" % source["uuid"],
                       repository=repo, tag=marker[:8])
    assert resp.status_code == 202, resp.text
    image_uuid = resp.json()["uuid"]
    admin = harness.ApiClient(deployment.url, roles="admin")
    image = admin.get("/v1/images/%s" % image_uuid).json()
    assert image["status"] == "Available" and image["host"] == deployment.host
    assert "%s:%s" % (repo, marker[:8]) in image["tags"]
    actions = member.get("/v1/containers/%s/container_actions" % source["uuid"]).json()
    assert "commit" in [a["action"] for a in actions["containerActions"]]
    # the committed image runs and holds the file
    copy = member.run(image="%s:%s" % (repo, marker[:8]),
                      command=["cat", "/committed.txt"], name="commit-run-%s" % marker[:6])
    member.wait_status(copy["uuid"], "Stopped")
    logs = member.get("/v1/containers/%s/logs" % copy["uuid"]).json()
    assert marker in logs
    for uuid in (copy["uuid"], source["uuid"]):
        assert member.delete("/v1/containers/%s?stop=True" % uuid).status_code == 204
        member.wait_gone(uuid)
    assert admin.delete("/v1/images/%s" % image_uuid).status_code == 204


def test_zun_cli_commit(deployment, stub):
    member = harness.ApiClient(deployment.url, project="noauth", user="noauth",
                               roles="admin")
    source = member.run(name="cli-commit-%s" % uuidlib.uuid4().hex[:6])
    member.wait_status(source["uuid"], "Running")
    out = zun_cli(stub, deployment.url, "commit", source["uuid"], "zun-test/cli:1")
    assert "failed" not in out.stdout.lower(), out.stdout
    images = member.get("/v1/images/").json()["images"]
    (row,) = [i for i in images if i["repo"] == "zun-test/cli" and i["tag"] == "1"]
    assert row["status"] == "Available"
    member.delete("/v1/containers/%s?force=True" % source["uuid"])
    member.wait_gone(source["uuid"])
    assert member.delete("/v1/images/%s" % row["uuid"]).status_code == 204
