"""Private registries against a real zun-all, a real Docker engine and a real
registry with htpasswd authentication (Debian's docker-registry, started by
``tools/start-registry.sh auth``), into which these tests push busybox:local
themselves after a ``docker login``.

The deployment allows that registry (it is on loopback, refused by default)
and has a ``[registry] key``; the password must never show in an answer or
in the deployment's logs.
"""
from __future__ import annotations

import json
import os
import subprocess
import uuid as uuidlib
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet

from tests.functional import harness
from tests.functional.test_cli import zun_cli
from tests.functional.token_stub import TokenStub

REPO = Path(__file__).resolve().parents[2]
PRIVATE_REPO = "zun-test/private"
WRONG = "not-the-Password-9d2e"


@pytest.fixture(scope="module")
def auth_registry() -> tuple[str, str, str]:
    """(user, password, host:port) of the auth registry (started here when
    make did not)."""
    url = os.environ.get("ZUN_TEST_AUTH_REGISTRY")
    if not url:
        done = subprocess.run([str(REPO / "tools" / "start-registry.sh"), "auth"],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, "start-registry.sh auth failed:\n" + done.stderr
        url = done.stdout.strip().splitlines()[-1]
    account, _, address = url.rpartition("@")
    user, _, password = account.partition(":")
    return user, password, address


@pytest.fixture(scope="module")
def pushed(docker_client, auth_registry) -> dict[str, str]:
    """busybox:local pushed as <registry>/zun-test/private:<tag>, each tag
    removed from the engine again so that a run must pull it."""
    user, password, address = auth_registry
    docker_client.login(username=user, password=password, registry=address,
                        reauth=True)
    auth = {"username": user, "password": password}
    refs = {}
    ref = "%s/%s" % (address, PRIVATE_REPO)
    for tag in ("ok", "wrong", "cli", "anon"):
        docker_client.images.get(harness.IMAGE).tag(ref, tag=tag)
        for line in docker_client.api.push(ref, tag=tag, stream=True, decode=True,
                                           auth_config=auth):
            assert "error" not in line, line
        docker_client.images.remove("%s:%s" % (ref, tag))
        refs[tag] = "%s:%s" % (ref, tag)
    return refs


@pytest.fixture(scope="module")
def deployment(request, auth_registry, pushed):
    key = Fernet.generate_key().decode()
    with harness.running(request, mode="all", extra_conf=(
            "[registry]\nallow = %s\nkey = %s\n" % (auth_registry[2], key))) as zun:
        yield zun


@pytest.fixture(scope="module")
def member(deployment) -> harness.ApiClient:
    return harness.ApiClient(deployment.url, project="project-a")


@pytest.fixture(scope="module")
def answers() -> list[str]:
    """Every answer body of these tests, checked for the password at the end."""
    return []


def _delete(client: harness.ApiClient, ident: str) -> None:
    resp = client.delete("/v1/containers/%s?stop=True" % ident)
    assert resp.status_code == 204, resp.text
    client.wait_gone(ident)


def _create(member, answers, **fields) -> dict:
    resp = member.post("/v1/registries", {"registry": fields})
    answers.append(resp.text)
    assert resp.status_code == 201, resp.text
    return resp.json()["registry"]


def test_run_from_the_registry_with_its_account(deployment, member, answers,
                                                auth_registry, pushed, docker_client):
    user, password, address = auth_registry
    reg = _create(member, answers, name="private", domain=address, username=user,
                  password=password)
    assert reg["password"] == "***" and reg["domain"] == address
    container = member.run(image=pushed["ok"], registry=reg["uuid"],
                           name="reg-ok-%s" % uuidlib.uuid4().hex[:6])
    answers.append(json.dumps(container))
    done = member.wait_status(container["uuid"], "Running", timeout=120)
    assert done["registry_id"] is not None
    assert docker_client.images.get(pushed["ok"])
    # in use: the registry cannot go while the container names it
    resp = member.delete("/v1/registries/%s" % reg["uuid"])
    assert resp.status_code == 409, resp.text
    _delete(member, container["uuid"])
    assert member.delete("/v1/registries/%s" % reg["uuid"]).status_code == 204


def test_a_wrong_password_ends_in_error_with_the_registrys_message(
        deployment, member, answers, auth_registry, pushed):
    user, _, address = auth_registry
    reg = _create(member, answers, name="wrong", domain=address, username=user,
                  password=WRONG)
    container = member.run(image=pushed["wrong"], registry="wrong",
                           name="reg-bad-%s" % uuidlib.uuid4().hex[:6])
    done = member.wait_status(container["uuid"], "Error", timeout=120)
    reason = done["status_reason"]
    answers.append(json.dumps(done))
    assert "unauthorized" in reason.lower() or "authentication required" in reason, reason
    assert str(deployment.dir) not in reason and "/var/lib" not in reason
    _delete(member, container["uuid"])
    member.delete("/v1/registries/%s" % reg["uuid"])


def test_without_a_registry_the_pull_is_refused(deployment, member, pushed):
    # the engine keeps no login of its own: the account only travels with
    # a container that names the registry
    container = member.run(image=pushed["anon"],
                           name="reg-anon-%s" % uuidlib.uuid4().hex[:6])
    done = member.wait_status(container["uuid"], "Error", timeout=120)
    assert "pull failed" in done["status_reason"], done["status_reason"]
    _delete(member, container["uuid"])


def test_another_projects_registry_is_404(deployment, member, answers, auth_registry,
                                          pushed):
    user, password, address = auth_registry
    reg = _create(member, answers, name="mine", domain=address, username=user,
                  password=password)
    other = harness.ApiClient(deployment.url, project="project-b")
    for ident in (reg["uuid"], "mine"):
        assert other.get("/v1/registries/%s" % ident).status_code == 404
        assert other.patch("/v1/registries/%s" % ident,
                           {"registry": {"name": "x1"}}).status_code == 404
        assert other.delete("/v1/registries/%s" % ident).status_code == 404
    resp = other.post("/v1/containers", {"image": pushed["ok"], "registry": reg["uuid"]})
    assert resp.status_code == 404, resp.text
    assert resp.json()["errors"][0]["code"] == "container.registry_not_found"
    assert other.get("/v1/registries").json()["registries"] == []
    listing = member.get("/v1/registries")
    answers.append(listing.text)
    assert [r["password"] for r in listing.json()["registries"]] == ["***"]
    member.delete("/v1/registries/%s" % reg["uuid"])


def test_bad_input_is_4xx(deployment, member, auth_registry):
    user, password, address = auth_registry
    # a domain the guard refuses (loopback, not allowed on this port)
    resp = member.post("/v1/registries", {"registry": {
        "domain": "127.0.0.1:1", "username": user, "password": password}})
    assert resp.status_code == 400, resp.text
    assert "domain" in resp.json()["errors"][0]["title"]
    assert password not in resp.text
    # an image of another registry with this one
    reg = member.post("/v1/registries", {"registry": {"domain": address}}).json()
    resp = member.post("/v1/containers", {"image": harness.IMAGE,
                                          "registry": reg["registry"]["uuid"]})
    assert resp.status_code == 400 and "'registry'" in resp.text
    member.delete("/v1/registries/%s" % reg["registry"]["uuid"])


@pytest.fixture(scope="module")
def stub(deployment):
    with TokenStub(deployment.url + "/v1") as token_stub:
        yield token_stub


def test_zun_cli_registry_commands_and_run_with_registry(deployment, stub, answers,
                                                         auth_registry, pushed):
    user, password, address = auth_registry
    out = zun_cli(stub, deployment.url, "registry-create", "--name", "cli-reg",
                  "--domain", address, "--username", user,
                  "--password", password).stdout
    answers.append(out)
    assert "***" in out and address in out
    listed = zun_cli(stub, deployment.url, "registry-list").stdout
    answers.append(listed)
    assert "cli-reg" in listed and "***" in listed
    shown = zun_cli(stub, deployment.url, "registry-show", "cli-reg").stdout
    answers.append(shown)
    uuid = next(line.split("|")[2].strip() for line in shown.splitlines()
                if line.startswith("| uuid"))
    updated = zun_cli(stub, deployment.url, "registry-update", uuid, "--name",
                      "cli-reg2", "--password", password).stdout
    answers.append(updated)
    assert "cli-reg2" in updated
    name = "reg-cli-%s" % uuidlib.uuid4().hex[:6]
    ran = zun_cli(stub, deployment.url, "run", "--registry", uuid, "--name", name,
                  pushed["cli"], "sleep", "3600").stdout
    answers.append(ran)
    # the CLI's caller is noauth's default project, with the admin role
    admin = harness.ApiClient(deployment.url, project="noauth", roles="admin")
    admin.wait_status(name, "Running", timeout=120)
    _delete(admin, name)
    deleted = zun_cli(stub, deployment.url, "registry-delete", "cli-reg2").stdout
    assert "accepted" in deleted
    assert "cli-reg2" not in zun_cli(stub, deployment.url, "registry-list").stdout


def test_a_commit_named_after_the_projects_registry_is_pushed_there(
        deployment, member, answers, auth_registry):
    user, password, address = auth_registry
    reg = _create(member, answers, name="push", domain=address, username=user,
                  password=password)
    source = member.run(name="reg-commit-%s" % uuidlib.uuid4().hex[:6])
    member.wait_status(source["uuid"], "Running")
    tag = uuidlib.uuid4().hex[:8]
    resp = member.post("/v1/containers/%s/commit" % source["uuid"],
                       repository="%s/zun-test/committed" % address, tag=tag)
    answers.append(resp.text)
    assert resp.status_code == 202, resp.text
    # the registry itself holds the tag now (asked with the account)
    tags = requests.get("http://%s/v2/zun-test/committed/tags/list" % address,
                        auth=(user, password), timeout=30).json()
    assert tag in tags["tags"], tags
    _delete(member, source["uuid"])
    member.delete("/v1/registries/%s" % reg["uuid"])


def test_the_password_is_in_no_answer_and_no_log(deployment, answers, auth_registry):
    # runs last in this module: every answer above was collected
    _, password, _ = auth_registry
    assert answers
    for text in answers:
        assert password not in text and WRONG not in text
    logs = "".join(path.read_text(errors="replace")
                   for path in Path(deployment.dir).glob("*.log"))
    assert "registry" in logs.lower()
    assert password not in logs and WRONG not in logs
    rows = deployment.db_rows("SELECT password FROM registry")
    for (stored,) in rows:
        assert stored is None or (password not in stored and WRONG not in stored)
