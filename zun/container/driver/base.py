"""The container driver interface: what a runtime must offer zun.

A driver turns zun's requests into runtime calls and reports what really runs
in a driver-neutral form. It never reads or writes the DB and never sees an
HTTP request: the compute manager gives it a :class:`ContainerSpec` and gets
back :class:`RuntimeFacts`. Each driver declares what it can do in
``capabilities``; the API refuses an action outside that set before anything
is sent to the host.

Each method's docstring is its contract: what it raises, whether repeating
it is harmless (idempotent), what the returned facts describe and whether it
may run concurrently. The manager and the state sync rely on these words and
nothing else; ``tests/functional/test_driver_conformance.py`` holds every
driver to them.

Errors every method may raise, besides those it names. Drivers raise
:mod:`zun.common.exception` classes only, never a runtime SDK exception, and
never a bare ``NotImplementedError``:

- ``UnsupportedOperation`` (400): the method needs a capability the driver
  does not declare. A driver raises it for every such method, before doing
  anything, and for no declared one. The probes (``inspect``,
  ``list_containers``, ``ping``, ``host_info``) need no capability.
- ``RuntimeContainerNotFound`` (404): ``container_id`` does not exist in the
  runtime (``delete`` alone treats that as done).
- ``RuntimeOperationFailed`` (409): the container's current state forbids the
  operation (exec in a stopped container, unpause of an exited one); the
  message is the runtime's own sentence, fit to show the user.
- ``Invalid`` (400) or a subclass: an argument the runtime rejects.
- ``ServiceUnavailable`` (503): the runtime does not answer.
- ``ContainerRuntimeError`` (500) or a driver's subclass of it: any other
  runtime failure, a fault the user cannot fix.

Idempotency: a state-changing call whose target state already holds is not
an error (start of a running container, stop of a stopped one, pause of a
paused one, delete of a missing one); it returns the current facts. ``kill``
and ``execute`` act rather than reach a state, so they are not idempotent.

Concurrency: one driver instance serves the whole agent. Every method may be
called from several threads at once, for different containers and for the
same one. The manager runs at most one state change per container at a time
(the API's task_state claim), but reads of a container (``inspect``,
``list_containers``, ``logs``, ``stats``, ``events``) overlap its state
changes; they report the state before or after, never an error caused by the
overlap. Should two state changes of one container race (a user's stop and
the runtime's own restart policy), each succeeds or raises, as its contract
says, against the state it finds; the driver keeps no per-container state
that such a race could corrupt.

States: ``RuntimeFacts.state`` is driver-neutral; each driver maps its
runtime's own states onto :data:`RUNTIME_STATES`.
"""
from __future__ import annotations

import abc
import dataclasses
import threading
from typing import Any, Iterator

# Capability names a runtime driver may declare, derived from the action
# registry (each action names the capability it needs) plus the agent's own
# needs ("events"), less what network drivers offer.
from zun.common import exception  # noqa: E402
from zun.common import states as _states  # noqa: E402
from zun.common.actions import RUNTIME_CAPABILITIES as ALL_CAPABILITIES  # noqa: E402,F401

#: The neutral runtime states a driver reports: the runtime-state column of
#: zun.common.states.RUNTIME_TO_STATUS, plus "unknown" for a state the
#: driver cannot map (shown as status Unknown rather than guessed).
RUNTIME_STATES = frozenset(_states.RUNTIME_TO_STATUS) | {"unknown"}

# Labels every zun-created runtime container carries, so the runtime itself
# can say whose container it is (orphan detection, event filtering).
LABEL_UUID = "zun.uuid"
LABEL_PROJECT = "zun.project_id"
LABEL_HOST = "zun.host"  # the compute host that created it (runtimes may be shared)


