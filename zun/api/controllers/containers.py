"""``/v1/containers``: create, list, show, update, delete and act on containers.

Every handler follows one path: read the context and version, validate the
request, load the container (project scoped, so another tenant's container
is a 404), check policy against its project, then hand over to the compute
API, which owns the state table and the one-operation-at-a-time claim.
"""
from __future__ import annotations

import functools
from typing import Any

import pecan
import webob
from oslo_utils import uuidutils
from pecan import rest

from zun.api import utils, versions
from zun.api.controllers import container_actions, registries
from zun.api.schemas import containers as schemas
from zun.api.schemas import validation
from zun.api.views import containers as view
from zun.api.views import networks as network_view
from zun.common import actions, archive, exception, image_ref, policy, states
from zun.conf import CONF
from zun.db import api as db_api
from zun.db.models import Container

LIST_FILTERS = ("name", "image", "project_id", "user_id", "memory", "host",
                "task_state", "status", "auto_remove")
LIST_PARAMS = LIST_FILTERS + ("limit", "marker", "sort_key", "sort_dir",
                              "all_projects")


def _target(container: Container) -> dict[str, Any]:
    return {"project_id": container.project_id, "user_id": container.user_id}


def _show(container: Container) -> dict[str, Any]:
    ctx = utils.context()
    hidden = view.hidden_fields(ctx, utils.api_version())
    return view.format_container(container, pecan.request.host_url, hidden)


def _fetch(ident: str, rule: str) -> Container:
    """The container ``ident`` (uuid or name) if the caller may ``rule`` it."""
    ctx = utils.context()
    if ctx.project_id is None:   # a token with no project: 403, not a lookup
        policy.authorize(ctx, rule)
    container = db_api.container_get(ctx, ident)
    policy.authorize(ctx, rule, _target(container))
    return container


def _load(ident: str, action: str) -> Container:
    """The container ``ident`` if the caller may run ``action`` on it at the
    request's microversion (the registry's window and policy rule)."""
    row = actions.get(action)
    _check_window(row)
    return _fetch(ident, row.policy)


def _check_window(row: actions.Action) -> None:
    """406 outside the action's microversion window, naming what replaces it."""
    version = utils.api_version()
    low = versions.Version.parse(row.min_version)
    high = versions.Version.parse(row.max_version) if row.max_version else None
    if version < low or (high is not None and version > high):
        served = ("from %s" % low if high is None else "from %s to %s" % (low, high))
        hint = ("; use PATCH /v1/containers/<id> with 'name'"
                if row.name == "rename" else "")
        raise exception.NotAcceptable(
            reason="%s is only served at API versions %s%s" % (row.name, served, hint))


