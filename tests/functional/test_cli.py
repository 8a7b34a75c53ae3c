"""The real python-zunclient 5.5.0 CLIs (`zun`, `openstack appcontainer`) drive
a full container lifecycle against zun-api + zun-compute over RabbitMQ.

The `zun` shell cannot run without a token service, so it authenticates
against a local stub (tests/functional/token_stub.py) and reaches zun with
--bypass-url; `openstack` uses --os-auth-type none. Both run as separate
processes exactly as a user types them. Requests without identity headers
run as the noauth trial user (project "noauth").
"""
from __future__ import annotations

import json
import os
import subprocess
import uuid as uuidlib

import docker.errors
import pytest

from tests.functional import harness
from tests.functional.token_stub import TokenStub

NOAUTH_PROJECT = "noauth"
_OS_VARS = ("OS_USERNAME", "OS_PASSWORD", "OS_PROJECT_NAME", "OS_USER_DOMAIN_NAME",
            "OS_PROJECT_DOMAIN_NAME", "OS_AUTH_URL", "OS_CLOUD", "OS_AUTH_TYPE")


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in _OS_VARS}
    env["PYTHONWARNINGS"] = "ignore"
    return env


@pytest.fixture(scope="module")
def deployment(zun_split):
    return zun_split


@pytest.fixture(scope="module")
def stub(deployment):
    with TokenStub(deployment.url + "/v1") as token_stub:
        yield token_stub


@pytest.fixture(scope="module")
def http(deployment):
    """Observer with the identity the CLIs' requests get in noauth mode."""
    return harness.ApiClient(deployment.url, project=NOAUTH_PROJECT, user="noauth",
                             roles="admin")


def zun_argv(stub: TokenStub, url: str) -> list[str]:
    """The `zun` command line up to its subcommand (also run in a pty)."""
    return [str(harness.BIN / "zun"), "--os-auth-url", stub.auth_url,
            "--os-username", "demo", "--os-password", "secret",
            "--os-project-name", "demo", "--os-user-domain-name", "Default",
            "--os-project-domain-name", "Default", "--bypass-url", url + "/v1"]


def osc_argv(url: str) -> list[str]:
    """The `openstack` command line up to its subcommand."""
    return [str(harness.BIN / "openstack"), "--os-auth-type", "none",
            "--os-endpoint", url + "/v1"]


def zun_cli(stub: TokenStub, url: str, *args: str, check: bool = True,
            debug: bool = False) -> subprocess.CompletedProcess:
    cmd = zun_argv(stub, url)
    if debug:
        cmd.append("--debug")
    proc = subprocess.run(cmd + list(args), capture_output=True, text=True,
                          env=_env(), timeout=120)
    if check:
        assert proc.returncode == 0, "zun %s failed:\n%s\n%s" % (
            " ".join(args), proc.stdout, proc.stderr)
    return proc


