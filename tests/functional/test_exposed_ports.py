"""exposed_ports end to end: a real server in a real container, published by
the engine on the compute host, found through the API view and answered
from the host; driven over HTTP and by the real ``zun run --expose-port``.
"""
from __future__ import annotations

import socket
import uuid as uuidlib

from tests.functional import harness
from tests.functional.test_cli import deployment, http, stub, zun_cli  # noqa: F401

GREETING = "hi-from-zun"
# busybox httpd serving one page on 8080; exec'd so the server is the container
SERVER = ["sh", "-c", "mkdir -p /www && echo %s > /www/index.html && "
                      "exec httpd -f -p 8080 -h /www" % GREETING]


def _name(prefix: str = "ports") -> str:
    return "%s-%s" % (prefix, uuidlib.uuid4().hex[:8])


def _get(host: str, port: int) -> str:
    """One HTTP GET by hand: the answer's text ('' when nothing answers yet)."""
    try:
        with socket.create_connection((host, port), timeout=5) as conn:
            conn.sendall(b"GET /index.html HTTP/1.0\r\nHost: x\r\n\r\n")
            chunks = []
            while True:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                chunks.append(chunk)
    except OSError:
        return ""
    return b"".join(chunks).decode("utf-8", "replace")


def _published(api, ident: str, port: int, protocol: str = "tcp") -> dict:
    """The view's entry for ``port``, waited for (the sync writes it at start)."""
    def find():
        shown = api.show(ident)
        for entry in shown["published_ports"]:
            if entry["port"] == port and entry["protocol"] == protocol:
                return entry
        return None
    return harness.wait_until(find, what="%s/%s of %s to be published"
                              % (port, protocol, ident))


def _answered(entry: dict) -> str:
    return harness.wait_until(
        lambda: GREETING in _get(entry["host_ip"], entry["host_port"]) and True,
        what="the server to answer on %s:%s" % (entry["host_ip"], entry["host_port"]))


def test_exposed_port_is_answered_on_the_host(api, docker_client):
    body = api.run(name=_name(), command=SERVER,
                   exposed_ports={"8080/tcp": {}, "5353/udp": {}},
                   security_groups=["default"])
    uuid = body["uuid"]
    try:
        shown = api.wait_status(uuid, "Running")
        assert 8080 in shown["ports"] and 5353 in shown["ports"]
        tcp = _published(api, uuid, 8080)
        # the default [docker] publish_address: loopback, for a trial
        assert tcp["host_ip"] == "127.0.0.1" and tcp["host_port"] > 0
        udp = _published(api, uuid, 5353, "udp")
        assert udp["host_ip"] == "127.0.0.1"
        assert _answered(tcp)

        attrs = docker_client.containers.get("zun-%s" % uuid).attrs
        assert attrs["HostConfig"]["PortBindings"]["8080/tcp"] == [
            {"HostIp": "127.0.0.1", "HostPort": ""}]

        # stopped: nothing is published; started again: published anew
        assert api.post("/v1/containers/%s/stop" % uuid, timeout="1").status_code == 202
        stopped = api.wait_status(uuid, "Stopped")
        assert stopped["published_ports"] == []
        assert 8080 in stopped["ports"]
        assert api.post("/v1/containers/%s/start" % uuid).status_code == 202
        api.wait_status(uuid, "Running")
        assert _answered(_published(api, uuid, 8080))

        # addresses in upstream's shape, keyed by the runtime network's name
        nets = api.show(uuid)["addresses"]
        assert nets, "a running container has an address"
        for entries in nets.values():
            for entry in entries:
                assert set(entry) == {"addr", "version", "port", "subnet_id",
                                      "preserve_on_delete"}
                assert entry["port"] is None and entry["preserve_on_delete"] is False
        # an older client sees upstream's field set only
        old = api.get("/v1/containers/%s" % uuid, version="1.23").json()
        assert "published_ports" not in old
    finally:
        api.delete("/v1/containers/%s" % uuid, force="True", stop="True")


def test_bad_exposed_ports_are_refused_before_anything_runs(api):
    name = _name()
    resp = api.post("/v1/containers", {"image": harness.IMAGE, "name": name,
                                       "exposed_ports": {"70000/tcp": {}}})
    assert resp.status_code == 400, resp.text
    assert "exposed_ports.70000/tcp" in resp.json()["errors"][0]["title"]
    resp = api.post("/v1/containers", {"image": harness.IMAGE, "name": name,
                                       "exposed_ports": {"80": {}},
                                       "security_groups": ["web"]})
    assert resp.status_code == 400, resp.text
    assert "security groups need Neutron" in resp.json()["errors"][0]["title"]
    assert api.get("/v1/containers/%s" % name).status_code == 404


def test_zun_cli_expose_port(deployment, stub, http):  # noqa: F811
    url = deployment.url
    name = _name("cli-ports")
    zun_cli(stub, url, "run", "--name", name, "--expose-port", "8080",
            harness.IMAGE, *SERVER)
    try:
        http.wait_status(name, "Running")
        entry = _published(http, name, 8080)
        assert _answered(entry)
        shown = zun_cli(stub, url, "show", name).stdout
        assert "published_ports" in shown and str(entry["host_port"]) in shown
    finally:
        http.delete("/v1/containers/%s" % name, force="True", stop="True")
        http.wait_gone(name)
