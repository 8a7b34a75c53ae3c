"""Consoles of Docker containers: attach and interactive exec (zun attach, exec -it).

The engine answers an attach or an exec start with an HTTP upgrade and then
a raw two-way byte stream on the same connection. The SDK hands over that
connection's socket; :class:`DockerConsoleStream` turns it into zun's
:class:`~zun.container.driver.base.ConsoleStream`:

- A stream without a tty carries stdout and stderr in frames (an 8-byte
  header: stream type, three zero bytes, big-endian payload length).
  :class:`Demultiplexer` takes the headers off, so readers see plain bytes.
- The SDK reads the upgrade answer's headers through a buffered reader,
  which may already hold the first bytes of the stream: they are taken
  over at once and answered first, so nothing is lost.
- The SDK's socket carries the client's request timeout; a console is idle
  for as long as its user thinks, so the timeout is lifted.

The engine cannot end an exec, and closing an exec's connection leaves its
process running: the exec's stream ends it on close (:func:`end_exec`:
SIGHUP, as a tty hangup would, then SIGKILL if it still runs).

An exec belongs to one container: every call naming an exec checks that the
engine's ``ContainerID`` for it is the caller's container, so a user cannot
reach another tenant's exec by its id.
"""
from __future__ import annotations

import contextlib
import logging
import re
import signal
import socket
import struct
import threading
import time
from typing import Any, Callable

from zun.common import exception
from zun.container.driver import base

LOG = logging.getLogger(__name__)

Errors = Callable[..., contextlib.AbstractContextManager[None]]
#: sends a signal number to an exec's process; True when it was delivered
Kill = Callable[[int], bool]

