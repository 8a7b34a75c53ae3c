"""A container's networks as ``network_list`` shows them, from its addresses.

The row's ``addresses`` (``{network: [{addr, version, port, subnet_id,
preserve_on_delete}]}``, kept current by the agent) is the only source, so
the list needs no call to the host. Two shapes, as upstream: one entry per
address up to 1.17, one entry per network with its ``fixed_ips`` from 1.18.
"""
from __future__ import annotations

from typing import Any

from zun.api import versions
from zun.db.models import Container


def container_networks(container: Container,
                       version: versions.Version) -> list[dict[str, Any]]:
    """The ``networks`` list of ``GET .../network_list`` at ``version``."""
    out: list[dict[str, Any]] = []
    for net_id, entries in sorted((container.addresses or {}).items()):
        if version >= versions.NETWORK_LIST_GROUPED:
            out.append({
                "net_id": net_id,
                "port_id": next((e.get("port") for e in entries if e.get("port")), None),
                "fixed_ips": [{"ip_address": e.get("addr"), "version": e.get("version"),
                               "subnet_id": e.get("subnet_id")} for e in entries],
            })
            continue
        out.extend({"net_id": net_id, "subnet_id": e.get("subnet_id"),
                    "port_id": e.get("port"), "version": e.get("version"),
                    "ip_address": e.get("addr")} for e in entries)
    return out
