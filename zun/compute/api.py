"""The API side of compute: check, claim, record and send.

Controllers call only this class for anything that touches a host. It owns
the rules that must hold before a message leaves the API, each read from the
action's row in :mod:`zun.common.actions`: the allowed statuses, the
one-operation-at-a-time claim (a compare-and-set of ``task_state``), the
host's driver capability and RPC version, scheduling, the container-action
record, and turning a broken message bus into a clear 503 that leaves
nothing half-written.

Errors every public method may raise (each carries its HTTP code):
``InvalidStateException`` / ``ContainerTaskInFlight`` (409: the status or an
operation in flight forbids it), ``Conflict`` (409: never placed on a host,
or the host's agent is too old for the action), ``ContainerHostNotUp`` (409),
``UnsupportedOperation`` (400: the host's driver cannot do it) and
``ServiceUnavailable`` (503: the bus or the agent is unreachable; the claim
is undone). A claim that grows what the container holds (a resize; a
rebuild, start or reboot of an Error row that holds nothing on its host)
may also raise ``OverQuota`` (403) or ``HostFull`` (409), leaving the row
as it was (see docs/quotas.rst). Calls (logs, exec, top, stats, update) also re-raise what the
agent raised (e.g. ``RuntimeContainerNotFound``, 404).
"""
from __future__ import annotations

import logging
from typing import Any, Callable

import oslo_messaging as messaging
from oslo_utils import uuidutils