class ContainersController(rest.RestController):

    container_actions = container_actions.ContainerActionsController()

    # Every registered action with a route of its own, plus the upstream
    # routes not served yet (each a 404 naming the feature).
    _custom_actions = {
        **{a.route: [a.method] for a in actions.routed() if a.route},
        **{name: ["GET", "POST"] for name in actions.NOT_YET_SERVED},
    }

    # --- collection ----------------------------------------------------------
    @pecan.expose("json")
    def get_all(self, **kwargs: Any) -> dict[str, Any]:
        ctx = utils.context()
        utils.check_query_keys(LIST_PARAMS)
        policy.authorize(ctx, "container:get_all")
        utils.set_all_projects(ctx, "container:get_all_all_projects")
        rows, limit = utils.page(functools.partial(db_api.container_list, ctx),
                                 self._filters(ctx), exception.ContainerNotFound,
                                 "container")
        hidden = view.hidden_fields(ctx, utils.api_version())
        host_url = pecan.request.host_url
        return {
            "containers": [view.format_container(c, host_url, hidden) for c in rows],
            "next": utils.next_page_url("containers", rows, limit),
        }

    @staticmethod
    def _filters(ctx: Any) -> dict[str, Any]:
        filters: dict[str, Any] = {}
        for key in LIST_FILTERS:
            if key == "auto_remove":
                if utils.query_value(key) is not None:
                    filters[key] = utils.query_bool(key)
                continue
            values = [v for v in pecan.request.GET.getall(key) if v != "None"]
            if not values:
                continue
            if key == "host":
                # hosts are hidden from non-admins, so not filterable either
                policy.authorize(ctx, "container:get_one:host")
            if key == "status":
                states.statuses(values)
            filters[key] = values[0] if len(values) == 1 else values
        return filters

    @pecan.expose("json")
    def post(self, **kwargs: Any) -> dict[str, Any]:
        ctx = utils.context()
        version = utils.api_version()
        run = utils.query_bool("run")
        values = schemas.parse_create(utils.json_body(), version)
        policy.authorize(ctx, "container:create")
        if "runtime" in values:
            policy.authorize(ctx, "container:create:runtime")
        if values.get("privileged"):
            policy.authorize(ctx, "container:create:privileged")
        if "host" in values:
            policy.authorize(ctx, "container:create:requested_destination")
        if "image_pull_policy" in values:
            policy.authorize(ctx, "container:create:image_pull_policy")
        # before any row or claim: the image may name a registry the
        # operator refuses (the host's loopback services, metadata)
        image_ref.check_registry(values["image"])
        if values.get("registry") is not None:
            # 1.31: the project's registry whose account the agent pulls with
            values["registry_id"] = registries.for_container(
                ctx, values.pop("registry"), values["image"])
        values.pop("registry", None)
        values["user_id"] = ctx.user_id
        values["project_id"] = ctx.project_id
        if not values.get("name"):
            values["uuid"] = uuidutils.generate_uuid()
            values["name"] = "zun-%s" % values["uuid"]
        container = utils.compute_api().container_create(ctx, values, run=run)
        pecan.response.status = 202
        pecan.response.headers["Location"] = view.links(
            pecan.request.host_url, container.uuid)[0]["href"]
        return _show(container)

    # --- one container ---------------------------------------------------------
    @pecan.expose("json")
    def get_one(self, container_ident: str, **kwargs: Any) -> dict[str, Any]:
        ctx = utils.context()
        utils.set_all_projects(ctx, "container:get_one_all_projects")
        container = _fetch(container_ident, "container:get_one")
        return _show(utils.compute_api().container_show(ctx, container))

    @pecan.expose("json")
    def patch(self, container_ident: str, **kwargs: Any) -> dict[str, Any]:
        ctx = utils.context()
        patch = schemas.parse_update(utils.json_body())
        container = _load(container_ident, "update")
        return _show(utils.compute_api().container_update(ctx, container, patch))

    @pecan.expose("json")
    def delete(self, container_ident: str, **kwargs: Any) -> webob.Response:
        ctx = utils.context()
        force = utils.query_bool("force")
        stop = utils.query_bool("stop")
        # ?stop is accepted at every version (upstream: 1.12+): clients
        # pinned below 1.12, e.g. tempest's legacy class, clean up with it.
        utils.set_all_projects(ctx, "container:delete_all_projects")
        container = _load(container_ident, "delete")
        # ?force needs its policy at every version (upstream: 1.7+): below
        # 1.7 a member's force delete would skip the admin-only check.
        if force:
            policy.authorize(ctx, actions.get("delete_force").policy, _target(container))
        elif stop:
            policy.authorize(ctx, actions.get("delete_after_stop").policy,
                             _target(container))
        utils.compute_api().container_delete(ctx, container, force=force, stop=stop)
        return utils.empty_response(204)

    # --- actions -------------------------------------------------------------
    def _act(self, ident: str, action: str, **params: Any) -> webob.Response:
        """A generic action: load, authorise, hand to the compute API, 202."""
        ctx = utils.context()
        container = _load(ident, action)
        utils.compute_api().container_action(ctx, container, action, **params)
        return utils.empty_response(202)

    @pecan.expose("json")
    def rebuild(self, container_ident: str, **kwargs: Any) -> webob.Response:
        """Recreate the runtime container; ``image`` (query or body) replaces it."""
        ctx = utils.context()
        params = utils.json_body(required=False)
        validation.validate(schemas.REBUILD_SCHEMA, params)
        image = utils.query_value("image") or params.get("image")
        driver = utils.query_value("image_driver") or params.get("image_driver")
        if driver not in (None, "docker"):
            raise validation.invalid_field(
                "image_driver", driver, "only the 'docker' image driver is supported.")
        container = _load(container_ident, "rebuild")
        if image:
            image_ref.check_registry(image)
        utils.compute_api().container_rebuild(ctx, container, image=image)
        return utils.empty_response(202)

    @pecan.expose("json")
    def rename(self, container_ident: str, **kwargs: Any) -> dict[str, Any]:
        ctx = utils.context()
        _check_window(actions.get("rename"))
        name = utils.query_value("name")
        body = {"name": name} if name is not None else utils.json_body()
        validation.validate(schemas.RENAME_SCHEMA, body)
        container = _load(container_ident, "rename")
        return _show(utils.compute_api().container_rename(ctx, container, body["name"]))

    @pecan.expose("json")
    def logs(self, container_ident: str, **kwargs: Any) -> str:
        ctx = utils.context()
        tail = utils.query_value("tail", "all")
        if tail != "all":
            tail = str(utils.query_int("tail"))
        options = {
            "stdout": utils.query_bool("stdout", True),
            "stderr": utils.query_bool("stderr", True),
            "timestamps": utils.query_bool("timestamps", False),
            "tail": tail,
            "since": utils.query_since("since"),
        }
        container = _load(container_ident, "logs")
        return utils.compute_api().container_logs(ctx, container, **options)

    @pecan.expose("json")
    def execute(self, container_ident: str, **kwargs: Any) -> dict[str, Any]:
        """Run a command (``output``, ``exit_code``) or, with ``run=false``,
        create it for a console (``exec_id``, ``proxy_url``: zun exec -it)."""
        ctx = utils.context()
        body = utils.json_body(required=False)
        interactive = utils.query_bool("interactive", _body_bool(body, "interactive", False))
        run = utils.query_bool("run", _body_bool(body, "run", True))
        command = utils.query_value("command")
        if command is None:
            command = body.get("command")
        words = _command_words(command)
        container = _load(container_ident, "execute")
        compute = utils.compute_api()
        if run and not interactive:
            result = dict(compute.container_exec(ctx, container, words))
        else:
            result = compute.consoles.execute(ctx, container, words, run, interactive)
        result.setdefault("exec_id", None)
        result.setdefault("proxy_url", None)
        return result

    # --- consoles (docs/interactive.rst) ----------------------------------------
    @pecan.expose("json")
    def attach(self, container_ident: str, **kwargs: Any) -> str:
        """The console's websocket URL (a JSON string, as upstream)."""
        ctx = utils.context()
        container = _load(container_ident, "attach")
        return utils.compute_api().consoles.attach(ctx, container)

    @pecan.expose("json")
    def resize(self, container_ident: str, **kwargs: Any) -> None:
        """``?h=<rows>&w=<columns>``: the container's tty size."""
        ctx = utils.context()
        height, width = _tty_size()
        container = _load(container_ident, "resize")
        utils.compute_api().consoles.resize(ctx, container, height, width)

    @pecan.expose("json")
    def execute_resize(self, container_ident: str, **kwargs: Any) -> None:
        """``?exec_id=<id>&h=<rows>&w=<columns>``: an exec's tty size."""
        ctx = utils.context()
        exec_id = utils.query_value("exec_id")
        if not exec_id or len(exec_id) > 255:
            raise validation.invalid_field("exec_id", exec_id,
                                           "It is required: the exec_id execute answered.")
        height, width = _tty_size()
        container = _load(container_ident, "execute_resize")
        utils.compute_api().consoles.exec_resize(ctx, container, exec_id, height, width)

    @pecan.expose("json")
    def top(self, container_ident: str, **kwargs: Any) -> dict[str, Any]:
        ctx = utils.context()
        ps_args = utils.query_value("ps_args")
        container = _load(container_ident, "top")
        return utils.compute_api().container_top(ctx, container, ps_args=ps_args)

    @pecan.expose("json")
    def stats(self, container_ident: str, **kwargs: Any) -> dict[str, Any]:
        ctx = utils.context()
        container = _load(container_ident, "stats")
        return utils.compute_api().container_stats(ctx, container)

    # --- commit ------------------------------------------------------------------
    @pecan.expose("json")
    def commit(self, container_ident: str, **kwargs: Any) -> dict[str, Any]:
        """``?repository=<name>[:tag]&tag=<tag>``: 202 ``{"uuid": <image
        row>}`` (GET /v1/images/<uuid> shows it), the image committed into
        the container's host's engine."""
        ctx = utils.context()
        repository, tag = _commit_name(utils.query_value("repository"),
                                       utils.query_value("tag"))
        container = _load(container_ident, "commit")
        image_uuid = utils.compute_api().container_commit(ctx, container, repository, tag)
        pecan.response.status = 202
        return {"uuid": image_uuid}

    # --- copy in and out (cp) ---------------------------------------------------
    @pecan.expose("json")
    def get_archive(self, container_ident: str, **kwargs: Any) -> dict[str, Any]:
        """``{"data": the tar of path, "stat": Docker's stat of path}``;
        data in base64 from 1.25, raw (UTF-8 text) before."""
        ctx = utils.context()
        path = archive.check_path(utils.query_value("path"))
        container = _load(container_ident, "get_archive")
        data, stat = utils.compute_api().container_get_archive(
            ctx, container, path, CONF.api.max_archive_size)
        if not _base64_archives():
            data = archive.to_raw(data, path)
        return {"data": data, "stat": stat}

    @pecan.expose("json")
    def put_archive(self, container_ident: str, **kwargs: Any) -> None:
        """Extract the tar in the body's ``data`` at ``path``: 200 (a JSON
        ``null``, as upstream answers) once done."""
        ctx = utils.context()
        path = archive.check_path(utils.query_value("path"))
        body = utils.json_body()
        unknown = sorted(set(body) - {"data"})
        if unknown:
            raise validation.invalid_field(unknown[0], reason="It is not a field of "
                                                              "put_archive.")
        if "data" not in body:
            raise validation.invalid_field("data", reason="It is required.")
        limit = CONF.api.max_archive_size
        data = (archive.check_base64(body["data"], limit) if _base64_archives()
                else archive.from_raw(body["data"], limit))
        container = _load(container_ident, "put_archive")
        utils.compute_api().container_put_archive(ctx, container, path, data)

    # --- networks ---------------------------------------------------------------
    @pecan.expose("json")
    def network_attach(self, container_ident: str, **kwargs: Any) -> dict[str, Any]:
        """Connect to a network of the container's project ('default' or its
        name as network_list shows it); answered (200, the container with its
        new addresses) once the runtime did it."""
        ctx = utils.context()
        network = _network_param()
        container = _load(container_ident, "network_attach")
        return _show(utils.compute_api().container_network_attach(ctx, container, network))

    @pecan.expose("json")
    def network_detach(self, container_ident: str, **kwargs: Any) -> webob.Response:
        ctx = utils.context()
        network = _network_param()
        container = _load(container_ident, "network_detach")
        utils.compute_api().container_network_detach(ctx, container, network)
        return utils.empty_response(202)

    @pecan.expose("json")
    def network_list(self, container_ident: str, **kwargs: Any) -> dict[str, Any]:
        container = _load(container_ident, "network_list")
        return {"networks": network_view.container_networks(
            container, utils.api_version())}


