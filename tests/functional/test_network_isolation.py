"""Tenant isolation at the runtime: real zun-all, real Docker, real iptables.

Two projects, each with running containers created through the API; every
connection is tried from inside a container with ``nc -w 2`` and judged by
its exit code and what the listener answered. Runs as root (iptables).
"""
from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
import threading
import uuid as uuidlib

import docker
import pytest

from tests.functional import harness
from zun.conf import CONF
from zun.network import base as network_base
from zun.network import docker as netdocker

LISTEN = ["sh", "-c", "trap 'exit 0' TERM; nc -ll -p 8080 -e echo hi & wait"]


@pytest.fixture(scope="module")
def deployment(request, docker_client):
    zun = harness.ZunProcesses(mode="all", extra_conf="[compute]\norphan_grace = 0\n"
                                                      "[network]\nrelease_after = 0\n")
    zun.conf_file.write_text(zun.conf_file.read_text().replace(
        "sync_interval = 5", "sync_interval = 2"))
    zun.start()
    yield zun
    if request.session.testsfailed:
        print(zun.logs())
    zun.stop()
    for net in docker_client.networks.list(filters={"label": "zun.host=%s" % zun.host}):
        net.remove()


def _api(zun, project):
    return harness.ApiClient(zun.url, project=project)


def _net(docker_client, zun, project):
    """The project's network on the deployment's host, or None."""
    found = docker_client.networks.list(filters={"label": [
        "%s=%s" % (network_base.LABEL_PROJECT, project),
        "%s=%s" % (network_base.LABEL_HOST, zun.host)]})
    return found[0] if found else None


def _ip(docker_client, uuid):
    nets = docker_client.containers.get("zun-%s" % uuid).attrs["NetworkSettings"]["Networks"]
    assert len(nets) == 1, nets  # the project's network only, not the default bridge
    ((name, endpoint),) = nets.items()
    return name, endpoint["IPAddress"]


def _reach(docker_client, uuid, ip, port) -> bool:
    """Whether the container ``uuid`` opens a connection to ip:port and hears 'hi'."""
    code, out = docker_client.containers.get("zun-%s" % uuid).exec_run(
        ["nc", "-w", "2", ip, str(port)], stdin=False)
    return code == 0 and b"hi" in out


def _host_address() -> str:
    """A non-loopback IPv4 address of this host (the route to the outside)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("192.0.2.254", 9))
            return sock.getsockname()[0]
        except OSError:
            pytest.fail("no non-loopback IPv4 address on this host: the host guard "
                        "test needs one")


class Listener:
    """A TCP server on the host's 0.0.0.0 that says 'hi' to whoever connects."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("0.0.0.0", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"hi\n")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def listener():
    srv = Listener()
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def tenants(deployment, docker_client):
    """Project A: a1 (listening on 8080), a2; project B: b1 (listening)."""
    tag = uuidlib.uuid4().hex[:6]
    a, b = _api(deployment, "net-a-" + tag), _api(deployment, "net-b-" + tag)
    made = {"a1": (a, a.run(command=LISTEN)["uuid"]), "a2": (a, a.run()["uuid"]),
            "b1": (b, b.run(command=LISTEN)["uuid"])}
    for api, uuid in made.values():
        api.wait_status(uuid, "Running")
    yield {"a": a, "b": b, **{k: v[1] for k, v in made.items()}}
    for api, uuid in made.values():
        api.delete("/v1/containers/%s" % uuid, stop="True")


