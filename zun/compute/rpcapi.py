"""Client side of the compute RPC interface: one method per manager endpoint.

State-changing operations are casts (the API answers 202 and the agent
records the outcome); reads and exec are calls (the API needs the answer).
Bus failures become ``ServiceUnavailable`` so the user sees a 503 with a
clear message, never a 500.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import oslo_messaging as messaging

from zun.common import exception
from zun.common import rpc
from zun.common.context import RequestContext


def _why(exc: Exception) -> str:
    if isinstance(exc, messaging.MessageUndeliverable):
        return "it is not listening (starting, or the message bus just restarted)"
    if isinstance(exc, messaging.MessagingTimeout):
        return "it did not answer in time"
    return "the message bus is unavailable"


def _bus_errors_as_503(func: Callable) -> Callable:
    @functools.wraps(func)
    def wrapper(self: "ComputeAPI", context: RequestContext, host: str,
                *args: Any, **kwargs: Any) -> Any:
        try:
            return func(self, context, host, *args, **kwargs)
        except rpc.BUS_ERRORS as exc:
            raise exception.ServiceUnavailable(
                reason="The compute service on host %s could not be reached: %s; "
                       "try again later." % (host, _why(exc)))
    return wrapper


class ComputeAPI:
    """Sends compute operations to the agent of a given host."""

    def __init__(self, client: Any) -> None:
        self.client = client

    # --- casts -------------------------------------------------------------
    @_bus_errors_as_503
    def container_create(self, context: RequestContext, host: str,
                         uuid: str, run: bool) -> None:
        self.client.cast(context, host, "container_create", uuid=uuid, run=run)

    @_bus_errors_as_503
    def container_action(self, context: RequestContext, host: str,
                         uuid: str, action: str, **kwargs: Any) -> None:
        """start, stop(timeout), reboot(timeout), pause, unpause, kill(signal)."""
        self.client.cast(context, host, "container_action", uuid=uuid,
                         action=action, params=kwargs)

    @_bus_errors_as_503
    def container_delete(self, context: RequestContext, host: str, uuid: str,
                         force: bool, stop: bool) -> None:
        self.client.cast(context, host, "container_delete", uuid=uuid,
                         force=force, stop=stop)

    @_bus_errors_as_503
    def container_rebuild(self, context: RequestContext, host: str, uuid: str,
                          image: str | None) -> None:
        self.client.cast(context, host, "container_rebuild", uuid=uuid, image=image)

    # --- calls -------------------------------------------------------------
    @_bus_errors_as_503
    def container_update(self, context: RequestContext, host: str, uuid: str,
                         cpu: float | None, memory: str | None) -> None:
        self.client.call(context, host, "container_update", uuid=uuid,
                         cpu=cpu, memory=memory)

    @_bus_errors_as_503
    def container_logs(self, context: RequestContext, host: str, uuid: str,
                       **kwargs: Any) -> str:
        return self.client.call(context, host, "container_logs", uuid=uuid, **kwargs)

    @_bus_errors_as_503
    def container_exec(self, context: RequestContext, host: str, uuid: str,
                       command: list[str]) -> dict[str, Any]:
        return self.client.call(context, host, "container_exec", uuid=uuid,
                                command=command)

    @_bus_errors_as_503
    def container_top(self, context: RequestContext, host: str, uuid: str,
                      ps_args: str | None) -> dict[str, Any]:
        return self.client.call(context, host, "container_top", uuid=uuid,
                                ps_args=ps_args)

    @_bus_errors_as_503
    def container_stats(self, context: RequestContext, host: str,
                        uuid: str) -> dict[str, Any]:
        return self.client.call(context, host, "container_stats", uuid=uuid)
