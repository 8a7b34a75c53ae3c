"""Consoles: attach round trips and exec -it session setup, zun against raw Docker.

What a user feels at ``zun attach`` / ``zun exec -it``: the delay of each
keystroke's echo, and how long a session takes to show its first prompt.
zun's side is what zunclient does (a websocket through zun-wsproxy, which
reaches the agent's relay, which holds the engine's stream); the baseline
is the docker SDK's own socket to the engine. Each side types into its own
``sh`` container (interactive + tty, zun's runtime hardening on both), so
one console's output never crosses into the other's reads.

- attach: one console per side, opened once. Keystroke echo: typed text
  until the shell's line editor echoes it back. Command round trip:
  ``echo <marker>\\n`` until the output line ``\\r\\n<marker>\\r\\n`` (the
  echoed input has a space before the marker, so it does not match);
  busybox sh spends ~20 ms of its own on every command line, on both
  sides, which is why the keystroke figure is the one that shows the path.
  Each round trip starts at a fresh prompt.
- exec -it setup: from the request to the shell's first prompt byte. zun:
  POST execute?interactive=True&run=False, then the websocket handshake
  (token, RPC to the agent, relay, exec start); raw: exec_create +
  exec_start(socket=True). Closing is not timed, and differs: closing
  zun's websocket ends the exec's shell (the relay kills it), closing the
  engine's socket leaves the shell running, so the raw side types
  ``exit`` first. The exec figure records the shells left in each
  container afterwards (``zun_shells_left``, ``raw_shells_left``: 1 is
  the container's own).

Alone (a zun-all, and zun-api + zun-compute + zun-wsproxy over RabbitMQ):

    .venv/bin/python benchmarks/console.py [--quick]
"""
from __future__ import annotations

import socket
import sys
import time
import uuid as uuidlib
from pathlib import Path
from typing import Any
from urllib import parse

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import websocket

from benchmarks.measure import Figure, interleave, poll
from benchmarks.ops import CPU, MEMORY_MIB, RAW_PREFIX, Raw, Zun
from tests.functional.harness import IMAGE

SHELL = ["sh"]
PROMPT = b"# "   # the end of busybox sh's prompt as root ("/ # ")
# A hung console fails the run instead of stalling it.
IO_TIMEOUT = 30.0
# Round trips per repetition of the other sections: each one is cheap.
ROUND_TRIPS_PER_N = 10


# --- the two kinds of console stream, behind one small interface -------------
class _WsConsole:
    """zunclient's way in: a websocket speaking the "binary" subprotocol."""

    def __init__(self, url: str) -> None:
        where = parse.urlsplit(url)
        # the Origin zunclient sends: the http(s) origin of the proxy's URL
        origin = "%s://%s:%s" % ("https" if where.scheme == "wss" else "http",
                                 where.hostname, where.port)
        self.ws = websocket.create_connection(url, subprotocols=["binary"],
                                              origin=origin, timeout=IO_TIMEOUT)

    def write(self, data: bytes) -> None:
        self.ws.send_binary(data)

    def read(self) -> bytes:
        data = self.ws.recv()
        if not data:
            raise RuntimeError("the console websocket closed")
        return data if isinstance(data, bytes) else data.encode()

    def close(self) -> None:
        self.ws.close()


