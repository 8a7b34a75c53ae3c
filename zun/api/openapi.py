"""The OpenAPI 3.1 document of the v1 API, built from the code it describes.

Request bodies are the controllers' own JSON schemas, query parameters come
from the controllers' parameter tuples, response fields from the views, the
version range from ``versions`` and error codes from ``exception``: a field
added to a schema or a view shows up here without anyone retyping it. The
route table below is checked against the real Pecan routes by a unit test,
so a route cannot be added or dropped without this document following.
"""
from __future__ import annotations

import copy
import re
from typing import Any, Iterable

from zun.api import utils, versions
from zun.api.controllers import containers as containers_ctl
from zun.api.controllers import quotas as quotas_ctl
from zun.api.controllers import services as services_ctl
from zun.api.controllers import unimplemented
from zun.api.schemas import containers as container_schemas
from zun.api.schemas import images as image_schemas
from zun.api.schemas import registries as registry_schemas
from zun.api.views import actions as action_view
from zun.api.views import containers as container_view
from zun.api.views import hosts as host_view
from zun.api.views import images as image_view
from zun.api.views import registries as registry_view
from zun.api.views import services as service_view
from zun.common import actions, states
from zun.conf import quota as quota_conf

OPENAPI_VERSION = "3.1.0"
JSON = "application/json"

# --- small schema builders ---------------------------------------------------


_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_NBOOL = {"type": ["boolean", "null"]}
_NINT = {"type": ["integer", "null"]}
_NOBJ = {"type": ["object", "null"]}
_NARR = {"type": ["array", "null"]}
_LINKS = {"type": "array", "items": {
    "type": "object", "required": ["href", "rel"],
    "properties": {"href": _STR, "rel": _STR}}}


def _case_insensitive(word: str) -> str:
    return "".join("[%s%s]" % (c.upper(), c.lower()) if c.isalpha() else re.escape(c)
                   for c in word)


# Query booleans as utils.query_bool reads them (case-insensitively), plus
# the literal ``None`` zunclient sends for "not given".
_QUERY_BOOL = {
    "type": "string",
    "pattern": "^(%s|None)$" % "|".join(_case_insensitive(w)
                                        for w in utils._TRUE + utils._FALSE),
    "examples": ["True", "False", "true", "false", "1", "0", "None"],
}


def _query_int(minimum: int) -> dict[str, Any]:
    """An integer query value, or the literal ``None`` meaning unset."""
    return {"anyOf": [{"type": "integer", "minimum": minimum},
                      {"type": "string", "const": "None"}]}


def _query(name: str, schema: dict[str, Any], description: str = "",
           required: bool = False) -> dict[str, Any]:
    param = {"name": name, "in": "query", "required": required, "schema": schema}
    if description:
        param["description"] = description
    return param


def _bool(name: str, description: str = "") -> dict[str, Any]:
    return _query(name, _QUERY_BOOL, description)


# --- reusable parameters ------------------------------------------------------
_IDENT_SCHEMA = {"type": "string", "pattern": container_schemas.NAME_PATTERN,
                 "maxLength": 255}
