"""Choose a compute host for a new container from the services table.

No Placement service: the DB already knows which agents are up (heartbeat),
enabled, and what their driver can do. Each rejection is recorded per host so
a failure can say exactly why nothing fit.
"""
from __future__ import annotations

import datetime
import random
from typing import Any

from zun.common import exception
from zun.common.context import RequestContext
from zun.conf import CONF
from zun.db import api as db_api

COMPUTE_BINARY = "zun-compute"


def service_is_up(service: Any, now: datetime.datetime | None = None) -> bool:
    """Up = not forced down and heard from within ``service_down_time``."""
    if service.forced_down or service.last_seen_up is None:
        return False
    now = now or datetime.datetime.utcnow()
    age = (now - service.last_seen_up).total_seconds()
    return age <= CONF.service_down_time


def capacity(context: RequestContext, host: str) -> dict[str, float] | None:
    """What the scheduler may allocate on ``host`` (None: no inventory yet).

    Totals reported by the agent, times the allocation ratios, minus what is
    reserved for the host itself. The claim against it is made atomically
    when the container row is inserted (zun.db.api.container_create).
    """
    try:
        node = db_api.compute_node_get(context.elevated(), host)
    except exception.NotFound:
        return None
    conf = CONF.scheduler
    limits = {}
    if node.cpus:
        limits["cpu"] = node.cpus * conf.cpu_allocation_ratio - conf.reserved_host_cpus
    if node.mem_total:
        limits["memory"] = (node.mem_total * conf.ram_allocation_ratio
                            - conf.reserved_host_memory_mb)
    if node.disk_total:
        limits["disk"] = (node.disk_total * conf.disk_allocation_ratio
                          - conf.reserved_host_disk_gb)
    return limits


def candidate_hosts(context: RequestContext, capability: str,
                    requested_host: str | None = None,
                    availability_zone: str | None = None) -> list[Any]:
    """Service rows of the hosts that can run ``capability``, in the order to try.

    Resources are not filtered here: the atomic claim at insert time decides
    (and says why a host was full). Raises UnsupportedOperation when hosts
    are up but none of their drivers can do it (a request that can never
    succeed: 400), and NoValidHost with a per-host reason otherwise.
    """
    services = db_api.service_list(context.elevated(), binary=COMPUTE_BINARY)
    if requested_host is not None:
        services = [s for s in services if s.host == requested_host]
        if not services:
            raise exception.NoValidHost(
                reason="requested host %s is not a compute host" % requested_host)
    rejected: list[str] = []
    candidates = []
    lacking = []
    for service in services:
        if not service_is_up(service):
            rejected.append("%s: service is down" % service.host)
        elif availability_zone and (service.availability_zone
                                    or CONF.default_availability_zone) != availability_zone:
            rejected.append("%s: in availability zone %s, not %s" % (
                service.host, service.availability_zone, availability_zone))
        elif service.disabled:
            rejected.append("%s: service is disabled (%s)"
                            % (service.host, service.disabled_reason or "no reason"))
        elif capability not in (service.capabilities or []):
            lacking.append(service)
            rejected.append("%s: driver %s does not support %s"
                            % (service.host, service.driver, capability))
        else:
            candidates.append(service)
    if candidates:
        random.shuffle(candidates)  # spread load; the claim settles capacity
        return candidates
    if lacking and len(lacking) == len(
            [s for s in services if service_is_up(s) and not s.disabled
             and (not availability_zone or s.availability_zone == availability_zone)]):
        raise exception.UnsupportedOperation(driver=lacking[0].driver,
                                             operation=capability)
    raise exception.NoValidHost(
        reason="; ".join(rejected) if rejected else "no compute service is registered")
