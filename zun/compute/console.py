"""The agent's console relay: the console proxy's way in to a container's tty.

The Docker engine stays on its unix socket, so the central console proxy
(zun-wsproxy) cannot reach a container's console itself. Instead it asks this
host's agent over RPC (``container_console``), which registers a one-time
ticket here and answers where to connect. The proxy then opens a plain TCP
connection to this relay and speaks this protocol:

    proxy -> relay:  <ticket> b"\\n"          (within HANDSHAKE_TIMEOUT seconds)
    relay -> proxy:  b"OK\\n"                  the console is open; from here on
                                              raw bytes both ways, no framing
                 or: b"ERR <message>\\n"       the runtime refused (the message
                                              is the owner's to read); closed
                 or: the connection closed    unknown, used or expired ticket
                     without a byte           (never reaches the container)

Either side ending ends the session: the relay then closes both the TCP
connection and the console stream (which, for an exec, ends its process).

Plain blocking sockets and threads (two per session, one per direction, all
daemons and named), so a slow or stuck session never holds another one nor
the agent's RPC workers. The relay listens on ``[compute] console_host``,
an address of the management network; the ticket, not the address, is what
guards it.
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import secrets
import socket
import threading
import time
from typing import Any, Callable

from zun.common import exception
from zun.conf import CONF
from zun.container.driver import base as driver_base

LOG = logging.getLogger(__name__)

# Seconds a new connection has to present its ticket: the proxy sends it at
# once, so anything slower is not the proxy and must not hold a thread.
HANDSHAKE_TIMEOUT = 5.0
# A ticket line longer than this is not a ticket (token_urlsafe(32) is 43).
MAX_TICKET_LINE = 128
# Connections served at once (handshakes and live sessions); beyond, a new
# one is closed at once, so a flood cannot exhaust the host's threads.
MAX_CONNECTIONS = 1024
CHUNK = 65536


@dataclasses.dataclass(frozen=True)
class _Ticket:
    container_id: str
    exec_id: str | None
    expires: float


def _reason(exc: BaseException) -> str:
    """One line the proxy may show the container's owner: a zun exception
    is worded for them; anything else may name host details, so only its
    type is given (the full error is in this host's log)."""
    if isinstance(exc, exception.ZunException):
        text = exc.message
    else:
        text = "an internal error occurred (%s)" % type(exc).__name__
    return " ".join(str(text).split())


class _Session:
    """One live console: a TCP connection and the console stream it reaches."""

    def __init__(self, conn: socket.socket, stream: driver_base.ConsoleStream,
                 what: str) -> None:
        self.conn = conn
        self.stream = stream
        self.what = what
        self._ended = threading.Event()
        self._end_lock = threading.Lock()

    def hang_up(self) -> None:
        """Shut the connection down: wakes the session's threads blocked on
        it, which then end the session themselves (a stream's close may
        take seconds: an exec's process is waited for)."""
        with contextlib.suppress(OSError):
            self.conn.shutdown(socket.SHUT_RDWR)

    def end(self) -> None:
        """End both sides; idempotent, safe from any thread.

        The shutdown wakes a thread blocked in recv/send on the connection;
        the stream's close does the same for its reader (and ends an exec's
        process). The socket itself is closed by the session's own thread,
        once the other direction has finished with it.
        """
        with self._end_lock:
            if self._ended.is_set():
                return
            self._ended.set()
        self.hang_up()
        try:
            self.stream.close()
        except Exception:  # noqa: BLE001 - ending must not fail half way
            LOG.exception("Closing the console stream of %s failed", self.what)

    @property
    def ended(self) -> bool:
        return self._ended.is_set()

    def pump_in(self, first: bytes) -> None:
        """Client -> console, until the client ends or the console does."""
        data = first
        try:
            while True:
                if data:
                    self.stream.write(data)
                data = self.conn.recv(CHUNK)
                if not data:
                    return
        except (OSError, exception.ZunException) as exc:
            if not self.ended:
                LOG.debug("Console input of %s ended: %s", self.what, exc)
        finally:
            self.end()

    def pump_out(self) -> None:
        """Console -> client, until the console ends or the client does."""
        try:
            while True:
                data = self.stream.read(CHUNK)
                if not data:
                    return
                self.conn.sendall(data)
        except (OSError, exception.ZunException) as exc:
            if not self.ended:
                LOG.debug("Console output of %s ended: %s", self.what, exc)
        finally:
            self.end()


class ConsoleRelay:
    """The TCP listener the console proxy connects to with a one-time ticket.

    ``clock`` is injectable so tests can expire tickets without waiting.
    """

    def __init__(self, driver: driver_base.ContainerDriver, *,
                 host: str | None = None, port: int | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 handshake_timeout: float = HANDSHAKE_TIMEOUT,
                 max_connections: int = MAX_CONNECTIONS) -> None:
        self.driver = driver
        self.host = host if host is not None else CONF.compute.console_host
        self._want_port = port if port is not None else CONF.compute.console_port
        self._clock = clock
        self._handshake_timeout = handshake_timeout
        self._slots = threading.BoundedSemaphore(max_connections)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)  # notified as sessions end
        self._tickets: dict[str, _Ticket] = {}
        self._sessions: set[_Session] = set()
        self._listener: socket.socket | None = None
        self._accepter: threading.Thread | None = None
        self._stopping = threading.Event()
        self.port: int | None = None  # the bound port, once started

    # --- lifecycle ---------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._listener is not None and not self._stopping.is_set()

    def start(self) -> None:
        """Bind and listen (raises OSError when the address is taken), then
        accept on a thread of its own. Starting a running relay is a no-op."""
        if self.running:
            return
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listener = socket.create_server((self.host, self._want_port), family=family,
                                        backlog=128)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._stopping.clear()
        self._accepter = threading.Thread(target=self._accept_loop, args=(listener,),
                                          name="zun-console-accept", daemon=True)
        self._accepter.start()
        LOG.info("Console relay listening on %s port %s", self.host, self.port)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop listening and end every live session (their containers keep
        running; an exec session's process ends with it), waiting up to
        ``timeout`` seconds for them: each ends in its own thread, so exec
        processes are waited for concurrently."""
        self._stopping.set()
        listener, self._listener = self._listener, None
        if listener is not None:
            # shutdown wakes the blocked accept() on Linux; close alone may not
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        if self._accepter is not None:
            self._accepter.join(timeout=5)
            self._accepter = None
        with self._lock:
            sessions = list(self._sessions)
            self._tickets.clear()
        for session in sessions:
            session.hang_up()
        with self._idle:
            if not self._idle.wait_for(lambda: not self._sessions, timeout):
                LOG.warning("Console relay stopped with %d sessions still ending",
                            len(self._sessions))

    # --- tickets -----------------------------------------------------------
    def offer(self, container_id: str, exec_id: str | None = None) -> dict[str, Any]:
        """A one-time ticket to the console of ``container_id`` (or of its
        exec ``exec_id``), valid ``[compute] console_ticket_ttl`` seconds:
        what the proxy needs to connect ({"host", "port", "ticket"}).

        Nothing is checked against the runtime here: the driver does that
        when the proxy connects, and its refusal reaches the proxy as ERR.
        """
        if not self.running:
            raise exception.ServiceUnavailable(
                reason="The console relay of the container's host is not running.")
        ticket = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            self._drop_expired(now)
            self._tickets[ticket] = _Ticket(container_id, exec_id,
                                            now + CONF.compute.console_ticket_ttl)
        return {"host": self.host, "port": self.port, "ticket": ticket}

    def _drop_expired(self, now: float) -> None:
        """Forget tickets nobody used in time (called with the lock held), so
        the table holds at most one ttl's worth of offers."""
        for key in [k for k, t in self._tickets.items() if t.expires <= now]:
            del self._tickets[key]

    def _claim(self, ticket: str) -> _Ticket | None:
        """The ticket's target, once: it is removed whether valid or not."""
        now = self._clock()
        with self._lock:
            found = self._tickets.pop(ticket, None)
            self._drop_expired(now)
        if found is None or found.expires <= now:
            return None
        return found

    # --- connections -------------------------------------------------------
    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                conn, peer = listener.accept()
            except OSError:
                if self._stopping.is_set():
                    return
                LOG.exception("Console relay accept failed")
                time.sleep(0.1)  # e.g. out of file descriptors: do not spin
                continue
            if not self._slots.acquire(blocking=False):
                LOG.warning("Console relay: too many connections; refused %s", peer)
                conn.close()
                continue
            # keystrokes and their echoes are tiny writes: Nagle would hold the
            # second of two behind the proxy's delayed ACK (about 40 ms)
            with contextlib.suppress(OSError):
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            thread = threading.Thread(target=self._serve, args=(conn, peer),
                                      name="zun-console-%s:%s" % peer[:2], daemon=True)
            try:
                thread.start()
            except RuntimeError:  # no thread to be had: refuse this one
                LOG.exception("Console relay could not serve %s", peer)
                self._slots.release()
                conn.close()

    def _serve(self, conn: socket.socket, peer: Any) -> None:
        """Handshake, open the console, relay; always closes ``conn``."""
        try:
            self._handshake_and_relay(conn, peer)
        except Exception:  # noqa: BLE001 - one session must never kill the relay
            LOG.exception("Console session from %s failed", peer)
        finally:
            with contextlib.suppress(OSError):
                conn.close()
            self._slots.release()

    def _read_ticket(self, conn: socket.socket) -> tuple[str, bytes] | None:
        """(ticket, bytes received after its newline) or None when no
        ticket line arrives in time."""
        conn.settimeout(self._handshake_timeout)
        buf = b""
        deadline = time.monotonic() + self._handshake_timeout
        try:
            while b"\n" not in buf:
                if len(buf) > MAX_TICKET_LINE or time.monotonic() > deadline:
                    return None
                chunk = conn.recv(MAX_TICKET_LINE + 1)
                if not chunk:
                    return None
                buf += chunk
        except OSError:  # includes the timeout
            return None
        line, _, rest = buf.partition(b"\n")
        if len(line) > MAX_TICKET_LINE:
            return None
        try:
            return line.decode("ascii").strip(), rest
        except UnicodeDecodeError:
            return None

    def _handshake_and_relay(self, conn: socket.socket, peer: Any) -> None:
        got = self._read_ticket(conn)
        target = self._claim(got[0]) if got else None
        if got is None or target is None:
            LOG.warning("Console relay: %s presented no valid ticket (unknown, used "
                        "or expired); closed", peer)
            return
        what = "container %s%s" % (target.container_id,
                                   " exec %s" % target.exec_id if target.exec_id else "")
        try:
            stream = self.driver.console(target.container_id, target.exec_id)
        except Exception as exc:  # noqa: BLE001 - every refusal is answered
            LOG.warning("Console of %s could not be opened: %s", what, exc)
            with contextlib.suppress(OSError):
                conn.sendall(b"ERR " + _reason(exc).encode("utf-8", "replace") + b"\n")
            return
        session = _Session(conn, stream, what)
        with self._lock:
            stopping = self._stopping.is_set()
            if not stopping:
                self._sessions.add(session)
        if stopping:
            session.end()
            return
        LOG.info("Console of %s opened for %s", what, peer)
        try:
            conn.settimeout(None)
            conn.sendall(b"OK\n")
            out = threading.Thread(target=session.pump_out,
                                   name="zun-console-out-%s" % target.container_id[:12],
                                   daemon=True)
            out.start()
            session.pump_in(got[1])
            out.join(timeout=5)  # the stream's close ends its read
        finally:
            session.end()
            with self._idle:
                self._sessions.discard(session)
                self._idle.notify_all()
            LOG.info("Console of %s closed", what)

    # --- introspection (tests, logs) ---------------------------------------
    def live_sessions(self) -> int:
        with self._lock:
            return len(self._sessions)

    def pending_tickets(self) -> int:
        with self._lock:
            return len(self._tickets)
