"""Choose a compute host for a new container from the services table.

No Placement service: the DB already knows which agents are up (heartbeat),
enabled, and what their driver can do. Each rejection is recorded per host so
a failure can say exactly why nothing fit.

A failure is worded twice, here and nowhere else: for the member who asked
(``NoValidHost``'s ``reason``, stored as the container's ``status_reason``),
it says what about the *request* could not be met and names no host, zone
internals, label or capacity; for administrators (its ``detail``, recorded in
the create action's admin-only event) it names every host and why it refused.
"""
from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Protocol, Sequence

from zun.common import exception
from zun.common.context import RequestContext
from zun.conf import CONF
from zun.db import api as db_api
from zun.db import models

COMPUTE_BINARY = "zun-compute"
#: the create action's event that records a scheduling failure in detail
EVENT = "scheduler__select_host"


class ServiceFacts(Protocol):
    """The service columns the placement filters read.

    Met by a :class:`models.ZunService` and by a plain row of
    ``db_api.service_list_schedulable`` alike.
    """

    @property
    def host(self) -> str: ...
    @property
    def driver(self) -> str | None: ...
    @property
    def availability_zone(self) -> str | None: ...
    @property
    def capabilities(self) -> list[str] | None: ...


class NodeFacts(Protocol):
    """The inventory columns the scheduler reads.

    Met by a :class:`models.ComputeNode` and by a plain row of
    ``db_api.service_list_schedulable`` (its inventory columns None for a
    host that has reported none yet).
    """

    @property
    def cpus(self) -> int | None: ...
    @property
    def mem_total(self) -> int | None: ...
    @property
    def disk_total(self) -> int | None: ...
    @property
    def runtimes(self) -> list[str] | None: ...
    @property
    def labels(self) -> dict[str, Any] | None: ...


def service_is_up(service: models.ZunService,
                  now: datetime.datetime | None = None) -> bool:
    """Up = not forced down and heard from within ``service_down_time``."""
    if service.forced_down or service.last_seen_up is None:
        return False
    now = now or datetime.datetime.utcnow()
    age = (now - service.last_seen_up).total_seconds()
    down_time: int = CONF.service_down_time  # oslo.config values are Any
    return age <= down_time


@dataclass(frozen=True)
class Candidate:
    """A host that passed every filter, and its inventory row."""

    host: str
    node: NodeFacts | None

    @property
    def limits(self) -> dict[str, float] | None:
        """cpu/memory/disk limits for the atomic claim (None: no inventory yet).

        Computed on use: of hundreds of candidates one or two are tried.
        """
        return limits_of(self.node)


@dataclass
class _Request:
    """What the filters look at: everything a create asks of a host."""

    capability: str
    requested_host: str | None = None
    availability_zone: str | None = None
    runtime: str | None = None
    hints: dict[str, str] = field(default_factory=dict)


def limits_of(node: NodeFacts | None) -> dict[str, float] | None:
    """What the scheduler may allocate on a host (None: nothing reported yet).

    Totals reported by the agent, times the allocation ratios, minus what is
    reserved for the host itself. The claim against it is made atomically
    when the container row is inserted (zun.db.api.container_create).
    """
    if node is None:
        return None
    conf = CONF.scheduler
    limits: dict[str, float] = {}
    if node.cpus:
        limits["cpu"] = node.cpus * conf.cpu_allocation_ratio - conf.reserved_host_cpus
    if node.mem_total:
        limits["memory"] = (node.mem_total * conf.ram_allocation_ratio
                            - conf.reserved_host_memory_mb)
    if node.disk_total:
        limits["disk"] = (node.disk_total * conf.disk_allocation_ratio
                          - conf.reserved_host_disk_gb)
    return limits or None


# --- filters: each returns why it rejects the host, or None to pass ---------
def _service_up(req: _Request, service: models.ZunService,
                node: NodeFacts | None) -> str | None:
    return None if service_is_up(service) else "service is down"


def _service_enabled(req: _Request, service: models.ZunService,
                     node: NodeFacts | None) -> str | None:
    if service.disabled:
        return "service is disabled (%s)" % (service.disabled_reason or "no reason")
    return None


def _availability_zone(req: _Request, service: ServiceFacts,
                       node: NodeFacts | None) -> str | None:
    zone = service.availability_zone or CONF.default_availability_zone
    if req.availability_zone and zone != req.availability_zone:
        return "in availability zone %s, not %s" % (zone, req.availability_zone)
    return None


