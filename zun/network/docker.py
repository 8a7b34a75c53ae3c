"""The ``docker`` network driver: one Docker bridge network per project per host.

What isolates what (docs/networking.rst says it for operators):

* Project from project: every project network is its own Linux bridge, and
  Docker's DOCKER-ISOLATION chains (FORWARD) drop traffic between two
  bridge networks. zun relies on them, so :meth:`setup_host` refuses to
  report the host guarded when they are missing (Docker started with
  ``--iptables=false``).
* Host from tenants: zun's ``ZUN-HOST-GUARD`` chain, jumped from INPUT for
  packets coming in on any zun bridge (``-i zbr+``), lets replies through
  and drops every new connection, so a container cannot reach a service
  listening on any host address, the bridge gateway included. Ports the
  engine publishes are DNATed in PREROUTING and so never reach INPUT.
* Egress elsewhere: allowed by default; with ``[network] allow_egress =
  False`` the ``ZUN-EGRESS`` chain (jumped from DOCKER-USER for ``-i
  zbr+``) drops new connections from a zun bridge to anything but a zun
  bridge (where Docker's isolation then leaves only the container's own).

The rules are host-wide (one set for every zun agent sharing this host and
engine) and survive the agent: containers outlive it, so must their guard.
They are removed only by :meth:`teardown_host` (an operator's uninstall).
"""
from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import logging
import shutil
import subprocess
import threading
from typing import Any, Callable, Iterator

import docker
import docker.errors
import docker.types
import requests.exceptions

from zun.common import exception
from zun.conf import CONF
from zun.network import base

LOG = logging.getLogger(__name__)

GUARD_CHAIN = "ZUN-HOST-GUARD"
EGRESS_CHAIN = "ZUN-EGRESS"
# Docker's own chains zun relies on (inter-network isolation) and hooks into
DOCKER_ISOLATION_CHAIN = "DOCKER-ISOLATION-STAGE-1"
DOCKER_USER_CHAIN = "DOCKER-USER"
BRIDGE_NAME_OPTION = "com.docker.network.bridge.name"
_IFNAMSIZ = 15  # longest Linux interface name
KIND_PROJECT = "project"
# What the API calls the project's network on every host (network_attach,
# nets on create): the same name as zun.api.schemas.containers uses.
DEFAULT_NETWORK = "default"

# (argv prefix, whether the family is required): IPv4 carries the project
# networks; IPv6 is guarded too because containers keep link-local IPv6
# addresses on the bridge when the host enables IPv6.
FAMILIES = (("iptables", True), ("ip6tables", False))

Runner = Callable[[list[str]], "subprocess.CompletedProcess[str]"]


# --- names and subnets (pure) ----------------------------------------------------
def _key(host: str, project_id: str) -> str:
    # the host is part of it: agents sharing one engine get distinct networks
    return hashlib.sha1(f"{host}\0{project_id}".encode()).hexdigest()


def network_name(host: str, project_id: str) -> str:
    """The Docker network name of ``project_id`` on ``host``."""
    return "zun-" + _key(host, project_id)[:12]


def bridge_name(host: str, project_id: str, prefix: str) -> str:
    """The Linux bridge interface name: ``prefix`` + hash, 15 characters."""
    return prefix + _key(host, project_id)[:_IFNAMSIZ - len(prefix)]


def allocate_subnet(pool: str, prefixlen: int, used: list[str]) -> str:
    """The first ``/prefixlen`` of ``pool`` that overlaps none of ``used``.

    ``used`` are the subnets of every Docker network (any family; entries
    that do not parse are ignored). Raises NetworkError when the pool is
    exhausted.
    """
    try:
        network = ipaddress.IPv4Network(pool)
    except ValueError as err:
        raise exception.NetworkError(
            error_msg=f"[network] subnet_pool {pool!r} is not an IPv4 CIDR: {err}") from err
    if prefixlen < network.prefixlen:
        raise exception.NetworkError(
            error_msg=f"[network] subnet_prefixlen {prefixlen} is shorter than "
                      f"the pool {pool}")
    taken = []
    for cidr in used:
        with contextlib.suppress(ValueError):
            taken.append(ipaddress.ip_network(cidr, strict=False))
    taken4 = [t for t in taken if isinstance(t, ipaddress.IPv4Network)]
    for candidate in network.subnets(new_prefix=prefixlen):
        if not any(candidate.overlaps(t) for t in taken4):
            return str(candidate)
    raise exception.NetworkError(
        error_msg=f"no free /{prefixlen} left in [network] subnet_pool {pool}")


