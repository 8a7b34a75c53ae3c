"""``/v1/images``: images on compute hosts (admin) and registry search.

``POST`` writes a row (Pulling) and casts the pull to the named host's agent
(zun/compute/images.py), which records Available or Error; ``DELETE`` asks
that agent to remove the image (a call: the answer is the truth) unless a
container of the host still uses it; ``GET`` lists and shows rows, which
the agents keep in line with their engines. Search reads the operator's
registries (zun/api/image_search.py).

Routes (zunclient sends the search as ``/v1/images/<image>/search``; the
api-ref's ``/v1/images/search?image=`` works too):
``GET /v1/images[/]``, ``GET /v1/images/<uuid>``,
``GET /v1/images/search?image=``, ``GET /v1/images/<image>/search``,
``POST /v1/images[/]``, ``DELETE /v1/images/<uuid>``.
"""
from __future__ import annotations

import functools
from typing import Any

import pecan
import webob
from oslo_utils import uuidutils
from pecan import rest

from zun.api import image_search, utils
from zun.api.schemas import images as schemas
from zun.api.schemas import validation
from zun.api.views import images as view
from zun.common import exception, image_ref, policy
from zun.db import api as db_api
from zun.db.api import images as image_rows
from zun.db.models import Image
from zun.scheduler.scheduler import COMPUTE_BINARY

LIST_FILTERS = ("host", "repo", "tag", "status", "image_id")
LIST_PARAMS = LIST_FILTERS + ("limit", "marker", "sort_key", "sort_dir")
SEARCH_PARAMS = ("image", "image_driver", "exact_match")


def _split_repo(repo: str, tag: str | None) -> tuple[str, str]:
    """(repository as given, without a tag; the tag): from ``repo[:tag]``
    and the optional separate ``tag``. A malformed reference, a digest, or
    two different tags are 400s naming the field."""
    ref = image_ref.parse(repo)  # raises a 400 naming 'image'; reworded below
    if ref.digest:
        raise exception.invalid_field("repo", repo, "Pull by tag, not by digest.")
    name = repo
    if ref.tag is not None:
        name = repo[:-(len(ref.tag) + 1)]
        if tag and tag != ref.tag:
            raise exception.invalid_field(
                "tag", tag, "The repo already names the tag '%s'." % ref.tag)
    if tag is not None:
        try:
            image_ref.parse("%s:%s" % (name, tag))
        except exception.ValidationError:
            raise exception.invalid_field(
                "tag", tag, "A tag is letters, digits, '_', '.' and '-' (at most "
                            "128), not starting with '.' or '-'.") from None
    return name, ref.tag or tag or "latest"


def _parse_pull(body: dict[str, Any]) -> tuple[str, str, str]:
    validation.validate(schemas.PULL, body)
    tag = body.get("tag")
    if tag == "None":  # what a client's str(None) sends
        tag = None
    try:
        repo, tag = _split_repo(body["repo"], tag)
    except exception.RegistryNotAllowed:
        raise
    except exception.ValidationError as exc:
        if "'repo'" in str(exc) or "'tag'" in str(exc):
            raise
        # image_ref words it for a container's 'image': the field here is repo
        raise exception.ValidationError(
            str(exc).replace("field 'image'", "field 'repo'", 1)) from exc
    return repo, tag, body["host"]