@dataclasses.dataclass(frozen=True)
class RegistryCredentials:
    """An account of one private registry, for the pull of a container's
    image. The password is never shown (not in repr, so not in a log line
    or a traceback's locals either); the driver hands it to the runtime
    only, for images of ``registry`` (``host[:port]``) alone."""

    registry: str
    username: str
    password: str = dataclasses.field(repr=False)


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
    # this container, bind-mounted read-only unless the driver's configuration
    # says otherwise (docker: [docker] injected_files_read_only)
    binds: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    # (volume name as the user gave it, container path); "" names an
    # anonymous volume, removed with the container. Named volumes belong to
    # ``project_id``: the driver keeps each project's names apart on the
    # runtime, makes a missing one before the container, and never removes
    # it (it is the user's data).
    volumes: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    # container path -> read-only, for the binds and volumes whose request
    # said so; others: binds per the driver's configuration, volumes writable
    read_only: dict[str, bool] = dataclasses.field(default_factory=dict)
    # the runtime's OCI runtime by name (e.g. "runc"); None: its default
    runtime: str | None = None
    # {"test": shell string | argv list (optional: the image's own probe),
    #  "interval"/"timeout": seconds, "retries": n}; None: the image's own
    healthcheck: dict[str, Any] | None = None
    # (container port, "tcp" | "udp"): published on the host at the driver's
    # configured address, each on a host port the runtime picks at start
    exposed_ports: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    # runtime network names to join (the first at create, instead of the
    # runtime's default network); empty: the runtime's default network.
    # The compute manager sets the project's network (zun.network).
    networks: list[str] = dataclasses.field(default_factory=list)
    # the account to pull the image with (a private registry of the
    # project's, 1.31 ``registry``); None: anonymous. Never logged.
    credentials: RegistryCredentials | None = dataclasses.field(default=None,
                                                                repr=False)


