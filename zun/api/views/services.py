"""A compute service as ``zun service-list`` prints it.

``state`` is not stored: it is judged from the last heartbeat when the row
is shown, by the same rule the scheduler uses to pick hosts, so the list
never says "up" for a host the scheduler would skip as down.
"""
from __future__ import annotations

import datetime
from typing import Any

from zun.api.views.containers import iso
from zun.db import models
from zun.scheduler import scheduler

FIELDS = ("id", "host", "binary", "state", "disabled", "disabled_reason",
          "forced_down", "report_count", "availability_zone", "created_at",
          "updated_at")


def state(service: models.ZunService, now: datetime.datetime | None = None) -> str:
    return "up" if scheduler.service_is_up(service, now) else "down"


def format_service(service: models.ZunService,
                   now: datetime.datetime | None = None) -> dict[str, Any]:
    body = {field: iso(getattr(service, field, None)) for field in FIELDS
            if field != "state"}
    body["state"] = state(service, now)
    return body