def test_each_project_has_its_own_labelled_bridge_network(deployment, docker_client,
                                                          tenants):
    (na, ip_a1), (na2, _), (nb, ip_b1) = (_ip(docker_client, tenants[k])
                                          for k in ("a1", "a2", "b1"))
    assert na == na2 != nb
    net = docker_client.networks.get(na)
    labels = net.attrs["Labels"]
    assert labels[network_base.LABEL_PROJECT] == tenants["a"].headers["X-Project-Id"]
    assert labels[network_base.LABEL_HOST] == deployment.host
    assert labels[network_base.LABEL_KIND] == "project"
    bridge = net.attrs["Options"][netdocker.BRIDGE_NAME_OPTION]
    assert bridge.startswith(CONF.network.bridge_prefix) and len(bridge) == 15
    pool = ipaddress.ip_network(CONF.network.subnet_pool)
    for ip in (ip_a1, ip_b1):
        assert ipaddress.ip_address(ip) in pool
    listed = subprocess.run(["docker", "-H", harness.docker_url(), "network", "ls",
                             "--filter", "label=zun.project_id", "--format",
                             "{{.Name}} {{.Labels}}"], capture_output=True, text=True)
    if listed.returncode == 0:  # the CLI is optional; the SDK check above is not
        assert any(line.startswith(na + " ") and "zun.network=project" in line
                   for line in listed.stdout.splitlines()), listed.stdout


def test_connection_matrix(docker_client, tenants, listener):
    host_ip = _host_address()
    _, ip_a1 = _ip(docker_client, tenants["a1"])
    _, ip_b1 = _ip(docker_client, tenants["b1"])
    gateway = docker_client.networks.get(_ip(docker_client, tenants["a1"])[0]).attrs[
        "IPAM"]["Config"][0]["Gateway"]
    # controls: the listeners answer where nothing isolates
    with socket.create_connection((host_ip, listener.port), timeout=5) as conn:
        assert conn.recv(3) == b"hi\n"
    assert _reach(docker_client, tenants["b1"], ip_b1, 8080)
    seen = {
        "same project": _reach(docker_client, tenants["a2"], ip_a1, 8080),
        "other project": _reach(docker_client, tenants["b1"], ip_a1, 8080),
        "other project, reverse": _reach(docker_client, tenants["a2"], ip_b1, 8080),
        "host via gateway": _reach(docker_client, tenants["a1"], gateway, listener.port),
        "host address": _reach(docker_client, tenants["a1"], host_ip, listener.port),
    }
    assert seen == {"same project": True, "other project": False,
                    "other project, reverse": False, "host via gateway": False,
                    "host address": False}


def test_the_guard_is_what_blocks_the_host(docker_client, listener, tenants):
    """A container on Docker's default bridge (not zun's) does reach the
    host listener: the block above is zun's guard, not the listener."""
    host_ip = _host_address()
    plain = docker_client.containers.run(harness.IMAGE, harness.SLEEPER, detach=True,
                                         labels={"zun.test": "network"})
    try:
        code, out = plain.exec_run(["nc", "-w", "2", host_ip, str(listener.port)])
        assert code == 0 and b"hi" in out
    finally:
        plain.remove(force=True)


def test_ports_published_on_the_host(docker_client, tenants):
    """A port Docker publishes on the host: answered from the host; from a
    project container it is not (the DNAT sends it to another bridge,
    which Docker's isolation drops), and neither is it via the gateway."""
    host_ip = _host_address()
    port = harness.free_port()
    pub = docker_client.containers.run(harness.IMAGE, LISTEN, detach=True,
                                       ports={"8080/tcp": ("0.0.0.0", port)},
                                       labels={"zun.test": "network"})
    try:
        def answered():
            try:
                with socket.create_connection((host_ip, port), timeout=2) as conn:
                    return conn.recv(3) == b"hi\n"
            except OSError:
                return False
        harness.wait_until(answered, timeout=20, what="the published port")
        assert _reach(docker_client, tenants["a1"], host_ip, port) is False
    finally:
        pub.remove(force=True)


