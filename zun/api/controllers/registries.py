"""``/v1/registries``: a project's private registries and their accounts.

A registry is a ``domain`` (``host[:port]``, judged by the operator's
``[registry]`` lists like an image's registry) with an optional account
(``username``, ``password``). Containers created with ``registry`` (1.31)
are pulled by their agent with that account. The password is encrypted by
the DB API under ``[registry] key`` and answered as ``***`` everywhere;
no message, log line or error quotes it.

Served at every microversion, as upstream's code does (its api-ref says
1.30). Routes: ``GET /v1/registries[/<ident>]``, ``POST /v1/registries``
(201), ``PATCH /v1/registries/<ident>``, ``DELETE /v1/registries/<ident>``
(204); ``ident`` is a uuid or a name of the caller's project.
"""
from __future__ import annotations

import functools
from typing import Any

import pecan
import webob
from pecan import rest

from zun.api import utils
from zun.api.schemas import registries as schemas
from zun.api.schemas import validation
from zun.api.views import registries as view
from zun.common import exception, image_ref, policy
from zun.common.context import RequestContext
from zun.db import api as db_api
from zun.db.models import Registry

LIST_FILTERS = ("name", "domain", "username", "project_id", "user_id")
LIST_PARAMS = LIST_FILTERS + ("limit", "marker", "sort_key", "sort_dir", "all_projects")


def _target(row: Registry) -> dict[str, Any]:
    return {"project_id": row.project_id, "user_id": row.user_id}


def _parse(body: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The ``registry`` object of ``body``, validated; the domain normalised.

    The password is checked here, never quoted: the schema sees a
    placeholder in its place, so no message can carry it.
    """
    fields = body.get("registry")
    shown = body
    if isinstance(fields, dict) and "password" in fields:
        password = fields["password"]
        if password is not None and not isinstance(password, str):
            raise validation.invalid_field("registry.password",
                                           reason="It must be a string.")
        if isinstance(password, str) and (
                len(password) > schemas.PASSWORD_MAX or "\x00" in password):
            raise validation.invalid_field(
                "registry.password", reason="It must be at most %d characters, "
                "without NUL." % schemas.PASSWORD_MAX)
        shown = dict(body, registry=dict(fields, password=None))
    validation.validate(schema, shown)
    values: dict[str, Any] = dict(body["registry"])
    if "domain" in values:
        values["domain"] = image_ref.registry_domain(values["domain"], "registry.domain")
    return values


def _get(ctx: RequestContext, ident: str, rule: str) -> Registry:
    if ctx.project_id is None:   # a token with no project: 403, not a lookup
        policy.authorize(ctx, rule)
    row = db_api.registry_get(ctx, ident)
    policy.authorize(ctx, rule, _target(row))
    return row


def for_container(ctx: RequestContext, ident: str, image: str) -> int:
    """The id of the caller's registry ``ident`` for a container of
    ``image`` (create, 1.31 ``registry``).

    RegistryNotFound (404) when the project has no such registry (another
    project's included); a 400 naming ``registry`` when the image is not
    pulled from that registry's domain (its account would be sent to
    another registry, or not used at all).
    """
    row = _get(ctx, ident, "registry:get_one")
    registry = image_ref.parse(image).registry
    if registry != row.domain:
        raise validation.invalid_field(
            "registry", ident, "The image '%s' is pulled from %s, but registry "
                               "%s is for %s: name the image with its domain "
                               "(%s/...)." % (image, registry, row.uuid,
                                              row.domain, row.domain))
    return row.id


class RegistriesController(rest.RestController):

    @pecan.expose("json")
    def get_all(self, **kwargs: Any) -> dict[str, Any]:
        ctx = utils.context()
        policy.authorize(ctx, "registry:get_all")
        utils.set_all_projects(ctx, "registry:get_all_all_projects")
        utils.check_query_keys(LIST_PARAMS)
        filters = utils.query_filters(LIST_FILTERS)
        rows, limit = utils.page(functools.partial(db_api.registry_list, ctx), filters,
                                 exception.RegistryNotFound, "registry")
        host_url = pecan.request.host_url
        return {"registries": [view.format_registry(r, host_url) for r in rows],
                "next": utils.next_page_url("registries", rows, limit)}

    @pecan.expose("json")
    def get_one(self, ident: str, **kwargs: Any) -> dict[str, Any]:
        ctx = utils.context()
        utils.set_all_projects(ctx, "registry:get_all_all_projects")
        utils.check_query_keys(("all_projects",))
        row = _get(ctx, ident, "registry:get_one")
        return {"registry": view.format_registry(row, pecan.request.host_url)}

    @pecan.expose("json")
    def post(self, *parts: str, **kwargs: Any) -> dict[str, Any]:
        if [p for p in parts if p]:
            raise exception.NotFound("Create a registry with POST /v1/registries.")
        ctx = utils.context()
        policy.authorize(ctx, "registry:create")
        utils.check_query_keys(())
        values = _parse(utils.json_body(), schemas.CREATE)
        values.update(project_id=ctx.project_id, user_id=ctx.user_id)
        row = db_api.registry_create(ctx, values)
        pecan.response.status = 201
        pecan.response.headers["Location"] = view.links(
            pecan.request.host_url, row.uuid)[0]["href"]
        return {"registry": view.format_registry(row, pecan.request.host_url)}

    @pecan.expose("json")
    def patch(self, ident: str, **kwargs: Any) -> dict[str, Any]:
        ctx = utils.context()
        utils.set_all_projects(ctx, "registry:get_all_all_projects")
        utils.check_query_keys(("all_projects",))
        values = _parse(utils.json_body(), schemas.UPDATE)
        row = _get(ctx, ident, "registry:update")
        if values:
            row = db_api.registry_update(ctx, row.uuid, values)
        return {"registry": view.format_registry(row, pecan.request.host_url)}

    @pecan.expose("json")
    def delete(self, ident: str, *rest_: str, **kwargs: Any) -> webob.Response:
        if rest_:
            raise exception.NotFound("Delete a registry with DELETE "
                                     "/v1/registries/<uuid-or-name>.")
        ctx = utils.context()
        utils.set_all_projects(ctx, "registry:get_all_all_projects")
        utils.check_query_keys(("all_projects",))
        row = _get(ctx, ident, "registry:delete")
        db_api.registry_destroy(ctx, row.uuid)
        return utils.empty_response(204)
