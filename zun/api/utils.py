"""Request helpers shared by controllers: context, version, query and body.

Clients send optional query values as the literal string ``None`` and
booleans as ``str(bool)``; reading them in one place keeps every endpoint
equally tolerant and equally strict.
"""
from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Protocol, Sequence
from urllib.parse import urlencode

import pecan
import webob

from zun.api import versions
from zun.api.middleware import request_limits
from zun.api.schemas import validation
from zun.common import exception, policy, timeutils
from zun.common.context import RequestContext
from zun.conf import CONF

if TYPE_CHECKING:
    # as in zun.api.hooks: the compute API is built on first use, not imported
    from zun.compute.api import API as ComputeAPI

_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")
# The latest epoch second ISO 8601 can write (9999-12-31T23:59:59Z).


# pecan.request is untyped (Any): the typed locals below name what the
# hooks (zun.api.hooks) and the microversion middleware put there.

def context() -> RequestContext:
    ctx: RequestContext = pecan.request.context
    return ctx


def api_version() -> versions.Version:
    version: versions.Version = pecan.request.environ[versions.ENVIRON_KEY]
    return version


def compute_api() -> ComputeAPI:
    api: ComputeAPI = pecan.request.compute_api_getter()
    return api


def query() -> Mapping[str, str]:
    """The query string (only the last value of a repeated key)."""
    # a webob MultiDict, whose get() and [] answer the last value
    params: Mapping[str, str] = pecan.request.GET
    return params


def query_value(name: str, default: Any = None) -> Any:
    """A query value, with absent, empty and the literal 'None' all meaning unset."""
    value = query().get(name)
    if value is None or value == "None":
        return default
    return value  # a NUL was refused by zun.api.middleware.request_limits


def query_bool(name: str, default: bool = False) -> bool:
    value = query_value(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise exception.InvalidValue(value=value, field="query parameter '%s' "
                                 "(expected True or False)" % name)


def query_int(name: str, default: int | None = None, minimum: int = 0) -> int | None:
    value = query_value(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise exception.InvalidValue(
            value=value, field="query parameter '%s' (expected an integer "
            ">= %d)" % (name, minimum))
    return number


def query_since(name: str = "since") -> str | None:
    """A point in time: epoch seconds or an ISO 8601 / RFC 3339 time.

    Checked here so a value the runtime cannot take is a 400 naming it
    before any host is asked; returned as given (the driver converts it).
    """
    value: str | None = query_value(name)
    if value is None or value == "":
        return None
    text: str = value.strip()
    try:
        timeutils.epoch_seconds(text)
    except ValueError:
        raise validation.invalid_field(
            "query parameter '%s'" % name, value[:64],
            "Expected epoch seconds (0 to %d) or an ISO 8601 time such as "
            "2024-01-31T12:00:00Z." % timeutils.MAX_EPOCH) from None
    return text


def check_query_keys(allowed: Iterable[str]) -> None:
    unknown = sorted(set(query().keys()) - set(allowed))
    if unknown:
        raise exception.Invalid(reason="unknown query parameter(s): %s"
                                % ", ".join(unknown))


def json_body(required: bool = True) -> dict[str, Any]:
    """The request body as a JSON object.

    A body over ``[api] max_request_body_size`` is 413; a non-JSON content
    type is 415; a body that does not parse, nests too deeply, or is not an
    object, is 400. With ``required`` False an empty body is ``{}``.
    """
    request = pecan.request
    # bounded already by the body middleware; read again through the same
    # bound for a caller without it
    raw = request_limits.read_body(request)
    if not raw and not required:
        return {}
    if not request_limits.is_json(request.content_type):
        raise exception.UnsupportedMediaType(
            content_type=(request.content_type or "").lower() or "none")
    if request_limits.ENVIRON_KEY in request.environ:
        body = request.environ[request_limits.ENVIRON_KEY]
    else:
        body = request_limits.parse_json(raw)
    if not isinstance(body, dict):
        raise exception.ValidationError(detail="The request body must be a "
                                        "JSON object.")
    return body


def split_command(command: str, field: str = "command") -> list[str]:
    """Split a shell-quoted command string (``"echo" "a b"``) into words."""
    try:
        return shlex.split(command)
    except ValueError as exc:
        raise validation.invalid_field(field, command, str(exc)) from None


def set_all_projects(ctx: RequestContext, rule: str) -> None:
    """Honour ``?all_projects``: admin-only by ``rule``, then lift scoping."""
    if query_bool("all_projects"):
        policy.authorize(ctx, rule)
        ctx.all_projects = ctx.is_admin


def empty_response(status: int) -> webob.Response:
    """A bodiless answer with no Content-Type (zunclient then reads no body)."""
    response = webob.Response(status=status)
    response.headers.pop("Content-Type", None)
    response.headers["Content-Length"] = "0"
    return response


class _Identified(Protocol):
    """A row addressed by uuid (a container, a host): what a marker names."""

    @property
    def uuid(self) -> str: ...


def query_filters(names: Iterable[str]) -> dict[str, str]:
    """The list filters among ``names`` that the query sets."""
    return {k: v for k in names if (v := query_value(k)) is not None}


def page(list_rows: Callable[..., list[Any]], filters: dict[str, Any],
         not_found: type[Exception], what: str) -> tuple[list[Any], int]:
    """One page of a collection as the query asks (``limit`` capped by
    ``[api] max_limit``, ``marker``, ``sort_key``, ``sort_dir``), and the
    limit applied; an unknown marker is a 400 naming ``what``. The DB layer
    says which columns sort (400 for others)."""
    limit = min(query_int("limit", minimum=1) or CONF.api.max_limit,
                CONF.api.max_limit)
    marker = query_value("marker")
    try:
        rows = list_rows(filters=filters, limit=limit, marker=marker,
                         sort_key=query_value("sort_key", "id"),
                         sort_dir=query_value("sort_dir", "asc"))
    except not_found:
        raise exception.InvalidValue(value=marker,
                                     field="marker (no such %s)" % what) from None
    return rows, limit


def next_page_url(collection: str, rows: Sequence[_Identified],
                  limit: int) -> str | None:
    """Where the next page of ``/v1/<collection>`` starts (None on the last).

    Every other query parameter of the request is kept.
    """
    if not rows or len(rows) < limit:
        return None
    params = [(k, v) for k, v in pecan.request.GET.items()
              if k not in ("limit", "marker")]
    params += [("limit", str(limit)), ("marker", rows[-1].uuid)]
    return "%s/v1/%s?%s" % (pecan.request.host_url.rstrip("/"), collection,
                            urlencode(params))
