"""The console proxy over real sockets: a websocket-client (what zunclient
uses) -> ConsoleProxy on port 0 -> a fake agent relay (a TCP thread).

consume_token and open_relay are faked (the layer below); everything the
proxy owns (checks before the handshake, the relay protocol, the detach
escape, UTF-8-safe frames, closing both sides) runs for real.
"""
from __future__ import annotations

import json
import logging
import socket
import threading
import time
import types
from typing import Any, Callable, Iterator

import pytest
import websocket
from websocket import ABNF

from zun.common import exception
from zun.conf import CONF
from zun.console import proxy

GROUP = "websocket_proxy"
UUID = "6f1a7c53-4f0e-4d2b-9a51-000000000001"
GOOD = "good-token"
# Only a guard against a hung test, never a measured threshold.
GUARD = 10.0


class FakeRelay:
    """The agent's side: reads the ticket line, answers, then runs ``script``
    (echo by default) on the connection."""

    def __init__(self) -> None:
        self.answer = b"OK\n"
        self.script: Callable[[socket.socket], None] = self._echo
        self.tickets: list[bytes] = []
        self.connections = 0
        self.received = bytearray()
        self.ended = threading.Event()           # the proxy closed its side
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        with conn:
            line = b""
            while not line.endswith(b"\n"):
                chunk = conn.recv(1)
                if not chunk:
                    return
                line += chunk
            self.tickets.append(line)
            conn.sendall(self.answer)
            if self.answer.startswith(b"OK"):
                self.script(conn)

    def _echo(self, conn: socket.socket) -> None:
        while True:
            data = conn.recv(4096)
            if not data:
                self.ended.set()
                return
            self.received += data
            conn.sendall(data)

    def close(self) -> None:
        try:
            self._listener.shutdown(socket.SHUT_RDWR)   # wakes accept()
        except OSError:
            pass
        self._listener.close()
        self._thread.join()


class FakeCompute:
    """consume_token / open_relay: the lead's DB and RPC, faked."""

    def __init__(self, relay: FakeRelay) -> None:
        self.relay = relay
        self.consumed: list[tuple[str, str, str | None]] = []
        self.relays_opened = 0
        self.relay_error: exception.ZunException | None = None

    def consume_token(self, token: str, container_uuid: str, exec_id: str | None) -> Any:
        self.consumed.append((token, container_uuid, exec_id))
        if token != GOOD:
            raise exception.ConsoleTokenInvalid()
        return types.SimpleNamespace(project_id="p1", container_uuid=container_uuid,
                                     exec_id=exec_id, kind="exec" if exec_id else "attach")

    def open_relay(self, row: Any) -> dict[str, Any]:
        self.relays_opened += 1
        if self.relay_error is not None:
            raise self.relay_error
        return {"host": "127.0.0.1", "port": self.relay.port, "ticket": "tkt-1"}


@pytest.fixture
def relay() -> Iterator[FakeRelay]:
    fake = FakeRelay()
    yield fake
    fake.close()


@pytest.fixture
def compute(relay: FakeRelay) -> FakeCompute:
    return FakeCompute(relay)


@pytest.fixture
def console(compute: FakeCompute) -> Iterator[proxy.ConsoleProxy]:
    server = proxy.ConsoleProxy(compute.consume_token, compute.open_relay, "127.0.0.1", 0)
    server.start()
    CONF.set_override("base_url", "ws://127.0.0.1:%d/" % server.port, GROUP)
    yield server
    server.stop()
    for name in ("base_url", "allowed_origins", "max_sessions"):
        CONF.clear_override(name, GROUP)


def url(console: proxy.ConsoleProxy, query: str = "token=%s&uuid=%s" % (GOOD, UUID),
        path: str = "/") -> str:
    return "ws://127.0.0.1:%d%s?%s" % (console.port, path, query)


def connect(console: proxy.ConsoleProxy, query: str | None = None,
            **kwargs: Any) -> websocket.WebSocket:
    """As zunclient connects: its Origin and subprotocols."""
    options: dict[str, Any] = {
        "origin": "http://127.0.0.1:%d" % console.port,
        "subprotocols": ["binary", "base64"], "skip_utf8_validation": True,
        "timeout": GUARD}
    options.update(kwargs)
    target = url(console) if query is None else url(console, query)
    return websocket.create_connection(target, **options)