def _capability(req: _Request, service: ServiceFacts,
                node: NodeFacts | None) -> str | None:
    if req.capability not in (service.capabilities or []):
        return "driver %s does not support %s" % (service.driver, req.capability)
    return None


def _runtime(req: _Request, service: ServiceFacts, node: NodeFacts | None) -> str | None:
    if not req.runtime:
        return None
    offered = (node.runtimes or []) if node is not None else []
    if req.runtime not in offered:
        return "runtime %s not offered (has: %s)" % (
            req.runtime, ", ".join(offered) or "no inventory reported yet")
    return None


def _labels(req: _Request, service: ServiceFacts, node: NodeFacts | None) -> str | None:
    labels = (node.labels or {}) if node is not None else {}
    wrong = ["%s=%s" % (key, value) for key, value in sorted(req.hints.items())
             if key not in labels or str(labels[key]) != value]
    if wrong:
        return "labels do not match hint(s) %s" % ", ".join(wrong)
    return None


class _SchedulableRow(ServiceFacts, NodeFacts, Protocol):
    """A plain row of ``db_api.service_list_schedulable``: a service's
    columns and its inventory's, side by side (sa.Row names them at run
    time only, so this protocol is what says which are there)."""


# The filters' signatures: the full list sees models, the fast path rows.
_Filter = Callable[[_Request, models.ZunService, NodeFacts | None], str | None]
_RowFilter = Callable[[_Request, ServiceFacts, NodeFacts | None], str | None]

#: applied in this order; a host's reason is the first filter that rejects it
FILTERS: tuple[_Filter, ...] = (_service_up, _availability_zone, _service_enabled, _capability,
           _runtime, _labels)
#: what remains once the database has kept only up and enabled services
_ROW_FILTERS: tuple[_RowFilter, ...] = (_availability_zone, _capability, _runtime, _labels)

#: what a member reads when hosts are down or disabled (not the request's fault)
NO_HOST_AVAILABLE = "no compute host is available"
OTHERS_UNAVAILABLE = "the other compute hosts are unavailable"
#: what a member reads when a filter rejected hosts: about the request only
_MEMBER_WORDING: dict[_Filter, Callable[[_Request], str]] = {
    _availability_zone: lambda req: "no host is available in availability zone %s"
                                    % req.availability_zone,
    _capability: lambda req: "no host's container driver supports %s" % req.capability,
    _runtime: lambda req: "no host offers runtime %s" % req.runtime,
    _labels: lambda req: "no host matches the scheduler hints",
}


def _no_valid_host(summaries: Iterable[str], details: Iterable[str],
                   unavailable: bool = False) -> exception.NoValidHost:
    """The member's summaries (each said once, in filter order; then whether
    hosts were down or disabled) and the admin's per-host details."""
    said = list(dict.fromkeys(summaries))
    if unavailable or not said:
        said.append(OTHERS_UNAVAILABLE if said else NO_HOST_AVAILABLE)
    reason = "; ".join(said)
    return exception.NoValidHost(reason=reason, detail="; ".join(details) or reason)


def _amount(values: Mapping[str, Any]) -> str:
    """The resources a create asks for, as the member wrote them."""
    asked = []
    if values.get("cpu"):
        asked.append("%g cpu" % float(values["cpu"]))
    if values.get("memory"):
        asked.append("%s MiB" % values["memory"])
    if values.get("disk"):
        asked.append("%s GiB of disk" % values["disk"])
    return " / ".join(asked) or "this container"


def no_room(values: Mapping[str, Any],
            refusals: Sequence[exception.HostFull]) -> exception.NoValidHost:
    """Every candidate host refused the claim of ``values`` (a create's
    columns): the member reads the amount asked, the admin each host's use."""
    details = []
    for refused in refusals:
        try:
            details.append("%(host)s cannot fit %(requested)s more %(resource)s "
                           "(%(used)s used of %(limit)s)" % refused.kwargs)
        except KeyError:  # raised without the host's figures
            details.append(refused.message)
    return _no_valid_host(["no host has room for %s" % _amount(values)], details)


