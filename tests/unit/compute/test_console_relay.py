"""The agent's console relay over real TCP sockets, with a fake driver whose
console streams are socket pairs (the test holds the container's end).

Socket timeouts below only keep a broken relay from hanging the run; no
assertion depends on how long anything takes.
"""
from __future__ import annotations

import contextlib
import socket
import threading

import pytest

from tests.unit.compute.conftest import FakeDriver
from zun.common import exception
from zun.compute import console as console_mod
from zun.compute import rpcapi
from zun.conf import CONF
from zun.container.driver import base as driver_base

SAFETY = 10.0  # seconds before a stuck socket call fails the test


class PairStream(driver_base.ConsoleStream):
    """A console stream over one end of a socketpair; ``peer`` is the
    container's end."""

    def __init__(self, container_id: str) -> None:
        self.sock, self.peer = socket.socketpair()
        self.peer.settimeout(SAFETY)
        self.container_id = container_id
        self.closed = threading.Event()

    def read(self, size: int) -> bytes:
        try:
            return self.sock.recv(size)
        except OSError:
            return b""

    def write(self, data: bytes) -> None:
        if self.closed.is_set():
            raise exception.ConsoleClosed(container=self.container_id)
        try:
            self.sock.sendall(data)
        except OSError as exc:
            raise exception.ConsoleClosed(container=self.container_id) from exc

    def close(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()

    def fileno(self) -> int:
        return self.sock.fileno()


class ConsoleDriver(FakeDriver):
    """``console`` hands out PairStreams; with ``echo`` the container side
    answers every chunk prefixed with its container id."""

    def __init__(self, echo: bool = False) -> None:
        super().__init__()
        self.echo = echo
        self.streams: list[PairStream] = []
        self.console_calls: list[tuple[str, str | None]] = []
        self.opened = threading.Condition()

    def console(self, container_id, exec_id=None):
        self.console_calls.append((container_id, exec_id))
        if "console" in self.fail:
            raise self.fail["console"]
        stream = PairStream(container_id)
        if self.echo:
            threading.Thread(target=self._echo, args=(stream,), daemon=True).start()
        with self.opened:
            self.streams.append(stream)
            self.opened.notify_all()
        return stream

    @staticmethod
    def _echo(stream: PairStream) -> None:
        with contextlib.suppress(OSError):
            while data := stream.peer.recv(4096):
                stream.peer.sendall(stream.container_id.encode() + b":" + data)

    def stream(self, index: int = 0) -> PairStream:
        with self.opened:
            assert self.opened.wait_for(lambda: len(self.streams) > index, SAFETY)
            return self.streams[index]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def driver():
    return ConsoleDriver()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def relay(driver, clock):
    relay = console_mod.ConsoleRelay(driver, host="127.0.0.1", port=0, clock=clock,
                                     handshake_timeout=SAFETY)
    relay.start()
    yield relay
    relay.stop()


def _connect(offer: dict, ticket: str | None = None) -> socket.socket:
    sock = socket.create_connection((offer["host"], offer["port"]), timeout=SAFETY)
    sock.sendall((ticket if ticket is not None else offer["ticket"]).encode() + b"\n")
    return sock


def _line(sock: socket.socket) -> bytes:
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = sock.recv(1)
        if not chunk:
            break
        buf += chunk
    return buf


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    buf = b""
    while len(buf) < size:
        chunk = sock.recv(size - len(buf))
        assert chunk, "closed after %r" % buf
        buf += chunk
    return buf


def _closed(sock: socket.socket) -> bool:
    """True once the other side closed (reads drained until EOF)."""
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        pass
    return True


def _refused(sock: socket.socket) -> bool:
    """True when the relay closed the connection without sending a byte (a
    reset counts: the relay closes without reading what else was sent)."""
    try:
        return sock.recv(10) == b""
    except ConnectionResetError:
        return True


def _open(relay, driver, index=0, exec_id=None):
    offer = relay.offer("cid-%d" % index, exec_id)
    sock = _connect(offer)
    assert _line(sock) == b"OK\n"
    return sock, driver.stream(index)


def test_offer_names_the_bound_port_and_a_fresh_ticket(relay):
    a, b = relay.offer("cid-1"), relay.offer("cid-1")
    assert a["host"] == "127.0.0.1" and a["port"] == relay.port and relay.port > 0
    assert a["ticket"] != b["ticket"] and len(a["ticket"]) >= 32


def test_a_valid_ticket_relays_both_ways(relay, driver):
    sock, stream = _open(relay, driver, exec_id="e1")
    assert driver.console_calls == [("cid-0", "e1")]
    sock.sendall(b"ls -l\r")
    assert _recv_exact(stream.peer, 6) == b"ls -l\r"
    stream.peer.sendall("total 0 \u00e9\n".encode())
    assert _recv_exact(sock, 11) == "total 0 \u00e9\n".encode()
    sock.close()


def test_bytes_sent_with_the_ticket_reach_the_console(relay, driver):
    offer = relay.offer("cid-0")
    sock = socket.create_connection((offer["host"], offer["port"]), timeout=SAFETY)
    sock.sendall(offer["ticket"].encode() + b"\nearly")
    assert _line(sock) == b"OK\n"
    assert _recv_exact(driver.stream().peer, 5) == b"early"
    sock.close()


@pytest.mark.parametrize("ticket", ["nope", "", "x" * 500])
def test_an_unknown_ticket_is_closed_without_reaching_the_runtime(relay, driver,
                                                                  ticket, caplog):
    relay.offer("cid-0")
    sock = _connect(relay.offer("cid-0"), ticket)
    assert _refused(sock)
    assert driver.console_calls == []
    assert "no valid ticket" in caplog.text


def test_a_ticket_is_good_once(relay, driver):
    offer = relay.offer("cid-0")
    first = _connect(offer)
    assert _line(first) == b"OK\n"
    again = _connect(offer)
    assert _refused(again)
    assert len(driver.console_calls) == 1
    first.close()


def test_an_expired_ticket_is_refused_and_forgotten(relay, driver, clock):
    offer = relay.offer("cid-0")
    clock.now += CONF.compute.console_ticket_ttl
    sock = _connect(offer)
    assert _refused(sock)
    assert driver.console_calls == []
    # unused tickets do not pile up: each offer drops the expired ones
    for _ in range(5):
        relay.offer("cid-0")
    assert relay.pending_tickets() == 5
    clock.now += CONF.compute.console_ticket_ttl
    relay.offer("cid-0")
    assert relay.pending_tickets() == 1


def test_a_connection_without_a_ticket_line_is_dropped(driver):
    relay = console_mod.ConsoleRelay(driver, host="127.0.0.1", port=0,
                                     handshake_timeout=0.05)
    relay.start()
    try:
        sock = socket.create_connection(("127.0.0.1", relay.port), timeout=SAFETY)
        sock.sendall(relay.offer("cid-0")["ticket"].encode())  # no newline, ever
        assert _refused(sock)
        assert driver.console_calls == []
    finally:
        relay.stop()


def test_a_driver_refusal_is_answered_err(relay, driver):
    driver.fail["console"] = exception.ExecNotFound(exec_id="e9", container="cid-0")
    sock = _connect(relay.offer("cid-0", "e9"))
    assert _line(sock) == b"ERR Exec e9 could not be found in this container.\n"
    assert sock.recv(10) == b""


def test_an_unexpected_driver_failure_does_not_leak_its_text(relay, driver):
    driver.fail["console"] = RuntimeError("/var/run/docker.sock said no")
    sock = _connect(relay.offer("cid-0"))
    line = _line(sock)
    assert line.startswith(b"ERR ") and b"docker.sock" not in line
    assert b"RuntimeError" in line


def test_closing_the_client_closes_the_stream(relay, driver):
    sock, stream = _open(relay, driver)
    sock.close()
    assert stream.closed.wait(SAFETY)
    assert stream.peer.recv(10) == b""


def test_the_console_ending_closes_the_client(relay, driver):
    sock, stream = _open(relay, driver)
    stream.peer.sendall(b"bye\n")
    stream.peer.close()
    assert _recv_exact(sock, 4) == b"bye\n"
    assert _closed(sock)
    assert stream.closed.wait(SAFETY)


def test_stop_ends_live_sessions_and_listening(driver):
    relay = console_mod.ConsoleRelay(driver, host="127.0.0.1", port=0)
    relay.start()
    port = relay.port
    socks = [_open(relay, driver, i) for i in range(3)]
    relay.stop()
    for sock, stream in socks:
        assert _closed(sock)
        assert stream.closed.wait(SAFETY)
    assert not relay.running
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=SAFETY)
    with pytest.raises(exception.ServiceUnavailable):
        relay.offer("cid-0")


