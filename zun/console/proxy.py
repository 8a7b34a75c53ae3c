"""The websocket console proxy: checks before the handshake, then bytes both ways.

Why every check sits in ``process_request``: a refused client must get an
HTTP error (status and the upstream ``{"errors": [...]}`` body, which
zunclient prints) instead of a websocket that opens and closes at once, and
nothing is asked of the DB or an agent for a request that is refused anyway.
The order is cheap-first: path, Origin, query, handshake validity, session
room, then the single-use token (DB), then the agent's relay (RPC + TCP).

The proxy knows nothing of the DB or RPC: ``consume_token`` and
``open_relay`` are injected (``zun.cmd.wsproxy`` and ``zun.cmd.all`` pass
the compute API's), so this package imports only common and conf.

Relay protocol with the agent (zun/compute/console.py): connect to the
``host``/``port`` it gave, send ``ticket + b"\\n"``, read one line:
``b"OK\\n"`` starts the raw byte relay, ``b"ERR <message>\\n"`` or a
closed connection is a refusal.
"""
from __future__ import annotations

import http
import logging
import socket
import threading
import uuid
from typing import Any, Callable
from urllib import parse

from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.server import ServerProtocol
from websockets.sync import server as ws_server
from websockets.typing import Subprotocol

from zun.common import console_token, error_body, exception
from zun.conf import CONF

LOG = logging.getLogger(__name__)

# The one subprotocol spoken: raw bytes in binary frames. zunclient offers
# ["binary", "base64"] and fails unless the answer names one of them.
SUBPROTOCOL = Subprotocol("binary")
# Connecting to an agent's relay and reading its one-line answer: the agent
# answers at once or not at all (its ticket lives a few seconds).
RELAY_TIMEOUT = 10.0
_MAX_ANSWER = 4096
_CHUNK = 65536
_DEFAULT_PORTS = {"http": 80, "https": 443}
_WS_SCHEMES = {"ws": "http", "wss": "https", "http": "http", "https": "https"}

OriginKey = tuple[str, str, int]


# consume_token returns the token's row: ``project_id``, ``container_uuid``,
# ``exec_id``, ``kind`` (the session it was issued for).
ConsumeToken = Callable[[str, str, "str | None"], Any]
OpenRelay = Callable[[Any], dict[str, Any]]


# --- origins -----------------------------------------------------------------
def origin_key(origin: str) -> OriginKey | None:
    """``(scheme, host, port)`` of an Origin value, or None if it is not one.

    Default ports are filled in so ``http://h`` and ``http://h:80`` match.
    zunclient's quirks are understood: it sends ``http://h:None`` for a URL
    without a port and an IPv6 host without brackets (``http://::1:6784``);
    no browser sends either, so accepting them widens nothing.
    """
    scheme, sep, rest = origin.strip().partition("://")
    scheme = _WS_SCHEMES.get(scheme.lower(), "")
    if not sep or not scheme:
        return None
    rest = rest[:-1] if rest.endswith("/") else rest
    if rest.startswith("["):
        host, _, tail = rest[1:].partition("]")
        if tail and not tail.startswith(":"):
            return None
        port_text = tail[1:]
    elif ":" in rest:
        host, port_text = rest.rsplit(":", 1)
    else:
        host, port_text = rest, ""
    if not host or any(c in host for c in "/?#@[] "):
        return None
    if port_text in ("", "None"):
        port = _DEFAULT_PORTS[scheme]
    elif port_text.isdigit() and 0 < int(port_text) < 65536:
        port = int(port_text)
    else:
        return None
    return scheme, host.lower(), port


def base_url_origin(base_url: str) -> OriginKey | None:
    """The origin a page served with ``base_url``'s host would send: what
    zunclient computes from the proxy URL the API gave it."""
    try:
        parts = parse.urlsplit(base_url)
        scheme = _WS_SCHEMES.get(parts.scheme.lower(), "")
        port = parts.port
    except ValueError:
        return None
    if not scheme or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def allowed_origins() -> set[OriginKey]:
    """The origin of ``base_url`` plus ``allowed_origins``, read afresh (the
    configured list is only read, never extended)."""
    allowed: set[OriginKey] = set()
    own = base_url_origin(CONF.websocket_proxy.base_url)
    if own is None:
        LOG.warning("[websocket_proxy] base_url %r is not a ws:// or wss:// URL",
                    CONF.websocket_proxy.base_url)
    else:
        allowed.add(own)
    for entry in CONF.websocket_proxy.allowed_origins:
        key = origin_key(entry)
        if key is None:
            LOG.warning("[websocket_proxy] allowed_origins entry %r is not an "
                        "origin (scheme://host[:port]); ignored", entry)
        else:
            allowed.add(key)
    return allowed


