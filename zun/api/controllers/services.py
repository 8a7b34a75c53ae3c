"""``/v1/services``: see the compute agents and take them in or out of service.

Administrators only. Disabling a service stops the scheduler from choosing
its host (running containers are untouched); forcing it down makes it count
as down whatever its heartbeat says. zunclient sends every parameter in the
query string; a JSON body is accepted too, for other clients.
"""
from __future__ import annotations

from typing import Any, Callable

import pecan
import webob
from pecan import rest

from zun.api import utils
from zun.api.schemas import validation
from zun.api.views import services as view
from zun.common import exception, policy
from zun.db import api as db_api
from zun.scheduler.scheduler import COMPUTE_BINARY

_NAME = {"type": "string", "minLength": 1, "maxLength": 255}
_REASON = {"type": ["string", "null"], "maxLength": 255}


def _schema(**extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": dict({"host": _NAME, "binary": _NAME}, **extra),
        "required": ["host", "binary"] + [k for k in extra if k == "forced_down"],
        "additionalProperties": False,
    }


# Request shapes per action; ``forced_down`` is required only where it acts.
SCHEMAS: dict[str, dict[str, Any]] = {
    "enable": _schema(),
    "disable": _schema(disabled_reason=_REASON),
    "force_down": _schema(forced_down={"type": "boolean"}),
    "delete": _schema(),
}

_BOOLEANS = ("forced_down",)


def _params(action: str) -> dict[str, Any]:
    """Query string merged with the JSON body (body wins), then validated."""
    params: dict[str, Any] = {}
    for key in utils.query().keys():
        if key in _BOOLEANS:
            params[key] = utils.query_bool(key)
        else:
            value = utils.query_value(key)
            if value is not None:
                params[key] = value
    if action != "delete":
        params.update(utils.json_body(required=False))
    validation.validate(SCHEMAS[action], params)
    return params


class ServicesController(rest.RestController):

    @pecan.expose("json")
    def get_all(self, **kwargs: Any) -> dict[str, Any]:
        ctx = utils.context()
        policy.authorize(ctx, "zun-service:get_all")
        utils.check_query_keys(())
        rows = db_api.service_list(ctx)
        return {"services": [view.format_service(s) for s in rows]}

    @pecan.expose("json")
    def put(self, action: str | None = None, *rest_: str,
            **kwargs: Any) -> dict[str, Any]:
        ctx = utils.context()
        policy.authorize(ctx, "zun-service:update")
        name = action or ""
        handler = _ACTIONS.get(name)
        if handler is None or rest_:
            raise exception.NotFound(
                "No service action %r: PUT /v1/services/<action> with enable, "
                "disable or force_down." % "/".join((name,) + rest_))
        params = _params(name)
        row = db_api.service_update(ctx, params["host"], params["binary"],
                                    handler(params))
        return {"service": view.format_service(row)}

    @pecan.expose("json")
    def delete(self, *rest_: str, **kwargs: Any) -> webob.Response:
        ctx = utils.context()
        policy.authorize(ctx, "zun-service:delete")
        if rest_:
            raise exception.NotFound(
                "Delete a service with DELETE /v1/services?host=<host>&binary=<binary>.")
        params = _params("delete")
        host, binary = params["host"], params["binary"]
        db_api.service_get(ctx, host, binary)
        if binary == COMPUTE_BINARY:
            count = len(db_api.container_list_by_host(ctx, host))
            if count:
                raise exception.ServiceInUse(host=host, binary=binary, count=count)
        db_api.service_destroy(ctx, host, binary)
        if binary == COMPUTE_BINARY:
            db_api.compute_node_destroy(ctx, host)
        return utils.empty_response(204)


# What each PUT action writes.
_ACTIONS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "enable": lambda p: {"disabled": False, "disabled_reason": None},
    "disable": lambda p: {"disabled": True,
                          "disabled_reason": p.get("disabled_reason")},
    "force_down": lambda p: {"forced_down": p["forced_down"]},
}