def _generic_handler(action: actions.Action) -> Any:
    """The handler of a generic action: its declared query parameters, read
    and checked by kind, are all it takes."""
    def handler(self: ContainersController, container_ident: str,
                **kwargs: Any) -> webob.Response:
        return self._act(container_ident, action.name,
                         **{p.name: _param(p) for p in action.params})
    handler.__name__ = action.route or action.name
    handler.__doc__ = action.summary
    return pecan.expose("json")(handler)


def _param(param: actions.Param) -> Any:
    if param.kind == "int":
        number = utils.query_int(param.name)
        if number is not None and param.maximum:
            group, option = param.maximum.split(".")
            limit = getattr(getattr(CONF, group), option)
            if number > limit:
                raise validation.invalid_field(
                    param.name, str(number),
                    "It must be at most %d ([%s] %s)." % (limit, group, option))
        return number
    value = utils.query_value(param.name)  # "signal": any non-blank word
    if value is not None and not value.strip():
        raise exception.InvalidValue(value=value, field=param.name)
    return value


def _not_yet_served(name: str, feature: str, issue: str) -> Any:
    """A 404 naming the feature an upstream route belongs to."""
    def handler(self: ContainersController, container_ident: str,
                **kwargs: Any) -> None:
        raise exception.FeatureNotImplemented(feature=feature, issue=issue)
    handler.__name__ = name
    return pecan.expose("json")(handler)


