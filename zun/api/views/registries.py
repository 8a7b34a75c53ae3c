"""A registry as ``zun registry-list`` / ``registry-show`` read it.

Upstream's fields; ``password`` is always ``***`` (set or not): the
stored token never leaves the database but for the compute agent.
"""
from __future__ import annotations

from typing import Any

from zun.db import models

FIELDS = ("uuid", "user_id", "project_id", "name", "domain", "username")
MASK = "***"


def links(base_url: str, uuid: str) -> list[dict[str, str]]:
    base = base_url.rstrip("/")
    return [{"href": "%s/v1/registries/%s" % (base, uuid), "rel": "self"},
            {"href": "%s/registries/%s" % (base, uuid), "rel": "bookmark"}]


def format_registry(row: models.Registry, base_url: str) -> dict[str, Any]:
    body: dict[str, Any] = {field: getattr(row, field) for field in FIELDS}
    body["password"] = MASK
    body["links"] = links(base_url, row.uuid)
    return body
