"""Reading the engine's output streams within bounds, and finding an exec's process.

The docker driver's logs and exec answers are streams of unknown length: a
tenant's container may print gigabytes. These helpers keep the first bytes
up to a limit and count the rest, close a stream from another thread when a
deadline passes, and tell whether a host pid belongs to a container before
anyone signals it.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Iterator

LOG = logging.getLogger(__name__)


class Capped:
    """The first ``limit`` bytes of a stream, and a count of the rest."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kept = bytearray()
        self.over = 0

    @property
    def truncated(self) -> bool:
        return self.over > 0

    def add(self, chunk: bytes) -> bool:
        """Keep what fits; False once something did not."""
        room = self.limit - len(self.kept)
        if room > 0:
            self.kept += chunk[:room]
        self.over += max(0, len(chunk) - max(room, 0))
        return self.over == 0


def chunks(raw: Any) -> Iterator[bytes]:
    """The byte chunks of an SDK answer: a stream, or one bytes/str value."""
    if raw is None:
        return
    if isinstance(raw, (bytes, bytearray)):
        yield bytes(raw)
        return
    if isinstance(raw, str):
        yield raw.encode("utf-8")
        return
    for chunk in raw:
        yield chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)


def pid_in_container(pid: int, container_id: str) -> bool:
    """True when host pid ``pid`` belongs to ``container_id``'s cgroup."""
    try:
        with open(f"/proc/{pid}/cgroup", encoding="utf-8") as cgroup:
            return bool(container_id) and container_id in cgroup.read()
    except OSError:
        return False


def namespace_pid(pid: int) -> int | None:
    """Host pid ``pid`` as the container's own pid namespace numbers it."""
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as status:
            for line in status:
                if line.startswith("NSpid:"):
                    return int(line.split()[-1])
    except (OSError, ValueError):
        return None
    return None


def close_when(stop: threading.Event, done: threading.Event, stream: Any) -> None:
    """Close ``stream`` once ``stop`` is set; quit if the reader finished first."""
    while not stop.wait(0.2):
        if done.is_set():
            return
    close_quietly(stream)


def close_quietly(stream: Any) -> None:
    close = getattr(stream, "close", None)
    if close is None:  # a whole answer (bytes), nothing held open
        return
    try:
        close()
    except Exception:  # already closed, or closed by the other thread
        LOG.debug("Stream close raised", exc_info=True)


def text(raw: bytes | str | None) -> str:
    """Engine output as text: bytes decoded as UTF-8 (bad bytes replaced)."""
    if raw is None:
        return ""
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="replace")
    return str(raw)
