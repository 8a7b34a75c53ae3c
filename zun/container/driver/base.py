"""The container driver interface: what a runtime must offer zun.

A driver turns zun's requests into runtime calls and reports what really runs
in a driver-neutral form. It never reads or writes the DB and never sees an
HTTP request: the compute manager gives it a :class:`ContainerSpec` and gets
back :class:`RuntimeFacts`. Each driver declares what it can do in
``capabilities``; the API refuses an action outside that set before anything
is sent to the host.

Errors: drivers raise :mod:`zun.common.exception` classes only
(``RuntimeContainerNotFound``, ``ImageNotFound``, ``UnsupportedOperation``,
``RuntimeOperationFailed``, ``DockerError``), never a runtime SDK exception.
"""
from __future__ import annotations

import abc
import dataclasses
import threading
from typing import Any, Iterator

# Capability names a driver may declare. An action needs the capability of
# the same name (see CAPABILITY_FOR_ACTION).
ALL_CAPABILITIES = frozenset({
    "create", "start", "stop", "reboot", "pause", "unpause", "kill", "delete",
    "logs", "exec", "top", "stats", "update", "events", "attach", "archive",
    "commit", "resize",
})

CAPABILITY_FOR_ACTION: dict[str, str] = {
    "create": "create", "start": "start", "stop": "stop", "reboot": "reboot",
    "pause": "pause", "unpause": "unpause", "kill": "kill",
    "delete": "delete", "delete_after_stop": "delete",
    "logs": "logs", "execute": "exec", "top": "top", "stats": "stats",
    "update": "update", "rebuild": "create",
}

# Labels every zun-created runtime container carries, so the runtime itself
# can say whose container it is (orphan detection, event filtering).
LABEL_UUID = "zun.uuid"
LABEL_PROJECT = "zun.project_id"
LABEL_HOST = "zun.host"  # the compute host that created it (runtimes may be shared)


