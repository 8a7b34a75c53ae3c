"""An image row as ``zun image-list`` / ``image-show`` read it.

Upstream's fields (uuid, image_id, repo, tag, size, host, project_id,
user_id, timestamps) plus the pull's outcome (status, status_reason) and
every name the engine knows the image by (tags).
"""
from __future__ import annotations

from typing import Any

from zun.api.views.containers import iso
from zun.db import models

FIELDS = ("uuid", "image_id", "repo", "tag", "size", "host", "project_id",
          "user_id", "status", "status_reason", "tags", "created_at",
          "updated_at")


def links(base_url: str, uuid: str) -> list[dict[str, str]]:
    base = base_url.rstrip("/")
    return [{"href": "%s/v1/images/%s" % (base, uuid), "rel": "self"},
            {"href": "%s/images/%s" % (base, uuid), "rel": "bookmark"}]


def format_image(image: models.Image, base_url: str) -> dict[str, Any]:
    body: dict[str, Any] = {field: iso(getattr(image, field, None)) for field in FIELDS}
    body["tags"] = list(image.tags or [])
    body["links"] = links(base_url, image.uuid)
    return body
