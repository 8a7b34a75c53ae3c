"""``/v1/containers/{id}/container_actions``: what was done to a container.

Owners may list and read actions; the events (which can carry host
tracebacks) are shown only to callers ``container:actions:events`` allows,
and everyone else gets an empty list.
"""
from __future__ import annotations

from typing import Any

import pecan
from pecan import rest

from zun.api import utils
from zun.api.views import actions as view
from zun.common import policy
from zun.db import api as db_api
from zun.db import models


def _container(ident: str) -> models.Container:
    ctx = utils.context()
    utils.set_all_projects(ctx, "container:get_one_all_projects")
    if ctx.project_id is None:   # a token with no project: 403, not a lookup
        policy.authorize(ctx, "container:actions")
    container = db_api.container_get(ctx, ident)
    policy.authorize(ctx, "container:actions",
                     {"project_id": container.project_id,
                      "user_id": container.user_id})
    return container


class ContainerActionsController(rest.RestController):

    @pecan.expose("json")
    def get_all(self, container_ident: str, **kwargs: Any) -> dict[str, Any]:
        container = _container(container_ident)
        rows = db_api.actions_get(utils.context(), container.uuid)
        version = utils.api_version()
        return {"containerActions": [view.format_action(a, version) for a in rows]}

    @pecan.expose("json")
    def get_one(self, container_ident: str, request_id: str,
                **kwargs: Any) -> dict[str, Any]:
        ctx = utils.context()
        container = _container(container_ident)
        action = db_api.action_get_by_request_id(ctx, container.uuid, request_id)
        events: list[models.ContainerActionEvent] = []
        if policy.authorize(ctx, "container:actions:events",
                            {"project_id": container.project_id}, do_raise=False):
            events = db_api.action_events_get(ctx, action.id)
        return view.format_action(action, utils.api_version(), events)