# --- iptables rules (pure) -----------------------------------------------------------
def guard_rules(bridge_prefix: str) -> list[list[str]]:
    """The rules of GUARD_CHAIN (traffic from a zun bridge to the host itself)."""
    del bridge_prefix  # the jump already matched the bridge
    return [
        ["-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"],
        ["-j", "DROP"],
    ]


def egress_rules(bridge_prefix: str) -> list[list[str]]:
    """The rules of EGRESS_CHAIN (forwarded traffic from a zun bridge).

    Traffic to a zun bridge returns to Docker's chains: its isolation
    drops it unless it is the sender's own bridge.
    """
    return [
        ["-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "RETURN"],
        ["-o", bridge_prefix + "+", "-j", "RETURN"],
        ["-j", "DROP"],
    ]


def jump_rule(bridge_prefix: str, chain: str) -> list[str]:
    """The rule of a built-in (or Docker's) chain that sends zun bridges to ``chain``."""
    return ["-i", bridge_prefix + "+", "-j", chain]


def _run_command(argv: list[str]) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)


# --- Docker errors ------------------------------------------------------------------
_CONNECTION = (requests.exceptions.ConnectionError, ConnectionError, FileNotFoundError)


@contextlib.contextmanager
def _errors(url: str, what: str) -> Iterator[None]:
    """Engine failures as zun exceptions (NotFound passes through: callers decide)."""
    try:
        yield
    except docker.errors.NotFound:
        raise
    except _CONNECTION as err:
        LOG.warning("Docker engine unreachable at %s: %s", url, _short(err))
        raise exception.engine_unreachable() from err
    except (docker.errors.DockerException, requests.exceptions.RequestException,
            OSError) as err:
        raise exception.NetworkError(error_msg=f"{what}: {_short(err)}") from err


def _short(err: BaseException) -> str:
    text = " ".join(str(getattr(err, "explanation", None) or err).split())
    return text if len(text) <= 300 else text[:297] + "..."