# --- the bytes -----------------------------------------------------------------
class DetachEscape:
    """Client->container filter: ``~.`` at the start of the session or of a
    line ends the session.

    zunclient's own escape never fires on Python 3, so the proxy detaches.
    A ``~`` in that position is held until the next byte (possibly in a
    later frame: zunclient sends a keystroke per frame); ``~`` followed by
    anything else is forwarded with it.
    """

    def __init__(self) -> None:
        self._line_start = True
        self._held = False

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        """The bytes to forward, and whether the user asked to detach."""
        out = bytearray()
        for byte in data:
            if self._held:
                self._held = False
                if byte == ord("."):
                    return bytes(out), True
                out.append(ord("~"))
                self._line_start = False
            if self._line_start and byte == ord("~"):
                self._held = True
                continue
            out.append(byte)
            self._line_start = byte in (ord("\r"), ord("\n"))
        return bytes(out), False


def split_utf8_tail(data: bytes) -> tuple[bytes, bytes]:
    """``data`` cut before a trailing incomplete UTF-8 sequence.

    zunclient decodes each frame on its own, so a character split across
    frames would crash it; the tail is carried into the next chunk. Bytes
    that are not UTF-8 at all are passed through, never held.
    """
    for back in range(1, min(3, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 == 0x80:          # continuation: look further back
            continue
        if 0xC2 <= byte <= 0xDF:
            need = 2
        elif 0xE0 <= byte <= 0xEF:
            need = 3
        elif 0xF0 <= byte <= 0xF4:
            need = 4
        else:
            return data, b""
        if back < need:
            return data[:-back], data[-back:]
        return data, b""
    return data, b""


# --- errors ----------------------------------------------------------------------
def error_response(status: int, code: str, message: str, request_id: str) -> Response:
    """An HTTP refusal in the API's error body shape (zun.common.error_body)."""
    body = error_body.encode(status, code, message, request_id)
    headers = Headers([("Connection", "close"),
                       ("Content-Type", "application/json"),
                       ("Content-Length", str(len(body)))])
    return Response(status, error_body.reason(status), headers, body)


def _refusal(exc: Exception, request_id: str, what: str) -> Response:
    if isinstance(exc, exception.ZunException):
        status, code, message = exc.code, exc.error_code, exc.message
    else:
        status, code, message = 500, "internal_server_error", ""
    if status >= 500 and status != 503:
        LOG.error("Console request %s failed in %s (correlation id %s)",
                  request_id, what, request_id, exc_info=exc)
        message = ("The server could not complete the request. Quote "
                   "correlation id %s when reporting this." % request_id)
    else:
        LOG.info("Console request %s refused %s: %s", request_id, status, message)
    return error_response(status, code, message, request_id)


# --- sessions ---------------------------------------------------------------------
class _Session(ws_server.ServerConnection):
    """A websocket that owns its relay socket and its session slot.

    ``close_socket`` runs on every way a connection ends (refused or failed
    handshake, client gone, server shutdown), so releasing there means no
    relay socket or slot outlives its websocket.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._hold_lock = threading.Lock()
        self._ended = False
        self._held: list[Callable[[], None]] = []
        self.relay: socket.socket | None = None
        self.early = b""          # console bytes that came with the relay's OK
        self.token_row: Any = None

    def hold(self, release: Callable[[], None]) -> bool:
        """Run ``release`` when this connection ends; False (and nothing
        held) if it already has."""
        with self._hold_lock:
            if self._ended:
                return False
            self._held.append(release)
            return True

    def close_socket(self) -> None:
        super().close_socket()
        with self._hold_lock:
            self._ended = True
            held, self._held = self._held, []
        for release in reversed(held):
            release()


def _close_quietly(sock: socket.socket) -> None:
    # shutdown() first: it wakes a thread blocked in recv(), close() does not
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


class ConsoleProxy:
    """The websocket server: one thread per session (websockets' sync server).

    ``consume_token(token, container_uuid, exec_id)`` raises
    ConsoleTokenInvalid (403) or returns the token's row; ``open_relay(row)``
    asks the container's agent for ``{"host", "port", "ticket"}`` and raises
    ZunExceptions (409, 503, ...) that reach the client as they are.
    """

    def __init__(self, consume_token: ConsumeToken, open_relay: OpenRelay,
                 host: str, port: int) -> None:
        self._consume_token = consume_token
        self._open_relay = open_relay
        self._host = host
        self._port = port
        self._server: ws_server.Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._sessions = 0

    @property
    def port(self) -> int:
        """The bound port (the real one when started with port 0)."""
        if self._server is None:
            raise RuntimeError("the console proxy is not started")
        return int(self._server.socket.getsockname()[1])

    def start(self) -> None:
        """Listen and serve in a daemon thread."""
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        self._server = ws_server.serve(
            self._relay, self._host, self._port, family=family,
            subprotocols=[SUBPROTOCOL],
            process_request=self._check,
            create_connection=_Session,
            # zunclient's websocket-client answers a ping only inside recv(),
            # where it then blocks until output arrives and stops reading the
            # keyboard: an idle console gets no pings.
            ping_interval=None,
            compression=None,
            server_header=None,
        )
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="zun-wsproxy", daemon=True)
        self._thread.start()
        LOG.info("Console proxy listening on %s:%s", self._host, self.port)

    def stop(self) -> None:
        """Close the listener and every live session (code 1001)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        if self._thread is not None:
            self._thread.join()

    # --- before the handshake ------------------------------------------------
    def _check(self, conn: ws_server.ServerConnection, request: Request) -> Response:
        request_id = "req-%s" % uuid.uuid4()
        try:
            return self._admit(conn, request, request_id)
        except Exception as exc:  # every refusal is an HTTP error body
            return _refusal(exc, request_id, "the console handshake")

    def _admit(self, conn: ws_server.ServerConnection, request: Request,
               request_id: str) -> Response:
        assert isinstance(conn, _Session)
        path, _, query_text = request.path.partition("?")
        if path != "/":
            raise exception.NotFound("The console proxy serves only '/'.")
        self._check_origin(request.headers.get("Origin"))
        query = parse.parse_qs(query_text)
        token = _param(query, console_token.PARAM_TOKEN, required=True)
        container_uuid = _param(query, console_token.PARAM_UUID, required=True)
        exec_id = _param(query, console_token.PARAM_EXEC, required=False)
        assert token is not None and container_uuid is not None
        accepted = self._handshake(conn.protocol, request)
        self._reserve()
        if not conn.hold(self._release):
            self._release()
            raise _client_gone()
        row = self._consume_token(token, container_uuid, exec_id)
        relay, early = self._connect_relay(self._open_relay(row))
        if not conn.hold(lambda: _close_quietly(relay)):
            _close_quietly(relay)
            raise _client_gone()
        conn.relay, conn.early, conn.token_row = relay, early, row
        return accepted

    @staticmethod
    def _check_origin(origin: str | None) -> None:
        # A missing Origin is refused too: zunclient always sends one, and a
        # client that can omit it can also send an allowed one.
        if not origin:
            raise exception.ConsoleOriginRefused(
                "The request has no Origin header; the console proxy needs one "
                "of [websocket_proxy] allowed_origins or base_url's origin.")
        key = origin_key(origin)
        if key is None or key not in allowed_origins():
            raise exception.ConsoleOriginRefused(origin=origin)

    @staticmethod
    def _handshake(protocol: ServerProtocol, request: Request) -> Response:
        """The 101 answer, checked before the token is spent: a plain GET or
        a client without the ``binary`` subprotocol must not burn it."""
        offered = [p.strip() for value in request.headers.get_all("Sec-WebSocket-Protocol")
                   for p in value.split(",")]
        if SUBPROTOCOL not in offered:
            raise exception.invalid_field(
                "Sec-WebSocket-Protocol", ", ".join(offered) or exception.NO_VALUE,
                "The console proxy speaks the '%s' subprotocol only." % SUBPROTOCOL)
        response = protocol.accept(request)
        if response.status_code != http.HTTPStatus.SWITCHING_PROTOCOLS:
            body = response.body.decode("utf-8", "replace").strip()
            raise exception.Invalid(reason=body or "not a websocket handshake")
        return response

    def _reserve(self) -> None:
        with self._lock:
            if self._sessions >= CONF.websocket_proxy.max_sessions:
                raise exception.ServiceUnavailable(
                    reason="The console proxy relays its maximum number of "
                           "sessions ([websocket_proxy] max_sessions); try "
                           "again later.")
            self._sessions += 1

    def _release(self) -> None:
        with self._lock:
            self._sessions -= 1

    @staticmethod
    def _connect_relay(where: dict[str, Any]) -> tuple[socket.socket, bytes]:
        """A relay socket past its ``OK`` line, and any bytes that followed it."""
        host, port = where["host"], int(where["port"])
        try:
            relay = socket.create_connection((host, port), timeout=RELAY_TIMEOUT)
            # tiny interactive writes: no Nagle delay (see the agent's relay)
            relay.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError as exc:
            LOG.warning("Console relay %s:%s cannot be reached: %s", host, port, exc)
            raise exception.ServiceUnavailable(
                reason="The compute host's console relay cannot be reached; "
                       "try again later.") from None
        try:
            relay.sendall(where["ticket"].encode("utf-8") + b"\n")
            answer = b""
            while b"\n" not in answer and len(answer) < _MAX_ANSWER:
                chunk = relay.recv(_MAX_ANSWER)
                if not chunk:
                    break
                answer += chunk
        except OSError as exc:
            _close_quietly(relay)
            LOG.warning("Console relay %s:%s did not answer: %s", host, port, exc)
            raise exception.ServiceUnavailable(
                reason="The compute host's console relay did not answer; "
                       "try again later.") from None
        line, newline, early = answer.partition(b"\n")
        if newline and line == b"OK":
            relay.settimeout(None)
            return relay, early
        _close_quietly(relay)
        if newline and line.startswith(b"ERR"):
            message = line[3:].strip().decode("utf-8", "replace")
            raise exception.RuntimeOperationFailed(
                reason=message or "The compute host refused the console.")
        LOG.warning("Console relay %s:%s answered %r", host, port, line[:80])
        raise exception.RuntimeOperationFailed(
            reason="The compute host refused the console.")

    # --- the session -----------------------------------------------------------
    def _relay(self, conn: ws_server.ServerConnection) -> None:
        assert isinstance(conn, _Session)
        relay, row = conn.relay, conn.token_row
        if relay is None:
            return
        LOG.info("Console session opened: container %s, %s", row.container_uuid, row.kind)
        outbound = threading.Thread(target=_to_client, args=(conn, relay, conn.early),
                                    name="zun-wsproxy-out", daemon=True)
        outbound.start()
        reason = "client closed"
        try:
            escape = DetachEscape()
            for message in conn:
                data = message.encode("utf-8") if isinstance(message, str) else message
                data, detach = escape.feed(data)
                if data:
                    relay.sendall(data)
                if detach:
                    reason = "client detached"
                    break
        except (ConnectionClosed, OSError):
            reason = "connection lost"
        finally:
            # the relay first: conn.close() waits for the client's goodbye
            _close_quietly(relay)
            conn.close(1000)
            outbound.join()
            LOG.info("Console session closed (%s): container %s, %s",
                     reason, row.container_uuid, row.kind)


def _client_gone() -> exception.ZunException:
    # nobody reads this answer: the client closed during the checks
    return exception.Invalid(reason="the client closed the connection")


def _param(query: dict[str, list[str]], name: str, required: bool) -> str | None:
    values = query.get(name)
    if not values or not values[0]:
        if required:
            raise exception.invalid_field(name, reason="The console URL needs it.")
        return None
    if len(values) > 1:
        raise exception.invalid_field(name, reason="Give it once.")
    return values[0]


def _to_client(conn: ws_server.ServerConnection, relay: socket.socket,
               early: bytes) -> None:
    """Container->client: binary frames, each whole UTF-8 characters."""
    pending = early
    try:
        while True:
            if pending:
                data, pending = split_utf8_tail(pending)
                if data:
                    conn.send(data)
            chunk = relay.recv(_CHUNK)
            if not chunk:
                break
            pending += chunk
        if pending:
            conn.send(pending)
    except (ConnectionClosed, OSError):
        pass
    finally:
        conn.close(1000)
