"""The agent's calls that answer from the runtime: no task state, no claim.

logs, exec (and exec -it's creation), consoles and tty resizes, top, stats
and cp reach one container's runtime and answer at once; none of them
claims a task state or writes the container's status, so they live apart
from the manager's state changes. :class:`zun.compute.manager.Manager`
inherits them: it is the one RPC endpoint.
"""
from __future__ import annotations

import contextlib
from typing import Any

from zun.common import archive, exception
from zun.common.context import RequestContext
from zun.compute import console as console_mod
from zun.container.driver import base as driver_base
from zun.db.models import Container


class RuntimeCalls:
    """Mixed into the Manager, whose bookkeeping (``_load``, ``_event``) they use."""

    driver: driver_base.ContainerDriver
    # hands the console proxy its one-time tickets (attach, exec -it)
    console: console_mod.ConsoleRelay | None

    def _load(self, context: RequestContext, uuid: str) -> Container:
        raise NotImplementedError

    def _event(self, context: RequestContext, uuid: str,
               name: str) -> contextlib.AbstractContextManager[None]:
        raise NotImplementedError

    def _running_id(self, context: RequestContext, uuid: str) -> str:
        row = self._load(context.elevated(), uuid)
        if not row.container_id:
            raise exception.RuntimeContainerNotFound(container_id=uuid)
        return row.container_id

    def container_logs(self, context: RequestContext, uuid: str, **kwargs: Any) -> str:
        context.update_store()
        return self.driver.logs(self._running_id(context, uuid), **kwargs)

    def container_exec(self, context: RequestContext, uuid: str, command: list[str],
                       run: bool = True, interactive: bool = False) -> dict[str, Any]:
        """Run ``command`` and answer its output; or, with run=False (RPC
        1.3), only create the exec: the proxy starts it through the console
        relay. ``interactive`` matters only then (upstream ignores it too)."""
        context.update_store()
        container_id = self._running_id(context, uuid)
        if not run:
            exec_id = self.driver.exec_create(container_id, command, interactive)
            return {"output": None, "exit_code": None, "exec_id": exec_id,
                    "proxy_url": None}
        output, exit_code = self.driver.execute(container_id, command)
        return {"output": output, "exit_code": exit_code,
                "exec_id": None, "proxy_url": None}

    # --- consoles (RPC 1.3; zun/compute/console.py does the work) ----------------
    def container_console(self, context: RequestContext, uuid: str,
                          exec_id: str | None = None) -> dict[str, Any]:
        """A one-time ticket for the console proxy: {"host", "port", "ticket"}."""
        context.update_store()
        container_id = self._running_id(context, uuid)
        if self.console is None:
            raise exception.ServiceUnavailable(
                reason="The console relay of the container's host is not running.")
        return self.console.offer(container_id, exec_id)

    def container_resize(self, context: RequestContext, uuid: str, height: int,
                         width: int) -> None:
        context.update_store()
        self.driver.resize(self._running_id(context, uuid), height, width)

    def container_exec_resize(self, context: RequestContext, uuid: str, exec_id: str,
                              height: int, width: int) -> None:
        context.update_store()
        self.driver.exec_resize(self._running_id(context, uuid), exec_id, height, width)

    def container_top(self, context: RequestContext, uuid: str,
                      ps_args: str | None) -> dict[str, Any]:
        context.update_store()
        return self.driver.top(self._running_id(context, uuid), ps_args)

    def container_stats(self, context: RequestContext, uuid: str) -> dict[str, Any]:
        context.update_store()
        row = self._load(context.elevated(), uuid)
        if not row.container_id:
            raise exception.RuntimeContainerNotFound(container_id=uuid)
        stats = self.driver.stats(row.container_id)
        stats["CONTAINER"] = row.name or row.uuid  # the user's name, not zun-<uuid>
        return stats

    # --- copy in and out (cp) -------------------------------------------------
    def container_get_archive(self, context: RequestContext, uuid: str, path: str,
                              max_bytes: int) -> tuple[str, dict[str, Any]]:
        """(the tar of ``path``, base64; its stat): at most ``max_bytes`` is
        read from the runtime (ArchiveTooLarge beyond), encoded once for the
        bus (JSON carries no bytes)."""
        context.update_store()
        data, stat = self.driver.get_archive(self._running_id(context, uuid), path,
                                             max_bytes)
        return archive.encode(data), stat

    def container_put_archive(self, context: RequestContext, uuid: str, path: str,
                              data: str) -> None:
        """Decode the tar once, check it (400 for a bad one, before the
        runtime sees it), extract it at ``path``; recorded as an action
        event, since it changes the container's files."""
        context.update_store()
        container_id = self._running_id(context, uuid)
        with self._event(context.elevated(), uuid, "put_archive"):
            raw = archive.decode(data)
            archive.check_tar(raw)
            self.driver.put_archive(container_id, path, raw)
