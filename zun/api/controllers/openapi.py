"""``GET /v1/openapi.json``: the API's own description, public like ``/v1``.

It documents only what any reader of the source or the api-ref could learn,
so it needs no token; it is built once per process (it depends on code, not
on requests or configuration).
"""
from __future__ import annotations

import functools
from typing import Any

import pecan

from zun.api import openapi


@functools.lru_cache(maxsize=1)
def _document() -> dict[str, Any]:
    return openapi.document()


class OpenAPIController:

    @pecan.expose("json")
    def index(self) -> dict[str, Any]:
        return _document()
