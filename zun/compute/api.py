"""The API side of compute: check, claim, record and send.

Controllers call only this class for anything that touches a host. It owns
the rules that must hold before a message leaves the API: the allowed-status
table, the one-operation-at-a-time claim (a compare-and-set of
``task_state``), scheduling, the container-action record, and turning a
broken message bus into a clear 503 that leaves nothing half-written.
"""
from __future__ import annotations

import logging
from typing import Any

from oslo_utils import uuidutils

from zun.common import exception
from zun.common import states
from zun.common.context import RequestContext
from zun.compute import rpcapi
from zun.container.driver.base import CAPABILITY_FOR_ACTION
from zun.db import api as db_api
from zun.scheduler import scheduler

LOG = logging.getLogger(__name__)


class API:
    """One instance per API process; thread-safe (it holds no request state)."""

    def __init__(self, rpc_client: Any = None) -> None:
        if rpc_client is None:
            from zun.common import rpc
            from zun.conf import CONF
            rpc_client = rpc.MessagingClient(CONF.compute.topic,
                                             CONF.compute.rpc_response_timeout)
        self.rpcapi = rpcapi.ComputeAPI(rpc_client)

    # --- helpers -------------------------------------------------------------
    @staticmethod
    def _check_host(context: RequestContext, container: Any, action: str) -> None:
        """Refuse before sending: no host or a down host (409), or an action
        the host's driver cannot do (400)."""
        if not container.host:
            raise exception.Conflict(
                reason="container %s was never placed on a host (%s); delete it "
                       "and create it again" % (container.uuid,
                                                container.status_reason or "no reason"))
        try:
            service = db_api.service_get(context.elevated(), container.host,
                                         scheduler.COMPUTE_BINARY)
        except exception.NotFound:
            raise exception.ContainerHostNotUp(container=container.uuid,
                                               host=container.host)
        capability = CAPABILITY_FOR_ACTION.get(action)
        if capability and capability not in (service.capabilities or []):
            raise exception.UnsupportedOperation(driver=service.driver,
                                                 operation=capability)
        if not scheduler.service_is_up(service):
            raise exception.ContainerHostNotUp(container=container.uuid,
                                               host=container.host)

    @staticmethod
    def _host_is_up(context: RequestContext, host: str) -> bool:
        try:
            service = db_api.service_get(context.elevated(), host,
                                         scheduler.COMPUTE_BINARY)
        except exception.NotFound:
            return False
        return scheduler.service_is_up(service)

    def _claim(self, context: RequestContext, container: Any, action: str,
               task_state: str) -> Any:
        """Set ``task_state`` iff no task runs and the status allows ``action``.

        The compare-and-set is what makes two racing requests resolve to one
        202 and one 409; the pre-check only gives the loser a precise message.
        """
        allowed = states.allowed_statuses(action)
        expected: dict[str, Any] = {"status": list(allowed)}
        if action != "delete_force":
            expected["task_state"] = None
        try:
            return db_api.container_update(context.elevated(), container.uuid,
                                           {"task_state": task_state},
                                           expected=expected)
        except exception.StaleUpdate:
            current = db_api.container_get_by_uuid(context.elevated(), container.uuid)
            states.check_action_allowed(action, current.uuid, current.status,
                                        current.task_state)
            raise exception.ContainerTaskInFlight(
                action=action, id=container.uuid,
                task_state=current.task_state or "another operation")

    @staticmethod
    def _release(context: RequestContext, uuid: str, task_state: str) -> None:
        try:
            db_api.container_update(context.elevated(), uuid, {"task_state": None},
                                    expected={"task_state": task_state})
        except exception.ZunException:
            LOG.warning("Could not release task %s of %s", task_state, uuid)

    def _send(self, context: RequestContext, container: Any, action: str,
              task_state: str, send: Any) -> None:
        """Record the action and cast; undo the claim if the bus is down."""
        db_api.action_start(context, container.uuid, action)
        try:
            send()
        except exception.ServiceUnavailable:
            self._release(context, container.uuid, task_state)
            db_api.action_finish(context, container.uuid, context.request_id,
                                 message="Error")
            raise

    # --- create / show -------------------------------------------------------
    def container_create(self, context: RequestContext, values: dict[str, Any],
                         run: bool) -> Any:
        values = dict(values)
        values.setdefault("uuid", uuidutils.generate_uuid())
        requested_host = values.pop("host", None)
        zone = values.pop("availability_zone", None)
        hints = values.pop("hints", None)
        # scheduling inputs, not container columns
        for key in ("nets", "registry"):
            values.pop(key, None)
        # Checked again in every insert below, under a lock: an over-quota
        # create is refused (403) and leaves no row, not even an Error one.
        quota = db_api.quota_get(context, values.get("project_id") or context.project_id)
        try:
            row = self._place(context, values, requested_host, zone, hints, quota)
        except exception.NoValidHost as exc:
            values.update(status=states.ERROR, status_reason=str(exc),
                          task_state=None, host=None)
            row = db_api.container_create(context, values, quota=quota)
            db_api.action_start(context, row.uuid, "create")
            db_api.action_finish(context, row.uuid, context.request_id, message="Error")
            return row
        db_api.action_start(context, row.uuid, "create")
        try:
            self.rpcapi.container_create(context, row.host, row.uuid, run)
        except exception.ServiceUnavailable as exc:
            db_api.container_update(
                context.elevated(), row.uuid,
                {"status": states.ERROR, "task_state": None, "status_reason": str(exc)},
                expected={"task_state": states.CONTAINER_CREATING})
            db_api.action_finish(context, row.uuid, context.request_id, message="Error")
            raise
        return row

    @staticmethod
    def _place(context: RequestContext, values: dict[str, Any],
               requested_host: str | None, zone: str | None,
               hints: dict[str, str] | None = None,
               quota: dict[str, int] | None = None) -> Any:
        """Insert the row on the first candidate host whose claim succeeds."""
        full = []
        for candidate in scheduler.candidate_hosts(
                context, "create", requested_host, zone,
                runtime=values.get("runtime"), hints=hints):
            placed = dict(values, status=states.CREATING,
                          task_state=states.CONTAINER_CREATING, host=candidate.host)
            try:
                return db_api.container_create(
                    context, placed, capacity=candidate.limits, quota=quota)
            except exception.HostFull as exc:
                full.append(str(exc))
        raise exception.NoValidHost(reason="; ".join(full))

    def container_show(self, context: RequestContext, container: Any) -> Any:
        """The row as stored: the agent's event sync keeps it current."""
        return container

    # --- state-changing actions ------------------------------------------
    def container_action(self, context: RequestContext, container: Any,
                         action: str, **kwargs: Any) -> None:
        states.check_action_allowed(action, container.uuid, container.status,
                                    container.task_state)
        self._check_host(context, container, action)
        task = states.TASK_FOR_ACTION[action]
        self._claim(context, container, action, task)
        params = {k: v for k, v in kwargs.items() if v is not None}
        self._send(context, container, action, task,
                   lambda: self.rpcapi.container_action(
                       context, container.host, container.uuid, action, **params))

    def container_delete(self, context: RequestContext, container: Any,
                         force: bool = False, stop: bool = False) -> None:
        action = "delete_force" if force else ("delete_after_stop" if stop else "delete")
        states.check_action_allowed(action, container.uuid, container.status,
                                    container.task_state)
        if not container.host or not container.container_id:
            if container.task_state is None or force:
                # never reached a runtime: nothing to clean up on a host
                db_api.container_destroy(context.elevated(), container.uuid)
                return
        if force and not self._host_is_up(context, container.host):
            # The agent is down: forget the container now; when the agent
            # comes back, its reconcile removes the runtime container as an
            # orphan (after [compute] orphan_grace).
            LOG.warning("Force-deleting %s on down host %s: record removed now, "
                        "runtime container cleaned when the agent returns",
                        container.uuid, container.host)
            db_api.container_destroy(context.elevated(), container.uuid)
            return
        self._check_host(context, container, "delete")
        task = states.TASK_FOR_ACTION[action]
        self._claim(context, container, action, task)
        self._send(context, container, "delete", task,
                   lambda: self.rpcapi.container_delete(
                       context, container.host, container.uuid, force, stop))

    def container_rebuild(self, context: RequestContext, container: Any,
                          image: str | None = None) -> None:
        """Recreate the runtime container, optionally from another image."""
        states.check_action_allowed("rebuild", container.uuid, container.status,
                                    container.task_state)
        self._check_host(context, container, "rebuild")
        task = states.CONTAINER_REBUILDING
        self._claim(context, container, "rebuild", task)
        self._send(context, container, "rebuild", task,
                   lambda: self.rpcapi.container_rebuild(
                       context, container.host, container.uuid, image))

    def container_update(self, context: RequestContext, container: Any,
                         patch: dict[str, Any]) -> Any:
        db_values = {k: patch[k] for k in ("name", "auto_heal") if k in patch}
        resize = {k: patch[k] for k in ("cpu", "memory") if k in patch}
        if resize:
            states.check_action_allowed("update", container.uuid, container.status,
                                        container.task_state)
            task = states.CONTAINER_UPDATING
            if container.container_id:
                self._check_host(context, container, "update")
                self._claim(context, container, "update", task)
                db_api.action_start(context, container.uuid, "update")
                try:
                    self.rpcapi.container_update(
                        context, container.host, container.uuid,
                        resize.get("cpu"),
                        str(resize["memory"]) if "memory" in resize else None)
                except exception.ServiceUnavailable:
                    self._release(context, container.uuid, task)
                    raise
            else:
                db_values.update(resize)
                if "memory" in db_values:
                    db_values["memory"] = str(db_values["memory"])
        if db_values:
            db_api.container_update(context.elevated(), container.uuid, db_values)
        return db_api.container_get_by_uuid(context.elevated(), container.uuid)

    def container_rename(self, context: RequestContext, container: Any,
                         name: str) -> Any:
        return self.container_update(context, container, {"name": name})

    # --- reads (calls) -------------------------------------------------------
    @staticmethod
    def _read_status(container: Any, action: str) -> None:
        if container.status not in states.allowed_statuses(action):
            raise exception.InvalidStateException(
                action=action, id=container.uuid, actual_state=container.status)

    def _read(self, context: RequestContext, container: Any, action: str) -> None:
        self._read_status(container, action)
        self._check_host(context, container, action)

    def container_logs(self, context: RequestContext, container: Any,
                       stdout: bool = True, stderr: bool = True,
                       timestamps: bool = False, tail: str = "all",
                       since: str | None = None) -> str:
        if not container.container_id:
            self._read_status(container, "logs")
            return ""
        self._read(context, container, "logs")
        return self.rpcapi.container_logs(
            context, container.host, container.uuid, stdout=stdout, stderr=stderr,
            timestamps=timestamps, tail=tail, since=since)

    def container_exec(self, context: RequestContext, container: Any,
                       command: list[str]) -> dict[str, Any]:
        self._read(context, container, "execute")
        return self.rpcapi.container_exec(context, container.host,
                                           container.uuid, command)

    def container_top(self, context: RequestContext, container: Any,
                      ps_args: str | None = None) -> dict[str, Any]:
        self._read(context, container, "top")
        return self.rpcapi.container_top(context, container.host,
                                         container.uuid, ps_args)

    def container_stats(self, context: RequestContext, container: Any) -> dict[str, Any]:
        self._read(context, container, "stats")
        return self.rpcapi.container_stats(context, container.host, container.uuid)