class ImagesController(rest.RestController):

    _custom_actions = {"search": ["GET"]}

    # --- GET -----------------------------------------------------------------
    @pecan.expose("json")
    def get_all(self, **kwargs: Any) -> dict[str, Any]:
        return self._list()

    @pecan.expose("json")
    def get_one(self, uuid: str, **kwargs: Any) -> dict[str, Any]:
        return self._show(uuid)

    @pecan.expose("json")
    def search(self, *image: str, **kwargs: Any) -> list[dict[str, Any]]:
        """``/v1/images/<image>/search`` (zunclient; the image may hold
        slashes) or ``/v1/images/search?image=`` (the api-ref)."""
        return self._search("/".join(p for p in image if p) or None)

    def _list(self) -> dict[str, Any]:
        ctx = utils.context()
        policy.authorize(ctx, "image:get_all")
        utils.check_query_keys(LIST_PARAMS)
        filters = utils.query_filters(LIST_FILTERS)
        rows, limit = utils.page(functools.partial(db_api.image_list, ctx), filters,
                                 exception.ImageRecordNotFound, "image")
        host_url = pecan.request.host_url
        return {"images": [view.format_image(r, host_url) for r in rows],
                "next": utils.next_page_url("images", rows, limit)}

    def _show(self, uuid: str) -> dict[str, Any]:
        ctx = utils.context()
        policy.authorize(ctx, "image:get_one")
        utils.check_query_keys(())
        return view.format_image(self._row(uuid), pecan.request.host_url)

    @staticmethod
    def _row(uuid: str) -> Image:
        if not uuidutils.is_uuid_like(uuid):
            raise exception.ImageRecordNotFound(image=uuid)
        return db_api.image_get(utils.context(), uuid)

    def _search(self, image: str | None) -> list[dict[str, Any]]:
        ctx = utils.context()
        policy.authorize(ctx, "image:search",
                         {"project_id": ctx.project_id, "user_id": ctx.user_id})
        utils.check_query_keys(SEARCH_PARAMS)
        image = image or utils.query_value("image")
        if not image:
            raise exception.invalid_field("image", reason="Name the image to search for.")
        validation.validate({"type": "object", "properties": {"image": {
            "type": "string", "minLength": 1, "maxLength": 255}}}, {"image": image})
        driver = utils.query_value("image_driver", "docker")
        if driver != "docker":
            raise exception.invalid_field(
                "image_driver", driver, "Only 'docker' images can be searched "
                                        "(there is no Glance here).")
        found = image_search.search(image, exact=utils.query_bool("exact_match"))
        if found.notes:
            # the list is what zunclient reads; the notes travel beside it
            pecan.response.headers["Warning"] = "299 zun \"%s\"" % "; ".join(
                found.notes).replace('"', "'")
        return found.images

    # --- POST: pull ------------------------------------------------------------
    @pecan.expose("json")
    def post(self, *parts: str, **kwargs: Any) -> dict[str, Any]:
        if [p for p in parts if p]:
            raise exception.NotFound("Pull an image with POST /v1/images.")
        ctx = utils.context()
        policy.authorize(ctx, "image:pull")
        repo, tag, host = _parse_pull(utils.json_body())
        # before any row: the registry may be one the operator refuses
        image_ref.check_registry("%s:%s" % (repo, tag))
        compute = utils.compute_api()
        compute.images.host(ctx, host)
        row = db_api.image_claim(ctx, host, repo, tag)
        compute.images.pull(ctx, host, row.uuid)
        pecan.response.status = 202
        pecan.response.headers["Location"] = view.links(
            pecan.request.host_url, row.uuid)[0]["href"]
        return view.format_image(row, pecan.request.host_url)

    # --- DELETE ----------------------------------------------------------------
    @pecan.expose("json")
    def delete(self, uuid: str, *rest_: str, **kwargs: Any) -> webob.Response:
        ctx = utils.context()
        policy.authorize(ctx, "image:delete")
        if rest_:
            raise exception.NotFound("Delete an image with DELETE /v1/images/<uuid>.")
        utils.check_query_keys(())
        row = self._row(uuid)
        if row.status == image_rows.PULLING:
            raise exception.Conflict(reason="image %s is being pulled onto host %s; "
                                            "delete it once the pull ended"
                                            % (row.uuid, row.host))
        users = _users(ctx, row)
        if users:
            raise exception.ImageInUse(image="%s:%s" % (row.repo, row.tag),
                                       count=len(users), host=row.host)
        if row.status == image_rows.AVAILABLE or _host_known(ctx, row.host):
            images = utils.compute_api().images
            images.host(ctx, row.host)
            images.delete(ctx, row.host, row.uuid)
        else:
            # an Error row of a host that is gone: nothing left to remove
            db_api.image_destroy(ctx, row.uuid)
        return utils.empty_response(204)


def _users(ctx: Any, row: Image) -> list[str]:
    """Uuids of the containers of the row's host that run its image."""
    wanted = image_ref.canonical("%s:%s" % (row.repo, row.tag))
    users = []
    for container in db_api.container_list_by_host(ctx.elevated(), row.host):
        try:
            if image_ref.canonical(container.image or "") == wanted:
                users.append(container.uuid)
        except exception.Invalid:
            continue
    return users


def _host_known(ctx: Any, host: str) -> bool:
    try:
        db_api.service_get(ctx.elevated(), host, COMPUTE_BINARY)
    except exception.NotFound:
        return False
    return True