@pytest.fixture
def outside():
    """A listener in its own network namespace behind a veth: a destination
    that is neither this host nor a project (stands in for the internet)."""
    if os.geteuid() != 0:
        pytest.fail("needs root for a network namespace (make test runs as root)")
    ns, tag = "zunegress" + uuidlib.uuid4().hex[:6], uuidlib.uuid4().hex[:6]
    host_if, ns_if = "zeh" + tag, "zen" + tag
    addr_host, addr_ns = "198.51.100.1", "198.51.100.2"
    steps = [["ip", "netns", "add", ns],
             ["ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if],
             ["ip", "link", "set", ns_if, "netns", ns],
             ["ip", "addr", "add", addr_host + "/30", "dev", host_if],
             ["ip", "link", "set", host_if, "up"],
             ["ip", "netns", "exec", ns, "ip", "addr", "add", addr_ns + "/30", "dev", ns_if],
             ["ip", "netns", "exec", ns, "ip", "link", "set", ns_if, "up"],
             ["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"]]
    proc = None
    try:
        for step in steps:
            subprocess.run(step, check=True, capture_output=True)
        server = ("import socket\ns=socket.socket();s.bind(('%s',9090));s.listen(8)\n"
                  "print('ready',flush=True)\n"
                  "while True:\n c,_=s.accept();c.sendall(b'hi\\n');c.close()\n" % addr_ns)
        proc = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", server],
                                stdout=subprocess.PIPE)
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
        yield addr_ns, 9090
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        subprocess.run(["ip", "link", "del", host_if], capture_output=True)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def test_egress_allowed_by_default_and_denied_by_the_option(docker_client, tenants,
                                                            outside):
    ip, port = outside
    _, ip_a1 = _ip(docker_client, tenants["a1"])
    assert _reach(docker_client, tenants["a1"], ip, port) is True
    # The egress rule is host-wide: installed here as an agent with
    # allow_egress = False would, then put back as the deployment has it.
    driver = netdocker.DockerNetworkDriver(host="egress-test")
    CONF.set_override("allow_egress", False, group="network")
    try:
        driver.setup_host()
        assert _reach(docker_client, tenants["a1"], ip, port) is False
        assert _reach(docker_client, tenants["a2"], ip_a1, 8080) is True
    finally:
        CONF.clear_override("allow_egress", group="network")
        driver.setup_host()
    assert _reach(docker_client, tenants["a1"], ip, port) is True


def test_network_made_on_first_container_removed_after_the_last(deployment,
                                                                docker_client):
    api = _api(deployment, "net-life-" + uuidlib.uuid4().hex[:6])
    project = api.headers["X-Project-Id"]
    assert _net(docker_client, deployment, project) is None
    first, second = api.run()["uuid"], api.run(run=False)["uuid"]
    api.wait_status(first, "Running")
    api.wait_status(second, "Created")
    net = _net(docker_client, deployment, project)
    assert net is not None
    api.delete("/v1/containers/%s" % first, stop="True")
    api.wait_gone(first)
    # a created (never started) container has no endpoint, yet needs its network
    assert _net(docker_client, deployment, project) is not None
    api.post("/v1/containers/%s/start" % second)
    api.wait_status(second, "Running")
    api.delete("/v1/containers/%s" % second, stop="True")
    api.wait_gone(second)
    harness.wait_until(lambda: _net(docker_client, deployment, project) is None,
                       timeout=30, what="the project network to be removed")


def test_network_removed_from_outside(deployment, docker_client):
    api = _api(deployment, "net-ext-" + uuidlib.uuid4().hex[:6])
    project = api.headers["X-Project-Id"]
    first = api.run()["uuid"]
    api.wait_status(first, "Running")
    net = _net(docker_client, deployment, project)
    net.disconnect("zun-%s" % first, force=True)
    net.remove()
    deployment.wait_log("zun-all", "The network of project %s" % project, timeout=30)
    assert api.show(first)["status"] == "Running"  # as the runtime reports it
    second = api.run()["uuid"]
    api.wait_status(second, "Running")
    again = _net(docker_client, deployment, project)
    assert again is not None and again.id != net.id
    assert _ip(docker_client, second)[0] == again.name
    for uuid in (first, second):
        api.delete("/v1/containers/%s" % uuid, stop="True")


def test_orphan_network_removed_by_the_sync(deployment, docker_client):
    project = "net-orphan-" + uuidlib.uuid4().hex[:6]
    driver = netdocker.DockerNetworkDriver(host=deployment.host)
    with driver.project_network(project) as facts:
        assert docker_client.networks.get(facts.network_id)
    deployment.wait_log("zun-all", "Removed orphaned network %s" % facts.name, timeout=30)
    with pytest.raises(docker.errors.NotFound):
        docker_client.networks.get(facts.network_id)
