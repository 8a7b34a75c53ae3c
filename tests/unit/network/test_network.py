"""The network driver slot, the docker driver's pure parts, and how the
compute agent uses a network driver (a fake one: the layer below)."""
from __future__ import annotations

import subprocess

import pytest

from tests.unit.compute.conftest import HOST, FakeNetwork, make_row
from zun import network as networks
from zun.common import exception, states
from zun.compute import service as service_mod
from zun.compute import sync as sync_mod
from zun.conf import CONF
from zun.container.driver import base as driver_base
from zun.container.driver import docker_facts
from zun.db import api as db_api
from zun.network import docker as netdocker


# --- loader ------------------------------------------------------------------
def test_default_driver_is_docker_for_this_host():
    drv = networks.load_driver(host="h1")
    assert isinstance(drv, netdocker.DockerNetworkDriver) and drv.host == "h1"
    assert "docker" in networks.available()


@pytest.mark.parametrize("name", ["noop", "base", "../x", "Docker"])
def test_unknown_driver_is_a_clear_error(name):
    with pytest.raises(exception.Invalid, match="unknown network driver .*available: docker"):
        networks.load_driver(name)


# --- names and subnets ----------------------------------------------------------
def test_names_are_per_host_and_project_and_fit_an_interface_name():
    a = netdocker.network_name("h1", "p1")
    assert a.startswith("zun-") and len(a) == 16
    assert a == netdocker.network_name("h1", "p1")
    assert a != netdocker.network_name("h2", "p1") != netdocker.network_name("h1", "p2")
    bridge = netdocker.bridge_name("h1", "p1", "zbr")
    assert bridge.startswith("zbr") and len(bridge) == 15
    assert len(netdocker.bridge_name("h1", "p1", "abcd")) == 15


def test_subnet_skips_every_overlapping_network():
    used = ["10.128.0.0/24", "10.128.1.128/25", "172.17.0.0/16", "fd00::/64", "junk", ""]
    assert netdocker.allocate_subnet("10.128.0.0/12", 24, used) == "10.128.2.0/24"
    # a /16 of Docker's default pool inside ours hides all its /24s
    assert netdocker.allocate_subnet("10.128.0.0/15", 24, ["10.128.0.0/16"]) == "10.129.0.0/24"


def test_exhausted_or_bad_pool_is_a_network_error():
    with pytest.raises(exception.NetworkError, match="no free /24"):
        netdocker.allocate_subnet("10.0.0.0/23", 24, ["10.0.0.0/24", "10.0.1.0/24"])
    with pytest.raises(exception.NetworkError, match="not an IPv4 CIDR"):
        netdocker.allocate_subnet("fd00::/48", 64, [])
    with pytest.raises(exception.NetworkError, match="shorter than the pool"):
        netdocker.allocate_subnet("10.0.0.0/16", 12, [])


def test_default_pool_option_and_prefix_validation():
    assert CONF.network.subnet_pool == "10.128.0.0/12"
    assert CONF.network.subnet_prefixlen == 24 and CONF.network.allow_egress is True
    with pytest.raises(ValueError):
        CONF.set_override("bridge_prefix", "toolong", group="network")


# --- iptables rules ------------------------------------------------------------------
def test_guard_accepts_replies_and_drops_everything_else():
    assert netdocker.guard_rules("zbr") == [
        ["-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"],
        ["-j", "DROP"]]
    assert netdocker.jump_rule("zbr", "ZUN-HOST-GUARD") == ["-i", "zbr+", "-j",
                                                            "ZUN-HOST-GUARD"]