_PARAMETERS: dict[str, dict[str, Any]] = {
    "ApiVersion": {
        "name": versions.HEADER, "in": "header", "required": False,
        "description": "The microversion wanted, 'container X.Y' or "
                       "'container latest'; without it the request is served "
                       "at the minimum version. A bad or out-of-range value "
                       "is a 406.",
        "schema": {"type": "string", "enum": None},   # filled per document
    },
    "ContainerIdent": {
        "name": "container_ident", "in": "path", "required": True,
        "description": "The container's uuid or name (a name several "
                       "containers share is a 409).",
        "schema": _IDENT_SCHEMA,
    },
    "RequestId": {
        "name": "request_id", "in": "path", "required": True,
        "description": "The request id that started the action.",
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$",
                   "maxLength": 255},
    },
    "HostIdent": {
        "name": "host_ident", "in": "path", "required": True,
        "description": "The compute host's uuid or hostname.",
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                   "maxLength": 255},
    },
    "AllProjects": _bool("all_projects", "Admin only: look across every project."),
    "ProjectId": {
        "name": "project_id", "in": "path", "required": True,
        "description": "The project whose quota this is.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    },
    "QuotaClassName": {
        "name": "quota_class_name", "in": "path", "required": True,
        "description": "A quota class; only 'default' is applied to projects.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    },
}


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": "#/components/%s/%s" % (kind, name)}


# --- response schemas -----------------------------------------------------------
_CONTAINER_TYPES: dict[str, dict[str, Any]] = {
    "uuid": _STR, "links": _LINKS, "name": _NSTR, "image": _NSTR,
    "command": _NARR, "entrypoint": _NARR,
    "status": {"type": "string", "enum": list(states.ALL_STATUSES)},
    "task_state": {"type": ["string", "null"],
                   "enum": list(states.ALL_TASK_STATES) + [None]},
    "cpu": {"type": ["number", "null"]}, "memory": _NSTR, "disk": _NINT,
    "environment": _NOBJ, "labels": _NOBJ,
    "addresses": {
        "type": ["object", "null"],
        "description": "Per network (keyed by the runtime network's name; "
                       "upstream: the Neutron network id), the container's "
                       "addresses. Without Neutron 'port' is null and "
                       "'subnet_id' holds the subnet's CIDR (or null).",
        "additionalProperties": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["addr", "version", "port", "subnet_id",
                         "preserve_on_delete"],
            "properties": {"addr": _STR, "version": {"type": "integer", "enum": [4, 6]},
                           "port": _NSTR, "subnet_id": _NSTR,
                           "preserve_on_delete": {"type": "boolean"}}}}},
    "restart_policy": _NOBJ, "healthcheck": _NOBJ, "security_groups": _NARR,
    "interactive": _NBOOL, "tty": _NBOOL, "auto_remove": _NBOOL,
    "auto_heal": _NBOOL, "privileged": _NBOOL, "registry_id": _NINT,
    "ports": {"type": ["array", "null"], "items": {"type": "integer"},
              "description": "The container's exposed ports (requested or "
                             "declared by its image)."},
    "published_ports": {
        "type": "array",
        "description": "Where the exposed ports are reachable while the "
                       "container runs: the compute host's address ([docker] "
                       "publish_address, 0.0.0.0 meaning all of them) and "
                       "the host port the engine chose at start (it may "
                       "change at the next start). Empty when not running.",
        "items": {"type": "object", "additionalProperties": False,
                  "required": ["port", "protocol", "host_ip", "host_port"],
                  "properties": {
                      "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                      "protocol": {"type": "string", "enum": ["tcp", "udp"]},
                      "host_ip": {"type": ["string", "null"]},
                      "host_port": {"type": "integer", "minimum": 1,
                                    "maximum": 65535}}}},
    "mounts": {"type": "array", "items": {
        "type": "object", "required": ["type", "source", "destination"],
        "properties": {"type": {"type": "string", "enum": ["volume", "bind"]},
                       "source": _STR, "destination": _STR}}},
}