def test_concurrent_sessions_each_relay_their_own_bytes(clock):
    driver = ConsoleDriver(echo=True)
    relay = console_mod.ConsoleRelay(driver, host="127.0.0.1", port=0, clock=clock)
    relay.start()
    count = 20
    barrier = threading.Barrier(count)
    results: dict[int, bytes] = {}
    errors: list[BaseException] = []

    def session(i: int) -> None:
        try:
            sock = _connect(relay.offer("cid-%d" % i))
            assert _line(sock) == b"OK\n"
            barrier.wait(SAFETY)  # every session is open at the same time
            payload = ("payload-%d-" % i).encode() * 50
            sock.sendall(payload)
            want = len(payload) + len(b"cid-%d:" % i)
            got = b""
            while len(got) < want:  # the echo may come back in several chunks
                chunk = sock.recv(65536)
                assert chunk
                got += chunk
            results[i] = got
            sock.close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=session, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SAFETY * 3)
    relay.stop()
    assert not errors, errors
    for i in range(count):
        prefix = b"cid-%d:" % i
        assert results[i].replace(prefix, b"") == ("payload-%d-" % i).encode() * 50


# --- the RPC client's versions ------------------------------------------------------
class _Client:
    def __init__(self):
        self.sent = []

    def call(self, context, host, method, version, **kwargs):
        self.sent.append((method, version, kwargs))
        return {}

    cast = call


