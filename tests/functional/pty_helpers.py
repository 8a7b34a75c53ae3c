"""Drive consoles the way users do: the real CLIs in a pseudo-terminal
(pexpect), and raw websockets with the client library zunclient itself uses.

Every wait here is for a condition (a pattern on the terminal, a marker in
the bytes) bounded by a timeout that only turns a hang into a failure.
"""
from __future__ import annotations

import io
import re
import time
from typing import Any
from urllib import parse

import pexpect
import websocket

# What zunclient prints once its websocket is open.
CONNECTED = r"connected to \S+, press Enter to continue"
# What zunclient offers; the proxy must answer "binary".
SUBPROTOCOLS = ["binary", "base64"]


def echo_line(tag: str) -> str:
    """A shell line whose output (``42-<tag>``) is not in its own echo."""
    return "echo $((6*7))-%s\r" % tag


class PtySession:
    """One CLI process on a pseudo-terminal of ``rows`` x ``cols``."""

    def __init__(self, argv: list[str], env: dict[str, str], rows: int = 24,
                 cols: int = 80, timeout: float = 60) -> None:
        self.transcript = io.StringIO()
        self.child = pexpect.spawn(argv[0], argv[1:], env=env, dimensions=(rows, cols),
                                   encoding="utf-8", codec_errors="replace",
                                   timeout=timeout)
        self.child.logfile_read = self.transcript

    def expect(self, pattern: Any, timeout: float | None = None) -> Any:
        """Wait for ``pattern``; on a timeout or EOF fail with what the
        terminal showed (the CLI's own error is usually there)."""
        try:
            self.child.expect(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as exc:
            raise AssertionError("waiting for %r on %s: %s; the terminal showed:\n%s" % (
                pattern, " ".join(self.child.args[-4:]) if self.child.args else "?",
                type(exc).__name__, self.transcript.getvalue()[-4000:])) from None
        return self.child.match

    def connected(self) -> None:
        """Wait for the websocket to open, then press Enter as told."""
        self.expect(CONNECTED)
        self.child.send("\r")

    def round_trip(self, tag: str) -> None:
        """Type a line into the remote shell and read its output back."""
        self.child.send(echo_line(tag))
        self.expect(re.escape("42-%s" % tag))

    def resize_seen(self, rows: int, cols: int, attempts: int = 10) -> int:
        """Resize the terminal (SIGWINCH to the CLI, which POSTs the resize)
        and wait until `stty size` inside shows it; the attempts it took.

        zunclient resizes from its signal handler, which may run just after
        it read the `stty` line; asking again is then the condition wait.
        """
        self.child.setwinsize(rows, cols)
        seen = None
        for attempt in range(1, attempts + 1):
            self.child.send("stty size\r")
            match = self.expect(r"\r\n(\d+) (\d+)\r\n")
            seen = (int(match.group(1)), int(match.group(2)))
            if seen == (rows, cols):
                return attempt
        raise AssertionError("stty size shows %s, not %s; the terminal showed:\n%s" % (
            seen, (rows, cols), self.transcript.getvalue()[-4000:]))

    def detach(self) -> None:
        """The escape at the start of a line, each key on its own, as typed."""
        for key in ("\r", "~", "."):
            self.child.send(key)

    def wait_exit(self, timeout: float = 60) -> int | None:
        """Wait for the CLI to end; its exit status."""
        self.expect(pexpect.EOF, timeout=timeout)
        self.child.close()
        return self.child.exitstatus

    def close(self) -> None:
        if self.child.isalive():
            self.child.close(force=True)


# --- raw websockets ------------------------------------------------------------
def own_origin(url: str) -> str:
    """The Origin zunclient sends for ``url`` (http(s)://host:port)."""
    parts = parse.urlsplit(url)
    scheme = "https" if parts.scheme == "wss" else "http"
    return "%s://%s:%s" % (scheme, parts.hostname, parts.port)


def ws_connect(url: str, origin: str | None = None,
               timeout: float = 30) -> websocket.WebSocket:
    """Open a console websocket as zunclient does (subprotocols, Origin)."""
    return websocket.create_connection(url, subprotocols=SUBPROTOCOLS,
                                       origin=origin or own_origin(url),
                                       skip_utf8_validation=True, timeout=timeout)


def ws_refusal(url: str, origin: str | None = None) -> int:
    """The HTTP status the handshake of ``url`` is refused with (fails if it opens)."""
    try:
        ws = ws_connect(url, origin=origin)
    except websocket.WebSocketBadStatusException as refused:
        return refused.status_code
    ws.close()
    raise AssertionError("the websocket %s (origin %s) opened" % (url, origin))


def ws_read_until(ws: websocket.WebSocket, marker: bytes, timeout: float = 30) -> bytes:
    """Read frames until ``marker`` arrived; all bytes read."""
    got = b""
    deadline = time.monotonic() + timeout
    while marker not in got:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("no %r within %.0fs; read %r" % (marker, timeout, got[-2000:]))
        ws.settimeout(left)
        try:
            opcode, data = ws.recv_data()
        except websocket.WebSocketTimeoutException:
            continue
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            raise AssertionError("closed before %r; read %r" % (marker, got[-2000:]))
        got += data
    return got


def ws_round_trip(ws: websocket.WebSocket, tag: str, timeout: float = 30) -> bytes:
    ws.send_binary(echo_line(tag).encode())
    return ws_read_until(ws, ("42-%s" % tag).encode(), timeout=timeout)


def ws_wait_closed(ws: websocket.WebSocket, timeout: float = 30) -> None:
    """Read until the proxy ends the session (close frame or EOF)."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("the session stayed open for %.0fs" % timeout)
        ws.settimeout(left)
        try:
            opcode, _ = ws.recv_data()
        except websocket.WebSocketTimeoutException:
            continue
        except (websocket.WebSocketConnectionClosedException, OSError):
            return
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return
