"""The network driver interface: how a compute host connects tenants' containers.

A network driver gives every project its own network on each compute host
and keeps tenants away from each other and from the host itself. It never
reads or writes the DB and never sees an HTTP request: the compute manager
asks it for a project's network before a container is created and gives it
back when the project's last container on this host is gone.

The ``docker`` driver (:mod:`zun.network.docker`) makes one Docker bridge
network per project per host. A Neutron driver (through kuryr-libnetwork)
would plug in here too: ``project_network`` would map to the project's
Neutron network (a kuryr-backed Docker network named after it), ``connect``
to a Neutron port, and ``setup_host`` to nothing, Neutron's security groups
doing the isolation. It is not provided: these clouds have no Neutron.

Errors: drivers raise :mod:`zun.common.exception` classes only
(``NetworkError`` when the runtime or the host refuses, ``ServiceUnavailable``
when the runtime is unreachable), never an SDK exception.

Thread safety: every method may be called from several threads at once.
``project_network`` holds a per-project lock for the duration of its
``with`` block, so a project's network cannot be removed by
``release_project_network`` between the moment a caller obtains it and the
moment its container is attached.
"""
from __future__ import annotations

import abc
import contextlib
import dataclasses
from typing import Iterator

# Labels on every network a zun network driver creates, so the runtime
# itself can say whose network it is (orphan detection, cleanup).
LABEL_PROJECT = "zun.project_id"
LABEL_HOST = "zun.host"
LABEL_KIND = "zun.network"   # value: "project" (the project's default network)


@dataclasses.dataclass
class NetworkFacts:
    """One network as the runtime reports it, in driver-neutral terms."""

    network_id: str            # the runtime's id
    name: str                  # what a container spec names to join it
    project_id: str | None
    subnet: str | None = None  # CIDR, e.g. "10.37.4.0/24"
    gateway: str | None = None
    containers: list[str] = dataclasses.field(default_factory=list)  # runtime ids


class NetworkDriver(abc.ABC):
    """Interface of a network driver; see the module docstring."""

    #: short name, as configured in [network] driver
    name: str = "base"
    #: what the host offers through this driver (actions.ALL_CAPABILITIES):
    #: "network" means network_attach/network_detach
    capabilities: frozenset[str] = frozenset()

    @abc.abstractmethod
    def setup_host(self) -> None:
        """Install what protects this host from tenants (idempotent).

        Called when the agent starts, before any container is created; safe
        to call again (it converges on the configured rules). Raises
        NetworkError when the host refuses (e.g. no iptables).
        """

    @abc.abstractmethod
    def teardown_host(self) -> None:
        """Remove what :meth:`setup_host` installed (idempotent)."""

    @abc.abstractmethod
    @contextlib.contextmanager
    def project_network(self, project_id: str) -> Iterator[NetworkFacts]:
        """The project's network on this host, created on first use.

        Idempotent (one network per project per host, found by its labels
        before any create). Holds the project's lock while the ``with`` body
        runs: create and attach the container inside it.
        """

    @abc.abstractmethod
    def release_project_network(self, project_id: str) -> bool:
        """Remove the project's network if no container is attached.

        Idempotent: a missing network is not an error. Returns whether a
        network was removed. Takes the project's lock.
        """

    @abc.abstractmethod
    def list_networks(self) -> list[NetworkFacts]:
        """Every network on this host that a zun network driver created."""

    @abc.abstractmethod
    def connect(self, project_id: str, network: str, container_id: str) -> None:
        """Connect a runtime container to a network of ``project_id``.

        ``network`` is ``"default"`` or the project network's name or id on
        this host (as the container's addresses show it); the network is
        created if it is missing. Idempotent: a container already connected
        is left as it is. Raises NetworkNotFound when ``network`` is not a
        network of that project, RuntimeContainerNotFound when the
        container is gone, NetworkError when the runtime refuses. Takes the
        project's lock.
        """

    @abc.abstractmethod
    def disconnect(self, project_id: str, network: str, container_id: str) -> None:
        """Disconnect a runtime container from a network of ``project_id``.

        Same names and errors as :meth:`connect`. Idempotent: a container
        that is not connected is left as it is. The network itself stays
        (release_project_network removes it when nothing uses it).
        """