def osc(url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(osc_argv(url) + list(args), capture_output=True, text=True,
                          env=_env(), timeout=120)
    if check:
        assert proc.returncode == 0, "openstack %s failed:\n%s\n%s" % (
            " ".join(args), proc.stdout, proc.stderr)
    return proc


def _name(prefix: str) -> str:
    return "%s-%s" % (prefix, uuidlib.uuid4().hex[:8])


def test_zun_cli_full_lifecycle(deployment, stub, http, docker_client):
    url = deployment.url
    name = _name("cli")
    zun_cli(stub, url, "run", "--name", name, "--cpu", "0.5", "--memory", "64",
            "--environment", "GREETING=hello", "--label", "suite=functional",
            harness.IMAGE, "sh", "-c",
            "echo $GREETING from zun; trap 'exit 0' TERM; sleep 3600 & wait")
    body = http.wait_status(name, "Running")
    uuid = body["uuid"]
    inspected = docker_client.containers.get("zun-%s" % uuid).attrs
    assert inspected["HostConfig"]["NanoCpus"] == 500_000_000
    assert inspected["HostConfig"]["Memory"] == 64 * 1024 * 1024
    assert inspected["Config"]["Labels"]["suite"] == "functional"

    listing = zun_cli(stub, url, "list").stdout
    assert name in listing and "Running" in listing

    logs = harness.wait_until(
        lambda: "hello from zun" in zun_cli(stub, url, "logs", name).stdout and True,
        what="logs to show the greeting")
    assert logs

    out = zun_cli(stub, url, "exec", name, "sh", "-c", "echo exec-ok; exit 3", debug=True)
    assert "exec-ok" in out.stdout
    assert '"exit_code": 3' in out.stderr  # the CLI prints exit codes only in --debug

    zun_cli(stub, url, "stop", name)
    http.wait_status(name, "Stopped")
    zun_cli(stub, url, "start", name)
    http.wait_status(name, "Running")
    zun_cli(stub, url, "pause", name)
    http.wait_status(name, "Paused")
    assert docker_client.containers.get("zun-%s" % uuid).status == "paused"
    zun_cli(stub, url, "unpause", name)
    http.wait_status(name, "Running")
    zun_cli(stub, url, "kill", name)
    http.wait_status(name, "Stopped")

    actions = zun_cli(stub, url, "action-list", name).stdout
    for action in ("create", "stop", "start", "pause", "unpause", "kill"):
        assert action in actions

    zun_cli(stub, url, "delete", name)
    http.wait_gone(uuid)
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get("zun-%s" % uuid)


def test_zun_cli_networks(deployment, stub, http, docker_client):
    """network-list, network-detach and network-attach on the project's own
    network, seen by the engine and in the container's addresses."""
    url = deployment.url
    name = _name("netcli")
    zun_cli(stub, url, "run", "--name", name, "--net", "network=default",
            harness.IMAGE, "sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait")
    uuid = http.wait_status(name, "Running")["uuid"]

    def engine_networks() -> dict:
        return docker_client.containers.get("zun-%s" % uuid).attrs[
            "NetworkSettings"]["Networks"]
    ((net, endpoint),) = engine_networks().items()   # its project's network only
    assert net.startswith("zun-") and http.show(name)["addresses"][net][0]["addr"] == \
        endpoint["IPAddress"]
    listing = zun_cli(stub, url, "network-list", name).stdout
    assert net in listing and endpoint["IPAddress"] in listing

    out = zun_cli(stub, url, "network-detach", name, "--network", net).stdout
    assert "accepted" in out, out
    assert engine_networks() == {} and http.show(name)["addresses"] == {}
    assert http.show(name)["task_state"] is None

    out = zun_cli(stub, url, "network-attach", name, "--network", "default").stdout
    assert "accepted" in out, out
    assert list(engine_networks()) == [net] and list(http.show(name)["addresses"]) == [net]

    foreign = zun_cli(stub, url, "network-attach", name, "--network", "zun-not-ours",
                      check=False)
    said = foreign.stdout + foreign.stderr
    assert "is not a network of project" in said, said
    bad = zun_cli(stub, url, "run", "--net", "network=elsewhere", harness.IMAGE, "true",
                  check=False)
    assert bad.returncode != 0 and "(HTTP 400)" in bad.stderr and "'default'" in bad.stderr

    zun_cli(stub, url, "delete", "--stop", name)
    http.wait_gone(uuid)


def test_openstack_appcontainer_networks(deployment, http, docker_client):
    url = deployment.url
    name = _name("osc-net")
    osc(url, "appcontainer", "run", "--name", name, harness.IMAGE, *harness.SLEEPER)
    uuid = http.wait_status(name, "Running")["uuid"]
    ((net, _),) = http.show(name)["addresses"].items()
    # python-zunclient 5.5.0's `network list` fails inside the client with
    # current osc-lib ("Invalid formatter provided.": it passes a plain
    # function where osc-lib wants a FormattableColumn) before printing;
    # `zun network-list` (test_zun_cli_networks) shows the same answer.
    broken = osc(url, "appcontainer", "network", "list", name, check=False)
    assert broken.returncode == 1 and "Invalid formatter provided." in broken.stderr
    osc(url, "appcontainer", "network", "detach", name, "--network", net)
    assert http.show(name)["addresses"] == {}
    osc(url, "appcontainer", "network", "attach", name, "--network", "default")
    assert list(http.show(name)["addresses"]) == [net]
    assert list(docker_client.containers.get("zun-%s" % uuid).attrs[
        "NetworkSettings"]["Networks"]) == [net]
    osc(url, "appcontainer", "delete", "--stop", name)
    http.wait_gone(uuid)


def test_zun_cli_reports_errors(deployment, stub, http):
    url = deployment.url
    bad = zun_cli(stub, url, "run", "--memory", "-1", harness.IMAGE, "true", check=False)
    assert bad.returncode != 0 and "memory" in bad.stderr and "(HTTP 400)" in bad.stderr
    missing = zun_cli(stub, url, "show", "no-such-container", check=False)
    assert missing.returncode != 0 and "(HTTP 404)" in missing.stderr

    name = _name("stopped")
    zun_cli(stub, url, "create", "--name", name, harness.IMAGE, "true")
    http.wait_status(name, "Created")
    out = zun_cli(stub, url, "pause", name)  # the CLI prints action errors, exit 0
    assert "409" in out.stdout + out.stderr
    zun_cli(stub, url, "delete", name)
    http.wait_gone(name)


def test_openstack_appcontainer_lifecycle(deployment, http, docker_client):
    url = deployment.url
    name = _name("osc")
    out = osc(url, "appcontainer", "run", "--name", name, "-f", "json",
              harness.IMAGE, *harness.SLEEPER)
    created = json.loads(out.stdout)
    assert created["name"] == name
    http.wait_status(name, "Running")
    shown = json.loads(osc(url, "appcontainer", "show", name, "-f", "json").stdout)
    assert shown["uuid"] == created["uuid"] and shown["status"] == "Running"
    listed = json.loads(osc(url, "appcontainer", "list", "-f", "json").stdout)
    assert name in [c["name"] for c in listed]

    out = osc(url, "appcontainer", "exec", name, "echo", "hello-osc")
    assert "hello-osc" in out.stdout
    osc(url, "appcontainer", "stop", name)
    http.wait_status(name, "Stopped")
    osc(url, "appcontainer", "start", name)
    http.wait_status(name, "Running")
    osc(url, "appcontainer", "pause", name)
    http.wait_status(name, "Paused")
    osc(url, "appcontainer", "unpause", name)
    http.wait_status(name, "Running")
    osc(url, "appcontainer", "kill", name)
    http.wait_status(name, "Stopped")
    osc(url, "appcontainer", "delete", name)
    http.wait_gone(created["uuid"])

    bad_name = _name("bad")
    osc(url, "appcontainer", "run", "--name", bad_name, "no-such-image:9", "true")
    body = http.wait_status(bad_name, "Error")
    assert "no-such-image:9" in body["status_reason"]
    osc(url, "appcontainer", "delete", bad_name)
    http.wait_gone(bad_name)