@dataclasses.dataclass
class ContainerSpec:
    """What the user asked for, as the driver needs it (no DB types)."""

    uuid: str
    project_id: str | None
    image: str
    host: str | None = None  # the compute host creating it, recorded as a label
    command: list[str] | None = None
    entrypoint: list[str] | None = None
    environment: dict[str, str] = dataclasses.field(default_factory=dict)
    workdir: str | None = None
    labels: dict[str, str] = dataclasses.field(default_factory=dict)
    hostname: str | None = None
    memory_mib: int | None = None
    cpu: float | None = None
    restart_policy: dict[str, Any] | None = None  # {"Name": ..., "MaximumRetryCount": n}
    auto_remove: bool = False
    interactive: bool = False
    tty: bool = False
    image_pull_policy: str | None = None  # "always" | "ifnotpresent" | "never"
    # (host path, container path): files the compute agent has written for
    # this container, bind-mounted read-write
    binds: list[tuple[str, str]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class RuntimeFacts:
    """What the runtime says about one container, in driver-neutral terms.

    ``state`` is one of created, running, paused, restarting, exited, dead,
    removing (see zun.common.states.RUNTIME_TO_STATUS). Times are ISO 8601
    strings in UTC or None.
    """

    container_id: str
    uuid: str | None
    state: str
    exit_code: int | None = None
    started_at: str | None = None
    finished_at: str | None = None
    oom_killed: bool = False
    restart_count: int = 0
    error: str | None = None
    pid: int | None = None
    addresses: dict[str, list[dict[str, Any]]] = dataclasses.field(default_factory=dict)
    ports: list[int] = dataclasses.field(default_factory=list)
    project_id: str | None = None
    host: str | None = None
    # False for a cheap listing's summary: container_id, uuid, host,
    # project_id and state are exact, the rest may be missing (inspect()
    # gives everything)
    complete: bool = True


@dataclasses.dataclass
class RuntimeEvent:
    """A change the runtime reports for one of zun's containers.

    ``action`` is the runtime's verb (create, start, die, stop, kill, pause,
    unpause, oom, destroy, restart, ...); the sync re-inspects the container
    rather than trusting the verb, so the set need not be exhaustive.
    """

    uuid: str
    container_id: str
    action: str
    time: float  # seconds since the epoch
    host: str | None = None  # the LABEL_HOST of the container, if any


class ContainerDriver(abc.ABC):
    """Interface of a container runtime driver; see the module docstring."""

    #: short name, as configured in [DEFAULT] container_driver
    name: str = "base"
    #: subset of ALL_CAPABILITIES this driver supports
    capabilities: frozenset[str] = frozenset()

    # --- lifecycle ---------------------------------------------------------
    @abc.abstractmethod
    def create(self, spec: ContainerSpec) -> RuntimeFacts:
        """Create (not start) the runtime container, pulling the image if needed.

        Names it ``zun-<uuid>`` and labels it with LABEL_UUID/LABEL_PROJECT.
        A missing image raises ImageNotFound with a readable reason.
        """

    @abc.abstractmethod
    def start(self, container_id: str) -> RuntimeFacts:
        """Start a created or stopped container."""

    @abc.abstractmethod
    def stop(self, container_id: str, timeout: int | None = None) -> RuntimeFacts:
        """SIGTERM, then SIGKILL after ``timeout`` seconds."""

    @abc.abstractmethod
    def reboot(self, container_id: str, timeout: int | None = None) -> RuntimeFacts:
        """Stop (with ``timeout``) then start."""

    @abc.abstractmethod
    def pause(self, container_id: str) -> RuntimeFacts:
        """Freeze every process of the container."""

    @abc.abstractmethod
    def unpause(self, container_id: str) -> RuntimeFacts:
        """Thaw a paused container."""

    @abc.abstractmethod
    def kill(self, container_id: str, signal: str | None = None) -> RuntimeFacts:
        """Send ``signal`` (default SIGKILL) to the main process."""

    @abc.abstractmethod
    def delete(self, container_id: str, force: bool = False) -> None:
        """Remove the container; ``force`` kills it first if running.

        Removing a container that no longer exists is not an error.
        """

    @abc.abstractmethod
    def update(self, container_id: str, cpu: float | None = None,
               memory_mib: int | None = None) -> None:
        """Change cpu/memory limits of an existing container in place."""

    # --- reads -------------------------------------------------------------
    @abc.abstractmethod
    def inspect(self, container_id: str) -> RuntimeFacts:
        """Current facts; raises RuntimeContainerNotFound if it is gone."""

    @abc.abstractmethod
    def list_containers(self) -> list[RuntimeFacts]:
        """Facts of every runtime container labelled as zun's, running or not.

        One cheap call: the facts may be summaries (``complete=False``); the
        reconcile inspects only the containers whose state differs.
        """

    @abc.abstractmethod
    def logs(self, container_id: str, stdout: bool = True, stderr: bool = True,
             timestamps: bool = False, tail: str | int = "all",
             since: str | int | None = None) -> str:
        """Container output as text."""

    @abc.abstractmethod
    def execute(self, container_id: str, command: list[str]) -> tuple[str, int]:
        """Run ``command`` non-interactively; return (combined output, exit code)."""

    @abc.abstractmethod
    def top(self, container_id: str, ps_args: str | None = None) -> dict[str, Any]:
        """Processes: ``{"Titles": [...], "Processes": [[...], ...]}``."""

    @abc.abstractmethod
    def stats(self, container_id: str) -> dict[str, Any]:
        """One usage sample with the keys the zun CLI prints:
        CONTAINER, CPU %, MEM USAGE(MiB), MEM LIMIT(MiB), MEM %,
        BLOCK I/O(B) ("read/write"), NET I/O(B) ("rx/tx")."""

    @abc.abstractmethod
    def events(self, stop: threading.Event) -> Iterator[RuntimeEvent]:
        """Yield events for zun's containers until ``stop`` is set.

        Raises (e.g. DockerError) when the stream breaks; the caller
        reconnects and reconciles.
        """

    @abc.abstractmethod
    def ping(self) -> bool:
        """True when the runtime answers."""

    # --- host inventory (optional) -------------------------------------------
    def host_info(self) -> dict[str, Any]:
        """Facts only the runtime knows, for the host inventory.

        Optional: the agent measures the host itself and uses these to fill
        in what it cannot see (the runtimes on offer, where the runtime keeps
        its data). Known keys: ``cpus``, ``mem_total`` (MiB), ``os``,
        ``os_type``, ``kernel_version``, ``architecture``, ``runtimes``
        (list of names) and ``data_dir`` (a path on this host). Raises a
        ZunException when the runtime does not answer.
        """
        return {}
