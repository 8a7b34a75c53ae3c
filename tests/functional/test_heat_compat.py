"""What Heat's OS::Zun::Container does, through python-zunclient as a library.

Heat pins microversion 1.12 to create (``containers.run`` with a string
command), polls ``get``, updates at 1.18 (PATCH name/cpu/memory; on 406 it
falls back to ``rename`` at 1.12) and deletes with ``stop=True``. The
library is driven exactly so, with ``auth_token`` + ``endpoint_override``
(keystoneauth's admin_token plugin: no Keystone call), against a real
deployment over RabbitMQ.
"""
from __future__ import annotations

import shlex
import uuid as uuidlib

import pytest
from zunclient import client as zun_client
from zunclient.common.apiclient import exceptions as zun_exc

from tests.functional import harness


def _client(deployment, version: str):
    return zun_client.Client(version, endpoint_override=deployment.url + "/v1",
                             auth_token="heat-token")


def _wait(client, uuid: str, wanted: str) -> object:
    return harness.wait_until(
        lambda: (lambda c: c if c.status == wanted else None)(client.containers.get(uuid)),
        what="%s to be %s" % (uuid, wanted))


@pytest.fixture(scope="module")
def deployment(zun_split):
    return zun_split


def test_heat_create_update_delete_flow(deployment, docker_client):
    c112 = _client(deployment, "1.12")
    name = "heat-%s" % uuidlib.uuid4().hex[:8]
    created = c112.containers.run(
        name=name, image=harness.IMAGE,
        # Heat shlex-splits its string property; zunclient at 1.12 re-joins
        # the words as '"sh" "-c" "..."', which the server splits again
        command=shlex.split("sh -c \"trap 'exit 0' TERM; sleep 3600 & wait\""),
        cpu=0.5, memory="64", environment={"STACK": "demo"}, labels={"heat": "yes"},
        restart_policy={"Name": "on-failure", "MaximumRetryCount": "2"},
        interactive=False, image_driver="docker", security_groups=["default"],
        workdir="/tmp")
    assert created.status == "Creating"
    container = _wait(c112, created.uuid, "Running")
    assert container.command == ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
    assert container.restart_policy["MaximumRetryCount"] == "2"
    attrs = docker_client.containers.get("zun-%s" % created.uuid).attrs
    assert "STACK=demo" in attrs["Config"]["Env"]
    assert attrs["HostConfig"]["NanoCpus"] == 500_000_000

    c118 = _client(deployment, "1.18")
    renamed = name + "-v2"
    updated = c118.containers.update(created.uuid, name=renamed, cpu=1, memory="96")
    assert (updated.name, updated.cpu, updated.memory) == (renamed, 1.0, "96")
    host_config = docker_client.containers.get("zun-%s" % created.uuid).attrs["HostConfig"]
    assert host_config["Memory"] == 96 * 1024 * 1024

    # Heat's fallback path: rename exists up to 1.13 and is 406 after
    with pytest.raises(zun_exc.NotAcceptable):
        c118.containers.rename(created.uuid, name)
    c112.containers.rename(created.uuid, name)
    assert c112.containers.get(created.uuid).name == name

    c112.containers.delete(created.uuid, stop=True)
    harness.wait_until(lambda: _gone(c112, created.uuid), what="container deleted")


def _gone(client, uuid: str) -> bool:
    try:
        client.containers.get(uuid)
    except zun_exc.NotFound:
        return True
    return False


def test_heat_sees_a_missing_image_as_error_with_reason(deployment):
    c112 = _client(deployment, "1.12")
    created = c112.containers.run(image="no-such-image:heat", command=["true"])
    failed = _wait(c112, created.uuid, "Error")
    assert "no-such-image:heat" in failed.status_reason
    c112.containers.delete(created.uuid, stop=True)
    harness.wait_until(lambda: _gone(c112, created.uuid), what="container deleted")
