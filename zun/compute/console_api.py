"""The API side of consoles (attach, exec -it): tokens out, relays in.

The API hands a caller a websocket URL holding a single-use token
(:mod:`zun.common.console_token`); the console proxy consumes it and asks
the container's agent, over RPC, for a one-time relay to the engine. So the
engine stays on its unix socket and every console passes two checks: the
API's (policy, status, interactive, capability, rate) when the URL is made
and the proxy's (token, origin, status again) when it is used. See
docs/interactive.rst.
"""
from __future__ import annotations

from typing import Any, Callable

from zun.common import console_token, exception, states
from zun.common.context import RequestContext
from zun.compute import rpcapi
from zun.conf import CONF
from zun.db import api as db_api
from zun.db import models

# compute.api.API's checks, (context, container, action) -> host: _check_host
# (the host may take the action now) and _read (also the container's status)
CheckHost = Callable[[RequestContext, models.Container, str], str]


class ConsoleAPI:
    """Thread-safe; shares the compute API's RPC client and host checks."""

    def __init__(self, rpc: rpcapi.ComputeAPI, check_host: CheckHost,
                 read: CheckHost) -> None:
        self.rpcapi = rpc
        self._check_host = check_host
        self._host = read

    @staticmethod
    def _issue(context: RequestContext, container: models.Container, kind: str,
               exec_id: str | None = None) -> str:
        conf = CONF.websocket_proxy
        token = console_token.new()
        db_api.console_token_create(context, token, container.uuid, kind, exec_id,
                                    conf.token_ttl, conf.tokens_per_minute)
        return console_token.url(conf.base_url, token, container.uuid, exec_id)

    # --- what the API serves ----------------------------------------------------
    def attach(self, context: RequestContext, container: models.Container) -> str:
        """The websocket URL of the container's console (its tty)."""
        self._host(context, container, "attach")
        if not container.interactive:
            raise exception.ContainerNotInteractive(container=container.uuid)
        return self._issue(context, container, console_token.KIND_ATTACH)

    def execute(self, context: RequestContext, container: models.Container,
                command: list[str], run: bool, interactive: bool) -> dict[str, Any]:
        """An exec created on the host and, unless ``run``, its console URL.

        With ``run`` the command runs at once and its output is the answer
        (``interactive`` then changes nothing, as upstream); without, the
        exec waits for the proxy to start it when the client connects.
        """
        host = self._host(context, container, "execute")
        self._check_host(context, container, "attach")   # a 1.3 agent with consoles
        result = dict(self.rpcapi.container_exec(context, host, container.uuid, command,
                                                 run=run, interactive=interactive))
        if not run:
            result["proxy_url"] = self._issue(context, container, console_token.KIND_EXEC,
                                              result["exec_id"])
        return result

    def resize(self, context: RequestContext, container: models.Container,
               height: int, width: int) -> None:
        host = self._host(context, container, "resize")
        self.rpcapi.container_resize(context, host, container.uuid, height, width)

    def exec_resize(self, context: RequestContext, container: models.Container,
                    exec_id: str, height: int, width: int) -> None:
        host = self._host(context, container, "execute_resize")
        self.rpcapi.container_exec_resize(context, host, container.uuid, exec_id,
                                          height, width)

    # --- what the console proxy asks ----------------------------------------------
    @staticmethod
    def consume_token(token: str, container_uuid: str,
                      exec_id: str | None) -> models.ConsoleToken:
        """The token's row, now used (ConsoleTokenInvalid, 403, otherwise)."""
        kind = console_token.KIND_EXEC if exec_id else console_token.KIND_ATTACH
        return db_api.console_token_consume(token, container_uuid, kind, exec_id)

    def relay(self, token: models.ConsoleToken) -> dict[str, Any]:
        """{"host", "port", "ticket"}: the agent's one-time relay for ``token``.

        Looked up as the token's project, so a token can only ever open a
        container of the project it was issued to; the container must still
        be running on an up host that serves consoles.
        """
        context = RequestContext(user_id=token.user_id, project_id=token.project_id,
                                 roles=["member"])
        try:
            container = db_api.container_get_by_uuid(context, token.container_uuid)
        except exception.ContainerNotFound:
            raise exception.ConsoleTokenInvalid() from None
        if container.status != states.RUNNING:
            raise exception.InvalidStateException(action="attach", id=container.uuid,
                                                  actual_state=container.status)
        host = self._check_host(context, container, "attach")
        return self.rpcapi.container_console(context, host, container.uuid, token.exec_id)
