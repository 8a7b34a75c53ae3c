"""A stand-in for ``zun.compute.api.API`` that records what the API asked.

It writes the rows the real one would (on the real DB layer) so reads after
a write see a plausible container, and it applies the state table so a 409
reaches the API the way the real one raises it. It sends nothing anywhere.
"""
from __future__ import annotations

from typing import Any

from zun.common import actions, exception, states
from zun.compute import console_api
from zun.db import api as db_api


class _FakeConsoleRPC:
    """The agent's console calls, recorded on the fake compute API."""

    def __init__(self, compute: "FakeComputeAPI") -> None:
        self.compute = compute

    def container_exec(self, context, host, uuid, command, run=True, interactive=False):
        self.compute._record("rpc_container_exec", uuid, command, run=run,
                             interactive=interactive)
        if run:
            return dict(self.compute.exec_result, exec_id=None, proxy_url=None)
        return {"output": None, "exit_code": None, "exec_id": "exec-1", "proxy_url": None}

    def container_resize(self, context, host, uuid, height, width):
        self.compute._record("rpc_container_resize", uuid, height, width)

    def container_exec_resize(self, context, host, uuid, exec_id, height, width):
        self.compute._record("rpc_container_exec_resize", uuid, exec_id, height, width)

    def container_console(self, context, host, uuid, exec_id):
        self.compute._record("rpc_container_console", uuid, exec_id)
        return {"host": "127.0.0.1", "port": 1, "ticket": "t"}


class FakeComputeAPI:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple, dict]] = []
        self.exec_result = {"output": "hello\n", "exit_code": 0}
        self.logs_result = "line1\nline2\n"
        self.top_result = {"Titles": ["PID", "CMD"], "Processes": [["1", "sh"]]}
        self.stats_result = {"CONTAINER": "x", "CPU %": 0.5}
        self.raise_on: dict[str, Exception] = {}
        # the real console API (tokens in the test DB) over a fake agent
        self.consoles = console_api.ConsoleAPI(
            _FakeConsoleRPC(self),  # type: ignore[arg-type]
            lambda context, container, action: container.host, self._read)

    @staticmethod
    def _read(context, container, action):
        """The real compute API's status check, with no host to look up."""
        actions.check_allowed(action, container.uuid, container.status,
                              container.task_state)
        return container.host

    def _record(self, name: str, *args: Any, **kwargs: Any) -> None:
        self.calls.append((name, args, kwargs))
        if name in self.raise_on:
            raise self.raise_on[name]

    def names(self) -> list[str]:
        return [name for name, _, _ in self.calls]

    def last(self, name: str) -> tuple[tuple, dict]:
        for called, args, kwargs in reversed(self.calls):
            if called == name:
                return args, kwargs
        raise AssertionError("%s was never called; calls: %s" % (name, self.names()))

    # --- the compute API contract -------------------------------------------
    def container_create(self, context, values, run):
        self._record("container_create", context, dict(values), run=run)
        values = dict(values)
        values.pop("host", None)               # scheduling inputs, as the
        values.pop("availability_zone", None)  # real compute API does
        values.pop("hints", None)
        values.update(status=states.CREATING, task_state=states.CONTAINER_CREATING)
        row = db_api.container_create(context, values)
        db_api.action_start(context, row.uuid, "create")
        return row

    def container_show(self, context, container):
        self._record("container_show", context, container)
        return container

    def container_action(self, context, container, action, **kwargs):
        self._record("container_action", context, container, action, **kwargs)
        actions.check_allowed(action, container.uuid, container.status,
                              container.task_state)
        db_api.container_update(context.elevated(), container.uuid,
                                {"task_state": actions.get(action).task_state},
                                expected={"task_state": None})

    def container_rebuild(self, context, container, image=None):
        self._record("container_rebuild", context, container, image=image)
        actions.check_allowed("rebuild", container.uuid, container.status,
                              container.task_state)

    def container_delete(self, context, container, force=False, stop=False):
        self._record("container_delete", context, container, force=force, stop=stop)
        action = "delete_force" if force else ("delete_after_stop" if stop else "delete")
        actions.check_allowed(action, container.uuid, container.status,
                              container.task_state)
        db_api.container_destroy(context.elevated(), container.uuid)

    def container_update(self, context, container, patch):
        self._record("container_update", context, container, dict(patch))
        return db_api.container_update(context.elevated(), container.uuid, patch)

    def container_rename(self, context, container, name):
        self._record("container_rename", context, container, name)
        return db_api.container_update(context.elevated(), container.uuid,
                                       {"name": name})

    def container_logs(self, context, container, stdout=True, stderr=True,
                       timestamps=False, tail="all", since=None):
        self._record("container_logs", context, container, stdout=stdout,
                     stderr=stderr, timestamps=timestamps, tail=tail, since=since)
        return self.logs_result

    def container_exec(self, context, container, command):
        self._record("container_exec", context, container, list(command))
        if container.status != states.RUNNING:
            raise exception.InvalidStateException(
                action="execute", id=container.uuid, actual_state=container.status)
        return dict(self.exec_result)

    def container_top(self, context, container, ps_args=None):
        self._record("container_top", context, container, ps_args=ps_args)
        return self.top_result

    def container_network_attach(self, context, container, network):
        self._record("container_network_attach", context, container, network)
        actions.check_allowed("network_attach", container.uuid, container.status,
                              container.task_state)
        return container

    def container_network_detach(self, context, container, network):
        self._record("container_network_detach", context, container, network)
        actions.check_allowed("network_detach", container.uuid, container.status,
                              container.task_state)

    def container_stats(self, context, container):
        self._record("container_stats", context, container)
        return self.stats_result

    # copy in and out: the archive as the agent answers it (base64)
    archive_result = ("", {"name": "f", "size": 0, "mode": 420, "mtime": "",
                           "linkTarget": ""})

    def container_get_archive(self, context, container, path, max_bytes):
        self._record("container_get_archive", context, container, path, max_bytes)
        actions.check_allowed("get_archive", container.uuid, container.status,
                              container.task_state)
        return self.archive_result

    def container_put_archive(self, context, container, path, data):
        self._record("container_put_archive", context, container, path, data)
        actions.check_allowed("put_archive", container.uuid, container.status,
                              container.task_state)