for _row in actions.routed():
    if _row.generic and _row.route:
        setattr(ContainersController, _row.route, _generic_handler(_row))
for _name, (_feature, _issue) in actions.NOT_YET_SERVED.items():
    setattr(ContainersController, _name, _not_yet_served(_name, _feature, _issue))


def _commit_name(repository: str | None, tag: str | None) -> tuple[str, str]:
    """(repository, tag) of a commit; 400 naming the field that is wrong."""
    if not repository:
        raise validation.invalid_field("repository", reason="Name the image to commit to.")
    utils.check_query_keys(("repository", "tag"))
    try:
        ref = image_ref.parse(repository)
    except exception.ValidationError:
        raise validation.invalid_field(
            "repository", repository, "It is not a valid repository name.") from None
    if ref.digest:
        raise validation.invalid_field("repository", repository, "A digest cannot be "
                                                                 "committed to.")
    name = repository
    if ref.tag is not None:
        name = repository[:-(len(ref.tag) + 1)]
        if tag and tag != ref.tag:
            raise validation.invalid_field("tag", tag, "The repository already names "
                                                       "the tag '%s'." % ref.tag)
    tag = ref.tag or tag or "latest"
    try:
        image_ref.parse("%s:%s" % (name, tag))
    except exception.ValidationError:
        raise validation.invalid_field("tag", tag, "A tag is letters, digits, '_', "
                                                   "'.' and '-' (at most 128).") from None
    return name, tag


