"""Keep each container row true to what the runtime reports.

Two inputs, one writer (the pattern of kubelet's pod lifecycle event
generator): runtime events give immediacy, a periodic reconcile of this
host's rows is the safety net for anything an event stream can lose. Both
funnel into :meth:`StateSync._apply`, which writes only with a compare-and-set
on (task_state is None, version unchanged): a row with an operation in
flight belongs to the manager, which asks for a re-sync when it finishes.
"""
from __future__ import annotations

import datetime
import logging
import threading
import time
from typing import Any, Callable

from oslo_utils import timeutils

from zun.common import context as zun_context
from zun.common import exception, states
from zun.conf import CONF
from zun.container.driver import base as driver_base
from zun.db import api as db_api
from zun.db import models
from zun.network import base as network_base

LOG = logging.getLogger(__name__)

NO_SUCH_CONTAINER = "No such container"
_RUNNING = (states.RUNNING, states.RESTARTING)
# How long a stop is remembered as "it was running" for auto_heal.
HEAL_MEMORY_SECONDS = 30.0
# runtime event verbs of commands run inside a container (exec_create, ...)
_EXEC_PREFIX = "exec_"


def _parse_time(value: str | None) -> datetime.datetime | None:
    if not value:
        return None
    try:
        return timeutils.normalize_time(timeutils.parse_isotime(value))
    except ValueError:
        return None


def values_from_facts(facts: driver_base.RuntimeFacts) -> dict[str, Any]:
    """The columns a container row should hold for these runtime facts."""
    status = states.status_from_runtime(facts.state)
    values: dict[str, Any] = {
        "status": status,
        "container_id": facts.container_id,
        "exit_code": facts.exit_code if status in (states.STOPPED, states.DEAD) else None,
        "started_at": _parse_time(facts.started_at),
        "finished_at": _parse_time(facts.finished_at),
        "addresses": facts.addresses or {},
        "ports": list(facts.ports),
        "published_ports": list(facts.published_ports),
        "status_detail": _detail(status, facts),
    }
    if facts.oom_killed and status in (states.STOPPED, states.DEAD):
        values["status_reason"] = "The container ran out of memory and was killed (OOM)."
    elif facts.error:
        values["status_reason"] = facts.error
    return values


def _detail(status: str, facts: driver_base.RuntimeFacts) -> str | None:
    """Absolute, non-decaying detail (upstream's "Up 5 mins" goes stale).

    The runtime's restart count (restart policies) is part of it.
    """
    restarts = (", restarted %d time%s" % (facts.restart_count,
                                           "" if facts.restart_count == 1 else "s")
                if facts.restart_count else "")
    if status == states.RUNNING and facts.started_at:
        return "Up since %s%s%s" % (facts.started_at, restarts, _health_note(facts.health))
    if status in (states.STOPPED, states.DEAD) and facts.exit_code is not None:
        when = " at %s" % facts.finished_at if facts.finished_at else ""
        return "Exited(%s)%s%s" % (facts.exit_code, when, restarts)
    if status == states.RESTARTING:
        return "Restarting%s" % (restarts or ", restarted 0 times")
    return None


def _health_note(health: str | None) -> str:
    """The health probe's verdict as `docker ps` words it, or nothing.

    Kept in status_detail, where upstream clients already look for how a
    running container is doing; no column of its own.
    """
    if health is None:
        return ""
    return " (health: starting)" if health == "starting" else " (%s)" % health


def _summary_agrees(row: models.Container, facts: driver_base.RuntimeFacts) -> bool:
    """Whether a listing's summary already matches the row (no inspect needed)."""
    if row.container_id != facts.container_id:
        return False
    if states.status_from_runtime(facts.state) != row.status:
        return False
    if facts.health is not None and not (row.status_detail or "").endswith(
            _health_note(facts.health)):
        return False  # the probe's verdict changed (a lost health_status event)
    return facts.exit_code is None or facts.exit_code == row.exit_code


