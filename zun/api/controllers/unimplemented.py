"""Top-level resources of the upstream v1 API that this zun does not serve yet.

Each answers every method and every sub-path with a 404 whose title names
the missing feature (zunclient prints it: ``zun image-list`` then says what
is missing instead of a bare "resource could not be found"). A 404 rather
than a 501: the resource really is absent here, and a 5xx would read as a
server fault and invite retries.

This table is the one place listing them: ``v1`` mounts a controller per
row and the OpenAPI document describes each row. It lives apart from
``v1`` because the OpenAPI module reads it, and ``v1`` imports the OpenAPI
controller.
"""
from __future__ import annotations

from typing import Any, NoReturn

import pecan

from zun.common import exception

# path segment under /v1 -> the issue (work item) that brings it
RESOURCES: dict[str, str] = {
    "capsules": "capsules",
    # upstream's networks wrap Neutron networks (admin, kuryr)
    "networks": "it needs Neutron; each project has its own network on every "
                "host instead, made on first use: docs/networking.rst",
}


def error(resource: str) -> exception.FeatureNotImplemented:
    """The answer to any request under ``/v1/<resource>``."""
    return exception.FeatureNotImplemented(
        feature="The %s API (/v1/%s)" % (resource, resource),
        issue=RESOURCES[resource])


class NotImplementedController:
    """Answers ``/v1/<resource>`` and everything below it, whatever the method."""

    def __init__(self, resource: str) -> None:
        self.resource = resource

    @pecan.expose("json")
    def index(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise error(self.resource)

    @pecan.expose("json")
    def _default(self, *remainder: Any, **kwargs: Any) -> NoReturn:
        raise error(self.resource)
