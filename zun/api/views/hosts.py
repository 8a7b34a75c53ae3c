"""A compute host (its ``compute_node`` row) as ``zun host-list/host-show`` read it."""
from __future__ import annotations

from typing import Any, Iterable

from zun.db import models

FIELDS = ("uuid", "hostname", "mem_total", "mem_used", "total_containers",
          "cpus", "cpu_used", "architecture", "os_type", "os",
          "kernel_version", "labels", "disk_total", "disk_used",
          "disk_quota_supported", "runtimes", "enable_cpu_pinning", "links")

# Per-container disk quotas need storage-driver support zun does not use.
DISK_QUOTA_SUPPORTED = False


def links(base_url: str, uuid: str) -> list[dict[str, str]]:
    base = base_url.rstrip("/")
    return [{"href": "%s/v1/hosts/%s" % (base, uuid), "rel": "self"},
            {"href": "%s/hosts/%s" % (base, uuid), "rel": "bookmark"}]


def format_host(node: models.ComputeNode, base_url: str,
                hidden: Iterable[str] = ()) -> dict[str, Any]:
    hidden = frozenset(hidden)
    body: dict[str, Any] = {}
    for field in FIELDS:
        if field in hidden:
            continue
        if field == "links":
            body[field] = links(base_url, node.uuid)
        elif field == "disk_quota_supported":
            body[field] = DISK_QUOTA_SUPPORTED
        elif field == "labels":
            body[field] = dict(node.labels or {})
        elif field == "runtimes":
            body[field] = list(node.runtimes or [])
        else:
            body[field] = getattr(node, field, None)
    return body
