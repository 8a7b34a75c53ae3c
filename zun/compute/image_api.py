"""The API side of the images API (/v1/images): which host, then send.

Image pulls and deletes name their host (no scheduling); the checks a host
must pass differ from a container's (it need not hold any container), so
they live here, beside the messages they guard.
"""
from __future__ import annotations

import contextlib

from zun.common import actions, exception
from zun.common.context import RequestContext
from zun.compute import rpcapi
from zun.db import api as db_api
from zun.db.api import images as image_rows
from zun.scheduler import scheduler


def never_sent(context: RequestContext, uuid: str,
               exc: exception.ServiceUnavailable) -> None:
    """Image row ``uuid`` ends in Error with the bus's reason: its pull or
    commit never reached the agent, so nobody else would ever finish it."""
    with contextlib.suppress(exception.ZunException):
        db_api.image_update(context, uuid, {"status": image_rows.ERROR,
                                            "status_reason": str(exc)})


class ImageAPI:
    """Thread-safe; shares the compute API's RPC client."""

    def __init__(self, rpc: rpcapi.ComputeAPI) -> None:
        self.rpcapi = rpc

    @staticmethod
    def host(context: RequestContext, host: str) -> str:
        """``host`` if an image operation may be sent there now.

        A host with no compute service is a bad value (400 naming ``host``);
        a down host or an agent older than the images API is a 409; a driver
        without images (rkt) a 400.
        """
        try:
            service = db_api.service_get(context.elevated(), host,
                                         scheduler.COMPUTE_BINARY)
        except exception.NotFound:
            raise exception.invalid_field(
                "host", host, "No compute service runs on this host; "
                              "GET /v1/hosts lists them.") from None
        if "image" not in (service.capabilities or []):
            raise exception.UnsupportedOperation(driver=service.driver, operation="image")
        served = service.rpc_version or "1.0"
        if actions.version_tuple(served) < actions.version_tuple(rpcapi.IMAGE_RPC_VERSION):
            raise exception.Conflict(
                reason="the compute service of host %s serves RPC API %s, which "
                       "has no images API (it needs %s); upgrade it first"
                       % (host, served, rpcapi.IMAGE_RPC_VERSION))
        if not scheduler.service_is_up(service):
            raise exception.Conflict(reason="the compute service of host %s is down"
                                            % host)
        return host

    def pull(self, context: RequestContext, host: str, uuid: str) -> None:
        """Cast the pull of image row ``uuid`` (already Pulling) to ``host``;
        on a bus failure the row ends in Error and the 503 is raised."""
        try:
            self.rpcapi.image_pull(context, host, uuid)
        except exception.ServiceUnavailable as exc:
            never_sent(context, uuid, exc)
            raise

    def delete(self, context: RequestContext, host: str, uuid: str) -> None:
        """Remove image row ``uuid`` from ``host`` (and the row), waiting for
        the agent's answer."""
        self.rpcapi.image_delete(context, host, uuid)
