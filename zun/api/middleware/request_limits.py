"""Refuse what no endpoint can take before anything reads the request.

Pecan parses a JSON body itself (to route and to pass its keys as keyword
arguments) before any controller runs, so the size limit and the nesting
bound must hold here, in front of it: a body over ``[api]
max_request_body_size`` is 413 (a declared Content-Length unread, a body of
unknown length read one byte past the limit); a JSON body nesting deeper
than :data:`MAX_DEPTH` is 400. The body is then handed on from memory.
A path or query parameter holding a NUL character (which no identifier or
filter has, and PostgreSQL cannot even compare) is 400 too; bodies are
checked for NUL where they are read (zun.api.schemas.validation).
"""
from __future__ import annotations

import json
from typing import Any, Iterable
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

import webob

from zun.api.schemas import validation
from zun.common import archive, exception
from zun.conf import CONF

# No request body of this API nests deeper than a few levels (a create's
# mounts are three); the bound keeps every later walk of a body shallow.
MAX_DEPTH = 32
# Where the parsed JSON body waits for zun.api.utils.json_body (parsed once).
ENVIRON_KEY = "zun.json_body"


def is_json(content_type: str | None) -> bool:
    content_type = (content_type or "").lower()
    return content_type == "application/json" or content_type.endswith("+json")


def too_deep() -> exception.ValidationError:
    return exception.ValidationError(
        detail="The request body nests too deeply (more than %d levels of "
        "arrays and objects)." % MAX_DEPTH)


def parse_json(raw: bytes) -> Any:
    """The JSON value of ``raw``; 400 if it does not parse or nests too deeply."""
    try:
        return _load(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise exception.ValidationError(detail="The request body is not "
                                        "valid JSON: %s" % exc) from None


def _load(raw: bytes) -> Any:
    """Like json.loads, but 400 (not RecursionError) for a too deep value."""
    try:
        body = json.loads(raw.decode("utf-8"))
    except RecursionError:
        # deeper than the parser itself goes
        raise too_deep() from None
    if deeper_than(body, MAX_DEPTH):
        raise too_deep()
    return body


def deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays/objects nest more than ``limit`` deep (no recursion)."""
    level = [value]
    for _ in range(limit):
        level = [child for item in level if isinstance(item, (dict, list))
                 for child in (item.values() if isinstance(item, dict) else item)]
        if not any(isinstance(item, (dict, list)) for item in level):
            return False
    return any(isinstance(item, (dict, list)) for item in level)


def _too_large(request: webob.Request, limit: int) -> exception.RequestEntityTooLarge:
    if _is_archive_upload(request):
        return archive.too_large_body(limit, CONF.api.max_archive_size)
    return exception.RequestEntityTooLarge(limit=limit)


def body_limit(request: webob.Request) -> int:
    """``[api] max_request_body_size``; for put_archive (zun cp), at least
    what an archive of ``[api] max_archive_size`` takes in base64."""
    limit: int = CONF.api.max_request_body_size
    if _is_archive_upload(request):
        limit = max(limit, archive.body_limit(CONF.api.max_archive_size))
    return limit


def read_body(request: webob.Request) -> bytes:
    """The body, never more than the configured limit of it (else 413)."""
    limit = body_limit(request)
    length = request.content_length
    if length is not None and length > limit:
        raise _too_large(request, limit)
    if not request.is_body_readable:
        return b""
    raw: bytes = request.body_file.read(limit + 1)
    if len(raw) > limit:
        raise _too_large(request, limit)
    request.body = raw      # from memory from now on, with its length
    return raw


class RequestLimitsMiddleware:
    """Refuse oversized or too deeply nested bodies before Pecan reads them,
    and paths or query parameters holding a NUL character.

    Raises; the error middleware (outside this one) writes the error body.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        if "\x00" in environ.get("PATH_INFO", ""):
            raise validation.invalid_field(
                "path", environ["PATH_INFO"].replace("\x00", "\\x00")[:128],
                validation.NUL_REASON)
        request = webob.Request(environ)
        query = environ.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            for key, value in request.GET.items():
                if "\x00" in key or "\x00" in value:
                    raise validation.invalid_field(
                        "query parameter '%s'" % key.replace("\x00", "\\x00")[:64],
                        value.replace("\x00", "\\x00")[:64], validation.NUL_REASON)
        raw = read_body(request)
        if raw and is_json(request.content_type):
            try:
                environ[ENVIRON_KEY] = _load(raw)
            except (ValueError, UnicodeDecodeError):
                # refused by json_body where an endpoint reads the body
                # (Pecan itself shrugs off a body that does not parse); one
                # that nests too deeply would break Pecan, so it ends above
                pass
            else:
                if _is_archive_upload(request):
                    # An archive is held once, parsed: with the raw body
                    # dropped, Pecan parses no second copy of it.
                    request.body = raw = b""
        return self.app(environ, start_response)


def _is_archive_upload(request: webob.Request) -> bool:
    return (request.method == "POST"
            and request.path_info.rstrip("/").endswith("/put_archive"))
