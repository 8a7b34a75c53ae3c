"""``/v1/quotas/{project_id}``: a project's limits, usage and defaults.

Upstream introduced quotas at API 1.26 but never gated them, so every
version is served. Limits resolve as: the project's own rows, else the
``default`` quota class, else ``[quota]`` in the config (-1 is unlimited).
"""
from __future__ import annotations

from typing import Any

import pecan
import webob
from pecan import rest

from zun.api import utils
from zun.api.schemas import validation
from zun.common import policy
from zun.conf import quota as quota_conf
from zun.db import api as db_api

_INT32_MAX = 2 ** 31 - 1

# A PUT body: some of the resources, each a limit (-1 unlimited).
LIMITS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {r: {"type": "integer", "minimum": quota_conf.UNLIMITED,
                       "maximum": _INT32_MAX}
                   for r in quota_conf.RESOURCES},
    "additionalProperties": False,
}

GET_PARAMS = ("usages",)


def check_name(value: str, field: str) -> None:
    """Project ids and class names are stored in 255-character columns."""
    if not value or len(value) > 255:
        raise validation.invalid_field(field, value,
                                       "It must be 1 to 255 characters long.")


def limits_body() -> dict[str, int]:
    """The validated PUT body, as ints."""
    body = utils.json_body()
    validation.validate(LIMITS_SCHEMA, body)
    return {k: int(v) for k, v in body.items()}


def _target(project_id: str) -> dict[str, str]:
    return {"project_id": project_id}


class QuotasController(rest.RestController):

    _custom_actions = {"defaults": ["GET"]}

    @pecan.expose("json")
    def get_one(self, project_id: str, **kwargs: Any) -> dict[str, Any]:
        ctx = utils.context()
        policy.authorize(ctx, "quota:get", _target(project_id))
        check_name(project_id, "project_id")
        utils.check_query_keys(GET_PARAMS)
        limits = db_api.quota_get(ctx, project_id)
        if not utils.query_bool("usages"):
            return limits
        used = db_api.quota_usage(ctx, project_id)
        return {r: {"limit": limits[r], "in_use": used[r]} for r in limits}

    @pecan.expose("json")
    def defaults(self, project_id: str, **kwargs: Any) -> dict[str, int]:
        ctx = utils.context()
        policy.authorize(ctx, "quota:get_default", _target(project_id))
        utils.check_query_keys(())
        return db_api.quota_defaults(ctx)

    @pecan.expose("json")
    def put(self, project_id: str, **kwargs: Any) -> dict[str, int]:
        ctx = utils.context()
        policy.authorize(ctx, "quota:update", _target(project_id))
        check_name(project_id, "project_id")
        return db_api.quota_update(ctx, project_id, limits_body())

    @pecan.expose("json")
    def delete(self, project_id: str, **kwargs: Any) -> webob.Response:
        ctx = utils.context()
        policy.authorize(ctx, "quota:delete", _target(project_id))
        check_name(project_id, "project_id")
        db_api.quota_destroy(ctx, project_id)
        return utils.empty_response(204)
