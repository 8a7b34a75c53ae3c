"""Turn every failure into the upstream error body.

Whatever fails — a ZunException from a controller, a routing 404/405 from
Pecan, a 401 from keystonemiddleware, a bug — the client gets one JSON shape
it knows how to print (zunclient reads ``errors[0].title``). Messages of
unexpected failures may hold internals, so 5xx bodies carry a correlation id
to find the logged traceback instead (503 excepted: its message only says
which dependency is away).

The body's ``code`` is ``container.<suffix>``: a ZunException's own
``error_code`` (declared on its class, never derived from the class name),
or, for an error with no ZunException behind it, the snake-cased HTTP
reason phrase (``not_found``, ``method_not_allowed``, ``unauthorized``).
"""
from __future__ import annotations

import logging
import re
from typing import Any, Callable, Iterable
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

import webob.exc
from oslo_middleware import request_id as request_id_mw

from zun.api import versions
from zun.common import error_body, exception

LOG = logging.getLogger(__name__)

_JSON = "application/json"

# A middleware that answers an error itself may leave its message here: the
# body's detail then says what it said, not the status's generic text.
DETAIL_ENVIRON_KEY = "zun.error_detail"


_reason = error_body.reason


def status_error_code(status: int) -> str:
    """The code suffix of an error that is only an HTTP status: 405 ->
    ``method_not_allowed``."""
    words = _reason(status).title().replace(" ", "")
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", words).lower()


class ErrorBodyMiddleware:
    """Format error responses and exceptions as ``{"errors": [...]}``."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        captured: dict[str, Any] = {}
        written: list[bytes] = []

        def capture(status: str, headers: list[tuple[str, str]],
                    exc_info: Any = None) -> Callable[[bytes], object]:
            captured["status"] = status
            captured["headers"] = headers
            return written.append

        try:
            result = self.app(environ, capture)
            try:
                body = b"".join(written) + b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except Exception as exc:  # every failure must become a JSON body
            status, code, message = self._describe(environ, exc)
            headers = versions.response_headers(environ.get(versions.ENVIRON_KEY))
            if isinstance(exc, webob.exc.WSGIHTTPException):
                headers += [(k, v) for k, v in exc.headers.items()
                            if k.lower() in ("allow", "www-authenticate")]
            return self._respond(environ, start_response, status, code,
                                 message, headers)

        status_code = int(captured["status"].split(" ", 1)[0])
        if status_code < 400:
            start_response(captured["status"], captured["headers"])
            return [body]
        # An error Pecan or an auth middleware produced itself: keep its
        # meaningful headers, replace its body.
        keep = [(k, v) for k, v in captured["headers"]
                if k.lower() not in ("content-type", "content-length")]
        present = {k.lower() for k, _ in keep}
        keep += [(k, v) for k, v in versions.response_headers(
            environ.get(versions.ENVIRON_KEY)) if k.lower() not in present]
        message = (environ.get(DETAIL_ENVIRON_KEY)
                   or self._routing_message(status_code, environ))
        return self._respond(environ, start_response, status_code,
                             status_error_code(status_code), message, keep)

    @staticmethod
    def _routing_message(status: int, environ: WSGIEnvironment) -> str:
        if status == 405:
            return ("Method %s is not allowed for this resource."
                    % environ.get("REQUEST_METHOD"))
        if status == 406:
            return ("This resource can only answer with application/json; "
                    "the Accept header %r does not allow it."
                    % environ.get("HTTP_ACCEPT", ""))
        cls = webob.exc.status_map.get(status)
        explanation = cls.__dict__.get("explanation", "") if cls else ""
        if explanation and "%" not in explanation:
            return explanation
        return _reason(status)

    def _describe(self, environ: WSGIEnvironment, exc: Exception) -> tuple[int, str, str]:
        """Status, code suffix and user-safe message for an exception."""
        if isinstance(exc, exception.ZunException):
            # .message, not str(): oslo.messaging's copy of a remote failure
            # appends the remote traceback to str()
            status, code, message = exc.code, exc.error_code, exc.message
        elif isinstance(exc, webob.exc.WSGIHTTPException):
            status = exc.code
            code = status_error_code(status)
            message = exc.detail or self._routing_message(status, environ)
        else:
            status, code, message = 500, "internal_server_error", ""
        if status >= 500 and status != 503:
            correlation_id = environ.get(request_id_mw.ENV_REQUEST_ID, "")
            LOG.error("Request %s failed with %s (correlation id %s)",
                      environ.get("PATH_INFO"), type(exc).__name__,
                      correlation_id, exc_info=exc)
            message = ("The server could not complete the request. Quote "
                       "correlation id %s when reporting this." % correlation_id)
        else:
            LOG.info("Request %s answered %s: %s", environ.get("PATH_INFO"),
                     status, message)
        return status, code, message

    @staticmethod
    def _respond(environ: WSGIEnvironment, start_response: StartResponse, status: int,
                 code: str, message: str, headers: list[tuple[str, str]]) -> list[bytes]:
        body = error_body.encode(status, code, message,
                                 environ.get(request_id_mw.ENV_REQUEST_ID, ""))
        headers = list(headers) + [("Content-Type", _JSON),
                                   ("Content-Length", str(len(body)))]
        start_response("%d %s" % (status, _reason(status)), headers)
        if environ.get("REQUEST_METHOD") == "HEAD":
            return [b""]
        return [body]