def refused(console: proxy.ConsoleProxy, query: str | None = None,
            **kwargs: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(websocket.WebSocketBadStatusException) as caught:
        connect(console, query, **kwargs)
    body = json.loads(caught.value.resp_body)
    (error,) = body["errors"]
    assert error["status"] == caught.value.status_code
    assert error["title"] == error["detail"]
    return caught.value.status_code, error


def recv(ws: websocket.WebSocket) -> tuple[int, bytes]:
    opcode, data = ws.recv_data()
    return opcode, data


def recv_until(ws: websocket.WebSocket, expected: bytes) -> bytes:
    got = b""
    while len(got) < len(expected):
        opcode, data = recv(ws)
        assert opcode == ABNF.OPCODE_BINARY, (opcode, data)
        got += data
    return got


def assert_closed(ws: websocket.WebSocket) -> None:
    """The next frame is a close with code 1000 (after any output)."""
    while True:
        opcode, data = recv(ws)
        if opcode == ABNF.OPCODE_CLOSE:
            assert int.from_bytes(data[:2], "big") == 1000
            ws.shutdown()        # the client's TCP close, as zunclient exits
            return
        assert opcode == ABNF.OPCODE_BINARY


def wait_for(condition: Callable[[], bool]) -> None:
    """Poll a condition the proxy reaches on another thread (bounded by GUARD)."""
    deadline = time.monotonic() + GUARD
    while not condition():
        assert time.monotonic() < deadline, "condition never met"
        time.sleep(0.01)


# --- checks before the handshake ---------------------------------------------
def test_session_picks_binary_and_echoes_bytes(console, compute, relay):
    ws = connect(console)
    assert ws.getsubprotocol() == "binary"
    ws.send_binary(b"ls -l\r")
    assert recv_until(ws, b"ls -l\r") == b"ls -l\r"
    assert relay.tickets == [b"tkt-1\n"]
    assert compute.consumed == [(GOOD, UUID, None)]
    ws.close()


def test_zunclient_connects(console, capsys):
    """python-zunclient's own connect code: its Origin, its subprotocols."""
    from zunclient.common.websocketclient import websocketclient

    client = websocketclient.WebSocketClient(None, url(console), UUID)
    client.connect()
    client.send(b"\xe2\x82\xac\r")
    assert client.recv() == b"\xe2\x82\xac\r"
    client.ws.close()


def test_text_frames_are_relayed_as_bytes(console, relay):
    ws = connect(console)
    ws.send("h\u00e9")
    assert recv_until(ws, "h\u00e9".encode()) == "h\u00e9".encode()
    ws.close()


def test_exec_id_reaches_consume_token(console, compute):
    ws = connect(console, "token=%s&uuid=%s&exec_id=abc" % (GOOD, UUID))
    ws.close()
    assert compute.consumed == [(GOOD, UUID, "abc")]


def test_origin_from_allowed_list(console):
    CONF.set_override("allowed_origins", ["https://console.example"], GROUP)
    connect(console, origin="https://console.example").close()
    connect(console, origin="https://CONSOLE.example:443").close()


def test_other_origin_refused_before_the_token(console, compute, relay):
    status, error = refused(console, origin="http://evil.example:80")
    assert status == 403 and error["code"] == "container.console_origin_refused"
    assert "http://evil.example:80" in error["title"]
    assert compute.consumed == [] and relay.connections == 0


def test_missing_origin_refused(console, compute):
    status, error = refused(console, suppress_origin=True)
    assert status == 403 and "no Origin header" in error["title"]
    assert compute.consumed == []


def test_allowed_origins_never_grows(console):
    CONF.set_override("allowed_origins", ["https://console.example"], GROUP)
    for _ in range(5):
        connect(console).close()
        connect(console, origin="https://console.example").close()
        refused(console, origin="http://evil.example:1")
    assert CONF.websocket_proxy.allowed_origins == ["https://console.example"]


@pytest.mark.parametrize(("base_url", "origin", "allowed"), [
    ("ws://proxy.example/", "http://proxy.example:None", True),   # zunclient, no port
    ("ws://proxy.example/", "http://proxy.example", True),
    ("ws://proxy.example/", "http://proxy.example:80", True),
    ("ws://proxy.example/", "https://proxy.example", False),
    ("wss://proxy.example/", "https://proxy.example:443", True),
    ("wss://proxy.example:8443/", "https://proxy.example:8443", True),
    ("ws://[::1]:6784/", "http://::1:6784", True),                # zunclient, IPv6
    ("ws://[::1]:6784/", "http://[::1]:6784", True),              # a browser
    ("ws://proxy.example/", "null", False),
    ("ws://proxy.example/", "http://proxy.example.evil:80", False),
])
def test_origin_normalisation(base_url, origin, allowed):
    assert (proxy.origin_key(origin) == proxy.base_url_origin(base_url)) is allowed


@pytest.mark.parametrize(("query", "field"), [
    ("uuid=%s" % UUID, "token"),
    ("token=%s" % GOOD, "uuid"),
    ("token=&uuid=%s" % UUID, "token"),
])
def test_missing_parameter_is_400_naming_it(console, compute, query, field):
    status, error = refused(console, query)
    assert status == 400 and "'%s'" % field in error["title"]
    assert compute.consumed == []


def test_other_path_is_404(console, compute):
    with pytest.raises(websocket.WebSocketBadStatusException) as caught:
        websocket.create_connection(url(console, path="/other"),
                                    origin="http://127.0.0.1:%d" % console.port,
                                    subprotocols=["binary"], timeout=GUARD)
    assert caught.value.status_code == 404 and compute.consumed == []


def test_without_binary_subprotocol_the_token_is_kept(console, compute):
    status, error = refused(console, subprotocols=["base64"])
    assert status == 400 and "Sec-WebSocket-Protocol" in error["title"]
    assert compute.consumed == []


def test_invalid_token_is_403_and_no_relay(console, compute, relay):
    status, error = refused(console, "token=bad&uuid=%s" % UUID)
    assert status == 403 and error["code"] == "container.console_token_invalid"
    assert compute.relays_opened == 0 and relay.connections == 0


def test_open_relay_errors_pass_through(console, compute):
    compute.relay_error = exception.ServiceUnavailable(reason="The agent is away.")
    status, error = refused(console)
    assert status == 503 and error["title"] == "The agent is away."


def test_unexpected_error_is_500_with_correlation_id(console, compute):
    compute.relay_error = RuntimeError("secret internals")  # type: ignore[assignment]
    status, error = refused(console)
    assert status == 500 and "secret" not in error["title"]
    assert error["request_id"] in error["title"]


def test_relay_err_is_409_with_its_message(console, relay):
    relay.answer = b"ERR Container abc is not running\n"
    status, error = refused(console)
    assert status == 409 and error["title"] == "Container abc is not running"


def test_relay_closing_without_answer_is_refused(console, relay):
    relay.answer = b""
    relay.script = lambda conn: None
    status, _ = refused(console)
    assert status == 409


def test_unreachable_relay_is_503(console, relay):
    relay.close()
    status, _ = refused(console)
    assert status == 503


def test_max_sessions(console):
    CONF.set_override("max_sessions", 1, GROUP)
    first = connect(console)
    status, error = refused(console)
    assert status == 503 and "max_sessions" in error["title"]
    first.close()
    wait_for(lambda: console._sessions == 0)
    connect(console).close()


# --- the session --------------------------------------------------------------
def test_bytes_after_ok_reach_the_client_first(console, relay):
    relay.answer = b"OK\nwelcome"
    ws = connect(console)
    assert recv_until(ws, b"welcome") == b"welcome"
    ws.close()


@pytest.mark.parametrize("frames", [[b"~", b"."], [b"~."], [b"ls\r", b"~", b"."],
                                    [b"ls\n~."]])
def test_detach_escape_closes_the_session(console, relay, frames):
    ws = connect(console)
    for frame in frames:
        ws.send_binary(frame)
    assert_closed(ws)
    assert relay.ended.wait(GUARD)
    assert b"~" not in relay.received and b"." not in relay.received


def test_tilde_then_other_is_forwarded(console, relay):
    ws = connect(console)
    ws.send_binary(b"~")
    ws.send_binary(b"x")
    assert recv_until(ws, b"~x") == b"~x"
    ws.send_binary(b"a~.")
    assert recv_until(ws, b"a~.") == b"a~."
    ws.close()


def test_detach_escape_filter():
    escape = proxy.DetachEscape()
    assert escape.feed(b"~~") == (b"~~", False)
    assert escape.feed(b"\r~") == (b"\r", False)
    assert escape.feed(b"y") == (b"~y", False)
    assert escape.feed(b"\n~.more") == (b"\n", True)


@pytest.mark.parametrize("text", ["\u20ac", "\U0001f600", "a\u00e9b\u20ac"])
def test_multibyte_characters_never_split(console, relay, monkeypatch, text):
    # one byte per read: every character arrives split across reads
    monkeypatch.setattr(proxy, "_CHUNK", 1)
    relay.script = lambda conn: (conn.recv(1), conn.sendall(text.encode()), conn.recv(1))
    ws = connect(console)
    ws.send_binary(b"g")                     # the output comes after the OK line
    got = ""
    while got != text:
        opcode, data = recv(ws)
        assert opcode == ABNF.OPCODE_BINARY
        got += data.decode("utf-8")          # as zunclient decodes each frame
    ws.close()


def test_relay_sending_split_character_in_two_writes(console, relay):
    go = threading.Event()

    def script(conn: socket.socket) -> None:
        conn.sendall(b"\xe2\x82")
        go.wait(GUARD)
        conn.sendall(b"\xac")
        conn.recv(1)

    relay.script = script
    ws = connect(console)
    go.set()
    opcode, data = recv(ws)
    assert (opcode, data.decode("utf-8")) == (ABNF.OPCODE_BINARY, "\u20ac")
    ws.close()


def test_split_utf8_tail():
    assert proxy.split_utf8_tail(b"ab\xe2\x82") == (b"ab", b"\xe2\x82")
    assert proxy.split_utf8_tail(b"\xe2\x82\xac") == (b"\xe2\x82\xac", b"")
    assert proxy.split_utf8_tail(b"\xf0\x9f\x98") == (b"", b"\xf0\x9f\x98")
    assert proxy.split_utf8_tail(b"\xff\xfe") == (b"\xff\xfe", b"")   # not UTF-8: sent
    assert proxy.split_utf8_tail(b"\x82\x82\x82\x82") == (b"\x82\x82\x82\x82", b"")


def test_relay_eof_closes_the_websocket(console, relay):
    relay.script = lambda conn: conn.sendall(b"bye\xe2\x82")   # ends mid-character
    ws = connect(console)
    assert recv_until(ws, b"bye\xe2\x82") == b"bye\xe2\x82"    # the tail is flushed
    assert_closed(ws)


def test_client_close_closes_the_relay(console, relay):
    ws = connect(console)
    ws.close()
    assert relay.ended.wait(GUARD)
    wait_for(lambda: console._sessions == 0)


def test_stop_ends_sessions(compute, relay):
    server = proxy.ConsoleProxy(compute.consume_token, compute.open_relay, "127.0.0.1", 0)
    server.start()
    CONF.set_override("base_url", "ws://127.0.0.1:%d/" % server.port, GROUP)
    try:
        ws = connect(server)
        stopping = threading.Thread(target=server.stop)
        stopping.start()
        opcode, data = recv(ws)
        assert opcode == ABNF.OPCODE_CLOSE
        assert int.from_bytes(data[:2], "big") == 1001      # going away
        ws.shutdown()
        stopping.join()
        assert relay.ended.wait(GUARD)
    finally:
        server.stop()
        CONF.clear_override("base_url", GROUP)


def test_logs_name_container_and_kind_not_token(console, caplog):
    caplog.set_level(logging.INFO, logger="zun.console.proxy")
    ws = connect(console)
    ws.close()
    wait_for(lambda: "closed" in caplog.text)
    assert UUID in caplog.text and "attach" in caplog.text
    assert GOOD not in caplog.text