class DockerNetworkDriver(base.NetworkDriver):
    """Bridge networks on the local Docker engine; iptables for the host guard."""

    name = "docker"
    capabilities = frozenset({"network"})

    def __init__(self, host: str | None = None, api_url: str | None = None,
                 run: Runner | None = None) -> None:
        # Arguments exist for tests and tools; the agent relies on CONF.
        self.host = host or CONF.host
        self._url = api_url or CONF.docker.api_url
        self._run = run or _run_command
        self._client: docker.APIClient | None = None
        self._client_lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    # --- engine access -------------------------------------------------------
    @property
    def _api(self) -> docker.APIClient:
        """The client, created on first use (the SDK asks the engine its version)."""
        with self._client_lock:
            if self._client is None:
                with _errors(self._url, "connecting to the Docker engine"):
                    self._client = docker.APIClient(
                        base_url=self._url, timeout=CONF.docker.default_timeout)
            return self._client

    def _lock(self, project_id: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(project_id, threading.Lock())

    @property
    def _prefix(self) -> str:
        return str(CONF.network.bridge_prefix)

    def _filters(self, project_id: str | None = None) -> dict[str, Any]:
        labels = [f"{base.LABEL_KIND}={KIND_PROJECT}", f"{base.LABEL_HOST}={self.host}"]
        if project_id is not None:
            labels.append(f"{base.LABEL_PROJECT}={project_id}")
        return {"label": labels}

    def _facts(self, net: dict[str, Any], containers: list[str]) -> base.NetworkFacts:
        config = ((net.get("IPAM") or {}).get("Config") or [{}])[0]
        return base.NetworkFacts(
            network_id=net["Id"], name=net["Name"],
            project_id=(net.get("Labels") or {}).get(base.LABEL_PROJECT),
            subnet=config.get("Subnet"), gateway=config.get("Gateway"),
            containers=containers)

    def _attached(self, network_id: str, name: str) -> list[str]:
        """Ids of every container (any state) that names the network.

        Not the network's endpoints: a created or stopped container has
        none, yet cannot start again once its network is removed. Matched
        by name too: a never-started container records no network id.
        """
        with _errors(self._url, "listing containers"):
            return [c["Id"] for c in self._api.containers(
                all=True, filters={"network": [network_id, name]})]

    def _find(self, project_id: str) -> list[dict[str, Any]]:
        with _errors(self._url, "listing networks"):
            return list(self._api.networks(filters=self._filters(project_id)))

    # --- project networks ----------------------------------------------------
    @contextlib.contextmanager
    def project_network(self, project_id: str) -> Iterator[base.NetworkFacts]:
        if not project_id:
            raise exception.NetworkError(error_msg="a container without a project "
                                                   "has no project network")
        with self._lock(project_id):
            found = self._find(project_id)
            net = found[0] if found else self._create(project_id)
            yield self._facts(net, [])

    def _create(self, project_id: str) -> dict[str, Any]:
        """Create the project's network, choosing a free subnet.

        Another agent process may create networks at the same time: a
        subnet taken meanwhile is skipped, and the same network created
        meanwhile is used.
        """
        name = network_name(self.host, project_id)
        bridge = bridge_name(self.host, project_id, self._prefix)
        labels = {base.LABEL_KIND: KIND_PROJECT, base.LABEL_HOST: self.host,
                  base.LABEL_PROJECT: project_id}
        with _errors(self._url, "listing networks"):
            used = [c.get("Subnet", "") for n in self._api.networks()
                    for c in ((n.get("IPAM") or {}).get("Config") or [])]
        for _ in range(8):
            subnet = allocate_subnet(CONF.network.subnet_pool,
                                     CONF.network.subnet_prefixlen, used)
            gateway = str(next(ipaddress.IPv4Network(subnet).hosts()))
            ipam = docker.types.IPAMConfig(
                pool_configs=[docker.types.IPAMPool(subnet=subnet, gateway=gateway)])
            try:
                with _errors(self._url, f"creating network {name}"):
                    created = self._api.create_network(
                        name, driver="bridge", options={BRIDGE_NAME_OPTION: bridge},
                        ipam=ipam, labels=labels, check_duplicate=True)
            except exception.NetworkError as err:
                text = str(err).lower()
                if "already exists" in text:
                    found = self._find(project_id)
                    if found:
                        return found[0]
                    raise exception.NetworkError(
                        error_msg=f"a Docker network named {name} exists without "
                                  f"zun's labels; remove it") from err
                if "overlap" in text:
                    used.append(subnet)  # taken by a concurrent create
                    continue
                raise
            LOG.info("Created network %s (bridge %s, subnet %s) for project %s",
                     name, bridge, subnet, project_id)
            with _errors(self._url, f"inspecting network {name}"):
                return dict(self._api.inspect_network(created["Id"]))
        raise exception.NetworkError(error_msg=f"could not find a free subnet for "
                                               f"{name}: every pick was taken")

    def release_project_network(self, project_id: str) -> bool:
        with self._lock(project_id):
            removed = False
            for net in self._find(project_id):
                removed = self._remove_if_unused(net["Id"], net["Name"]) or removed
            return removed

    def _remove_if_unused(self, network_id: str, name: str) -> bool:
        if self._attached(network_id, name):
            return False
        try:
            with _errors(self._url, f"removing network {name}"):
                self._api.remove_network(network_id)
        except docker.errors.NotFound:
            return False
        except exception.NetworkError as err:
            if "active endpoints" in str(err):
                return False  # a container joined since we looked
            raise
        LOG.info("Removed network %s (no container left)", name)
        return True

    # --- attach and detach ---------------------------------------------------
    def _resolve(self, project_id: str, network: str, create: bool) -> dict[str, Any]:
        """The project's network that ``network`` names ('default', its name
        or its id), created if missing when ``create``; otherwise 404."""
        own = network_name(self.host, project_id)
        found = self._find(project_id)
        if network not in (DEFAULT_NETWORK, own) and not any(
                network in (n["Id"], n["Name"]) for n in found):
            raise exception.NetworkNotFound(network=network, project=project_id)
        if found:
            return found[0]
        if not create:
            raise exception.NetworkNotFound(network=network, project=project_id)
        return self._create(project_id)

    def connect(self, project_id: str, network: str, container_id: str) -> None:
        with self._lock(project_id):
            net = self._resolve(project_id, network, create=True)
            try:
                with _errors(self._url, f"connecting {container_id} to {net['Name']}"):
                    self._api.connect_container_to_network(container_id, net["Id"])
            except docker.errors.NotFound as err:
                raise exception.RuntimeContainerNotFound(container_id=container_id) from err
            except exception.NetworkError as err:
                if "already exists" not in str(err):   # already connected
                    raise

    def disconnect(self, project_id: str, network: str, container_id: str) -> None:
        with self._lock(project_id):
            net = self._resolve(project_id, network, create=False)
            try:
                with _errors(self._url, f"disconnecting {container_id} from {net['Name']}"):
                    self._api.disconnect_container_from_network(container_id, net["Id"])
            except docker.errors.NotFound as err:
                raise exception.RuntimeContainerNotFound(container_id=container_id) from err
            except exception.NetworkError as err:
                if "is not connected" not in str(err):
                    raise

    def list_networks(self) -> list[base.NetworkFacts]:
        with _errors(self._url, "listing networks"):
            nets = list(self._api.networks(filters=self._filters()))
        return [self._facts(n, self._attached(n["Id"], n["Name"])) for n in nets]

    # --- the host guard --------------------------------------------------------
    def _iptables(self, family: str, *args: str, check: bool = True) -> bool:
        """Run one iptables command (waiting for the xtables lock); its success."""
        argv = [family, "-w", *args]
        try:
            result = self._run(argv)
        except (OSError, subprocess.SubprocessError) as err:
            raise exception.NetworkError(error_msg=f"{' '.join(argv)}: {err}") from err
        if check and result.returncode != 0:
            raise exception.NetworkError(
                error_msg=f"{' '.join(argv)}: {(result.stderr or '').strip()}")
        return result.returncode == 0

    @staticmethod
    def _families() -> list[str]:
        out = []
        for family, required in FAMILIES:
            if shutil.which(family) is not None:
                out.append(family)
            elif required:
                raise exception.NetworkError(error_msg=f"{family} not found: the "
                                                       "host guard cannot be installed")
        return out

    def _fill_chain(self, family: str, chain: str, rules: list[list[str]]) -> None:
        """Create ``chain`` if missing and make it hold exactly ``rules``.

        Left alone when it already does, so a restarting agent never opens
        the short gap of a flush and refill.
        """
        wanted = [f"-A {chain} {' '.join(rule)}" for rule in rules]
        listed = self._run([family, "-w", "-S", chain])
        if listed.returncode == 0:
            current = [line.strip() for line in (listed.stdout or "").splitlines()
                       if line.startswith("-A ")]
            if current == wanted:
                return
        else:
            self._iptables(family, "-N", chain)
        self._iptables(family, "-F", chain)
        for rule in rules:
            self._iptables(family, "-A", chain, *rule)

    def _ensure_jump(self, family: str, parent: str, rule: list[str]) -> None:
        if not self._iptables(family, "-C", parent, *rule, check=False):
            self._iptables(family, "-I", parent, "1", *rule)

    def _drop_chain(self, family: str, parent: str, chain: str) -> None:
        """Remove every jump to ``chain`` from ``parent``, then the chain."""
        rule = jump_rule(self._prefix, chain)
        while self._iptables(family, "-D", parent, *rule, check=False):
            pass
        if self._iptables(family, "-F", chain, check=False):
            self._iptables(family, "-X", chain, check=False)

    def setup_host(self) -> None:
        """Install (or converge) the host guard and the egress rule.

        Also checks that Docker's isolation chains exist: without them
        (dockerd --iptables=false) projects' networks would reach each other.
        """
        prefix = self._prefix
        families = self._families()
        if not self._iptables("iptables", "-S", DOCKER_ISOLATION_CHAIN, check=False):
            raise exception.NetworkError(
                error_msg=f"Docker's {DOCKER_ISOLATION_CHAIN} chain is missing "
                          "(is dockerd running with --iptables=false?): project "
                          "networks would not be isolated from each other")
        for family in families:
            self._fill_chain(family, GUARD_CHAIN, guard_rules(prefix))
            self._ensure_jump(family, "INPUT", jump_rule(prefix, GUARD_CHAIN))
        if CONF.network.allow_egress:
            self._drop_chain("iptables", DOCKER_USER_CHAIN, EGRESS_CHAIN)
        else:
            self._fill_chain("iptables", EGRESS_CHAIN, egress_rules(prefix))
            self._ensure_jump("iptables", DOCKER_USER_CHAIN,
                              jump_rule(prefix, EGRESS_CHAIN))
        LOG.info("Host guard installed for bridges %s+ (egress %s)", prefix,
                 "allowed" if CONF.network.allow_egress else "denied")

    def teardown_host(self) -> None:
        for family in self._families():
            self._drop_chain(family, "INPUT", GUARD_CHAIN)
        self._drop_chain("iptables", DOCKER_USER_CHAIN, EGRESS_CHAIN)
        LOG.info("Host guard for bridges %s+ removed", self._prefix)
