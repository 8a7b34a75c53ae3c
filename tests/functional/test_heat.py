"""OS::Zun::Container through a real Heat, against zun with Keystone auth.

heat-api + heat-engine 27.0.1 (tools/start-heat.sh) and a zun-api +
zun-compute deployment (``zun_keystone``) share one real Keystone; Heat
finds zun only through the catalog's ``container`` endpoint, and this test
finds Heat only through ``orchestration``. Heat is configured to act
through a trust after the first call (``reauthentication_auth_method =
trusts``), so every create poll, update and delete that reaches zun carries
a trust-scoped token. What zun did is checked through zun's API and through
Docker itself, never through Heat's word alone.
"""
from __future__ import annotations

import shlex
import time
import uuid as uuidlib

import docker
import pytest
import yaml
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from tests.functional import harness
from tests.functional.keystone_fixtures import KeystoneApiClient

WEB_COMMAND = "sh -c \"trap 'exit 0' TERM; sleep 3600 & wait\""
TTY_IMAGE = "zun-sleeper:local"  # its default command keeps running
MISSING_IMAGE = "zun-heat-no-such-image:latest"


def _template(resources: dict, parameters: dict | None = None,
              outputs: dict | None = None) -> str:
    body: dict = {"heat_template_version": "2018-08-31", "resources": resources}
    if parameters:
        body["parameters"] = parameters
    if outputs:
        body["outputs"] = outputs
    return yaml.safe_dump(body, sort_keys=False)


# name, cpu and memory are parameters: a stack update changes only them, so
# Heat must PATCH the same containers instead of replacing them
TWO_CONTAINERS = _template(
    parameters={"web_name": {"type": "string"},
                "web_cpu": {"type": "number", "default": 0.5},
                "web_memory": {"type": "number", "default": 64}},
    resources={
        "web": {"type": "OS::Zun::Container", "properties": {
            "name": {"get_param": "web_name"},
            "image": harness.IMAGE,
            "command": WEB_COMMAND,
            "cpu": {"get_param": "web_cpu"},
            "memory": {"get_param": "web_memory"},
            "environment": {"STACK_ROLE": "web", "GREETING": "hello heat"},
            "labels": {"app": "zun-heat", "tier": "web"},
            "workdir": "/tmp",
            "restart_policy": "on-failure:2"}},
        "console": {"type": "OS::Zun::Container", "properties": {
            "image": TTY_IMAGE,
            "tty": True,
            "interactive": True,
            "cpu": 0.25,
            "memory": 32,
            "labels": {"app": "zun-heat", "tier": "console"}}}},
    outputs={"web_name": {"value": {"get_attr": ["web", "name"]}},
             "web_id": {"value": {"get_resource": "web"}}})

MISSING = _template(resources={"broken": {"type": "OS::Zun::Container",
                                          "properties": {"image": MISSING_IMAGE}}})


def _uid() -> str:
    return uuidlib.uuid4().hex[:8]


@pytest.fixture(scope="module")
def zun_as(zun_keystone, keystone):
    """``zun_as("admin")``: zun's API on the deployment Heat reaches, with a real token."""
    def make(username: str) -> KeystoneApiClient:
        return KeystoneApiClient(zun_keystone.url, keystone.session(username))
    return make


@pytest.fixture(scope="module")
def demo_heat(heat, zun_keystone, heat_client_for):
    """A heat client of demo, once Heat and the zun deployment both run."""
    return heat_client_for("demo")


@pytest.fixture
def stacks(demo_heat, wait_stack):
    """Create stacks through this; whatever a test leaves is deleted after it."""
    made: list[str] = []

    def create(name: str, template: str, **parameters) -> str:
        stack_id = demo_heat.stacks.create(
            stack_name=name, template=template, parameters=parameters,
            timeout_mins=15, disable_rollback=True)["stack"]["id"]
        made.append(stack_id)
        return stack_id
    yield create
    for stack_id in made:
        if not _deleted(wait_stack(demo_heat, stack_id)):
            demo_heat.stacks.delete(stack_id)
            wait_stack(demo_heat, stack_id)


def _deleted(settled) -> bool:
    """A settled stack that is gone: purged (404) or shown as DELETE_COMPLETE."""
    return settled == "GONE" or settled.stack_status == "DELETE_COMPLETE"


def _resources(client, stack_id: str) -> dict[str, str]:
    """resource name -> physical id (the zun container uuid)."""
    return {r.resource_name: r.physical_resource_id for r in client.resources.list(stack_id)}


def _runtime(docker_client, uuid: str) -> dict:
    return docker_client.containers.get("zun-%s" % uuid).attrs


def _assert_runtime_gone(docker_client, uuid: str) -> None:
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get("zun-%s" % uuid)