from zun.common import actions, exception, states
from zun.common.context import RequestContext
from zun.compute import console_api, image_api, rpcapi
from zun.db import api as db_api
from zun.db.models import Container
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
        # attach, exec -it, tty resizes and the console proxy's requests
        self.consoles = console_api.ConsoleAPI(self.rpcapi, self._check_host, self._read)
        # the images API's pulls and deletes on a named host
        self.images = image_api.ImageAPI(self.rpcapi)

    # --- helpers -------------------------------------------------------------
    @staticmethod
    def _check_host(context: RequestContext, container: Container, action: str) -> str:
        """The container's host, if ``action`` may be sent there now.

        Refuses before sending: no host, a down host or an agent too old for
        the action (409), or an action the host's driver cannot do (400).
        """
        row = actions.get(action)
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
                                               host=container.host) from None
        if row.capability and row.capability not in (service.capabilities or []):
            raise exception.UnsupportedOperation(driver=service.driver,
                                                 operation=row.capability)
        served = service.rpc_version or "1.0"
        if actions.version_tuple(served) < actions.version_tuple(row.rpc_version):
            raise exception.Conflict(
                reason="the compute service of this container's host serves RPC "
                       "API %s, which cannot take '%s' (it needs %s); zun-compute "
                       "on that host must be upgraded first"
                       % (served, row.variant_of or action, row.rpc_version))
        if not scheduler.service_is_up(service):
            raise exception.ContainerHostNotUp(container=container.uuid,
                                               host=container.host)
        return container.host

    @staticmethod
    def _host_is_up(context: RequestContext, host: str) -> bool:
        try:
            service = db_api.service_get(context.elevated(), host,
                                         scheduler.COMPUTE_BINARY)
        except exception.NotFound:
            return False
        return scheduler.service_is_up(service)

    @staticmethod
    def _host_limits(context: RequestContext, host: str | None) -> dict[str, float] | None:
        """What may be allocated on ``host`` (None: no inventory reported,
        so no limit, as for a create)."""
        if not host:
            return None
        try:
            node = db_api.compute_node_get(context.elevated(), host)
        except exception.NotFound:
            return None
        return scheduler.limits_of(node)

    def _claim(self, context: RequestContext, container: Container,
               action: str, values: dict[str, Any] | None = None,
               quota: dict[str, int] | None = None,
               check_room: bool = True) -> tuple[Container, dict[str, Any]]:
        """Set the action's task state (and ``values``) iff the status allows
        it and no task runs (unless the action overrides tasks in flight);
        the claimed row and what the written columns held before.

        The compare-and-set is what makes two racing requests resolve to one
        202 and one 409; the pre-check only gives the loser a precise message.
        It runs with the host's capacity (and ``quota``, for new values), so
        a claim that makes the row hold more than before is refused (HostFull,
        OverQuota) exactly as a create would be, in the same transaction.
        ``check_room=False`` for deletes, which only ever give back.

        A row with a runtime container holds its resources on its host, so a
        claim without new values cannot grow them: it expects that runtime
        container instead of reading the host's limits (the common case,
        kept as cheap as a plain compare-and-set).
        """
        row = actions.get(action)
        if not row.task_state or row.allowed is None:
            raise ValueError("%s claims no task state" % action)
        expected: dict[str, Any] = {"status": list(row.allowed)}
        if not row.overrides_task:
            expected["task_state"] = None
        may_grow = check_room and bool(values or not container.container_id)
        if check_room and not may_grow:
            expected["container_id"] = container.container_id
        try:
            return db_api.container_claim(
                context.elevated(), container.uuid,
                dict(values or {}, task_state=row.task_state), expected=expected,
                capacity=self._host_limits(context, container.host) if may_grow
                else None,
                quota=quota)
        except exception.StaleUpdate as lost:
            current = db_api.container_get_by_uuid(context.elevated(), container.uuid)
            actions.check_allowed(action, current.uuid, current.status,
                                  current.task_state)
            raise exception.ContainerTaskInFlight(
                action=row.variant_of or action, id=container.uuid,
                task_state=current.task_state or "another operation") from lost

    @staticmethod
    def _release(context: RequestContext, uuid: str, task_state: str) -> None:
        try:
            db_api.container_update(context.elevated(), uuid, {"task_state": None},
                                    expected={"task_state": task_state})
        except exception.ZunException:
            LOG.warning("Could not release task %s of %s", task_state, uuid)

    def _send(self, context: RequestContext, container: Container, action: str,
              send: Callable[[], Any], intent: dict[str, Any] | None = None) -> Any:
        """Record the action and send; undo the claim if the bus is down.

        ``intent``: what was accepted, kept on the action record so that an
        agent restarted mid-operation can finish it (resumable actions only).
        """
        row = actions.get(action)
        db_api.action_start(context, container.uuid, row.variant_of or action,
                            intent=intent if row.resumable else None)
        try:
            return send()
        except exception.ServiceUnavailable:
            if row.task_state:
                self._release(context, container.uuid, row.task_state)
            db_api.action_finish(context, container.uuid, context.request_id,
                                 message="Error")
            raise

    def _begin(self, context: RequestContext, container: Container,
               action: str, values: dict[str, Any] | None = None,
               quota: dict[str, int] | None = None) -> str:
        """The checks and the claim every state-changing action goes through;
        the host to send it to."""
        return self._begin_claim(context, container, action, values, quota)[0]

    def _begin_claim(self, context: RequestContext, container: Container,
                     action: str, values: dict[str, Any] | None = None,
                     quota: dict[str, int] | None = None
                     ) -> tuple[str, Container, dict[str, Any]]:
        """:meth:`_begin`, also returning the claimed row and what its
        written columns held before."""
        actions.check_allowed(action, container.uuid, container.status,
                              container.task_state)
        host = self._check_host(context, container, action)
        claimed, previous = self._claim(context, container, action, values, quota)
        return host, claimed, previous

    # --- create / show -------------------------------------------------------
    def container_create(self, context: RequestContext, values: dict[str, Any],
                         run: bool) -> Container:
        """Insert the row on a host that can take it and cast the create.

        Returns the row (Creating), or an Error row when no host can take it
        (NoValidHost: the reason is in status_reason); like every row it
        counts against the project's quota until it is deleted.
        Raises OverQuota (403, no row written), UnsupportedOperation (400:
        hosts are fit but none can create) or ServiceUnavailable (503, the
        row ends in Error with the reason).
        """
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
        project = values.get("project_id") or context.project_id
        if not project:
            # A token scoped to no project (system scope, unscoped) owns nothing.
            raise exception.PolicyNotAuthorized(action="container:create (no project)")
        quota = db_api.quota_get(context, project)
        try:
            row, host = self._place(context, values, requested_host, zone, hints, quota)
        except exception.NoValidHost as exc:
            # The owner reads the reason (no host named); the per-host detail
            # goes to the create action's event, which only admins see.
            values.update(status=states.ERROR, status_reason=exc.message,
                          task_state=None, host=None)
            row = db_api.container_create(context, values, quota=quota)
            db_api.action_start(context, row.uuid, "create")
            db_api.action_event_start(context, row.uuid, context.request_id,
                                      scheduler.EVENT)
            db_api.action_event_finish(context, row.uuid, context.request_id,
                                       scheduler.EVENT, "Error", traceback=exc.detail,
                                       details=exc.detail)
            db_api.action_finish(context, row.uuid, context.request_id, message="Error")
            return row
        db_api.action_start(context, row.uuid, "create", intent={"run": run})
        try:
            self.rpcapi.container_create(context, host, row.uuid, run)
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
               quota: dict[str, int] | None = None) -> tuple[Container, str]:
        """Insert the row on the first candidate host whose claim succeeds;
        the row and its host."""
        full = []
        for candidate in scheduler.candidate_hosts(
                context, actions.get("create").capability or "create",
                requested_host, zone,
                runtime=values.get("runtime"), hints=hints):
            placed = dict(values, status=states.CREATING,
                          task_state=states.CONTAINER_CREATING, host=candidate.host)
            try:
                return db_api.container_create(
                    context, placed, capacity=candidate.limits,
                    quota=quota), candidate.host
            except exception.HostFull as exc:
                full.append(exc)
        raise scheduler.no_room(values, full)

    def container_show(self, context: RequestContext, container: Container) -> Container:
        """The row as stored: the agent's event sync keeps it current."""
        return container

    # --- state-changing actions ------------------------------------------
    def container_action(self, context: RequestContext, container: Container,
                         action: str, **params: Any) -> None:
        """A generic action (start, stop, reboot, pause, unpause, kill, ...):
        check, claim its task state and cast it with its parameters."""
        if not actions.get(action).generic:
            raise ValueError("%s is not a generic action" % action)
        host = self._begin(context, container, action)
        params = {k: v for k, v in params.items() if v is not None}
        self._send(context, container, action,
                   lambda: self.rpcapi.container_action(
                       context, host, container.uuid, action, **params),
                   intent=params)

    def container_delete(self, context: RequestContext, container: Container,
                         force: bool = False, stop: bool = False) -> None:
        """Delete (``stop``: stop a running one first; ``force``: whatever its
        status, even with a task in flight or its host down)."""
        action = "delete_force" if force else ("delete_after_stop" if stop else "delete")
        actions.check_allowed(action, container.uuid, container.status,
                              container.task_state)
        if not container.host or not container.container_id:
            if container.task_state is None or force:
                # never reached a runtime: nothing to clean up on a host
                db_api.container_destroy(context.elevated(), container.uuid)
                return
        if force and container.host and not self._host_is_up(context, container.host):
            # The agent is down: forget the container now; when the agent
            # comes back, its reconcile removes the runtime container as an
            # orphan (after [compute] orphan_grace).
            LOG.warning("Force-deleting %s on down host %s: record removed now, "
                        "runtime container cleaned when the agent returns",
                        container.uuid, container.host)
            db_api.container_destroy(context.elevated(), container.uuid)
            return
        host = self._check_host(context, container, action)
        self._claim(context, container, action, check_room=False)
        self._send(context, container, action,
                   lambda: self.rpcapi.container_delete(
                       context, host, container.uuid, force, stop),
                   intent={"force": force, "stop": stop})

    def container_rebuild(self, context: RequestContext, container: Container,
                          image: str | None = None) -> None:
        """Recreate the runtime container, optionally from another image."""
        host = self._begin(context, container, "rebuild")
        # it runs again iff it was running when accepted (the agent decides
        # the same from the row; kept here for a resumed rebuild)
        run = container.status in (states.RUNNING, states.RESTARTING)
        self._send(context, container, "rebuild",
                   lambda: self.rpcapi.container_rebuild(
                       context, host, container.uuid, image),
                   intent={"image": image, "run": run})

    def container_update(self, context: RequestContext, container: Container,
                         patch: dict[str, Any]) -> Container:
        """Rename / auto_heal in the DB; cpu and memory resized on the host
        first when the runtime container exists (a call: the answer says
        whether the runtime took the new limits), in the DB only otherwise.

        A resize is claimed like a create: the new values are written with
        the task claim, checked against the project's quota (OverQuota, 403)
        and, when the row holds resources on its host, the host's capacity
        (HostFull, 409), in one transaction; nothing changes when refused.
        If the agent refuses or fails it, the old values are given back.
        """
        db_values: dict[str, Any] = {k: patch[k] for k in ("name", "auto_heal")
                                     if k in patch}
        resize: dict[str, Any] = {k: patch[k] for k in ("cpu", "memory") if k in patch}
        if "memory" in resize:
            resize["memory"] = str(resize["memory"])
        if resize:
            actions.check_allowed("update", container.uuid, container.status,
                                  container.task_state)
            quota = (db_api.quota_get(context, container.project_id)
                     if container.project_id else None)
            if container.container_id:
                self._resize_on_host(context, container, resize, quota)
            else:
                self._resize_in_db(context, container, resize, quota)
        if db_values:
            db_api.container_update(context.elevated(), container.uuid, db_values)
        return db_api.container_get_by_uuid(context.elevated(), container.uuid)

    def _resize_in_db(self, context: RequestContext, container: Container,
                      resize: dict[str, Any], quota: dict[str, int] | None) -> None:
        """No runtime container: the new limits are the row's, claimed as a
        create's (it applies them when it is rebuilt)."""
        row = actions.get("update")
        try:
            db_api.container_claim(
                context.elevated(), container.uuid, resize,
                expected={"status": list(row.allowed or ()), "task_state": None,
                          "container_id": None},
                capacity=self._host_limits(context, container.host), quota=quota)
        except exception.StaleUpdate as lost:
            current = db_api.container_get_by_uuid(context.elevated(), container.uuid)
            actions.check_allowed("update", current.uuid, current.status,
                                  current.task_state)
            raise exception.ContainerTaskInFlight(
                action="update", id=container.uuid,
                task_state=current.task_state or "another operation") from lost

    def _resize_on_host(self, context: RequestContext, container: Container,
                        resize: dict[str, Any], quota: dict[str, int] | None) -> None:
        """Claim the new limits with the task, call the agent, give them
        back (and release the task, in one write) if it did not take them.

        The agent leaves the row alone when its driver fails, so the give-
        back can expect exactly the claimed row. When the agent did not
        answer in time it may still apply them: the new limits stay charged
        (never less than the runtime may hold) and the task is released.
        """
        task = actions.get("update").task_state
        host, claimed, previous = self._begin_claim(context, container, "update",
                                                    resize, quota)
        # what a resume needs: the limits to apply, and those to give back
        db_api.action_start(context, container.uuid, "update", intent={
            "cpu": resize.get("cpu"), "memory": resize.get("memory"),
            "previous": {k: v for k, v in previous.items() if k in resize}})
        try:
            self.rpcapi.container_update(context, host, container.uuid,
                                         resize.get("cpu"), resize.get("memory"))
        except Exception as exc:
            timed_out = isinstance(exc, exception.ServiceUnavailable) and isinstance(
                exc.__cause__, messaging.MessagingTimeout)
            give_back = {} if timed_out else previous
            try:
                db_api.container_update(
                    context.elevated(), container.uuid,
                    dict(give_back, task_state=None),
                    expected={"task_state": task, "version": claimed.version})
            except exception.ZunException:
                LOG.warning("Could not give back the resize claim of %s", container.uuid)
            db_api.action_finish(context, container.uuid, context.request_id,
                                 message="Error")
            raise

    def container_rename(self, context: RequestContext, container: Container,
                         name: str) -> Container:
        """A DB-only change (the runtime name stays ``zun-<uuid>``)."""
        return self.container_update(context, container, {"name": name})

    def container_network_attach(self, context: RequestContext, container: Container,
                                 network: str) -> Container:
        """Connect to ``network`` of the container's project; returns the row
        once the runtime did (NetworkNotFound, 404: not a network of that
        project)."""
        host = self._begin(context, container, "network_attach")
        self._send(context, container, "network_attach",
                   lambda: self.rpcapi.container_network_attach(
                       context, host, container.uuid, network))
        return db_api.container_get_by_uuid(context.elevated(), container.uuid)

    def container_network_detach(self, context: RequestContext, container: Container,
                                 network: str) -> None:
        """Disconnect from ``network``; returns once the runtime did."""
        host = self._begin(context, container, "network_detach")
        self._send(context, container, "network_detach",
                   lambda: self.rpcapi.container_network_detach(
                       context, host, container.uuid, network))

    # --- reads (calls) -------------------------------------------------------
    def _read(self, context: RequestContext, container: Container, action: str) -> str:
        actions.check_allowed(action, container.uuid, container.status,
                              container.task_state)
        return self._check_host(context, container, action)

    def container_logs(self, context: RequestContext, container: Container,
                       stdout: bool = True, stderr: bool = True,
                       timestamps: bool = False, tail: str = "all",
                       since: str | None = None) -> str:
        """The output; "" for a container that never reached a runtime."""
        if not container.container_id:
            actions.check_allowed("logs", container.uuid, container.status,
                                  container.task_state)
            return ""
        host = self._read(context, container, "logs")
        return self.rpcapi.container_logs(
            context, host, container.uuid, stdout=stdout, stderr=stderr,
            timestamps=timestamps, tail=tail, since=since)

    def container_exec(self, context: RequestContext, container: Container,
                       command: list[str]) -> dict[str, Any]:
        """Run ``command`` and return its output and exit code."""
        host = self._read(context, container, "execute")
        return self.rpcapi.container_exec(context, host, container.uuid, command)

    def container_top(self, context: RequestContext, container: Container,
                      ps_args: str | None = None) -> dict[str, Any]:
        host = self._read(context, container, "top")
        return self.rpcapi.container_top(context, host, container.uuid, ps_args)

    def container_stats(self, context: RequestContext, container: Container) -> dict[str, Any]:
        host = self._read(context, container, "stats")
        return self.rpcapi.container_stats(context, host, container.uuid)

    # --- copy in and out (cp) ------------------------------------------------
    def container_get_archive(self, context: RequestContext, container: Container,
                              path: str, max_bytes: int) -> tuple[str, dict[str, Any]]:
        """(the tar of ``path``, base64; its stat) read on the host, at most
        ``max_bytes`` of it (the API's bound travels with the call, so an
        agent configured otherwise cannot send more): ArchiveTooLarge (413)
        beyond, ArchivePathNotFound (404) for a missing path."""
        host = self._read(context, container, "get_archive")
        self._check_runtime(container)
        data, stat = self.rpcapi.container_get_archive(context, host, container.uuid,
                                                       path, max_bytes)
        return data, stat

    def container_put_archive(self, context: RequestContext, container: Container,
                              path: str, data: str) -> None:
        """Extract the tar ``data`` (base64, checked for size and alphabet)
        at ``path`` on the host; returns once the runtime did. The agent
        decodes it and refuses a bad tar (400) before the runtime sees it."""
        host = self._read(context, container, "put_archive")
        self._check_runtime(container)
        self._send(context, container, "put_archive",
                   lambda: self.rpcapi.container_put_archive(
                       context, host, container.uuid, path, data))

    @staticmethod
    def _check_runtime(container: Container) -> None:
        if not container.container_id:
            raise exception.Conflict(
                reason="container %s has no runtime container yet, so it has no "
                       "files to copy" % container.uuid)

    # --- commit ------------------------------------------------------------------
    def container_commit(self, context: RequestContext, container: Container,
                         repository: str, tag: str) -> str:
        """Commit the container into its host's engine as ``repository:tag``;
        the image row's uuid, once the row says Available (or the agent's
        error is raised, the row saying Error).

        Refused (409) while any operation is in flight on the container (a
        delete above all: nothing may be snapshotted while it goes away).
        """
        actions.check_allowed("commit", container.uuid, container.status,
                              container.task_state)
        if container.task_state:
            raise exception.ContainerTaskInFlight(action="commit", id=container.uuid,
                                                  task_state=container.task_state)
        host = self._check_host(context, container, "commit")
        self._check_runtime(container)
        image = db_api.image_claim(context, host, repository, tag)
        try:
            self._send(context, container, "commit",
                       lambda: self.rpcapi.container_commit(context, host,
                                                            container.uuid, image.uuid))
        except exception.ServiceUnavailable as exc:
            image_api.never_sent(context, image.uuid, exc)
            raise
        return image.uuid