def _base64_archives() -> bool:
    return utils.api_version() >= versions.Version.parse(archive.BASE64_VERSION)


def _network_param() -> str:
    """``network`` of network_attach/detach; Neutron-only parameters refused."""
    utils.check_query_keys(("network", "port", "fixed_ip"))
    for neutron_only in ("port", "fixed_ip"):
        value = utils.query_value(neutron_only)
        if value not in (None, "", "None"):
            raise validation.invalid_field(
                neutron_only, value, "Neutron ports and fixed IPs are not available: "
                "this deployment gives each project its own network; name it "
                "with 'network'.")
    network = utils.query_value("network")
    if network in (None, "", "None"):
        raise validation.invalid_field("network", reason="It is required.")
    if not isinstance(network, str) or len(network) > 255:
        raise validation.invalid_field("network", network, "It is not a network name.")
    return network


def _tty_size() -> tuple[int, int]:
    """(rows, columns) from ``h`` and ``w``, both required, 1..MAX_TTY_SIDE."""
    most = schemas.MAX_TTY_SIDE
    sizes = []
    for name in ("h", "w"):
        value = utils.query_int(name, minimum=1)
        if value is None:
            raise validation.invalid_field(name, reason="It is required: the tty's "
                                           "%s." % ("rows" if name == "h" else "columns"))
        if value > most:
            raise validation.invalid_field(name, value, "It must be at most %d." % most)
        sizes.append(value)
    return sizes[0], sizes[1]


def _body_bool(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise validation.invalid_field(name, value, "It must be true or false.")
    return value


def _command_words(command: Any) -> list[str]:
    """The exec command as a word list: a quoted string or a list of strings."""
    if isinstance(command, str):
        words = utils.split_command(command)
    elif isinstance(command, list) and all(isinstance(w, str) for w in command):
        words = list(command)
    else:
        words = []
        if command is not None:
            raise validation.invalid_field("command", command,
                                           "It must be a string or a list of strings.")
    if not words:
        raise validation.invalid_field("command", reason="It is required.")
    return words