def test_egress_rules_leave_zun_bridges_to_dockers_isolation():
    assert netdocker.egress_rules("zbr") == [
        ["-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "RETURN"],
        ["-o", "zbr+", "-j", "RETURN"],
        ["-j", "DROP"]]


class FakeIptables:
    """Chains as lists of rule strings; answers like the iptables binary."""

    def __init__(self, docker_chains: bool = True) -> None:
        self.chains: dict[tuple[str, str], list[str]] = {}
        for family in ("iptables", "ip6tables"):
            self.chains[(family, "INPUT")] = []
        if docker_chains:
            self.chains[("iptables", "DOCKER-ISOLATION-STAGE-1")] = []
            self.chains[("iptables", "DOCKER-USER")] = ["-j RETURN"]
        self.commands: list[list[str]] = []

    def __call__(self, argv):
        self.commands.append(argv)
        family, _, op, chain, *rest = argv
        key, rule = (family, chain), " ".join(rest)
        ok, out = True, ""
        if op == "-S":
            ok = key in self.chains
            out = "".join(f"-A {chain} {r}\n" for r in self.chains.get(key, []))
        elif op == "-N":
            ok = key not in self.chains
            self.chains.setdefault(key, [])
        elif op in ("-F", "-X"):
            ok = key in self.chains
            if ok and op == "-F":
                self.chains[key] = []
            elif ok:
                del self.chains[key]
        elif op == "-A":
            self.chains[key].append(rule)
        elif op == "-I":
            self.chains[key].insert(int(rest[0]) - 1, " ".join(rest[1:]))
        elif op == "-C":
            ok = rule in self.chains.get(key, [])
        elif op == "-D":
            ok = rule in self.chains.get(key, [])
            if ok:
                self.chains[key].remove(rule)
        return subprocess.CompletedProcess(argv, 0 if ok else 1, out, "" if ok else "no")


def _driver(fake):
    return netdocker.DockerNetworkDriver(host="h1", api_url="unix:///nonexistent",
                                         run=fake)


def test_setup_host_installs_the_guard_idempotently_and_teardown_removes_it():
    fake = FakeIptables()
    drv = _driver(fake)
    drv.setup_host()
    for family in ("iptables", "ip6tables"):
        assert fake.chains[(family, "INPUT")] == ["-i zbr+ -j ZUN-HOST-GUARD"]
        assert fake.chains[(family, "ZUN-HOST-GUARD")] == [
            "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-j DROP"]
    assert ("iptables", "ZUN-EGRESS") not in fake.chains
    before = len(fake.commands)
    drv.setup_host()
    again = [c for c in fake.commands[before:]
             if c[2] in ("-A", "-I", "-F", "-N") and c[3] != "ZUN-EGRESS"]
    assert again == []  # converged: nothing rewritten, no gap opened
    assert fake.chains[("iptables", "INPUT")] == ["-i zbr+ -j ZUN-HOST-GUARD"]
    drv.teardown_host()
    assert fake.chains[("iptables", "INPUT")] == [] == fake.chains[("ip6tables", "INPUT")]
    assert ("iptables", "ZUN-HOST-GUARD") not in fake.chains


def test_egress_option_adds_and_removes_the_docker_user_jump():
    fake = FakeIptables()
    drv = _driver(fake)
    CONF.set_override("allow_egress", False, group="network")
    try:
        drv.setup_host()
        assert fake.chains[("iptables", "DOCKER-USER")] == ["-i zbr+ -j ZUN-EGRESS",
                                                            "-j RETURN"]
        assert fake.chains[("iptables", "ZUN-EGRESS")][-1] == "-j DROP"
    finally:
        CONF.clear_override("allow_egress", group="network")
    drv.setup_host()
    assert fake.chains[("iptables", "DOCKER-USER")] == ["-j RETURN"]
    assert ("iptables", "ZUN-EGRESS") not in fake.chains


def test_setup_host_refuses_without_dockers_isolation_chains():
    with pytest.raises(exception.NetworkError, match="iptables=false"):
        _driver(FakeIptables(docker_chains=False)).setup_host()


def test_a_refused_rule_is_a_network_error():
    fake = FakeIptables()

    def refuse(argv):
        if argv[2] == "-A":
            return subprocess.CompletedProcess(argv, 4, "", "permission denied")
        return fake(argv)
    with pytest.raises(exception.NetworkError, match="permission denied"):
        _driver(refuse).setup_host()


# --- the runtime driver's side ---------------------------------------------------------
def test_container_joins_only_the_given_network():
    spec = driver_base.ContainerSpec(uuid="u", project_id="p", image="busybox",
                                     networks=["zun-abc"])
    assert docker_facts.create_kwargs(spec)["network"] == "zun-abc"
    spec.networks = []
    assert "network" not in docker_facts.create_kwargs(spec)


# --- the compute agent ------------------------------------------------------------------------
def _create(manager, ctx):
    row = make_row(ctx, task_state=states.CONTAINER_CREATING)
    manager.container_create(ctx, row.uuid, run=True)
    return db_api.container_get_by_uuid(ctx, row.uuid)


def test_create_joins_the_project_network_and_delete_leaves_it_to_the_sweep(
        db, ctx, manager, driver, network):
    seen = []
    original = driver.create
    driver.create = lambda spec: (seen.append(spec), original(spec))[1]
    first, second = _create(manager, ctx), _create(manager, ctx)
    assert first.status == states.RUNNING
    assert [s.networks for s in seen] == [["zun-net-p1"], ["zun-net-p1"]]
    for row in (first, second):
        db_api.container_update(ctx, row.uuid, {"task_state": states.CONTAINER_DELETING})
        manager.container_delete(ctx, row.uuid, force=True, stop=False)
    # deletes never wait for the network: the reconcile removes it later
    assert not any(c[0] == "release_project_network" for c in network.calls)
    assert "p1" in network.networks
    CONF.set_override("release_after", 0, group="network")
    try:
        sync_mod.StateSync(driver, HOST, network=network).reconcile()
    finally:
        CONF.clear_override("release_after", group="network")
    assert "p1" not in network.networks


def test_a_network_failure_fails_the_create_truthfully(db, ctx, manager, driver, network):
    network.fail["project_network"] = exception.NetworkError(error_msg="no subnet")
    row = _create(manager, ctx)
    assert row.status == states.ERROR and "no subnet" in row.status_reason
    assert not any(c[0] == "create" for c in driver.calls)


def test_reconcile_removes_an_unused_network_after_release_after(db, ctx, driver, network):
    sync = sync_mod.StateSync(driver, HOST, network=network)
    with network.project_network("gone-project"):
        pass
    with network.project_network(ctx.project_id):
        pass
    make_row(ctx, container_id=None, status=states.CREATED)  # p1 has a row: kept
    CONF.set_override("release_after", 3600, group="network")
    try:
        counts = sync.reconcile()
        assert counts["network_orphans"] == 1 and counts["network_orphans_removed"] == 0
    finally:
        CONF.clear_override("release_after", group="network")
    CONF.set_override("release_after", 0, group="network")
    try:
        assert sync.reconcile()["network_orphans_removed"] == 1
    finally:
        CONF.clear_override("release_after", group="network")
    assert set(network.networks) == {ctx.project_id}


def test_reconcile_reports_a_network_removed_from_outside_once(db, ctx, driver, network,
                                                               manager, caplog):
    row = _create(manager, ctx)
    network.networks.clear()  # `docker network rm` behind zun's back
    sync = sync_mod.StateSync(driver, HOST, network=network)
    sync.reconcile()
    sync.reconcile()
    said = [r for r in caplog.records if "is gone (removed outside zun?)" in r.getMessage()]
    assert len(said) == 1
    assert db_api.container_get_by_uuid(ctx, row.uuid).status == states.RUNNING
    _create(manager, ctx)  # the next create makes it again
    assert ctx.project_id in network.networks


def test_unguarded_host_does_not_offer_create_until_the_guard_is_in(db, driver):
    net = FakeNetwork(driver)
    net.fail["setup_host"] = exception.NetworkError(error_msg="no iptables")
    svc = service_mod.ComputeService(driver, host=HOST, network=net)
    assert "create" in svc.capabilities()  # not tried yet
    assert svc.install_guard() is False and svc.guard_error
    assert "create" not in svc.capabilities() and "start" in svc.capabilities()
    del net.fail["setup_host"]
    assert svc.install_guard() is True and "create" in svc.capabilities()