def _object(fields: Iterable[str], types: dict[str, dict[str, Any]],
            optional: Iterable[str] = (), default: dict[str, Any] = _NSTR,
            extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A closed object of ``fields``; all required but ``optional``."""
    fields = list(fields)
    properties = {f: copy.deepcopy(types.get(f, default)) for f in fields}
    properties.update(extra or {})
    optional = set(optional)
    return {"type": "object", "properties": properties,
            "required": [f for f in fields if f not in optional],
            "additionalProperties": False}


def _schemas() -> dict[str, dict[str, Any]]:
    container = _object(
        container_view.FIELDS, _CONTAINER_TYPES,
        optional=set(versions.VIEW_FIELD_MIN_VERSION) | set(container_view.ADMIN_FIELDS))
    event = _object(action_view.EVENT_FIELDS, {})
    action = _object(action_view.ACTION_FIELDS, {}, optional=["finish_time"],
                     extra={"events": {"type": "array", "items": event}})
    service = _object(service_view.FIELDS, {
        "id": {"type": "integer"}, "host": _STR, "binary": _STR,
        "state": {"type": "string", "enum": ["up", "down"]},
        "disabled": {"type": "boolean"}, "forced_down": {"type": "boolean"},
        "report_count": {"type": "integer"}})
    host = _object(host_view.FIELDS, {
        "uuid": _STR, "links": _LINKS, "labels": {"type": "object"},
        "runtimes": {"type": "array", "items": _STR},
        "disk_quota_supported": {"type": "boolean"},
        "enable_cpu_pinning": _NBOOL,
        "mem_total": _NINT, "mem_used": _NINT, "total_containers": _NINT,
        "cpus": _NINT, "cpu_used": {"type": ["number", "null"]},
        "disk_total": _NINT, "disk_used": _NINT}, optional=["enable_cpu_pinning"])
    version_doc = {"type": "object",
                   "required": ["id", "status", "min_version", "max_version", "links"],
                   "properties": {"id": _STR, "status": _STR, "min_version": _STR,
                                  "max_version": _STR, "links": _LINKS}}
    resource_links = {"type": "array", "items": _LINKS["items"]}
    limit = {"type": "integer", "minimum": quota_conf.UNLIMITED}
    usage = {"type": "object", "required": ["limit", "in_use"],
             "additionalProperties": False,
             "properties": {"limit": limit, "in_use": {"type": "number"}}}
    return {
        "QuotaSet": _object(quota_conf.RESOURCES, {}, default=limit),
        "QuotaUsageSet": _object(quota_conf.RESOURCES, {}, default=usage),
        "Error": {
            "type": "object", "required": ["errors"], "additionalProperties": False,
            "properties": {"errors": {"type": "array", "minItems": 1, "items": {
                "type": "object", "additionalProperties": False,
                "required": ["request_id", "code", "status", "title", "detail", "links"],
                "properties": {
                    "request_id": _STR,
                    "code": {"type": "string", "pattern": r"^container\.[a-z0-9_]+$"},
                    "status": {"type": "integer", "minimum": 400, "maximum": 599},
                    "title": _STR, "detail": _STR,
                    "links": {"type": "array"}}}}}},
        "Container": container,
        "ContainerList": {
            "type": "object", "required": ["containers", "next"],
            "additionalProperties": False,
            "properties": {"containers": {"type": "array", "items": _ref("schemas", "Container")},
                           "next": _NSTR}},
        "ContainerAction": action,
        "ContainerActionList": {
            "type": "object", "required": ["containerActions"],
            "additionalProperties": False,
            "properties": {"containerActions": {"type": "array",
                                                "items": _ref("schemas", "ContainerAction")}}},
        "ExecResult": {
            "type": "object", "required": ["output", "exit_code"],
            "properties": {"output": _NSTR, "exit_code": _NINT,
                           "exec_id": _NSTR, "proxy_url": _NSTR}},
        "Top": {"type": "object", "required": ["Titles", "Processes"],
                "properties": {"Titles": {"type": "array", "items": _STR},
                               "Processes": {"type": "array", "items": {"type": "array"}}}},
        "Stats": {"type": "object",
                  "description": "One usage sample: CONTAINER, CPU %, MEM USAGE(MiB), "
                                 "MEM LIMIT(MiB), MEM %, BLOCK I/O(B), NET I/O(B)."},
        "Service": service,
        "ServiceList": {"type": "object", "required": ["services"],
                        "additionalProperties": False,
                        "properties": {"services": {"type": "array",
                                                    "items": _ref("schemas", "Service")}}},
        "ServiceUpdated": {"type": "object", "required": ["service"],
                           "additionalProperties": False,
                           "properties": {"service": _ref("schemas", "Service")}},
        "Host": host,
        "HostList": {"type": "object", "required": ["hosts", "next"],
                     "additionalProperties": False,
                     "properties": {"hosts": {"type": "array", "items": _ref("schemas", "Host")},
                                    "next": _NSTR}},
        "AvailabilityZoneList": {
            "type": "object", "required": ["availability_zones"],
            "additionalProperties": False,
            "properties": {"availability_zones": {"type": "array", "items": {
                "type": "object", "required": ["availability_zone"],
                "properties": {"availability_zone": _STR}}}}},
        "Root": {"type": "object",
                 "required": ["name", "description", "versions", "default_version"],
                 "properties": {"name": _STR, "description": _STR,
                                "versions": {"type": "array", "items": version_doc},
                                "default_version": version_doc}},
        "V1": {"type": "object",
               "required": ["id", "min_version", "max_version", "media_types", "links"],
               "properties": {"id": _STR, "min_version": _STR, "max_version": _STR,
                              "media_types": {"type": "array"}, "links": _LINKS,
                              "containers": resource_links, "services": resource_links,
                              "hosts": resource_links, "images": resource_links,
                              "availability_zones": resource_links}},
        "OpenAPI": {"type": "object", "required": ["openapi", "paths"]},
    }


# --- errors ---------------------------------------------------------------------
_ERROR_MEANING = {
    400: "Invalid input: a bad query value or body; the title names the field.",
    401: "No valid token (Keystone deployments only).",
    403: "Policy does not allow this caller to do this (or, on create, the "
         "project's quota would be exceeded: the detail names the resource).",
    404: "No such resource in the caller's project.",
    406: "Unacceptable API version (or Accept header), or an operation outside "
         "its version window.",
    409: "The container's status (or an operation in flight, or its host being "
         "down) does not allow this now.",
    413: "The body is larger than [api] max_request_body_size.",
    415: "The body is not application/json.",
    429: "Too many console tokens (attach, exec -it) for the project this minute "
         "([websocket_proxy] tokens_per_minute).",
    503: "The compute agent or the message bus cannot be reached; nothing was "
         "changed.",
}
# Answers every route can give: a version header it refuses, a caller policy
# refuses or (with Keystone) an invalid token, a bad query string.
_BASE_ERRORS = (400, 401, 403, 406)


def _responses(ok: dict[str, Any], *errors: int, public: bool = False) -> dict[str, Any]:
    out = dict(ok)
    codes = set(errors) | ({406} if public else set(_BASE_ERRORS))
    for code in sorted(codes):
        out[str(code)] = _ref("responses", "E%d" % code)
    return out


def _ok(code: int, schema: str | dict[str, Any] | None, description: str) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description}
    if schema is not None:
        body = _ref("schemas", schema) if isinstance(schema, str) else schema
        answer["content"] = {JSON: {"schema": body}}
    return {str(code): answer}


def _body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {JSON: {"schema": copy.deepcopy(schema)}}}


# --- operations -------------------------------------------------------------------
_VERSION_PARAM = _ref("parameters", "ApiVersion")
_CONTAINER = _ref("parameters", "ContainerIdent")
_NO_BODY = ("Accepted: the operation runs on the compute host; follow it with "
            "GET on the container or its container_actions.")
# The operations that reach a compute agent: they may find it down.
_AGENT = (409, 503)


def _action(summary: str, params: Iterable[dict[str, Any]] = (),
            body: dict[str, Any] | None = None, ok: dict[str, Any] | None = None,
            errors: tuple[int, ...] = (404,) + _AGENT) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "parameters": [_CONTAINER] + list(params),
          "responses": _responses(ok or _ok(202, None, _NO_BODY), *errors)}
    if body is not None:
        op["requestBody"] = body
        op["responses"]["415"] = _ref("responses", "E415")
    return op


def _action_details() -> dict[str, dict[str, Any]]:
    """What the registry does not say of the actions with their own handler:
    their query parameters, body and answer."""
    return {
        "rebuild": dict(
            params=[_query("image", _STR),
                    _query("image_driver", {"type": "string", "enum": ["docker"]})],
            body=_body(container_schemas.REBUILD_SCHEMA, required=False)),
        "rename": dict(
            params=[_query("name", {"type": "string",
                                    "pattern": container_schemas.NAME_PATTERN})],
            body=_body(container_schemas.RENAME_SCHEMA, required=False),
            ok=_ok(200, "Container", "Renamed")),
        "execute": dict(
            params=[_query("command", _STR, "A shell-quoted command line."),
                    _bool("run", "true (the default): run now and answer output and "
                                 "exit_code; false: create the exec and answer "
                                 "exec_id and proxy_url (its console)."),
                    _bool("interactive", "Give the command a tty and keep its stdin "
                                         "open (zun exec -it).")],
            body=_body({"type": "object", "properties": {
                "command": {"type": ["string", "array"], "items": _STR},
                "run": {"type": "boolean"}, "interactive": {"type": "boolean"}}},
                required=False),
            ok=_ok(200, "ExecResult", "Output and exit code, or exec_id and proxy_url"),
            errors=(404, 429) + _AGENT),
        "attach": dict(
            ok=_ok(200, {"type": "string", "description": "ws(s)://<proxy>/?token=<single "
                         "use, expires after [websocket_proxy] token_ttl>&uuid=<uuid>"},
                   "The console's websocket URL"),
            errors=(404, 429) + _AGENT),
        "resize": dict(params=_TTY_SIZE, ok=_ok(200, None, "Resized")),
        "execute_resize": dict(
            params=[_query("exec_id", {"type": "string", "minLength": 1, "maxLength": 255},
                           "The exec_id execute answered.", required=True)] + _TTY_SIZE,
            ok=_ok(200, None, "Resized")),
        "logs": dict(
            params=[_bool("stdout"), _bool("stderr"), _bool("timestamps"),
                    _query("tail", {"anyOf": [{"type": "string", "enum": ["all", "None"]},
                                              {"type": "integer", "minimum": 0}]}),
                    _query("since", _STR, "A timestamp or a number of seconds.")],
            ok=_ok(200, {"type": "string"}, "The log text as a JSON string")),
        "top": dict(
            params=[_query("ps_args", _STR, "Arguments for ps; 'None' means none.")],
            ok=_ok(200, "Top", "Process table")),
        "stats": dict(ok=_ok(200, "Stats", "Usage")),
        "get_archive": dict(
            params=[_ARCHIVE_PATH],
            ok=_ok(200, {"type": "object", "required": ["data", "stat"], "properties": {
                "data": {"type": "string", "description": "The tar of path: base64 "
                         "from 1.25, before as text (UTF-8; 406 when it is not). "
                         "At most [api] max_archive_size bytes (413 beyond)."},
                "stat": {"type": "object", "description": "Docker's stat of path: "
                         "name, size, mode, mtime, linkTarget."}}},
                "The archive and the path's stat")),
        "put_archive": dict(
            params=[_ARCHIVE_PATH],
            body=_body({"type": "object", "required": ["data"],
                        "additionalProperties": False, "properties": {"data": {
                            "type": "string", "description": "An uncompressed tar: "
                            "base64 from 1.25, before as text. At most [api] "
                            "max_archive_size bytes (413 beyond)."}}}),
            ok=_ok(200, None, "Extracted")),
        "commit": dict(
            params=[_query("repository", {"type": "string", "maxLength": 255},
                           "The image name (may end in :tag); required."),
                    _query("tag", {"type": "string", "maxLength": 128},
                           "The tag (default latest).")],
            ok=_ok(202, {"type": "object", "required": ["uuid"], "properties": {
                "uuid": {"type": "string", "description": "The image row "
                         "(GET /v1/images/<uuid>)."}}}, "Committed")),
        "network_attach": dict(params=_NETWORK_PARAMS,
                               ok=_ok(200, None, "Connected")),
        "network_detach": dict(params=_NETWORK_PARAMS,
                               ok=_ok(202, None, "Disconnected")),
        "network_list": dict(ok=_ok(200, {
            "type": "object", "required": ["networks"],
            "properties": {"networks": {"type": "array", "items": {"type": "object"}}}},
            "One entry per network (1.18+) or per address (below)")),
    }


_TTY_SIZE = [_query(name, {"type": "integer", "minimum": 1,
                           "maximum": container_schemas.MAX_TTY_SIDE}, what,
                    required=True)
             for name, what in (("h", "Rows."), ("w", "Columns."))]
_ARCHIVE_PATH = _query("path", {"type": "string", "pattern": "^/", "maxLength": 4096},
                       "An absolute path in the container.", required=True)

_NETWORK_PARAMS = [
    _query("network", {"type": "string", "minLength": 1, "maxLength": 255},
           "'default' or the project network's name (as network_list shows it)."),
    _query("port", _STR, "Neutron ports are not available: a non-empty value is a 400."),
    _query("fixed_ip", _STR, "Neutron fixed IPs are not available: a non-empty "
                             "value is a 400."),
]


def _window(action: actions.Action) -> str:
    if action.max_version:
        return " (API versions %s to %s; outside them: 406)" % (
            action.min_version, action.max_version)
    if action.min_version != str(versions.MIN_VERSION):
        return " (API version %s and later; before: 406)" % action.min_version
    return ""


def _container_actions() -> dict[str, dict[str, dict[str, Any]]]:
    """The operations of the registry's routed actions under a container."""
    details = _action_details()
    ops: dict[str, dict[str, dict[str, Any]]] = {}
    for action in actions.routed():
        if not action.route:
            continue  # the container itself: PATCH and DELETE, above
        extra = details.get(action.name, {})
        params = extra.get("params") or [_query(p.name, p.schema, p.description)
                                         for p in action.params]
        op = _action(action.summary + _window(action), params, body=extra.get("body"),
                     ok=extra.get("ok"), errors=extra.get("errors", (404,) + _AGENT))
        ops["/v1/containers/{container_ident}/%s" % action.route] = {
            action.method.lower(): op}
    return ops


def _operations(version: versions.Version) -> dict[str, dict[str, dict[str, Any]]]:
    """Path -> method -> operation: every route the API serves."""
    list_params: list[dict[str, Any]] = [
        _query(k, _STR, "Only containers whose %s equals this." % k)
                   for k in containers_ctl.LIST_FILTERS if k not in ("status", "auto_remove")]
    list_params += [
        _query("status", {"type": "string", "enum": list(states.ALL_STATUSES) + ["None"]},
               "Only containers in this status."),
        _bool("auto_remove", "Only containers with this auto_remove."),
        _query("limit", _query_int(1), "Page size (capped by [api]max_limit)."),
        _query("marker", _STR, "The uuid of the last container of the previous page."),
        _query("sort_key", _STR, "A non-JSON column of the container; default id."),
        _query("sort_dir", {"type": "string", "enum": ["asc", "desc"]}),
        _ref("parameters", "AllProjects"),
    ]
    svc_query = [_query("host", _STR), _query("binary", _STR)]
    host_params = [
        _query("limit", _query_int(1), "Page size (capped by [api]max_limit)."),
        _query("marker", _STR, "The uuid of the last host of the previous page."),
        _query("sort_key", _STR), _query("sort_dir", {"type": "string", "enum": ["asc", "desc"]})]
    item = "/v1/containers/{container_ident}"
    ops: dict[str, dict[str, dict[str, Any]]] = {
        "/": {"get": {
            "summary": "Version discovery (zunclient reads it before each command).",
            "security": [],
            "responses": _responses(_ok(200, "Root", "The versions"), public=True)}},
        "/v1": {"get": {
            "summary": "The resources of version 1.",
            "security": [], "responses": _responses(_ok(200, "V1", "Version 1"), public=True)}},
        "/v1/openapi.json": {"get": {
            "summary": "This document.",
            "security": [], "responses": _responses(_ok(200, "OpenAPI", "OpenAPI 3.1"),
                                                    public=True)}},
        "/healthcheck": {"get": {
            "summary": "Liveness of the API process (oslo.middleware).",
            "security": [], "responses": {
                "200": {"description": "Alive (text, or JSON if asked for)"},
                "503": {"description": "Disabled by the operator"}}}},
        "/v1/containers": {
            "get": {"summary": "List containers of the caller's project.",
                    "parameters": list_params,
                    "responses": _responses(_ok(200, "ContainerList", "A page"))},
            "post": {"summary": actions.get("create").summary,
                     "parameters": [_bool("run", "Start the container once created.")],
                     "requestBody": _body(container_schemas.create_schema(version)),
                     "responses": _responses(
                         _ok(202, "Container", "Accepted; the container is Creating."),
                         409, 415, 503)}},
        item: {
            "get": {"summary": "Show a container.", "parameters": [
                        _CONTAINER, _ref("parameters", "AllProjects")],
                    "responses": _responses(_ok(200, "Container", "The container"),
                                            404, *_AGENT)},
            "patch": {"summary": actions.get("update").summary,
                      "parameters": [_CONTAINER],
                      "requestBody": _body(container_schemas.UPDATE_SCHEMA),
                      "responses": _responses(_ok(200, "Container", "Updated"),
                                              404, 415, *_AGENT)},
            "delete": {"summary": actions.get("delete").summary, "parameters": [
                           _CONTAINER, _bool("force", "Kill and remove whatever its "
                                             "status (admin only from 1.7)."),
                           _bool("stop", "Stop a running container first."),
                           _ref("parameters", "AllProjects")],
                       "responses": _responses({"204": {"description": "Deleted "
                                                "(or deletion under way)."}},
                                               404, *_AGENT)}},
        item + "/container_actions": {"get": {
            "summary": "What was done to the container.",
            "parameters": [_CONTAINER],
            "responses": _responses(_ok(200, "ContainerActionList", "Actions"),
                                    404, 409)}},
        item + "/container_actions/{request_id}": {"get": {
            "summary": "One action and (if policy allows) its events.",
            "parameters": [_CONTAINER, _ref("parameters", "RequestId")],
            "responses": _responses(_ok(200, "ContainerAction", "The action"),
                                    404, 409)}},
        "/v1/services": {
            "get": {"summary": "Compute services and their up/down state (admin).",
                    "responses": _responses(_ok(200, "ServiceList", "Services"))},
            "delete": {"summary": "Forget a service with no containers (admin).",
                       "parameters": svc_query,
                       "responses": _responses({"204": {"description": "Deleted"}},
                                               404, 409)}},
        "/v1/hosts": {"get": {
            "summary": "Compute hosts and their inventory (admin, %s+)."
                       % versions.HOSTS_MIN_VERSION,
            "parameters": host_params,
            "responses": _responses(_ok(200, "HostList", "A page"))}},
        "/v1/hosts/{host_ident}": {"get": {
            "summary": "One compute host (admin, %s+)." % versions.HOSTS_MIN_VERSION,
            "parameters": [_ref("parameters", "HostIdent")],
            "responses": _responses(_ok(200, "Host", "The host"), 404)}},
        "/v1/quotas/{project_id}": {
            "get": {"summary": "A project's limits (-1 unlimited); with usages=True "
                               "each is {limit, in_use} (admin or the project).",
                    "parameters": [_ref("parameters", "ProjectId"),
                                   _bool("usages", "Show what the project holds too.")],
                    "responses": _responses(_ok(200, {"oneOf": [
                        _ref("schemas", "QuotaSet"), _ref("schemas", "QuotaUsageSet")]},
                        "Limits"))},
            "put": {"summary": "Set some of a project's limits (admin).",
                    "parameters": [_ref("parameters", "ProjectId")],
                    "requestBody": _body(quotas_ctl.LIMITS_SCHEMA),
                    "responses": _responses(_ok(200, "QuotaSet", "All its limits now"),
                                            415)},
            "delete": {"summary": "Put a project back on the default limits (admin).",
                       "parameters": [_ref("parameters", "ProjectId")],
                       "responses": _responses({"204": {"description": "Reset"}})}},
        "/v1/quotas/{project_id}/defaults": {"get": {
            "summary": "The limits of a project with none of its own.",
            "parameters": [_ref("parameters", "ProjectId")],
            "responses": _responses(_ok(200, "QuotaSet", "Default limits"))}},
        "/v1/quota_classes/{quota_class_name}": {
            "get": {"summary": "A quota class's limits (admin).",
                    "parameters": [_ref("parameters", "QuotaClassName")],
                    "responses": _responses(_ok(200, "QuotaSet", "Limits"))},
            "put": {"summary": "Set some of a quota class's limits (admin).",
                    "parameters": [_ref("parameters", "QuotaClassName")],
                    "requestBody": _body(quotas_ctl.LIMITS_SCHEMA),
                    "responses": _responses(_ok(200, "QuotaSet", "All its limits now"),
                                            415)}},
        "/v1/availability_zones": {"get": {
            "summary": "Zones with an up compute service.",
            "responses": _responses(_ok(200, "AvailabilityZoneList", "Zones"))}},
        **_image_operations(),
        **_registry_operations(),
    }
    ops.update(_container_actions())
    extra_query = {"disable": [_query("disabled_reason", {"type": "string", "maxLength": 255})],
                   "force_down": [_bool("forced_down")]}
    for action in ("enable", "disable", "force_down"):
        ops["/v1/services/%s" % action] = {"put": {
            "summary": "%s a compute service (admin); parameters in the query "
                       "string or the body." % action.replace("_", " ").capitalize(),
            "parameters": svc_query + extra_query.get(action, []),
            "requestBody": _body(_loosen_required(services_ctl.SCHEMAS[action]),
                                 required=False),
            "responses": _responses(_ok(200, "ServiceUpdated", "Updated"), 404, 415)}}
    for resource, issue in unimplemented.RESOURCES.items():
        ops["/v1/%s" % resource] = {"get": {
            "summary": "Not implemented yet (issue: %s): every method, here and "
                       "below, answers 404 naming the feature." % issue,
            "responses": {str(code): _ref("responses", "E%d" % code)
                          for code in (401, 404, 406)}}}
    return ops


def _image_operations() -> dict[str, dict[str, dict[str, Any]]]:
    """``/v1/images`` (zun/api/controllers/images.py)."""
    image = {"type": "object", "properties": {f: {} for f in image_view.FIELDS}}
    listing = {"type": "object", "required": ["images", "next"],
               "properties": {"images": {"type": "array", "items": image},
                              "next": _NSTR}}
    found = {"type": "array", "items": {"type": "object", "properties": {
        f: {} for f in ("id", "name", "tags", "status", "size", "metadata")}}}
    image_id = {"name": "image_id", "in": "path", "required": True,
                "schema": {"type": "string", "format": "uuid"}}
    search_query = [_query("image", {"type": "string", "maxLength": 255},
                           "Part of a repository name (required here)."),
                    _query("image_driver", {"type": "string", "enum": ["docker"]}),
                    _bool("exact_match", "Match the whole repository name.")]
    search = {"summary": "Repositories of the [registry] search_registries "
                         "matching the name, with their tags (a Warning header "
                         "says when none is configured or one failed). "
                         "zunclient's form, /v1/images/<image>/search, "
                         "answers the same.",
              "responses": _responses(_ok(200, found, "Matches"), 400)}
    return {
        "/v1/images": {
            "get": {"summary": "Images of the compute hosts (admin).",
                    "parameters": [_query("host", {"type": "string"}),
                                   _query("status", {"type": "string"})],
                    "responses": _responses(_ok(200, listing, "A page"), 400)},
            "post": {"summary": "Pull an image onto a host (admin); the row is "
                                "Pulling, then Available or Error.",
                     "requestBody": _body(image_schemas.PULL),
                     "responses": _responses(_ok(202, image, "Accepted"), 400, 409,
                                             415)}},
        "/v1/images/{image_id}": {
            "get": {"summary": "One image (admin).", "parameters": [image_id],
                    "responses": _responses(_ok(200, image, "The image"), 404)},
            "delete": {"summary": "Remove an image from its host (admin); 409 "
                                  "while a container there uses it.",
                       "parameters": [image_id],
                       "responses": _responses({"204": {"description": "Removed"}},
                                               404, 409)}},
        "/v1/images/search": {"get": dict(search, parameters=search_query)},
    }


def _registry_operations() -> dict[str, dict[str, dict[str, Any]]]:
    """``/v1/registries`` (zun/api/controllers/registries.py)."""
    fields = list(registry_view.FIELDS) + ["password", "links"]
    properties: dict[str, Any] = {f: {} for f in fields}
    properties["password"] = {"type": "string", "enum": [registry_view.MASK]}
    registry = {"type": "object", "properties": properties}
    one = {"type": "object", "required": ["registry"],
           "properties": {"registry": registry}}
    listing = {"type": "object", "required": ["registries", "next"],
               "properties": {"registries": {"type": "array", "items": registry},
                              "next": _NSTR}}
    ident = {"name": "registry_ident", "in": "path", "required": True,
             "description": "A registry's uuid or name.", "schema": {"type": "string"}}
    return {
        "/v1/registries": {
            "get": {"summary": "The project's private registries (passwords "
                               "shown as ***).",
                    "parameters": [_query(f, {"type": "string"})
                                   for f in ("name", "domain", "username")],
                    "responses": _responses(_ok(200, listing, "A page"), 400)},
            "post": {"summary": "Create a private registry; a password needs "
                                "[registry] key (else 409).",
                     "requestBody": _body(registry_schemas.CREATE),
                     "responses": _responses(_ok(201, one, "Created"), 400, 409,
                                             415)}},
        "/v1/registries/{registry_ident}": {
            "get": {"summary": "One registry.", "parameters": [ident],
                    "responses": _responses(_ok(200, one, "The registry"), 404)},
            "patch": {"summary": "Change a registry.", "parameters": [ident],
                      "requestBody": _body(registry_schemas.UPDATE),
                      "responses": _responses(_ok(200, one, "Updated"), 400, 404,
                                              409, 415)},
            "delete": {"summary": "Delete a registry; 409 while a container "
                                  "names it.", "parameters": [ident],
                       "responses": _responses({"204": {"description": "Deleted"}},
                                               404, 409)}},
    }


def _loosen_required(schema: dict[str, Any]) -> dict[str, Any]:
    """A services body may leave to the query string what it does not carry."""
    out = copy.deepcopy(schema)
    out.pop("required", None)
    return out


def _version_names(version: versions.Version) -> list[str]:
    minors = range(versions.MIN_VERSION.minor, version.minor + 1)
    return (["%s %d.%d" % (versions.SERVICE_TYPE, version.major, m) for m in minors]
            + ["%s latest" % versions.SERVICE_TYPE])


def _history() -> str:
    """The microversion history (versions.HISTORY) as a Markdown list."""
    lines = ["- **%s** %s%s" % (c.version, c.summary, " *Here:* %s" % c.here if c.here else "")
             for c in versions.HISTORY]
    return "\n\nMicroversions:\n\n" + "\n".join(lines)


def document(version: versions.Version = versions.MAX_VERSION) -> dict[str, Any]:
    """The OpenAPI document of the API with request bodies as of ``version``."""
    parameters = copy.deepcopy(_PARAMETERS)
    parameters["ApiVersion"]["schema"]["enum"] = _version_names(version)
    paths: dict[str, Any] = {}
    for path, methods in _operations(version).items():
        paths[path] = {}
        for method, op in methods.items():
            op = copy.deepcopy(op)
            op["operationId"] = _operation_id(method, path)
            if path != "/healthcheck":
                op["parameters"] = [_VERSION_PARAM] + op.get("parameters", [])
            if "requestBody" in op:
                op["responses"]["413"] = _ref("responses", "E413")
            paths[path][method] = op
    _add_links(paths)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "OpenStack Zun API",
            "version": str(version),
            "description": (
                "Containers as a service. Microversions %s to %s are negotiated with "
                "the %s header (or the legacy %s); request bodies here are those of "
                "%s, and a field newer than the requested version is a 400. "
                "Errors are always {\"errors\": [{request_id, code, status, title, "
                "detail, links}]}; a 5xx shows a correlation id, never internals."
                % (versions.MIN_VERSION, versions.MAX_VERSION, versions.HEADER,
                   versions.LEGACY_HEADER, version)) + _history(),
        },
        "servers": [{"url": "/"}],
        "security": [{"keystone": []},
                     {"noauth_user": [], "noauth_project": [], "noauth_roles": []}],
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "parameters": parameters,
            "responses": {"E%d" % code: {
                "description": meaning,
                "content": {JSON: {"schema": _ref("schemas", "Error")}}}
                for code, meaning in sorted(_ERROR_MEANING.items())},
            "securitySchemes": {
                "keystone": {"type": "apiKey", "in": "header", "name": "X-Auth-Token",
                             "description": "A Keystone token ([api]auth_strategy = "
                                            "keystone, the production setting)."},
                "noauth_user": {"type": "apiKey", "in": "header", "name": "X-User-Id",
                                "description": "noauth mode (trials, tests): the caller's "
                                               "user id, trusted as sent."},
                "noauth_project": {"type": "apiKey", "in": "header",
                                   "name": "X-Project-Id",
                                   "description": "noauth mode: the caller's project; "
                                                  "without it the caller is project "
                                                  "'noauth' with the admin role."},
                "noauth_roles": {"type": "apiKey", "in": "header", "name": "X-Roles",
                                 "description": "noauth mode: comma-separated roles, "
                                                "e.g. 'member' or 'admin'."},
            },
        },
    }


def _add_links(paths: dict[str, Any]) -> None:
    """OpenAPI links: the uuid a create answers names the container of every
    operation under it, and an action list names its actions, so that clients
    and stateful fuzzers follow real resources instead of guessing names."""
    item = "/v1/containers/{container_ident}"
    by_uuid = {"container_ident": "$response.body#/uuid"}
    paths["/v1/containers"]["post"]["responses"]["202"]["links"] = {
        op["operationId"]: {"operationId": op["operationId"], "parameters": by_uuid}
        for path, methods in paths.items() if path.startswith(item)
        for op in methods.values()}
    show_action = paths[item + "/container_actions/{request_id}"]["get"]["operationId"]
    paths[item + "/container_actions"]["get"]["responses"]["200"]["links"] = {
        show_action: {"operationId": show_action, "parameters": {
            "container_ident": "$request.path.container_ident",
            "request_id": "$response.body#/containerActions/0/request_id"}}}


def _operation_id(method: str, path: str) -> str:
    words = [w.strip("{}") for w in path.strip("/").replace(".", "_").split("/") if w]
    return "_".join([method] + (words or ["root"]))