def test_stack_create_update_delete(demo_heat, stacks, wait_stack, zun_as,
                                    docker_client, keystone, capsys):
    demo = zun_as("demo")
    web_name = "heat-web-%s" % _uid()
    started = time.monotonic()
    stack_id = stacks("zun-heat-%s" % _uid(), TWO_CONTAINERS, web_name=web_name)
    stack = wait_stack(demo_heat, stack_id)
    created_in = time.monotonic() - started
    assert stack.stack_status == "CREATE_COMPLETE", stack.stack_status_reason

    ids = _resources(demo_heat, stack_id)
    web, console = demo.show(ids["web"]), demo.show(ids["console"])
    assert demo_heat.stacks.output_show(stack_id, "web_name")["output"]["output_value"] \
        == web_name
    assert demo_heat.stacks.output_show(stack_id, "web_id")["output"]["output_value"] \
        == ids["web"]

    # what zun says it runs: the template's values, owned by demo
    demo_account = keystone.accounts["demo"]
    assert web["status"] == "Running" and console["status"] == "Running"
    assert web["name"] == web_name
    assert web["image"] == harness.IMAGE
    assert web["command"] == shlex.split(WEB_COMMAND)
    assert (web["cpu"], web["memory"]) == (0.5, "64")
    assert web["environment"] == {"STACK_ROLE": "web", "GREETING": "hello heat"}
    assert web["labels"] == {"app": "zun-heat", "tier": "web"}
    assert web["workdir"] == "/tmp"
    assert web["restart_policy"] == {"Name": "on-failure", "MaximumRetryCount": "2"}
    assert (web["user_id"], web["project_id"]) == (demo_account["user_id"],
                                                   demo_account["project_id"])
    assert console["image"] == TTY_IMAGE
    assert console["tty"] is True and console["interactive"] is True
    assert (console["cpu"], console["memory"]) == (0.25, "32")
    assert console["labels"] == {"app": "zun-heat", "tier": "console"}

    # what Docker runs
    rt_web, rt_console = _runtime(docker_client, ids["web"]), _runtime(docker_client,
                                                                       ids["console"])
    assert rt_web["State"]["Running"] and rt_console["State"]["Running"]
    assert rt_web["Config"]["Image"] == harness.IMAGE
    assert rt_web["Config"]["Cmd"] == shlex.split(WEB_COMMAND)
    assert {"STACK_ROLE=web", "GREETING=hello heat"} <= set(rt_web["Config"]["Env"])
    assert {"app": "zun-heat", "tier": "web"}.items() <= rt_web["Config"]["Labels"].items()
    assert rt_web["Config"]["WorkingDir"] == "/tmp"
    assert rt_web["HostConfig"]["NanoCpus"] == 500_000_000
    assert rt_web["HostConfig"]["Memory"] == 64 * 1024 * 1024
    assert rt_web["HostConfig"]["RestartPolicy"] == {"Name": "on-failure",
                                                     "MaximumRetryCount": 2}
    assert rt_console["Config"]["Image"] == TTY_IMAGE
    assert rt_console["Config"]["Tty"] is True and rt_console["Config"]["OpenStdin"] is True
    assert rt_console["HostConfig"]["NanoCpus"] == 250_000_000
    assert rt_console["HostConfig"]["Memory"] == 32 * 1024 * 1024

    # the trust Heat made at create: trustor demo, trustee Heat's user, impersonating
    trusts = _heat_trusts(keystone)
    assert trusts, "Heat made no trust of demo's for the stack"

    # update name, cpu and memory: the same containers change in place
    renamed = web_name + "-v2"
    started = time.monotonic()
    demo_heat.stacks.update(stack_id, existing=True,
                            parameters={"web_name": renamed, "web_cpu": 1,
                                        "web_memory": 96})
    stack = wait_stack(demo_heat, stack_id)
    updated_in = time.monotonic() - started
    assert stack.stack_status == "UPDATE_COMPLETE", stack.stack_status_reason
    assert _resources(demo_heat, stack_id) == ids
    web = demo.show(ids["web"])
    assert (web["name"], web["cpu"], web["memory"]) == (renamed, 1.0, "96")
    assert web["status"] == "Running"
    host_config = _runtime(docker_client, ids["web"])["HostConfig"]
    assert host_config["NanoCpus"] == 1_000_000_000
    assert host_config["Memory"] == 96 * 1024 * 1024
    assert demo_heat.stacks.output_show(stack_id, "web_name")["output"]["output_value"] \
        == renamed

    # delete: zun forgets both containers and Docker no longer has them
    started = time.monotonic()
    demo_heat.stacks.delete(stack_id)
    assert _deleted(wait_stack(demo_heat, stack_id))
    deleted_in = time.monotonic() - started
    for uuid in ids.values():
        assert demo.get("/v1/containers/%s" % uuid).status_code == 404
        assert zun_as("admin").get("/v1/containers/%s" % uuid,
                                   all_projects=True).status_code == 404
        _assert_runtime_gone(docker_client, uuid)
    # Heat drops its trust with the stack
    assert not (_heat_trusts(keystone) & trusts)
    with capsys.disabled():
        print("\nheat stack: create %.1fs, update %.1fs, delete %.1fs"
              % (created_in, updated_in, deleted_in))


