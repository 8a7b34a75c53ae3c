"""The real python-zunclient 5.5.0 CLIs against zun behind a real Keystone.

No --bypass-url and no --os-endpoint: both `zun` and `openstack` get a
password token from Keystone and find zun through the catalog's
``container`` endpoint, which zun_keystone points at its zun-api. The
container must end up in project demo, whose id only Keystone knows.
"""
from __future__ import annotations

import json
import os
import subprocess
import uuid as uuidlib

import pytest

from tests.functional import harness


def _env() -> dict:
    """The caller's environment minus any OS_* leftovers (they would change auth)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env["PYTHONWARNINGS"] = "ignore"
    return env


def _auth_args(keystone, username: str = "demo") -> list[str]:
    account = keystone.accounts[username]
    return ["--os-auth-url", keystone.auth_url, "--os-username", username,
            "--os-password", account["password"],
            "--os-project-name", account["project_name"],
            "--os-user-domain-name", "Default", "--os-project-domain-name", "Default"]


def _run(prefix: list[str], args: tuple[str, ...], check: bool) -> subprocess.CompletedProcess:
    proc = subprocess.run(prefix + list(args), capture_output=True, text=True,
                          env=_env(), timeout=120)
    if check:
        assert proc.returncode == 0, "%s %s failed (rc %s):\n%s\n%s" % (
            os.path.basename(prefix[0]), " ".join(args), proc.returncode,
            proc.stdout, proc.stderr)
    return proc


@pytest.fixture(scope="module")
def zun_cli(zun_keystone, keystone):
    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        return _run([str(harness.BIN / "zun")] + _auth_args(keystone), args, check)
    return run


@pytest.fixture(scope="module")
def osc(zun_keystone, keystone):
    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        return _run([str(harness.BIN / "openstack"), "--os-auth-type", "password",
                     "--os-identity-api-version", "3"] + _auth_args(keystone), args, check)
    return run


@pytest.fixture(scope="module")
def demo(keystone_api_as):
    return keystone_api_as("demo")


def test_catalog_points_at_this_deployment(zun_keystone, token_for):
    endpoint = token_for("demo").get_endpoint(service_type="container", interface="public")
    assert endpoint == zun_keystone.url + "/v1"


def test_zun_cli_lifecycle_through_the_catalog(zun_cli, demo, keystone):
    name = "ks-cli-%s" % uuidlib.uuid4().hex[:8]
    zun_cli("run", "--name", name, harness.IMAGE, "sh", "-c",
            "echo hello from $HOSTNAME; trap 'exit 0' TERM; sleep 3600 & wait")
    uuid = demo.wait_status(name, "Running")["uuid"]

    assert name in zun_cli("list").stdout

    shown = json.loads(zun_cli("show", name, "-f", "json").stdout)
    demo_account = keystone.accounts["demo"]
    assert shown["uuid"] == uuid and shown["status"] == "Running"
    assert shown["project_id"] == demo_account["project_id"]
    assert shown["user_id"] == demo_account["user_id"]

    harness.wait_until(lambda: "hello from" in zun_cli("logs", name).stdout,
                       what="the greeting in zun logs")
    assert "exec-ok" in zun_cli("exec", name, "echo", "exec-ok").stdout

    zun_cli("stop", name)
    demo.wait_status(name, "Stopped")
    zun_cli("delete", name)
    demo.wait_gone(uuid)


def test_zun_cli_cannot_see_other_projects_container(zun_cli, keystone_api_as):
    alt = keystone_api_as("alt_demo")
    theirs = alt.run(name="ks-alt-%s" % uuidlib.uuid4().hex[:8])
    try:
        alt.wait_status(theirs["uuid"], "Running")
        assert theirs["uuid"] not in zun_cli("list").stdout
        missing = zun_cli("show", theirs["uuid"], check=False)
        assert missing.returncode != 0 and "(HTTP 404)" in missing.stderr
    finally:
        alt.delete("/v1/containers/%s" % theirs["uuid"], stop="True")
        alt.wait_gone(theirs["uuid"])


def test_openstack_appcontainer_list_with_password_auth(osc, demo, keystone):
    name = "ks-osc-%s" % uuidlib.uuid4().hex[:8]
    created = demo.run(name=name)
    try:
        demo.wait_status(created["uuid"], "Running")
        listed = json.loads(osc("appcontainer", "list", "-f", "json").stdout)
        mine = [c for c in listed if c["name"] == name]
        assert len(mine) == 1 and mine[0]["uuid"] == created["uuid"]
        shown = json.loads(osc("appcontainer", "show", name, "-f", "json").stdout)
        assert shown["project_id"] == keystone.accounts["demo"]["project_id"]
    finally:
        demo.delete("/v1/containers/%s" % created["uuid"], stop="True")
        demo.wait_gone(created["uuid"])
