"""Section 3: from a container's real exit to the LIST showing Stopped.

The clock starts at Docker's own ``State.FinishedAt``. The baseline is the
physical limit of any watcher: when Docker's event stream delivers the
``die`` event to a raw SDK client, measured on the same exit.
"""
from __future__ import annotations

import datetime
import threading
import time

from benchmarks.measure import Figure, poll
from benchmarks.ops import Raw, Zun

EXITS_ITSELF = ["sh", "-c", "sleep 1; exit 3"]


def docker_time(value: str) -> float:
    """Docker's RFC 3339 nanosecond timestamp as epoch seconds."""
    stamp, _, frac = value.rstrip("Z").partition(".")
    base = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    return base + (float("0." + frac) if frac else 0.0)


class DieWatcher:
    """Notes the wall time at which the engine's ``die`` event reaches a client."""

    def __init__(self, raw: Raw, container: str, since: float) -> None:
        self.at: float | None = None
        # ``since`` replays a die that happened before we subscribed
        self._stream = raw.api.events(decode=True, since=since, filters={
            "container": container, "event": "die"})
        self._thread = threading.Thread(target=self._follow, daemon=True)
        self._thread.start()

    def _follow(self) -> None:
        try:
            for _event in self._stream:
                self.at = time.time()
                return
        except Exception:  # noqa: BLE001 - closed by done()
            return

    def done(self) -> float | None:
        self._thread.join(timeout=10)
        self._stream.close()
        return self.at


def _one(zun: Zun, raw: Raw, external_stop: bool) -> tuple[float, float | None]:
    since = time.time() - 1
    uuid = zun.create(None if external_stop else EXITS_ITSELF)["uuid"]
    # zun's docker driver names its containers zun-<uuid>
    name = "zun-%s" % uuid
    watcher = DieWatcher(raw, name, since)
    zun.wait_running(uuid)
    cid = raw.api.inspect_container(name)["Id"]
    if external_stop:
        raw.api.stop(cid, timeout=10)

    def stopped_in_list() -> float | None:
        rows = zun.listing()
        now = time.time()  # when the answer arrived: errs against zun
        for row in rows:
            if row["uuid"] == uuid and row["status"] == "Stopped":
                return now
        return None
    seen = poll(stopped_in_list, interval=0.005, what="%s Stopped in list" % uuid)
    finished = docker_time(raw.api.inspect_container(cid)["State"]["FinishedAt"])
    event_at = watcher.done()
    zun.delete(uuid)
    zun.wait_gone(uuid, interval=0.02)
    return seen - finished, (event_at - finished) if event_at else None


def measure(zun: Zun, raw: Raw, label: str, n: int) -> list[Figure]:
    figures = []
    for external, key, what in (
            (False, "exit", "command exits -> LIST shows Stopped"),
            (True, "stop", "external docker stop -> LIST shows Stopped")):
        lists, events = [], []
        for _ in range(n):
            seen, event = _one(zun, raw, external)
            lists.append(seen)
            if event is not None:
                events.append(event)
        figures.append(Figure("converge_%s_%s" % (key, label), "%s (%s)" % (what, label),
                              lists, events, "raw SDK gets the die event"))
    return figures