def test_missing_image_fails_with_zuns_reason(demo_heat, stacks, wait_stack, zun_as,
                                              docker_client, capsys):
    started = time.monotonic()
    stack_id = stacks("zun-heat-missing-%s" % _uid(), MISSING)
    stack = wait_stack(demo_heat, stack_id)
    failed_in = time.monotonic() - started
    assert stack.stack_status == "CREATE_FAILED"

    # the last attempt's container stays, in Error, until the stack goes
    uuid = _resources(demo_heat, stack_id)["broken"]
    container = zun_as("demo").show(uuid)
    assert container["status"] == "Error"
    assert MISSING_IMAGE in container["status_reason"]
    assert container["status_reason"] in stack.stack_status_reason

    # Heat retried: each earlier attempt's container was deleted through zun
    attempts = {e.physical_resource_id for e in
                demo_heat.events.list(stack_id, resource_name="broken")
                if e.resource_status == "CREATE_FAILED" and e.physical_resource_id}
    assert uuid in attempts and len(attempts) >= 2, attempts
    for earlier in attempts - {uuid}:
        assert zun_as("demo").get("/v1/containers/%s" % earlier).status_code == 404
        _assert_runtime_gone(docker_client, earlier)

    demo_heat.stacks.delete(stack_id)
    assert _deleted(wait_stack(demo_heat, stack_id))
    assert zun_as("demo").get("/v1/containers/%s" % uuid).status_code == 404
    _assert_runtime_gone(docker_client, uuid)
    with capsys.disabled():
        print("\nheat stack with a missing image: CREATE_FAILED after %.1fs" % failed_in)


# --- trust-scoped tokens --------------------------------------------------------

def _heat_trusts(keystone) -> set[str]:
    """Ids of demo's trusts whose trustee is Heat's service user (impersonating)."""
    admin = keystone.session("admin")
    auth_url = keystone.auth_url
    heat_users = admin.get(auth_url + "/users?name=heat&domain_id=default").json()["users"]
    assert heat_users, "tools/start-heat.sh registered no heat user"
    trusts = admin.get(auth_url + "/OS-TRUST/trusts", params={
        "trustor_user_id": keystone.accounts["demo"]["user_id"]}).json()["trusts"]
    return {t["id"] for t in trusts
            if t["trustee_user_id"] == heat_users[0]["id"] and t["impersonation"]}


def test_trust_scoped_token_reaches_zun(zun_as, zun_keystone, keystone):
    """What Heat does after the first call, done by hand: demo delegates
    ``member`` on project demo to zun's service user, impersonating; the
    trustee's trust-scoped token lists, creates and deletes in demo's name."""
    demo, trustee = keystone.accounts["demo"], keystone.accounts["zun"]
    demo_session = keystone.session("demo")
    created = demo_session.post(keystone.auth_url + "/OS-TRUST/trusts", json={"trust": {
        "trustor_user_id": demo["user_id"], "trustee_user_id": trustee["user_id"],
        "project_id": demo["project_id"], "impersonation": True,
        "roles": [{"name": "member"}]}})
    trust_id = created.json()["trust"]["id"]
    try:
        auth = v3.Password(auth_url=keystone.auth_url, username="zun",
                           password=trustee["password"], user_domain_name="Default",
                           trust_id=trust_id)
        trust_session = ks_session.Session(auth=auth)
        access = auth.get_access(trust_session)
        assert access.trust_scoped and access.trust_id == trust_id
        # impersonation: the token speaks as demo in demo's project
        assert (access.user_id, access.project_id) == (demo["user_id"], demo["project_id"])

        client = KeystoneApiClient(zun_keystone.url, trust_session)
        resp = client.get("/v1/containers")
        assert resp.status_code == 200, resp.text
        container = client.run(name="trust-%s" % _uid())
        running = client.wait_status(container["uuid"], "Running")
        assert (running["user_id"], running["project_id"]) == (demo["user_id"],
                                                               demo["project_id"])
        # demo's own token sees what the trust made: same owner, same project
        assert zun_as("demo").show(container["uuid"])["uuid"] == container["uuid"]
        assert container["uuid"] in {c["uuid"] for c in
                                     client.get("/v1/containers").json()["containers"]}
        resp = client.delete("/v1/containers/%s" % container["uuid"], stop=True)
        assert resp.status_code == 204, resp.text
        client.wait_gone(container["uuid"])
    finally:
        demo_session.delete(keystone.auth_url + "/OS-TRUST/trusts/" + trust_id)
