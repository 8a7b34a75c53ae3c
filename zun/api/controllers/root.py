"""``GET /``: version discovery, public, read by zunclient before each command."""
from __future__ import annotations

from typing import Any

import pecan

from zun.api import versions
from zun.api.controllers import v1


def version_document(host_url: str) -> dict[str, Any]:
    return {
        "id": "v1",
        "status": "CURRENT",
        "min_version": str(versions.MIN_VERSION),
        "max_version": str(versions.MAX_VERSION),
        "links": [{"href": "%s/v1/" % host_url.rstrip("/"), "rel": "self"}],
    }


class RootController:
    v1 = v1.V1Controller()

    @pecan.expose("json")
    def index(self) -> dict[str, Any]:
        current = version_document(pecan.request.host_url)
        return {
            "name": "OpenStack Zun API",
            "description": "Zun is an OpenStack project which aims to "
                           "provide containers as a service.",
            "versions": [current],
            "default_version": current,
        }