class StateSync:
    """Runtime -> DB state for the containers of one host."""

    def __init__(self, driver: driver_base.ContainerDriver, host: str,
                 heal: Callable[[models.Container, bool], bool] | None = None,
                 network: network_base.NetworkDriver | None = None) -> None:
        self.driver = driver
        self.host = host
        # the host's network driver: its project networks are swept for
        # orphans too (None: containers only)
        self.network = network
        self._networks_seen: dict[str, float] = {}  # network id -> first seen orphaned
        self._networks_missing: set[str] = set()  # projects already reported
        # recreates a vanished auto_heal container (row, run it?); True if it
        # took the row
        self.heal = heal
        # auto_heal containers seen running shortly before they stopped: an
        # outside `docker rm -f` shows as a stop (die) just before it vanishes
        self._recently_running: dict[str, float] = {}
        self._dirty: set[str] = set()
        self._orphans_seen: dict[str, float] = {}  # uuid -> first seen (monotonic)
        self._lock = threading.Lock()

    @staticmethod
    def _context() -> zun_context.RequestContext:
        return zun_context.get_admin_context()

    # --- entry points ------------------------------------------------------
    def on_event(self, event: driver_base.RuntimeEvent) -> None:
        """Handle one runtime event by re-reading the container's facts."""
        if event.host not in (None, self.host):
            return  # another agent's container on a shared runtime
        if event.action.startswith(_EXEC_PREFIX):
            # a command run inside (a user's exec, or every health probe:
            # one per interval) changes nothing the row holds; the probe's
            # verdict arrives as its own health_status event
            return
        self.sync_one(event.uuid, event.container_id)

    def sync_one(self, uuid: str, container_id: str | None = None,
                 attempts: int = 3) -> None:
        ctx = self._context()
        for _ in range(attempts):
            try:
                row = db_api.container_get_by_uuid(ctx, uuid)
            except exception.NotFound:
                LOG.debug("Event for %s, which has no row (orphan?)", uuid)
                return
            if row.host != self.host:
                return
            if row.task_state is not None:
                self._mark_dirty(uuid)
                return
            cid = row.container_id or container_id
            if not cid:
                return
            try:
                facts = self.driver.inspect(cid)
            except exception.RuntimeContainerNotFound:
                facts = None
            if facts is not None and facts.state == "removing":
                facts = None  # being removed behind zun's back: it is vanishing
            if self._apply(ctx, row, facts):
                return

    def resync_if_dirty(self, uuid: str) -> None:
        """Called by the manager once an operation has released the row."""
        with self._lock:
            if uuid not in self._dirty:
                return
            self._dirty.discard(uuid)
        self.sync_one(uuid)

    def reconcile(self) -> dict[str, int]:
        """Compare every row of this host with the runtime's list, once.

        One query for the rows and one runtime listing per pass; writes only
        for rows that differ. Returns counters for logs and tests.
        """
        # the begin/done pair lets tests wait for a whole pass, not guess its time
        LOG.debug("Reconcile of host %s begins", self.host)
        ctx = self._context()
        rows = db_api.container_list_by_host(ctx, self.host)
        # another agent may share this runtime: its containers are not ours
        facts_by_uuid = {f.uuid: f for f in self.driver.list_containers()
                         if f.uuid and f.host in (None, self.host)}
        counts = {"rows": len(rows), "updated": 0, "skipped": 0, "orphans": 0}
        known = set()
        for row in rows:
            known.add(row.uuid)
            if row.task_state is not None or not row.container_id:
                counts["skipped"] += 1
                continue
            facts = facts_by_uuid.get(row.uuid)
            if facts is not None and not facts.complete:
                if _summary_agrees(row, facts):
                    continue  # the common case: no inspect, no write
                try:
                    facts = self.driver.inspect(facts.container_id)
                except exception.RuntimeContainerNotFound:
                    facts = None
            if facts is not None and facts.state == "removing":
                facts = None
            if self._apply(ctx, row, facts, count_only=True):
                counts["updated"] += 1
        orphans = {uuid: facts_by_uuid[uuid] for uuid in set(facts_by_uuid) - known}
        counts["orphans"] = len(orphans)
        counts["orphans_removed"] = self._handle_orphans(orphans)
        if self.network is not None:
            counts.update(self._sweep_networks(self.network, rows))
        LOG.debug("Reconcile of host %s done: %s", self.host, counts)
        return counts

    def _handle_orphans(self, orphans: dict[str, driver_base.RuntimeFacts]) -> int:
        """Report each orphan once; remove it once it outlived the grace period.

        An orphan is a runtime container labelled as this host's whose row
        is gone (e.g. force-deleted while this agent was down).
        """
        now = time.monotonic()
        seen = {uuid: self._orphans_seen.get(uuid, now) for uuid in orphans}
        self._orphans_seen = seen
        removed = 0
        for uuid, facts in orphans.items():
            if seen[uuid] == now:
                LOG.warning("Runtime container %s is labelled as zun's (uuid %s) "
                            "but has no row on host %s", facts.container_id,
                            uuid, self.host)
            if (CONF.compute.remove_orphans
                    and now - seen[uuid] >= CONF.compute.orphan_grace):
                try:
                    self.driver.delete(facts.container_id, force=True)
                except exception.ZunException as exc:
                    LOG.warning("Could not remove orphan %s: %s", uuid, exc)
                    continue
                LOG.info("Removed orphaned runtime container %s (uuid %s)",
                         facts.container_id, uuid)
                del self._orphans_seen[uuid]
                removed += 1
        return removed

    def _sweep_networks(self, network: network_base.NetworkDriver,
                        rows: list[models.Container]) -> dict[str, int]:
        """Project networks of this host: report the vanished, remove the unused.

        An unused network names no container and its project has no row on
        this host (its last container was deleted, or the agent was down
        then); it is removed once it stayed unused for ``[network]
        release_after`` (deletes never wait for it). A project
        network removed from outside while the project has containers here
        is reported once: its containers stay as the runtime reports them,
        and the project's next create makes the network again.
        """
        try:
            networks = network.list_networks()
        except exception.ZunException as exc:
            LOG.warning("Could not list the project networks of host %s: %s",
                        self.host, exc)
            return {}
        projects = {row.project_id for row in rows}
        with_containers = {row.project_id for row in rows
                           if row.container_id and row.project_id}
        have_network = {net.project_id for net in networks if net.project_id}
        missing = with_containers - have_network
        for project in sorted(missing - self._networks_missing):
            LOG.warning("The network of project %s on host %s is gone (removed "
                        "outside zun?); its containers keep what the runtime "
                        "reports, its next container recreates it", project, self.host)
        self._networks_missing = missing
        now = time.monotonic()
        orphans = [net for net in networks
                   if not net.containers and net.project_id not in projects]
        seen = {net.network_id: self._networks_seen.get(net.network_id, now)
                for net in orphans}
        self._networks_seen = seen
        removed = 0
        for net in orphans:
            if seen[net.network_id] == now:
                LOG.warning("Network %s of project %s has no container and no "
                            "row on host %s", net.name, net.project_id, self.host)
            if (CONF.compute.remove_orphans and net.project_id
                    and now - seen[net.network_id] >= CONF.network.release_after):
                try:
                    gone = network.release_project_network(net.project_id)
                except exception.ZunException as exc:
                    LOG.warning("Could not remove orphan network %s: %s", net.name, exc)
                    continue
                if gone:
                    LOG.info("Removed orphaned network %s (project %s)",
                             net.name, net.project_id)
                    removed += 1
                del self._networks_seen[net.network_id]
        return {"networks": len(networks), "network_orphans": len(orphans),
                "network_orphans_removed": removed}

    def _was_running(self, row: models.Container) -> bool:
        """Whether a vanished container should come back running."""
        # not popped: a heal that lost a race is retried with the same memory
        stopped_at = self._recently_running.get(row.uuid)
        return row.status in _RUNNING or (
            stopped_at is not None and time.monotonic() - stopped_at < HEAL_MEMORY_SECONDS)

    # --- the single writer -------------------------------------------------
    def _mark_dirty(self, uuid: str) -> None:
        with self._lock:
            self._dirty.add(uuid)

    def _apply(self, ctx: zun_context.RequestContext, row: models.Container,
               facts: driver_base.RuntimeFacts | None,
               count_only: bool = False) -> bool:
        """Write what ``facts`` imply for ``row``; True when nothing is left to do.

        With ``count_only`` the return value says whether a write happened.
        """
        expected = {"task_state": None, "version": row.version}
        try:
            if facts is None:
                if row.auto_remove:
                    db_api.container_destroy(ctx, row.uuid, expected=expected)
                    LOG.info("Container %s (auto_remove) is gone; row removed", row.uuid)
                    return True
                if (row.auto_heal and self.heal is not None
                        and self.heal(row, self._was_running(row))):
                    return True
                values: dict[str, Any] = {"status": states.ERROR,
                                          "status_reason": NO_SUCH_CONTAINER,
                                          "container_id": None}
            else:
                values = values_from_facts(facts)
            changed = {k: v for k, v in values.items() if getattr(row, k) != v}
            if not changed:
                return not count_only
            if row.auto_heal and row.status in _RUNNING and values["status"] not in _RUNNING:
                now = time.monotonic()
                self._recently_running = {
                    uuid: at for uuid, at in self._recently_running.items()
                    if now - at < HEAL_MEMORY_SECONDS}
                self._recently_running[row.uuid] = now
            db_api.container_update(ctx, row.uuid, changed, expected=expected)
            LOG.debug("Container %s synced: %s", row.uuid, changed)
            return True
        except exception.NotFound:
            return True
        except exception.StaleUpdate:
            # someone wrote in between; the caller re-reads (or the next pass does)
            return False