def _fast_candidates(admin: RequestContext, req: _Request) -> list[Candidate]:
    """Candidates from rows that carry both service and inventory columns."""
    since = datetime.datetime.utcnow() - datetime.timedelta(
        seconds=CONF.service_down_time)
    rows: Sequence[_SchedulableRow] = db_api.service_list_schedulable(
        admin, COMPUTE_BINARY, since)
    found = [Candidate(row.host, row) for row in rows
             if not any(f(req, row, row) for f in _ROW_FILTERS)]
    random.shuffle(found)
    return found


def check_runtime_offered(context: RequestContext, runtime: str | None) -> None:
    """Refuse (400) a runtime that no up, enabled compute host offers.

    Such a request can never be placed, so it is the caller's mistake, not a
    scheduling failure: no container row is written for it. Hosts that have
    not reported an inventory yet say nothing either way; when no up,
    enabled host has reported one, the scheduler's own answer stands.
    """
    if not runtime:
        return
    since = datetime.datetime.utcnow() - datetime.timedelta(
        seconds=CONF.service_down_time)
    rows: Sequence[_SchedulableRow] = db_api.service_list_schedulable(
        context.elevated(), COMPUTE_BINARY, since)
    reported = [row.runtimes for row in rows if row.runtimes is not None]
    if not reported:
        return
    offered = sorted({name for names in reported for name in names})
    if runtime not in offered:
        raise exception.invalid_field(
            "runtime", runtime, "No compute host offers this runtime; the runtimes "
                                "on offer are: %s." % (", ".join(offered) or "none"))


def candidate_hosts(context: RequestContext, capability: str,
                    requested_host: str | None = None,
                    availability_zone: str | None = None,
                    runtime: str | None = None,
                    hints: dict[str, str] | None = None) -> list[Candidate]:
    """The hosts that pass every filter, in the order to try them.

    One query whatever the fleet size when some host fits (two more to say
    why, when none does). Resources are not filtered here: the atomic claim at insert time decides
    (and says why a host was full). Raises UnsupportedOperation when hosts
    are otherwise fit but none of their drivers can do it, ValidationError
    for a runtime no up, enabled host offers (requests that can never
    succeed: 400, raised before the caller writes anything), and NoValidHost
    otherwise: its reason says which part of the request no host met, its
    detail which filter rejected which host.
    """
    req = _Request(capability, requested_host, availability_zone, runtime,
                   dict(hints or {}))
    admin = context.elevated()
    if requested_host is None:
        # Hot path: one query of plain rows already filtered on being up and
        # enabled; the slow path below only runs to explain a failure.
        fast = _fast_candidates(admin, req)
        if fast:
            return fast
    check_runtime_offered(admin, runtime)
    services = db_api.service_list(admin, binary=COMPUTE_BINARY)
    if requested_host is not None:
        services = [s for s in services if s.host == requested_host]
        if not services:
            raise exception.NoValidHost(
                reason="requested host %s is not a compute host" % requested_host)
    nodes = {n.hostname: n for n in db_api.compute_node_list(admin)} if services else {}
    rejected: list[str] = []
    summaries: list[tuple[int, str]] = []
    unavailable = False
    # Of the hosts that are up, enabled and in the zone, those whose driver
    # cannot do it: if that is all of them, the request can never succeed.
    eligible = 0
    lacking: list[models.ZunService] = []
    candidates = []
    for service in services:
        node = nodes.get(service.host)
        failed = next(((f, why) for f, why in ((f, f(req, service, node)) for f in FILTERS)
                       if why), None)
        if failed is None:
            candidates.append(Candidate(service.host, node))
            continue
        rejected.append("%s: %s" % (service.host, failed[1]))
        if failed[0] in _MEMBER_WORDING:
            summaries.append((FILTERS.index(failed[0]), _MEMBER_WORDING[failed[0]](req)))
        else:  # down or disabled: the host's state, not the request's fault
            unavailable = True
        if FILTERS.index(failed[0]) >= FILTERS.index(_capability):
            eligible += 1
            if failed[0] is _capability:
                lacking.append(service)
    if candidates:
        random.shuffle(candidates)  # spread load; the claim settles capacity
        return candidates
    if lacking and len(lacking) == eligible:
        raise exception.UnsupportedOperation(driver=lacking[0].driver,
                                             operation=capability)
    raise _no_valid_host((text for _, text in sorted(summaries)),
                         rejected or ["no compute service is registered"], unavailable)