class _SockConsole:
    """The engine's hijacked HTTP connection (a tty stream: not multiplexed)."""

    def __init__(self, sock: Any) -> None:
        self.sock: socket.socket = getattr(sock, "_sock", sock)
        self.sock.settimeout(IO_TIMEOUT)

    def write(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read(self) -> bytes:
        data = self.sock.recv(65536)
        if not data:
            raise RuntimeError("the engine closed the console socket")
        return data

    def close(self) -> None:
        self.sock.close()


def _read_until(console: _WsConsole | _SockConsole, wanted: bytes,
                seen: bytes = b"") -> bytes:
    """Read until ``wanted`` has come; the bytes after it."""
    while wanted not in seen:
        seen += console.read()
    return seen.split(wanted, 1)[1]


def _marker() -> bytes:
    return b"zb%s" % uuidlib.uuid4().hex[:10].encode()


def _round_trip(console: _WsConsole | _SockConsole) -> float:
    """``echo <marker>`` + Enter until its output line; then, untimed, the
    next prompt, so every round trip starts at a ready shell."""
    marker = _marker()
    start = time.perf_counter()
    console.write(b"echo " + marker + b"\n")
    rest = _read_until(console, b"\r\n" + marker + b"\r\n")
    elapsed = time.perf_counter() - start
    _read_until(console, PROMPT, rest)
    return elapsed


def _keystroke(console: _WsConsole | _SockConsole) -> float:
    """Typed text until the shell's line editor echoes it (no Enter: ash
    spends ~20 ms of its own on each command line, the same on both sides,
    which would hide what the path adds); then, untimed, Enter and prompt."""
    marker = _marker()
    start = time.perf_counter()
    console.write(b": " + marker)
    rest = _read_until(console, marker)
    elapsed = time.perf_counter() - start
    console.write(b"\n")
    _read_until(console, PROMPT, rest)
    return elapsed


# --- the containers ------------------------------------------------------------
def _zun_shell(zun: Zun) -> str:
    """An interactive + tty ``sh`` made by zun, Running; its uuid."""
    body = {"image": IMAGE, "command": SHELL, "cpu": CPU, "memory": str(MEMORY_MIB),
            "interactive": True, "tty": True}
    resp = zun.api.post("/v1/containers?run=true", body)
    if resp.status_code != 202:
        raise RuntimeError("POST run: %s %s" % (resp.status_code, resp.text))
    uuid = resp.json()["uuid"]
    zun.wait_running(uuid)
    return uuid


def _raw_shell(raw: Raw) -> str:
    """The same on the engine directly (Raw's host config: same limits)."""
    cid = raw.api.create_container(
        IMAGE, SHELL, name=RAW_PREFIX + uuidlib.uuid4().hex[:12], stdin_open=True,
        tty=True, host_config=raw._host_config)["Id"]  # noqa: SLF001 - same config
    raw.api.start(cid)
    return cid


def _shells(raw: Raw, cid: str) -> int:
    """How many ``sh`` processes run in a container (its own included)."""
    exec_id = raw.api.exec_create(cid, ["ps", "-o", "comm"])["Id"]
    out = raw.api.exec_start(exec_id).decode(errors="replace")
    return sum(1 for line in out.splitlines() if line.strip() == "sh")


def _settled_shells(raw: Raw, cid: str) -> int:
    """Shells left once the closes have had their effect (the main one is 1);
    reported, not asserted: a leak shows as a count above 1."""
    try:
        poll(lambda: _shells(raw, cid) == 1, timeout=10, interval=0.1,
             what="exec shells to end")
    except RuntimeError:
        pass
    return _shells(raw, cid)


# --- the section -----------------------------------------------------------------
def measure(zun: Zun, raw: Raw, label: str, n: int) -> list[Figure]:
    """Attach round trips (ROUND_TRIPS_PER_N x n) and n exec -it setups,
    each interleaved with the same on raw Docker.

    Every session spends one console token: n + 2 of them within a minute
    or so, under [websocket_proxy] tokens_per_minute (60) for n = 20."""
    uuid = _zun_shell(zun)
    cid = _raw_shell(raw)
    base = "/v1/containers/%s" % uuid
    consoles: list[_WsConsole | _SockConsole] = []
    try:
        resp = zun.api.get("%s/attach" % base)
        if resp.status_code != 200:
            raise RuntimeError("attach: %s %s" % (resp.status_code, resp.text))
        zun_attach = _WsConsole(resp.json())
        consoles.append(zun_attach)
        raw_attach = _SockConsole(raw.api.attach_socket(
            cid, params={"stdin": 1, "stdout": 1, "stream": 1}))
        consoles.append(raw_attach)
        trips = ROUND_TRIPS_PER_N * n
        keys, raw_keys = interleave(trips, lambda: _keystroke(zun_attach),
                                    lambda: _keystroke(raw_attach), warmup=3)
        rtts, raw_rtts = interleave(trips, lambda: _round_trip(zun_attach),
                                    lambda: _round_trip(raw_attach), warmup=3)

        def zun_exec() -> float:
            start = time.perf_counter()
            resp = zun.api.post("%s/execute" % base, command="sh",
                                interactive="True", run="False")
            if resp.status_code != 200 or not resp.json().get("proxy_url"):
                raise RuntimeError("execute: %s %s" % (resp.status_code, resp.text))
            console = _WsConsole(resp.json()["proxy_url"])
            console.read()
            elapsed = time.perf_counter() - start
            console.close()   # zun ends the exec's shell
            return elapsed

        def raw_exec() -> float:
            start = time.perf_counter()
            exec_id = raw.api.exec_create(cid, SHELL, stdin=True, tty=True)["Id"]
            console = _SockConsole(raw.api.exec_start(exec_id, tty=True, socket=True))
            console.read()
            elapsed = time.perf_counter() - start
            console.write(b"exit\n")   # closing alone would leave the shell running
            console.close()
            return elapsed

        setups, raw_setups = interleave(n, zun_exec, raw_exec)
        left = {"zun_shells_left": _settled_shells(raw, "zun-%s" % uuid),
                "raw_shells_left": _settled_shells(raw, cid)}
        for console in consoles:   # the main shells exit: quick deletes
            console.write(b"exit\n")
    finally:
        for console in consoles:
            console.close()
        zun.delete(uuid)
        zun.wait_gone(uuid)
        raw.api.remove_container(cid, force=True, v=True)
    ms = 1000.0
    return [
        Figure("console_attach_key_%s" % label,
               "attach: typed text to its echo, tty sh (%s)" % label,
               [x * ms for x in keys], [x * ms for x in raw_keys],
               "raw attach_socket", unit="ms"),
        Figure("console_attach_rtt_%s" % label,
               "attach: echo <marker> + Enter to its output (%s)" % label,
               [x * ms for x in rtts], [x * ms for x in raw_rtts],
               "raw attach_socket", unit="ms"),
        Figure("console_exec_setup_%s" % label,
               "exec -it: request to first prompt byte (%s)" % label,
               [x * ms for x in setups], [x * ms for x in raw_setups],
               "raw exec_create+start", unit="ms", extra=left),
    ]


def main() -> None:
    from benchmarks.run import run_alone_on_both
    run_alone_on_both(__doc__ or "", measure, "bench-console")


if __name__ == "__main__":
    main()
