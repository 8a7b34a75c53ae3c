"""Negotiate the microversion of each request and advertise the range.

Parsing happens once, here; everything downstream reads the chosen
:class:`zun.api.versions.Version` from the WSGI environ.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from zun.api import versions


class MicroversionMiddleware:
    """Set ``environ[versions.ENVIRON_KEY]``; add version headers to responses.

    A bad header raises NotAcceptable (406), which the error middleware
    formats (with the version headers, echoing the minimum).
    """

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        version = versions.parse_header(versions.requested_header(environ))
        environ[versions.ENVIRON_KEY] = version
        added = versions.response_headers(version)
        names = {name.lower() for name, _ in added}

        def start(status: str, headers: list, exc_info: Any = None) -> Callable:
            headers = [(k, v) for k, v in headers if k.lower() not in names]
            return start_response(status, headers + added, exc_info)

        return self.app(environ, start)
