"""Host inventory: what this compute host has and what its containers use.

The agent writes one ``compute_node`` row per host on start and on every
heartbeat, so ``GET /v1/hosts`` shows current totals without asking any
host. Usage is computed from this host's container rows (what zun has
given out), not from the runtime's live counters, so it matches what the
API accepted even while containers are stopped.
"""
from __future__ import annotations

import logging
import os
import platform
import time
import uuid as uuidlib
from typing import Any, Iterable

from zun.common import context as zun_context
from zun.common import exception, states
from zun.conf import CONF
from zun.container.driver import base as driver_base
from zun.db import api as db_api
from zun.db import models

LOG = logging.getLogger(__name__)

# Fixed, so a host keeps its uuid across DB rebuilds and agent restarts.
NODE_NAMESPACE = uuidlib.UUID("0f9a3c5e-2b1d-4c8e-9a47-5d6e7f801234")

MEMINFO_PATH = "/proc/meminfo"
OS_RELEASE_PATH = "/etc/os-release"
_KIB_PER_MIB = 1024
_GIB = 1024 ** 3

# Runtime facts change only when the engine is reconfigured; asking the
# engine on every heartbeat would add an engine round trip to each one.
DRIVER_FACTS_TTL = 60.0

_RUNNING = frozenset({states.RUNNING, states.RESTARTING})
_PAUSED = frozenset({states.PAUSED})
# Rows that no longer hold anything on the host.
_GONE = frozenset({states.DELETED})

# Widths of the compute_node string columns (see zun.db.models.ComputeNode).
_COLUMN_WIDTH = {"os": 64, "os_type": 32, "kernel_version": 128,
                 "architecture": 32}


def node_uuid(hostname: str) -> str:
    """The uuid a host's inventory row gets when it is first written."""
    return str(uuidlib.uuid5(NODE_NAMESPACE, hostname))


# --- parsers (pure) -------------------------------------------------------------
def parse_meminfo(text: str) -> dict[str, int]:
    """MemTotal/MemFree/MemAvailable in MiB from /proc/meminfo text.

    Kernels older than 3.14 have no MemAvailable; it is then left out
    rather than guessed.
    """
    wanted = {"MemTotal": "mem_total", "MemFree": "mem_free",
              "MemAvailable": "mem_available"}
    out: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key not in wanted:
            continue
        words = rest.split()
        if not words or not words[0].isdigit():
            continue
        kib = int(words[0])
        if len(words) > 1 and words[1].lower() != "kb":
            continue
        out[wanted[key]] = kib // _KIB_PER_MIB
    return out


def parse_os_release(text: str) -> str | None:
    """PRETTY_NAME (quotes removed) from os-release text."""
    for line in text.splitlines():
        key, _, value = line.strip().partition("=")
        if key == "PRETTY_NAME":
            return value.strip().strip("\"'") or None
    return None


def _memory_mib(value: Any) -> int:
    """A container's memory column (MiB, stored as a string) as an int."""
    if value is None or value == "":
        return 0
    text = str(value).strip().upper().rstrip("B")
    if text.endswith("M"):
        text = text[:-1]
    try:
        return int(float(text))
    except ValueError:
        return 0


def container_usage(rows: Iterable[models.Container]) -> dict[str, Any]:
    """Container counts and cpu/memory given out, from this host's rows."""
    total = running = paused = 0
    cpu_used = 0.0
    mem_used = 0
    for row in rows:
        if row.status in _GONE:
            continue
        total += 1
        if row.status in _RUNNING:
            running += 1
        elif row.status in _PAUSED:
            paused += 1
        cpu_used += float(row.cpu or 0)
        mem_used += _memory_mib(row.memory)
    return {"total_containers": total, "running_containers": running,
            "paused_containers": paused,
            "stopped_containers": total - running - paused,
            "cpu_used": round(cpu_used, 3), "mem_used": mem_used}


# --- host probes ----------------------------------------------------------------
def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def disk_usage(path: str) -> dict[str, int] | None:
    """Total and used GiB of the filesystem that holds (or would hold) ``path``.

    A directory not created yet is measured at its nearest existing parent:
    that is where its data will land. None if nothing can be measured.
    """
    path = os.path.abspath(path)
    while not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    try:
        st = os.statvfs(path)
    except OSError:
        return None
    total = st.f_blocks * st.f_frsize
    used = (st.f_blocks - st.f_bfree) * st.f_frsize
    return {"disk_total": total // _GIB, "disk_used": used // _GIB}


def host_facts(driver_facts: dict[str, Any]) -> dict[str, Any]:
    """Measure this host; the driver's facts fill what cannot be measured.

    The agent runs next to the runtime, so the host's own numbers are used
    first; the runtime alone knows its runtimes and data directory.
    """
    facts: dict[str, Any] = {
        "cpus": os.cpu_count() or driver_facts.get("cpus") or 0,
        "architecture": platform.machine() or driver_facts.get("architecture"),
        "kernel_version": platform.release() or driver_facts.get("kernel_version"),
        "os_type": driver_facts.get("os_type") or platform.system().lower() or None,
        "os": parse_os_release(_read(OS_RELEASE_PATH) or "") or driver_facts.get("os"),
        "runtimes": list(driver_facts.get("runtimes") or []),
        "labels": dict(CONF.compute.host_labels),
        "enable_cpu_pinning": False,
    }
    memory = parse_meminfo(_read(MEMINFO_PATH) or "")
    memory.setdefault("mem_total", driver_facts.get("mem_total") or 0)
    facts.update(memory)
    disk = None
    if driver_facts.get("data_dir"):
        disk = disk_usage(driver_facts["data_dir"])
    facts.update(disk or disk_usage(CONF.state_path)
                 or {"disk_total": 0, "disk_used": 0})
    for key in ("os", "os_type", "kernel_version", "architecture"):
        if facts[key] is not None:
            facts[key] = str(facts[key])[:_COLUMN_WIDTH[key]]
    return facts



# --- the reporter ---------------------------------------------------------------
class InventoryReporter:
    """Writes this host's compute_node row; one instance per agent.

    Each report costs one DB read (this host's containers) and one write
    (the upsert). A failing runtime never stops the report: the host's own
    facts are still written, with the runtime's last known facts.
    """

    def __init__(self, driver: driver_base.ContainerDriver, host: str) -> None:
        self.driver = driver
        self.host = host
        self._driver_facts: dict[str, Any] = {}
        self._fetched_at: float | None = None

    def _runtime_facts(self) -> dict[str, Any]:
        now = time.monotonic()
        if self._fetched_at is None or now - self._fetched_at >= DRIVER_FACTS_TTL:
            try:
                self._driver_facts = dict(self.driver.host_info() or {})
                self._fetched_at = now
            except exception.ZunException as exc:
                LOG.warning("Runtime facts unavailable for the inventory of "
                            "%s: %s", self.host, exc)
        return self._driver_facts

    def collect(self, rows: Iterable[models.Container]) -> dict[str, Any]:
        """The compute_node values for this host, given its container rows."""
        values = host_facts(self._runtime_facts())
        values.update(container_usage(rows))
        return values

    def report(self) -> models.ComputeNode:
        """Measure and upsert; returns the compute_node row."""
        ctx = zun_context.get_admin_context()
        values = self.collect(db_api.container_list_by_host(ctx, self.host))
        values["uuid"] = node_uuid(self.host)
        return db_api.compute_node_upsert(ctx, self.host, values)
