"""Shared measuring tools: figures, interleaving, polling, process RSS.

Every benchmark reports a :class:`Figure`: zun's median next to a baseline
median measured in the same run, so a slow machine moves both and the ratio
stays meaningful.
"""
from __future__ import annotations

import dataclasses
import statistics
import time
from typing import Any, Callable


@dataclasses.dataclass
class Figure:
    """One row of the table: zun against its baseline, with the raw samples."""

    key: str
    what: str
    zun: list[float]
    baseline: list[float] = dataclasses.field(default_factory=list)
    baseline_what: str = ""
    unit: str = "s"
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def zun_median(self) -> float | None:
        return statistics.median(self.zun) if self.zun else None

    @property
    def baseline_median(self) -> float | None:
        return statistics.median(self.baseline) if self.baseline else None

    @property
    def ratio(self) -> float | None:
        z, b = self.zun_median, self.baseline_median
        if z is None or not b:
            return None
        return z / b

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "what": self.what, "unit": self.unit,
                "zun_median": self.zun_median,
                "baseline_median": self.baseline_median,
                "baseline": self.baseline_what, "ratio": self.ratio,
                "n": len(self.zun), "zun_samples": self.zun,
                "baseline_samples": self.baseline, **self.extra}


def interleave(n: int, a: Callable[[], float], b: Callable[[], float],
               warmup: int = 1) -> tuple[list[float], list[float]]:
    """Run A B A B ... so that drifting machine load hits both sides alike.

    The first ``warmup`` pairs fill caches and connection pools and are
    dropped.
    """
    xs: list[float] = []
    ys: list[float] = []
    for i in range(warmup + n):
        x, y = a(), b()
        if i >= warmup:
            xs.append(x)
            ys.append(y)
    return xs, ys


def poll(predicate: Callable[[], Any], timeout: float = 120.0,
         interval: float = 0.005, what: str = "condition") -> Any:
    """Call ``predicate`` every ``interval`` s until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def rss_mib(pid: int) -> float:
    """Resident set size of one process, from /proc (what `ps` calls RSS)."""
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS for pid %d" % pid)
