"""The container as clients see it (zunclient prints every key).

The field set is upstream's plus ``published_ports`` (where the exposed
ports are reachable: ``[{"port", "protocol", "host_ip", "host_port"}]``,
empty while the container is not running); fields newer than the request's
microversion are left out, and placement/runtime details are shown only to callers the
``container:get_one:<field>`` policies allow.
"""
from __future__ import annotations

import datetime
from typing import Any, Iterable

from zun.api import versions
from zun.common import policy
from zun.common.context import RequestContext
from zun.db import models

FIELDS = (
    "uuid", "links", "name", "image", "command", "status", "status_reason",
    "status_detail", "task_state", "cpu", "memory", "environment", "workdir",
    "ports", "published_ports", "hostname", "labels", "addresses",
    "image_pull_policy", "host",
    "restart_policy", "interactive", "tty", "image_driver", "security_groups",
    "auto_remove", "runtime", "disk", "auto_heal", "privileged", "healthcheck",
    "cpu_policy", "registry_id", "entrypoint", "user_id", "project_id",
    "created_at", "updated_at", "mounts",
)

ADMIN_FIELDS = ("host", "runtime", "privileged", "image_pull_policy")


def hidden_fields(context: RequestContext, version: versions.Version) -> frozenset[str]:
    """Fields this caller may not see at this version (decide once per request)."""
    hidden = {field for field, introduced in versions.VIEW_FIELD_MIN_VERSION.items()
              if introduced > version}
    for field in ADMIN_FIELDS:
        if not policy.authorize(context, "container:get_one:%s" % field,
                                {"project_id": context.project_id},
                                do_raise=False):
            hidden.add(field)
    return frozenset(hidden)


def links(base_url: str, uuid: str) -> list[dict[str, str]]:
    base = base_url.rstrip("/")
    return [{"href": "%s/v1/containers/%s" % (base, uuid), "rel": "self"},
            {"href": "%s/containers/%s" % (base, uuid), "rel": "bookmark"}]


def iso(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def format_container(container: models.Container, base_url: str,
                     hidden: Iterable[str]) -> dict[str, Any]:
    hidden = frozenset(hidden)
    body: dict[str, Any] = {}
    for field in FIELDS:
        if field in hidden:
            continue
        if field == "links":
            body[field] = links(base_url, container.uuid)
            continue
        value = getattr(container, field, None)
        if field == "restart_policy" and value:
            value = dict(value)
            if value.get("MaximumRetryCount") is not None:
                value["MaximumRetryCount"] = str(value["MaximumRetryCount"])
        elif field == "memory" and value is not None:
            value = str(value)
        elif field == "cpu" and value is not None:
            value = float(value)
        elif field == "published_ports":
            value = list(value or [])
        elif field == "mounts":
            value = public_mounts(value)
        body[field] = iso(value)
    return body


def public_mounts(mounts: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """What the user asked to mount, in the request's words.

    A volume's source is the name its project knows it by ("" when
    anonymous), never the runtime's name or a host path; an injected file's
    content is not echoed back (it may be a secret, and up to a MiB).
    """
    return [{"type": mount.get("type", "bind"),
             "source": (mount.get("name") or "") if mount.get("type") == "volume" else "",
             "destination": mount["destination"],
             **({"read_only": mount["read_only"]} if "read_only" in mount else {})}
            for mount in mounts or []]
