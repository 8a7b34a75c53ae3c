"""Negotiate the microversion of each request and advertise the range.

Parsing happens once, here; everything downstream reads the chosen
:class:`zun.api.versions.Version` from the WSGI environ.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from zun.api import versions

if TYPE_CHECKING:
    # sys.exc_info()'s type: what start_response takes as exc_info (PEP 3333)
    from _typeshed import OptExcInfo


class MicroversionMiddleware:
    """Set ``environ[versions.ENVIRON_KEY]``; add version headers to responses.

    A bad header raises NotAcceptable (406), which the error middleware
    formats (with the version headers, echoing the minimum).
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        version = versions.parse_header(versions.requested_header(environ))
        environ[versions.ENVIRON_KEY] = version
        added = versions.response_headers(version)
        names = {name.lower() for name, _ in added}

        def start(status: str, headers: list[tuple[str, str]],
                  exc_info: OptExcInfo | None = None,
                  ) -> Callable[[bytes], object]:
            headers = [(k, v) for k, v in headers if k.lower() not in names]
            return start_response(status, headers + added, exc_info)

        return self.app(environ, start)
