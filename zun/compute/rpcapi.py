"""Client side of the compute RPC interface: one method per manager endpoint.

Which endpoint method serves an action, whether it is a cast (state changes:
the API answers 202 and the agent records the outcome) or a call (reads and
exec: the API needs the answer), and the RPC version the message needs all
come from the action registry (:mod:`zun.common.actions`). Bus failures
become ``ServiceUnavailable`` so the user sees a 503 with a clear message,
never a 500.
"""
from __future__ import annotations

import logging
from typing import Any

import oslo_messaging as messaging

from zun.common import actions, exception, rpc
from zun.common.context import RequestContext

LOG = logging.getLogger(__name__)


def _why(exc: Exception) -> str:
    if isinstance(exc, messaging.MessageUndeliverable):
        return "it is not listening (starting, or the message bus just restarted)"
    if isinstance(exc, messaging.MessagingTimeout):
        return "it did not answer in time"
    return "the message bus is unavailable"


# The agent RPC version that first served image_pull and image_delete
# (actions.RPC_HISTORY).
IMAGE_RPC_VERSION = "1.2"
# container_exec's run and interactive arguments came with the console
# actions (actions.RPC_HISTORY), so they need that agent version.
CONSOLE_RPC_VERSION = actions.get("attach").rpc_version
# The images API's agent methods (not container actions: no registry row).
IMAGE_METHODS = ("image_pull", "image_delete")


