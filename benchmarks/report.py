"""The issue's targets, upstream's figures, and how results are shown and saved.

Targets and upstream figures live only here; docs/performance.rst quotes
the table this module prints.
"""
from __future__ import annotations

import json
import platform
import subprocess
from pathlib import Path
from typing import Any

from benchmarks.measure import Figure

# key prefix -> (what is compared, limit, text)
TARGETS: list[tuple[str, str, float, str]] = [
    ("run20_", "ratio", 1.2, "<= 1.2x raw"),
    ("run100_", "ratio", 1.2, "<= 1.2x raw"),
    ("delete20_", "ratio", 1.2, "<= 1.2x raw"),
    ("delete100_", "ratio", 1.2, "<= 1.2x raw"),
    ("run_", "ratio", 1.10, "<= 1.10x raw"),
    ("delete_", "ratio", 1.10, "<= 1.10x raw"),
    ("converge_", "median", 1.0, "median <= 1 s"),
    ("list1000_", "median", 0.1, "<= 0.1 s"),
    ("reconcile", "median", 0.5, "<= 0.5 s CPU"),
]

# Upstream Zun 18 on a machine of this kind (docs: perf-upstream), zun / raw.
UPSTREAM: dict[str, str] = {
    "run_": "1.157 s / 0.586 s (~2.0x)",
    "delete_": "0.624 s / 0.204 s (~3.2x)",
    "run20_": "11.4 s / 5.2 s (~2.1x)",
    "delete20_": "5.8 s / 1.7 s (~3.6x)",
    "converge_": "20-50 s",
    "list1000_": "2.46 s",
    "get1_": "0.067 s",
    "reconcile": "33.8 s CPU",
}

# Idle RSS, MiB: upstream's figure and the target (half of it).
UPSTREAM_IDLE_RSS = {"zun-api": 308.0, "zun-compute": 128.0,
                     "zun-all": 308.0 + 128.0}


def _lookup(key: str, table: Any) -> Any:
    for prefix, *rest in table:
        if key.startswith(prefix):
            return rest
    return None


def judge(fig: Figure) -> tuple[str, bool | None]:
    """The target text for this figure and whether this run met it."""
    found = _lookup(fig.key, TARGETS)
    if not found:
        return "", None
    kind, limit, text = found
    value = fig.ratio if kind == "ratio" else fig.zun_median
    return text, (value is not None and value <= limit)


def upstream(key: str) -> str:
    found = _lookup(key, list(UPSTREAM.items()))
    return found[0] if found else ""


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return "%.3f s" % value
    return "%.1f %s" % (value, unit)


def rows(figures: list[Figure]) -> list[list[str]]:
    out = [["what", "zun", "baseline", "ratio", "n", "target", "met", "upstream Zun 18"]]
    for fig in figures:
        target, met = judge(fig)
        ratio = "%.2fx" % fig.ratio if fig.ratio is not None else "-"
        out.append([fig.what, _fmt(fig.zun_median, fig.unit),
                    "%s (%s)" % (_fmt(fig.baseline_median, fig.unit), fig.baseline_what)
                    if fig.baseline else "-",
                    ratio, str(len(fig.zun)), target,
                    {True: "yes", False: "NO", None: ""}[met], upstream(fig.key)])
    return out


def rss_rows(rss: dict[str, dict[str, float]]) -> list[list[str]]:
    out = [["process", "idle", "after the runs", "with 10,000 rows",
            "target idle", "met", "upstream idle"]]
    for name, phases in rss.items():
        kind = name.split(" ")[0]
        up = UPSTREAM_IDLE_RSS.get(kind)   # none measured for zun-wsproxy
        idle = phases.get("idle")
        target = (["<= %.0f MiB" % (up / 2),
                   "yes" if idle is not None and idle <= up / 2 else "NO",
                   "%.0f MiB" % up] if up is not None else ["-", "-", "-"])
        out.append([name] + ["%.0f MiB" % phases[p] if p in phases else "-"
                             for p in ("idle", "after_runs", "with_rows")] + target)
    return out


def text_table(table: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def rst_table(table: list[list[str]]) -> str:
    """A grid-free "simple" RST table of the same rows (for docs/performance.rst)."""
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    rule = "  ".join("=" * w for w in widths)
    body = ["  ".join((c or "..").ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in table]
    return "\n".join([rule, body[0], rule] + body[1:] + [rule])


def _cmd(args: list[str]) -> str:
    try:
        return subprocess.run(args, capture_output=True, text=True,
                              timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def machine(docker_url: str) -> dict[str, Any]:
    return {"nproc": _cmd(["nproc"]), "free_m": _cmd(["free", "-m"]),
            "kernel": platform.release(), "python": platform.python_version(),
            "docker": _cmd(["docker", "-H", docker_url, "version", "--format",
                            "{{.Server.Version}} (API {{.Server.APIVersion}})"])}


def save(path: Path, figures: list[Figure], rss: dict[str, Any], extra: dict[str, Any]) -> None:
    results = []
    for fig in figures:
        target, met = judge(fig)
        results.append(dict(fig.as_dict(), target=target, met=met,
                            upstream=upstream(fig.key)))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"figures": results, "rss_mib": rss, **extra},
                               indent=1, default=str) + "\n")