# The container's stdin, stdout and stderr from now on: no old output (logs).
ATTACH_PARAMS = {"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
FRAME_HEADER = 8
# How long a hung-up exec may take to end before it is killed, and how often
# that is looked at.
HANGUP_GRACE = 3.0
_POLL = 0.05
# Docker exec ids are 64 hex digits; anything else never reaches a URL.
_EXEC_ID = re.compile(r"^[0-9a-fA-F]{1,64}$")
# Bytes taken over from the SDK's reader at most (its buffer is 8 KiB).
_TAKEOVER = 64 * 1024


class Demultiplexer:
    """Takes Docker's stdout/stderr frame headers off a non-tty stream.

    Incremental: fed the stream in chunks of any size (a header may be cut
    anywhere), it answers the payload bytes of each chunk, stdout and stderr
    merged in the engine's order, as a terminal would show them.
    """

    def __init__(self) -> None:
        self._header = bytearray()
        self._left = 0  # payload bytes of the current frame still to come

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        view = memoryview(data)
        at = 0
        while at < len(view):
            if self._left:
                take = min(self._left, len(view) - at)
                out += view[at:at + take]
                at += take
                self._left -= take
                continue
            part = view[at:at + FRAME_HEADER - len(self._header)]
            self._header += part
            at += len(part)
            if len(self._header) == FRAME_HEADER:
                (self._left,) = struct.unpack(">I", self._header[4:])
                self._header.clear()
        return bytes(out)


class DockerConsoleStream(base.ConsoleStream):
    """The engine's hijacked connection of one attach or exec, as a ConsoleStream.

    ``raw`` is what the SDK answered (a ``socket.SocketIO`` over a unix or
    tcp socket, or the socket itself); it is kept, as it keeps the HTTP
    response (and so the connection) alive. ``on_close`` runs once, after
    the connection is closed (an exec's: :func:`end_exec`).
    """

    def __init__(self, raw: Any, container_id: str, tty: bool,
                 on_close: Callable[[], object] | None = None) -> None:
        self._raw = raw
        self._sock: socket.socket = getattr(raw, "_sock", raw)
        self._container = container_id
        self._demux = None if tty else Demultiplexer()
        self._on_close = on_close
        self._lock = threading.Lock()
        self._closed = False
        self._ended = False
        self._held = _take_over(raw, self._sock)
        self._sock.settimeout(None)

    def read(self, size: int) -> bytes:
        while True:
            chunk = self._next(max(1, size))
            if not chunk:
                self._ended = True
                return b""
            data = chunk if self._demux is None else self._demux.feed(chunk)
            if data:  # a chunk that was only a frame header: read on
                return data

    def _next(self, size: int) -> bytes:
        if self._held:
            chunk, self._held = self._held[:size], self._held[size:]
            return chunk
        if self._closed:
            return b""
        try:
            return self._sock.recv(size)
        except OSError:  # reset, or closed by another thread: the stream ended
            return b""

    def write(self, data: bytes) -> None:
        if self._closed or self._ended:
            raise exception.ConsoleClosed(container=self._container)
        try:
            self._sock.sendall(data)
        except OSError as err:
            self._ended = True
            raise exception.ConsoleClosed(container=self._container) from err

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        # shutdown first: it wakes a reader blocked in recv on another thread
        for step in (lambda: self._sock.shutdown(socket.SHUT_RDWR), self._sock.close,
                     getattr(self._raw, "close", lambda: None)):
            with contextlib.suppress(OSError):
                step()
        if self._on_close is not None:
            try:
                self._on_close()
            except Exception:  # close never raises; the process may live on
                LOG.warning("Ending the console of container %s failed",
                            self._container, exc_info=True)

    def fileno(self) -> int:
        return self._sock.fileno()

    def pending(self) -> bool:
        return bool(self._held)


def _take_over(raw: Any, sock: socket.socket) -> bytes:
    """Bytes of the stream the SDK's buffered reader already holds.

    The reader that parsed the upgrade answer's headers read whatever the
    engine had sent by then; those bytes are in its buffer, not in the
    socket. One non-blocking read of it answers them (or b"" at once).
    """
    response = getattr(raw, "_response", None)
    reader = getattr(getattr(getattr(response, "raw", None), "_fp", None), "fp", None)
    read1 = getattr(reader, "read1", None)
    if read1 is None:
        return b""
    sock.setblocking(False)
    try:
        return bytes(read1(_TAKEOVER) or b"")
    except (OSError, ValueError):  # nothing buffered (TLS: want-read), or closed
        return b""
    finally:
        sock.setblocking(True)


# --- the driver's calls ------------------------------------------------------------
def create_exec(api: Any, errors: Errors, container_id: str, command: list[str],
                interactive: bool) -> str:
    """A new exec, not started: with stdin and a tty when ``interactive``."""
    with errors(container_id):
        created = api.exec_create(container_id, command, stdout=True, stderr=True,
                                  stdin=interactive, tty=interactive)
    return str(created["Id"])


def attach(api: Any, errors: Errors, container_id: str) -> DockerConsoleStream:
    """The running container's own console; closing it leaves the container be."""
    with errors(container_id):
        info = api.inspect_container(container_id)
    state = info.get("State") or {}
    if not state.get("Running") or state.get("Paused"):
        how = "paused" if state.get("Paused") else "not running"
        raise exception.RuntimeOperationFailed(
            reason=f"Container {container_id} is {how}: there is no console to attach to")
    tty = bool((info.get("Config") or {}).get("Tty"))
    with errors(container_id):
        raw = api.attach_socket(container_id, params=dict(ATTACH_PARAMS))
    return DockerConsoleStream(raw, container_id, tty)


def start_exec(api: Any, errors: Errors, container_id: str, exec_id: str,
               kill: Kill) -> DockerConsoleStream:
    """Start the container's exec ``exec_id``; its stream ends it on close."""
    info = owned_exec(api, errors, container_id, exec_id)
    if info.get("Running") or info.get("Pid") or info.get("ExitCode") is not None:
        # the engine would hand out a second connection to the same exec
        raise exception.RuntimeOperationFailed(
            reason=f"Exec {exec_id} was already started: each exec serves one console")
    tty = bool((info.get("ProcessConfig") or {}).get("tty"))
    with errors(container_id):
        raw = api.exec_start(exec_id, socket=True, tty=tty)
    return DockerConsoleStream(
        raw, container_id, tty,
        on_close=lambda: end_exec(api, errors, container_id, exec_id, kill))


def resize(api: Any, errors: Errors, container_id: str, height: int, width: int) -> None:
    with errors(container_id):
        api.resize(container_id, height=height, width=width)


def exec_resize(api: Any, errors: Errors, container_id: str, exec_id: str,
                height: int, width: int) -> None:
    """Resize a running exec's tty (the engine would wait ~10 s, then fail,
    for an exec without a tty or not started: refused here at once)."""
    info = owned_exec(api, errors, container_id, exec_id)
    if not (info.get("ProcessConfig") or {}).get("tty"):
        raise exception.RuntimeOperationFailed(
            reason=f"Exec {exec_id} has no tty to resize")
    if not info.get("Running"):
        raise exception.RuntimeOperationFailed(reason=f"Exec {exec_id} is not running")
    with errors(container_id):
        api.exec_resize(exec_id, height=height, width=width)


def owned_exec(api: Any, errors: Errors, container_id: str, exec_id: str) -> dict[str, Any]:
    """The engine's view of ``exec_id``, which must be ``container_id``'s.

    An unknown exec and another container's exec are the same ExecNotFound,
    so an id guessed across tenants reveals nothing.
    """
    if not isinstance(exec_id, str) or not _EXEC_ID.match(exec_id):
        raise exception.ExecNotFound(exec_id=str(exec_id)[:80], container=container_id)
    try:
        with errors(container_id):
            info = dict(api.exec_inspect(exec_id))
    except exception.RuntimeContainerNotFound as err:  # the engine's 404: the exec's
        raise exception.ExecNotFound(exec_id=exec_id, container=container_id) from err
    owner = info.get("ContainerID") or ""
    if owner != container_id:
        # ``container_id`` may be a short id or a name: compare full ids
        with errors(container_id):
            full = api.inspect_container(container_id).get("Id")
        if not owner or owner != full:
            raise exception.ExecNotFound(exec_id=exec_id, container=container_id)
    return info


def end_exec(api: Any, errors: Errors, container_id: str, exec_id: str,
             kill: Kill, grace: float = HANGUP_GRACE) -> bool:
    """End a still running exec: SIGHUP (what a tty's hangup sends, so a
    shell exits cleanly), then SIGKILL if it runs on after ``grace``
    seconds. True when the exec no longer runs."""
    def ended() -> bool:
        deadline = time.monotonic() + grace
        while _running(api, errors, container_id, exec_id):
            if time.monotonic() > deadline:
                return False
            time.sleep(_POLL)
        return True

    if not _running(api, errors, container_id, exec_id):
        return True
    LOG.debug("Hanging up exec %s of container %s", exec_id, container_id)
    if kill(signal.SIGHUP) and ended():
        return True
    LOG.info("Exec %s of container %s did not end on its hangup; killing it",
             exec_id, container_id)
    return kill(signal.SIGKILL) and ended()


def _running(api: Any, errors: Errors, container_id: str, exec_id: str) -> bool:
    try:
        with errors(container_id):
            return bool(api.exec_inspect(exec_id).get("Running"))
    except exception.ZunException:  # gone with its container: nothing runs
        return False
