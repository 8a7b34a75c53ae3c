"""The real python-zunclient 5.5.0 library against this API over HTTP.

Not end to end: the compute API is the recording fake. What this proves is
the wire contract — paths, query strings, bodies, status codes and JSON
shapes — as the real client produces and parses them (the way Heat uses it:
a token plus an endpoint, a pinned microversion).
"""
from __future__ import annotations

import threading
from typing import Iterator
from wsgiref import simple_server

import pytest
from zunclient import client as zun_client
from zunclient import exceptions as zun_exc

from tests.unit.api.conftest import make_container
from zun.api import app as api_app
from zun.common import policy
from zun.conf import CONF


class _QuietHandler(simple_server.WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def endpoint(db, compute) -> Iterator[str]:
    CONF.set_override("auth_strategy", "noauth", "api")
    policy.reset()
    server = simple_server.make_server("127.0.0.1", 0, api_app.setup_app(compute),
                                       handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "http://127.0.0.1:%d/v1" % server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        CONF.clear_override("auth_strategy", "api")
        policy.reset()


def _client(endpoint: str, version: str):
    return zun_client.Client(version, auth_token="notused",
                             endpoint_override=endpoint)


def test_heat_like_run_at_1_12_and_poll(endpoint, compute):
    zun = _client(endpoint, "1.12")
    created = zun.containers.run(image="busybox", name="heat1", command=["echo", "a b"],
                                 memory="64", cpu="0.5",
                                 restart_policy={"Name": "on-failure",
                                                 "MaximumRetryCount": "2"})
    (ctx, values), kwargs = compute.last("container_create")
    assert kwargs == {"run": True}
    assert values["command"] == ["echo", "a b"]
    assert created.name == "heat1"
    shown = zun.containers.get(created.uuid)
    assert shown.status == "Creating"
    assert shown.restart_policy == {"Name": "on-failure", "MaximumRetryCount": "2"}


def test_latest_negotiation_list_and_actions(endpoint, compute):
    make_container(project="noauth", user="noauth", name="web")
    zun = _client(endpoint, "1.latest")
    assert str(zun.api_version.get_string()) == "1.40"
    assert [c.name for c in zun.containers.list()] == ["web"]
    assert [c.name for c in zun.containers.list(limit=1, sort_key="name")] == ["web"]
    zun.containers.stop("web", 10)
    (ctx, container, action), kwargs = compute.last("container_action")
    assert (action, kwargs) == ("stop", {"timeout": 10})


def test_update_exec_logs_and_delete(endpoint, compute):
    make_container(project="noauth", user="noauth", name="web", status="Stopped")
    zun = _client(endpoint, "1.40")
    updated = zun.containers.update("web", memory="128", cpu="1")
    assert updated.memory == "128"
    assert zun.containers.logs("web", stdout=True, stderr=True) == "line1\nline2\n"
    compute.exec_result = {"output": "hi\n", "exit_code": 0}
    make_container(project="noauth", user="noauth", name="run1")
    result = zun.containers.execute("run1", command='"echo" "hi"')
    assert result["output"] == "hi\n"
    assert compute.last("container_exec")[0][2] == ["echo", "hi"]
    zun.containers.delete("web", force=False, stop=False)
    assert compute.last("container_delete")[1] == {"force": False, "stop": False}


def test_client_sees_errors_as_its_exceptions(endpoint):
    zun = _client(endpoint, "1.40")
    with pytest.raises(zun_exc.NotFound) as info:
        zun.containers.get("ghost")
    assert "ghost" in str(info.value)
    with pytest.raises(zun_exc.BadRequest) as info:
        zun.containers.create(image="busybox", memory="-1")
    assert "memory" in str(info.value)


def test_rename_406_lets_heat_fall_back(endpoint, compute):
    make_container(project="noauth", user="noauth", name="old")
    with pytest.raises(zun_exc.NotAcceptable):
        _client(endpoint, "1.18").containers.rename("old", "new")
    _client(endpoint, "1.12").containers.rename("old", "new")
    assert compute.last("container_rename")[0][2] == "new"


def test_cli_shaped_healthcheck_and_refused_network_fields(endpoint, compute):
    from zunclient.common import utils as zun_utils
    zun = _client(endpoint, "1.40")
    # what `zun create --healthcheck cmd=...,interval=1m,retries=2,timeout=5s` sends
    check = zun_utils.parse_health(["cmd=test -f /ok,interval=1m,retries=2,timeout=5s"])
    zun.containers.create(image="busybox", healthcheck=check, security_groups=["default"])
    (ctx, values), _ = compute.last("container_create")
    assert values["healthcheck"] == {"test": "test -f /ok", "interval": 60,
                                     "retries": 2, "timeout": 5}
    # what `zun run --expose-port 8080 --expose-port 53/udp` sends
    zun.containers.create(image="busybox",
                          exposed_ports=zun_utils.parse_exposed_ports(["8080", "53/udp"]))
    (ctx, values), _ = compute.last("container_create")
    assert values["exposed_ports"] == {"8080/tcp": {}, "53/udp": {}}
    with pytest.raises(zun_exc.BadRequest) as info:
        zun.containers.create(image="busybox",
                              exposed_ports=zun_utils.parse_exposed_ports(["80/sctp"]))
    assert "exposed_ports.80/sctp" in str(info.value)
