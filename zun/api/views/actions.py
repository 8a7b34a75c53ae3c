"""Container actions and their events, as ``zun action-list/show`` read them."""
from __future__ import annotations

from typing import Any, Iterable

from zun.api import versions
from zun.api.views.containers import iso
from zun.db import models

ACTION_FIELDS = ("action", "container_uuid", "request_id", "user_id",
                 "project_id", "message", "start_time", "finish_time")
EVENT_FIELDS = ("event", "start_time", "finish_time", "result", "traceback")


def format_action(action: models.ContainerAction, version: versions.Version,
                  events: Iterable[models.ContainerActionEvent] | None = None) -> dict[str, Any]:
    body = {field: iso(getattr(action, field, None)) for field in ACTION_FIELDS}
    if version < versions.ACTION_FINISH_TIME:
        body.pop("finish_time")
    if events is not None:
        body["events"] = [{field: iso(getattr(event, field, None))
                           for field in EVENT_FIELDS} for event in events]
    return body