@dataclasses.dataclass
class RuntimeFacts:
    """What the runtime says about one container, in driver-neutral terms.

    ``state`` is one of :data:`RUNTIME_STATES` (created, running, paused,
    restarting, exited, dead, removing, or unknown), never the runtime's own
    word. Times are ISO 8601 strings in UTC or None.
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
    # {network name: [{"addr", "version", "port", "subnet_id",
    #  "preserve_on_delete"}]}: upstream's shape (see the driver for what
    # port and subnet_id hold without Neutron)
    addresses: dict[str, list[dict[str, Any]]] = dataclasses.field(default_factory=dict)
    # the container's exposed ports (requested or declared by the image)
    ports: list[int] = dataclasses.field(default_factory=list)
    # where the running container's ports are reachable from outside, sorted:
    # [{"port": 80, "protocol": "tcp", "host_ip": "127.0.0.1",
    #   "host_port": 32768}]; empty while it is not running
    published_ports: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    project_id: str | None = None
    host: str | None = None
    # False for a cheap listing's summary: container_id, uuid, host,
    # project_id and state are exact, the rest may be missing (inspect()
    # gives everything)
    complete: bool = True
    # the health probe's verdict: "starting", "healthy", "unhealthy", or
    # None when the container has no health check (or is not running)
    health: str | None = None


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


@dataclasses.dataclass
class ImageFacts:
    """What the runtime says about one image it holds."""

    image_id: str             # the runtime's id (e.g. sha256:...)
    size: int = 0             # bytes
    tags: list[str] = dataclasses.field(default_factory=list)  # every name it has


class ConsoleStream(abc.ABC):
    """A live byte stream to a tty: a container's own (attach) or an exec's.

    What :meth:`ContainerDriver.console` returns and the compute agent's
    console relay pumps to and from the user's websocket. Bytes only: the
    stream never decodes text. A stream without a tty carries stdout and
    stderr; the driver has already taken the runtime's framing off, so
    :meth:`read` gives the program's own bytes.

    Concurrency: one thread may read while another writes; :meth:`close`
    may come from any thread at any time and wakes a blocked :meth:`read`
    (which then answers ``b""``). Two concurrent readers (or writers) are
    not supported: their bytes would interleave arbitrarily.
    """

    @abc.abstractmethod
    def read(self, size: int) -> bytes:
        """At most ``size`` bytes, blocking until some arrive; ``b""`` once
        the other side ended (the program exited, the runtime hung up) or
        the stream was closed. Never raises for an ended stream."""

    @abc.abstractmethod
    def write(self, data: bytes) -> None:
        """Send all of ``data`` to the program's stdin (blocks until sent).

        Raises ConsoleClosed (409) once the stream ended or was closed;
        nothing else (a runtime failure mid-write is an ended stream)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Hang up. Idempotent and never raises (a failure is logged).

        An attach stream leaves the container running. An exec's stream also
        ends the exec's process (its tty's hangup signal first, then a kill
        if it still runs), so no shell outlives its session. May block for
        a few seconds while it waits for that process to end.
        """

    @abc.abstractmethod
    def fileno(self) -> int:
        """A descriptor for ``select()``: readable when :meth:`read` has
        something to answer (or the stream ended), unless :meth:`pending`
        says bytes are already held."""

    def pending(self) -> bool:
        """True while the stream holds bytes read from the runtime but not
        yet returned by :meth:`read` (``fileno()`` may then stay quiet): a
        ``select()`` loop reads without waiting while it is True."""
        return False


class ContainerDriver(abc.ABC):
    """Interface of a container runtime driver; see the module docstring.

    Thread-safety: an instance is shared by every thread of the compute
    agent (RPC workers, the event follower, the periodic sync), so every
    method must be safe to call concurrently; see "Concurrency" above.
    """

    #: short name, as configured in [DEFAULT] container_driver
    name: str = "base"
    #: subset of ALL_CAPABILITIES this driver supports; a method that needs a
    #: capability outside it raises UnsupportedOperation
    capabilities: frozenset[str] = frozenset()

    # --- lifecycle ---------------------------------------------------------
    @abc.abstractmethod
    def create(self, spec: ContainerSpec) -> RuntimeFacts:
        """Create (not start) the runtime container, pulling the image if needed.

        Capability ``create``. Names it ``zun-<uuid>`` and labels it with
        LABEL_UUID, LABEL_PROJECT and (when ``spec.host`` is set) LABEL_HOST.
        The spec has been validated by the API (restart policy, image pull
        policy, limits); the driver trusts it and does not check it again.
        Each named volume of ``spec.volumes`` is found (by its project-scoped
        name and labels) or made first, idempotently; it outlives the
        container. Anonymous volumes are removed by :meth:`delete`. A pull
        uses ``spec.credentials`` (when set) and nothing else: never the
        host's own login of the runtime; a registry refusing them is an
        ImageNotFound carrying the registry's message.

        Raises ImageNotFound (400) with a readable reason when the image is
        missing and cannot be pulled (or ``image_pull_policy`` is "never"),
        ContainerAlreadyExists (409) when a container of this uuid already
        exists (find it with :meth:`list_containers`), Invalid (400) for a
        setting the runtime rejects, RuntimeOperationFailed (409) when a
        volume of the scoped name exists but is not the project's.

        Not idempotent: each successful call makes a new container.
        Returns facts of the new container in state "created" (they may be
        summaries, without a pid or times). Concurrent creates of different
        uuids are safe.
        """

    @abc.abstractmethod
    def start(self, container_id: str) -> RuntimeFacts:
        """Start a created or stopped container.

        Capability ``start``. Idempotent: starting a running container
        changes nothing. A paused container raises RuntimeOperationFailed
        (unpause it instead). Returns the facts read after the start: usually
        "running", but a command that ends at once may already be "exited".
        """

    @abc.abstractmethod
    def stop(self, container_id: str, timeout: int | None = None) -> RuntimeFacts:
        """SIGTERM, then SIGKILL after ``timeout`` seconds (None: the default).

        Capability ``stop``. Idempotent: stopping a created, exited or dead
        container changes nothing. A paused container is stopped too. Returns
        the facts after the main process has ended ("exited", with its exit
        code and finish time), or the unchanged facts of a container that
        was not running. Blocks for up to ``timeout`` seconds.
        """

    @abc.abstractmethod
    def reboot(self, container_id: str, timeout: int | None = None) -> RuntimeFacts:
        """Stop (with ``timeout``) then start.

        Capability ``reboot``. Works from any state (a created, stopped or
        paused container ends up started), so it is idempotent in effect:
        the container runs afterwards, with a new main process. Returns the
        facts after the start.
        """

    @abc.abstractmethod
    def pause(self, container_id: str) -> RuntimeFacts:
        """Freeze every process of the container.

        Capability ``pause``. Idempotent: pausing a paused container changes
        nothing. A container that is not running raises
        RuntimeOperationFailed. Returns the facts after the freeze ("paused").
        """

    @abc.abstractmethod
    def unpause(self, container_id: str) -> RuntimeFacts:
        """Thaw a paused container.

        Capability ``unpause``. Idempotent: unpausing a running container
        changes nothing. A container that is neither paused nor running
        raises RuntimeOperationFailed. Returns the facts after the thaw
        ("running").
        """

    @abc.abstractmethod
    def kill(self, container_id: str, signal: str | None = None) -> RuntimeFacts:
        """Send ``signal`` (default SIGKILL) to the main process.

        Capability ``kill``. Not idempotent: a container that is not
        running (or paused) has no process to signal and raises
        RuntimeOperationFailed; an unknown signal raises Invalid or
        RuntimeOperationFailed. Returns the facts read right after the
        signal was delivered: after SIGKILL the state is "exited", after a
        signal the process handles it may still be "running".
        """

    @abc.abstractmethod
    def delete(self, container_id: str, force: bool = False) -> None:
        """Remove the container and its anonymous volumes.

        Capability ``delete``. Idempotent: a container that no longer exists
        is not an error, and one being removed already is waited for (within
        the driver's request timeout): when it returns, the container is
        gone, so its name may be reused at once. Without ``force`` a
        running or paused container raises RuntimeOperationFailed; with it,
        the container is killed first. Returns nothing: there is no state
        left to describe.
        """

    @abc.abstractmethod
    def update(self, container_id: str, cpu: float | None = None,
               memory_mib: int | None = None) -> None:
        """Change cpu/memory limits of an existing container in place.

        Capability ``update``. Works in any state; None leaves a limit as it
        is. Idempotent: applying the same limits again changes nothing. A
        limit the runtime refuses (e.g. below current use) raises Invalid or
        RuntimeOperationFailed. Returns nothing; :meth:`inspect` or
        :meth:`stats` show the new limits.
        """

    # --- reads -------------------------------------------------------------
    @abc.abstractmethod
    def inspect(self, container_id: str) -> RuntimeFacts:
        """Current, complete facts of one container, in any state.

        No capability needed; read-only, so idempotent. Raises
        RuntimeContainerNotFound if it is gone; a driver without a runtime
        has no containers and always raises it.
        """

    @abc.abstractmethod
    def list_containers(self) -> list[RuntimeFacts]:
        """Facts of every runtime container labelled as zun's, in any state.

        No capability needed; read-only. One cheap call: the facts may be
        summaries (``complete=False``); the reconcile inspects only the
        containers whose state differs. Containers not labelled LABEL_UUID
        are never listed. A driver without a runtime returns ``[]``.
        """

    @abc.abstractmethod
    def logs(self, container_id: str, stdout: bool = True, stderr: bool = True,
             timestamps: bool = False, tail: str | int = "all",
             since: str | int | None = None) -> str:
        """Container output as text, in any state (also after it exited).

        Capability ``logs``; read-only. ``tail`` is "all" or a line count,
        ``since`` epoch seconds or an ISO 8601 time; anything else raises
        InvalidValue naming the argument.
        """

    @abc.abstractmethod
    def execute(self, container_id: str, command: list[str]) -> tuple[str, int]:
        """Run ``command`` non-interactively; return (combined output, exit code).

        Capability ``exec``. Not idempotent (the command runs each time).
        A container that is not running raises RuntimeOperationFailed; so
        does a command still running after the driver's time limit (it may
        go on in the container). A command that fails is not an error: its
        exit code says so.
        """

    @abc.abstractmethod
    def top(self, container_id: str, ps_args: str | None = None) -> dict[str, Any]:
        """Processes: ``{"Titles": [...], "Processes": [[...], ...]}``.

        Capability ``top``; read-only. A container that is not running
        raises RuntimeOperationFailed; ``ps_args`` that ps rejects raise
        Invalid.
        """

    @abc.abstractmethod
    def stats(self, container_id: str) -> dict[str, Any]:
        """One usage sample with the keys the zun CLI prints:
        CONTAINER, CPU %, MEM USAGE(MiB), MEM LIMIT(MiB), MEM %,
        BLOCK I/O(B) ("read/write"), NET I/O(B) ("rx/tx").

        Capability ``stats``; read-only, any state (a container that is not
        running reports zeros).
        """

    @abc.abstractmethod
    def events(self, stop: threading.Event) -> Iterator[RuntimeEvent]:
        """Yield events for zun's containers until ``stop`` is set.

        Capability ``events`` (a driver without it raises
        UnsupportedOperation when called, and the agent relies on the
        periodic reconcile alone). Returns soon after ``stop`` is set, even
        while no event arrives. Raises ContainerRuntimeError (or
        ServiceUnavailable) when the stream breaks or ends; the caller
        reconnects and reconciles. Each call opens its own stream, so
        several followers may run at once.
        """

    @abc.abstractmethod
    def ping(self) -> bool:
        """True when the runtime answers, False otherwise; never raises.

        No capability needed. A driver that has no runtime answers False.
        The agent's service heartbeat does not depend on it: the service is
        up while the agent runs, and what the host can do is what its
        ``capabilities`` say.
        """

    # --- images (capability "image"; commit: "commit") ---------------------------
    # Not abstract: a driver without a runtime (rkt) inherits the refusals.
    def pull_image(self, ref: str) -> ImageFacts:
        """Pull ``ref`` (``[registry/]repo[:tag]``, checked by the caller
        against the ``[registry]`` lists) from its registry, always.

        Capability ``image``. Idempotent: pulling an image already present
        refreshes it and returns the same facts when the registry's did not
        change. Raises ImageNotFound (400) carrying the registry's own
        message when the registry refuses or the pull fails halfway (nothing
        is kept of a failed pull). Concurrent pulls are safe (the runtime
        shares the layers).
        """
        raise exception.UnsupportedOperation(driver=self.name, operation="image")

    def inspect_image(self, ref: str) -> ImageFacts:
        """Facts of the image named ``ref`` (a name or an id) on this host.

        Capability ``image``; read-only. Raises ImageNotFound when absent.
        """
        raise exception.UnsupportedOperation(driver=self.name, operation="image")

    def delete_image(self, ref: str) -> None:
        """Remove the name ``ref`` from this host (the image with its last name).

        Capability ``image``. Idempotent: a name already gone is not an
        error. An image a runtime container still uses raises
        RuntimeOperationFailed (the runtime's sentence); the caller checks
        its own containers first.
        """
        raise exception.UnsupportedOperation(driver=self.name, operation="image")

    def list_images(self) -> list[ImageFacts]:
        """Every image this host's runtime holds (one cheap call).

        Capability ``image``; read-only.
        """
        raise exception.UnsupportedOperation(driver=self.name, operation="image")

    def commit(self, container_id: str, repository: str, tag: str) -> str:
        """Snapshot the container's filesystem as ``repository:tag`` on this
        host; return the new image's id.

        Capability ``commit``. Works on a running, stopped or paused
        container (the runtime pauses a running one for the snapshot). Not
        idempotent: each call makes a new image, the name moving to it.
        Raises RuntimeContainerNotFound when the container is gone.
        """
        raise exception.UnsupportedOperation(driver=self.name, operation="commit")

    def push_image(self, ref: str, credentials: RegistryCredentials | None) -> None:
        """Push ``ref`` (``registry/repo:tag``, present on this host, its
        registry checked by the caller against the ``[registry]`` lists) to
        its registry, with ``credentials`` when given (never the host's own
        login of the runtime).

        Capability ``commit`` (a commit pushes to a project's registry).
        Idempotent: pushing what the registry holds changes nothing.
        Raises RuntimeOperationFailed (409) carrying the registry's own
        message when it refuses (wrong account, no such repository) or the
        push fails halfway, ImageNotFound when ``ref`` is not on this host.
        Pushes of different images may run concurrently.
        """
        raise exception.UnsupportedOperation(driver=self.name, operation="push")

    # --- copy in and out (capability "archive") ----------------------------------
    # Not abstract either: a driver without a runtime inherits the refusals.
    def get_archive(self, container_id: str, path: str,
                    max_bytes: int) -> tuple[bytes, dict[str, Any]]:
        """(an uncompressed tar of ``path``, the stat of ``path``).

        Capability ``archive``; read-only, so idempotent, and safe alongside
        any other call. Works in every state the runtime keeps a filesystem
        for (created, running, paused, exited). The stat has the keys
        ``name``, ``size``, ``mode``, ``mtime`` and ``linkTarget`` (Docker's
        X-Docker-Container-Path-Stat). Never holds more than ``max_bytes``
        of the archive: it stops reading the runtime past that and raises
        ArchiveTooLarge (413). Raises ArchivePathNotFound (404) when
        ``path`` does not exist in the container, RuntimeContainerNotFound
        when the container does not, RuntimeOperationFailed (409) when the
        runtime refuses in the container's state.
        """
        raise exception.UnsupportedOperation(driver=self.name, operation="archive")

    def put_archive(self, container_id: str, path: str, data: bytes) -> None:
        """Extract the uncompressed tar ``data`` into the directory ``path``.

        Capability ``archive``. ``data`` was checked by the caller (a tar
        within ``[api] max_archive_size``, no device nodes). Idempotent in
        effect: extracting the same archive again leaves the same files.
        Concurrent extractions into one container are each applied whole,
        in an order the runtime picks. Raises ArchivePathNotFound (404) when
        ``path`` does not exist, Invalid (400) when it is not a directory or
        the runtime rejects the archive, RuntimeOperationFailed (409) when
        the path is read-only or the container's state forbids it.
        """
        raise exception.UnsupportedOperation(driver=self.name, operation="archive")

    # --- consoles: attach and interactive exec (capability "attach") -------------
    # Not abstract: a driver without a runtime inherits the refusals.
    def exec_create(self, container_id: str, command: list[str],
                    interactive: bool) -> str:
        """Create (not start) an exec of ``command`` in the container; return
        its id, to hand to :meth:`console` (and :meth:`exec_resize`).

        Capability ``attach`` when ``interactive`` (stdin kept open and a
        tty), ``exec`` otherwise (no stdin, no tty: stdout and stderr come
        through :meth:`console` demultiplexed). Not idempotent: each call
        makes a new exec; one never started costs nothing and the runtime
        forgets it with its container. A container that is not running
        raises RuntimeOperationFailed (409). Concurrent creates are safe.
        """
        raise exception.UnsupportedOperation(
            driver=self.name, operation="attach" if interactive else "exec")

    def console(self, container_id: str, exec_id: str | None = None) -> ConsoleStream:
        """A :class:`ConsoleStream` to the container's console or an exec's.

        Capability ``attach``. Without ``exec_id``: the container's own
        stdin, stdout and stderr from now on (no earlier output); closing
        the stream leaves the container running. With ``exec_id`` (from
        :meth:`exec_create`): starts that exec and streams it; closing the
        stream ends the exec's process.

        Raises RuntimeOperationFailed (409) when the container is not
        running or the exec was already started (each exec is consumed by
        one console; not idempotent), ExecNotFound (404) when ``exec_id``
        is unknown or belongs to another container, RuntimeContainerNotFound
        when the container is gone. Consoles of one container may be open
        concurrently (several attaches share its stdin, as the runtime does).
        """
        raise exception.UnsupportedOperation(driver=self.name, operation="attach")

    def resize(self, container_id: str, height: int, width: int) -> None:
        """Set the container's tty to ``height`` rows and ``width`` columns.

        Capability ``attach``. Idempotent (the same size again changes
        nothing); a container without a tty accepts it and nothing changes.
        A container that is not running raises RuntimeOperationFailed (409);
        a size the runtime rejects, Invalid (400). Safe alongside an open
        console of the container.
        """
        raise exception.UnsupportedOperation(driver=self.name, operation="attach")

    def exec_resize(self, container_id: str, exec_id: str, height: int,
                    width: int) -> None:
        """Set an interactive exec's tty to ``height`` x ``width``.

        Capability ``attach``. Idempotent like :meth:`resize`. Raises
        ExecNotFound (404) when ``exec_id`` is unknown or not this
        container's, RuntimeOperationFailed (409) when the exec has no tty
        or is not running (not yet started, or ended). Safe alongside its
        open console.
        """
        raise exception.UnsupportedOperation(driver=self.name, operation="attach")

    # --- host inventory (optional) -------------------------------------------
    def host_info(self) -> dict[str, Any]:
        """Facts only the runtime knows, for the host inventory.

        Optional: the agent measures the host itself and uses these to fill
        in what it cannot see (the runtimes on offer, where the runtime keeps
        its data). Known keys: ``cpus``, ``mem_total`` (MiB), ``os``,
        ``os_type``, ``kernel_version``, ``architecture``, ``runtimes``
        (list of names; empty when the driver has no runtime) and
        ``data_dir`` (a path on this host). Read-only. Raises
        ServiceUnavailable or ContainerRuntimeError when the runtime does not
        answer; the agent then keeps the last facts it had.
        """
        return {}