def test_a_plain_exec_is_sent_as_before_so_older_agents_serve_it(ctx):
    client = _Client()
    api = rpcapi.ComputeAPI(client)
    api.container_exec(ctx, "h", "u", ["ls"])
    api.container_exec(ctx, "h", "u", ["sh"], run=False, interactive=True)
    assert client.sent == [
        ("container_exec", "1.0", {"uuid": "u", "command": ["ls"]}),
        ("container_exec", "1.3", {"uuid": "u", "command": ["sh"], "run": False,
                                   "interactive": True})]


def test_console_messages_need_rpc_1_3(ctx):
    client = _Client()
    api = rpcapi.ComputeAPI(client)
    api.container_console(ctx, "h", "u", None)
    api.container_resize(ctx, "h", "u", 24, 80)
    api.container_exec_resize(ctx, "h", "u", "e1", 30, 100)
    assert client.sent == [
        ("container_console", "1.3", {"uuid": "u", "exec_id": None}),
        ("container_resize", "1.3", {"uuid": "u", "height": 24, "width": 80}),
        ("container_exec_resize", "1.3", {"uuid": "u", "exec_id": "e1", "height": 30,
                                          "width": 100})]


# --- the service: the relay starts with the agent ----------------------------------
def test_the_service_starts_the_relay_and_hands_it_to_the_manager(db, driver):
    from tests.unit.compute.conftest import FakeNetwork
    from zun.compute import service as service_mod
    svc = service_mod.ComputeService(driver, host="h", network=FakeNetwork(driver))
    assert svc.manager.console is svc.console
    svc._start_console()
    try:
        assert svc.console.running and svc.console_error is None
        assert "attach" in svc.capabilities()
    finally:
        svc.console.stop()


def test_a_relay_that_cannot_listen_costs_only_attach(db, driver):
    from tests.unit.compute.conftest import FakeNetwork
    from zun.compute import service as service_mod
    taken = socket.create_server(("127.0.0.1", 0))
    CONF.set_override("console_port", taken.getsockname()[1], group="compute")
    try:
        svc = service_mod.ComputeService(driver, host="h", network=FakeNetwork(driver))
        svc._start_console()
        assert svc.console_error and not svc.console.running
        caps = svc.capabilities()
        assert "attach" not in caps and "create" in caps and "exec" in caps
    finally:
        CONF.clear_override("console_port", group="compute")
        taken.close()