class ComputeAPI:
    """Sends compute operations to the agent of a given host."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def _send(self, action: str, context: RequestContext, host: str, /,
              version: str | None = None, **kwargs: Any) -> Any:
        """Cast or call the agent method of ``action`` on ``host``.

        ``version`` overrides the row's RPC version, for an argument newer
        than the method (an older agent still serves the method without it).
        Raises ServiceUnavailable (503) when the bus or the agent cannot be
        reached; a call re-raises what the agent raised.
        """
        row = actions.get(action)
        if not (row.agent_method and row.rpc):
            raise ValueError("action %s is not served by the agent" % action)
        send = self.client.cast if row.rpc == "cast" else self.client.call
        try:
            return send(context, host, row.agent_method,
                        version=version or row.rpc_version, **kwargs)
        except rpc.BUS_ERRORS as exc:
            # members read the 503 (and a create's status_reason): no host name
            LOG.warning("The compute service on host %s could not be reached for "
                        "%s: %s", host, action, exc)
            raise exception.ServiceUnavailable(
                reason="The compute service of the container's host could not be "
                       "reached: %s; try again later." % _why(exc)) from exc

    def _send_image(self, how: str, context: RequestContext, host: str,
                    method: str, **kwargs: Any) -> Any:
        """An images API message (not a container action: no registry row)."""
        send = self.client.cast if how == "cast" else self.client.call
        try:
            return send(context, host, method, version=IMAGE_RPC_VERSION, **kwargs)
        except rpc.BUS_ERRORS as exc:
            LOG.warning("The compute service on host %s could not be reached for "
                        "%s: %s", host, method, exc)
            raise exception.ServiceUnavailable(
                reason="The compute service of host %s could not be reached: %s; "
                       "try again later." % (host, _why(exc))) from exc

    def container_commit(self, context: RequestContext, host: str, uuid: str,
                         image_uuid: str) -> None:
        """Snapshot container ``uuid`` into image row ``image_uuid``."""
        self._send("commit", context, host, uuid=uuid, image_uuid=image_uuid)

    def image_pull(self, context: RequestContext, host: str, uuid: str) -> None:
        self._send_image("cast", context, host, "image_pull", uuid=uuid)

    def image_delete(self, context: RequestContext, host: str, uuid: str) -> None:
        self._send_image("call", context, host, "image_delete", uuid=uuid)

    # --- casts -------------------------------------------------------------
    def container_create(self, context: RequestContext, host: str,
                         uuid: str, run: bool) -> None:
        self._send("create", context, host, uuid=uuid, run=run)

    def container_action(self, context: RequestContext, host: str,
                         uuid: str, action: str, **params: Any) -> None:
        """A generic action (start, stop(timeout), kill(signal), ...)."""
        self._send(action, context, host, uuid=uuid, action=action, params=params)

    def container_delete(self, context: RequestContext, host: str, uuid: str,
                         force: bool, stop: bool) -> None:
        action = "delete_force" if force else ("delete_after_stop" if stop else "delete")
        self._send(action, context, host, uuid=uuid, force=force, stop=stop)

    def container_rebuild(self, context: RequestContext, host: str, uuid: str,
                          image: str | None) -> None:
        self._send("rebuild", context, host, uuid=uuid, image=image)

    # --- calls -------------------------------------------------------------
    def container_update(self, context: RequestContext, host: str, uuid: str,
                         cpu: float | None, memory: str | None) -> None:
        self._send("update", context, host, uuid=uuid, cpu=cpu, memory=memory)

    def container_network_attach(self, context: RequestContext, host: str, uuid: str,
                                 network: str) -> None:
        self._send("network_attach", context, host, uuid=uuid, network=network)

    def container_network_detach(self, context: RequestContext, host: str, uuid: str,
                                 network: str) -> None:
        self._send("network_detach", context, host, uuid=uuid, network=network)

    def container_logs(self, context: RequestContext, host: str, uuid: str,
                       **kwargs: Any) -> str:
        result: str = self._send("logs", context, host, uuid=uuid, **kwargs)
        return result

    def container_exec(self, context: RequestContext, host: str, uuid: str,
                       command: list[str], run: bool = True,
                       interactive: bool = False) -> dict[str, Any]:
        """A plain exec is sent as before 1.3, so an older agent serves it;
        creating an exec for a console (run=False) needs 1.3."""
        if run and not interactive:
            result: dict[str, Any] = self._send("execute", context, host, uuid=uuid,
                                                command=command)
        else:
            result = self._send("execute", context, host, version=CONSOLE_RPC_VERSION,
                                uuid=uuid, command=command, run=run,
                                interactive=interactive)
        return result

    def container_console(self, context: RequestContext, host: str, uuid: str,
                          exec_id: str | None) -> dict[str, Any]:
        """A one-time relay ticket on ``host``: {"host", "port", "ticket"}."""
        result: dict[str, Any] = self._send("attach", context, host, uuid=uuid,
                                            exec_id=exec_id)
        return result

    def container_resize(self, context: RequestContext, host: str, uuid: str,
                         height: int, width: int) -> None:
        self._send("resize", context, host, uuid=uuid, height=height, width=width)

    def container_exec_resize(self, context: RequestContext, host: str, uuid: str,
                              exec_id: str, height: int, width: int) -> None:
        self._send("execute_resize", context, host, uuid=uuid, exec_id=exec_id,
                   height=height, width=width)

    def container_top(self, context: RequestContext, host: str, uuid: str,
                      ps_args: str | None) -> dict[str, Any]:
        result: dict[str, Any] = self._send("top", context, host, uuid=uuid,
                                            ps_args=ps_args)
        return result

    def container_stats(self, context: RequestContext, host: str,
                        uuid: str) -> dict[str, Any]:
        result: dict[str, Any] = self._send("stats", context, host, uuid=uuid)
        return result

    def container_get_archive(self, context: RequestContext, host: str, uuid: str,
                              path: str, max_bytes: int) -> tuple[str, dict[str, Any]]:
        """(tar in base64, stat); JSON carries no bytes, and the reply is a list."""
        data, stat = self._send("get_archive", context, host, uuid=uuid, path=path,
                                max_bytes=max_bytes)
        return data, stat

    def container_put_archive(self, context: RequestContext, host: str, uuid: str,
                              path: str, data: str) -> None:
        """``data``: the tar in base64 (decoded once, on the host)."""
        self._send("put_archive", context, host, uuid=uuid, path=path, data=data)
