"""The compute agent's RPC endpoint: run one operation, record the truth.

Every state-changing operation arrives with its task state already claimed by
the API (a compare-and-set on ``task_state``). The manager calls the driver,
then writes the outcome with a compare-and-set that expects that same task
state, so nothing else (the event sync, a retry) can be overwritten. Success
or failure, the row ends with ``task_state`` cleared and a status taken from
what the runtime reports, never from what we hoped would happen.
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import datetime
import logging
import threading
import traceback
from typing import Any, Iterator

import oslo_messaging as messaging

from zun.common import actions, exception, image_ref, states
from zun.common import context as zun_context
from zun.common.context import RequestContext
from zun.compute import console as console_mod
from zun.compute import images, mounts, registries, resume, runtime_calls
from zun.compute import sync as sync_mod
from zun.container.driver import base as driver_base
from zun.db import api as db_api
from zun.db.models import Container
from zun.network import base as network_base

LOG = logging.getLogger(__name__)

# Threads running the actions that wait as long as the caller asks (stop,
# reboot: the grace period before SIGKILL, bounded by the API). They get a
# pool of their own, so that long waits queue behind each other and never
# hold the workers (zun-all's cast pool, the RPC server's executor) that
# serve every other operation of every tenant on this host.
WAIT_WORKERS = 16


def spec_from_row(row: Container) -> driver_base.ContainerSpec:
    """What the driver needs from a container row, in driver terms."""
    return driver_base.ContainerSpec(
        uuid=row.uuid, project_id=row.project_id, image=row.image or "", host=row.host,
        command=row.command or None, entrypoint=row.entrypoint or None,
        environment=dict(row.environment or {}), workdir=row.workdir,
        labels=dict(row.labels or {}), hostname=row.hostname,
        memory_mib=int(row.memory) if row.memory else None,
        cpu=row.cpu, restart_policy=row.restart_policy or None,
        auto_remove=bool(row.auto_remove), interactive=bool(row.interactive),
        tty=bool(row.tty), image_pull_policy=row.image_pull_policy,
        runtime=row.runtime or None, healthcheck=row.healthcheck or None,
        exposed_ports=_exposed_ports(row.exposed_ports),
        volumes=mounts.volumes(row.mounts), read_only=mounts.read_only(row.mounts))


def _exposed_ports(ports: dict[str, Any] | None) -> list[tuple[int, str]]:
    """The row's ``{"80/tcp": {}}`` (keys as the API normalised them) as pairs."""
    pairs = []
    for key in ports or {}:
        number, _, protocol = key.partition("/")
        pairs.append((int(number), protocol or "tcp"))
    return sorted(pairs)


class Manager(runtime_calls.RuntimeCalls):
    """Endpoint of the ``zun-compute`` topic on one host."""

    # The RPC API this agent serves; its history is actions.RPC_HISTORY.
    target = messaging.Target(version=actions.RPC_VERSION)

    def __init__(self, driver: driver_base.ContainerDriver, host: str,
                 sync: sync_mod.StateSync, *,
                 network: network_base.NetworkDriver,
                 console: console_mod.ConsoleRelay | None = None) -> None:
        self.driver = driver
        self.console = console
        self.host = host
        self.sync = sync
        # every container joins its project's network on this host
        self.network = network
        self._active: set[str] = set()
        self._active_lock = threading.Lock()
        self._waits = concurrent.futures.ThreadPoolExecutor(
            max_workers=WAIT_WORKERS, thread_name_prefix="zun-wait")
        self.recovery = resume.Recovery(self)

    # --- bookkeeping -----------------------------------------------------------
    @contextlib.contextmanager
    def _event(self, context: RequestContext, uuid: str, name: str) -> Iterator[None]:
        """Record an action event around the body, with its outcome."""
        event = "compute__do_container_%s" % name
        try:
            db_api.action_event_start(context, uuid, context.request_id, event)
        except exception.ZunException:
            LOG.debug("No action recorded for %s of %s", name, uuid)
        try:
            yield
        except Exception as exc:
            self._finish_event(context, uuid, event, "Error",
                               traceback.format_exc(), str(exc))
            raise
        self._finish_event(context, uuid, event, "Success")

    @staticmethod
    def _finish_event(context: RequestContext, uuid: str, event: str,
                      result: str, tb: str | None = None,
                      details: str | None = None) -> None:
        try:
            db_api.action_event_finish(context, uuid, context.request_id, event,
                                       result, traceback=tb, details=details)
            db_api.action_finish(context, uuid, context.request_id,
                                 message=None if result == "Success" else "Error")
        except exception.ZunException:
            LOG.debug("Could not finish action event %s of %s", event, uuid)

    def _finish(self, context: RequestContext, uuid: str, task_state: str,
                facts: driver_base.RuntimeFacts | None,
                values: dict[str, Any] | None = None) -> Container | None:
        """Write the outcome: runtime facts + extras, clear the claimed task."""
        update = sync_mod.values_from_facts(facts) if facts is not None else {}
        update.update(values or {})
        update["task_state"] = None
        try:
            return db_api.container_update(context, uuid, update,
                                           expected={"task_state": task_state})
        except exception.NotFound:
            LOG.info("Container %s vanished while %s", uuid, task_state)
        except exception.StaleUpdate as exc:
            LOG.warning("Outcome of %s for %s not written: %s", task_state, uuid, exc)
        finally:
            self.sync.resync_if_dirty(uuid)
        return None

    def _fail(self, context: RequestContext, row: Container, task_state: str,
              exc: Exception, what: str) -> None:
        """Record a failed operation truthfully: re-inspect, keep the reason.

        The reason is the owner's to read (``status_reason``), so it is
        :func:`member_reason`; the full text and traceback are in the
        action's admin-only event (see ``_event``) and in this host's log.
        """
        if self._retry_later(context, row, task_state, exc, what):
            return
        reason = "Failed to %s: %s" % (what, member_reason(exc))
        facts = None
        values: dict[str, Any] = {"status_reason": reason}
        if row.container_id:
            try:
                facts = self.driver.inspect(row.container_id)
            except exception.RuntimeContainerNotFound:
                values.update(status=states.ERROR, container_id=None)
            except exception.ZunException:
                values["status"] = states.ERROR
        else:
            values["status"] = states.ERROR
        LOG.warning("Container %s: failed to %s: %s", row.uuid, what, exc)
        self._finish(context, row.uuid, task_state, facts, values)

    def _retry_later(self, context: RequestContext, row: Container, task_state: str,
                     exc: Exception, what: str) -> bool:
        """Keep the claim of an operation that failed for a passing reason
        (the engine did not answer) and have the next recovery pass resume
        it, a bounded number of times; False when the failure is final."""
        name = actions.ACTION_FOR_TASK.get(task_state)
        if not (isinstance(exc, exception.ServiceUnavailable) and name
                and actions.get(name).resumable):
            return False
        reason = "Waiting to %s: %s" % (what, member_reason(exc))
        try:
            db_api.container_update(context, row.uuid, {"status_reason": reason},
                                    expected={"task_state": task_state})
        except exception.ZunException:
            return True  # resolved or taken over meanwhile: nothing to retry
        LOG.warning("Container %s: could not %s (%s); retried on the next pass",
                    row.uuid, what, exc)
        self.recovery.retry_later(row.uuid)
        return True

    def _load(self, context: RequestContext, uuid: str) -> Container:
        return db_api.container_get_by_uuid(context, uuid)

    @contextlib.contextmanager
    def _operation(self, context: RequestContext, uuid: str, task: str,
                   description: str) -> Iterator[tuple[RequestContext, Container | None]]:
        """Enter one claimed operation: admin context, log line, claim check.

        Yields (context, row), or (context, None) when the row no longer holds
        ``task`` (recovery resolved it, or a force delete took over): the
        request is then stale and must not touch the runtime.
        """
        context = context.elevated()
        context.update_store()
        LOG.info("%s of container %s", description, uuid)
        with self._active_lock:
            self._active.add(uuid)
        try:
            try:
                row = self._load(context, uuid)
            except exception.NotFound:
                row = None
            if row is not None and row.task_state != task:
                LOG.warning("Skipping %s of %s: it holds task %s, not %s",
                            description.lower(), uuid, row.task_state, task)
                with contextlib.suppress(exception.ZunException):
                    db_api.action_finish(context, uuid, context.request_id,
                                         message="Error")
                row = None
            yield context, row
        finally:
            with self._active_lock:
                self._active.discard(uuid)

    def is_active(self, uuid: str) -> bool:
        """True while this agent runs an operation on ``uuid``."""
        with self._active_lock:
            return uuid in self._active

    # --- casts -------------------------------------------------------------
    def container_create(self, context: RequestContext, uuid: str, run: bool) -> None:
        task = states.CONTAINER_CREATING
        with self._operation(context, uuid, task, "Create (run=%s)" % run) as (context, row):
            if row is None:
                return
            try:
                with self._event(context, uuid, "create"):
                    facts = self._create_runtime(context, row, task, run)
            except Exception as exc:  # noqa: BLE001 - every failure is recorded
                self._fail(context, self._load(context, uuid), task, exc,
                           "create container")
                return
            self._finish(context, uuid, task, facts, {"status_reason": None})

    def _create_runtime(self, context: RequestContext, row: Container, task: str,
                        run: bool) -> driver_base.RuntimeFacts:
        """Create (and maybe start) the runtime container of ``row``.

        The runtime id is recorded before the start, so a failed start
        leaves a tracked container, never an orphan.
        """
        # this host's [registry] lists may be stricter than the API's; refused
        # here, the operation ends in Error with the reason
        image_ref.check_registry(row.image or "")
        spec = spec_from_row(row)
        spec.credentials = registries.credentials(context, row)
        spec.binds = mounts.materialize(row.uuid, row.mounts)
        # the project's lock is held until the container names the network,
        # so a concurrent release cannot remove it in between
        with self.network.project_network(row.project_id or "") as net:
            spec.networks = [net.name]
            try:
                facts = self.driver.create(spec)
            except exception.ContainerAlreadyExists:
                # made by an earlier attempt of this operation (the runtime
                # refuses a second container of this uuid's name): adopt it
                facts = self._adopt(row.uuid)
        db_api.container_update(context, row.uuid, {"container_id": facts.container_id},
                                expected={"task_state": task})
        if run and facts.state != "running":
            facts = self.driver.start(facts.container_id)
        return facts

    def _adopt(self, uuid: str) -> driver_base.RuntimeFacts:
        for facts in self.driver.list_containers():
            if facts.uuid == uuid:
                LOG.info("Adopted the runtime container %s of %s", facts.container_id,
                         uuid)
                return facts
        raise exception.ContainerAlreadyExists(field="uuid", value=uuid)

    def container_rebuild(self, context: RequestContext, uuid: str,
                          image: str | None = None, run: bool | None = None) -> None:
        """Replace the runtime container by a fresh one (optionally a new image).

        It runs again if it was running when the rebuild was accepted, or as
        ``run`` says (auto_heal knows better than the last status).
        """
        task = states.CONTAINER_REBUILDING
        with self._operation(context, uuid, task, "Rebuild (image %s)"
                             % (image or "unchanged")) as (context, row):
            if row is None:
                return
            was_running = (row.status in (states.RUNNING, states.RESTARTING)
                           if run is None else run)
            try:
                with self._event(context, uuid, "rebuild"):
                    values: dict[str, Any] = {"container_id": None}
                    if image:
                        values["image"] = image
                    if row.container_id:
                        self.driver.delete(row.container_id, force=True)
                    row = db_api.container_update(context, uuid, values,
                                                  expected={"task_state": task})
                    facts = self._create_runtime(context, row, task, was_running)
            except Exception as exc:  # noqa: BLE001
                self._fail(context, self._load(context, uuid), task, exc,
                           "rebuild container")
                return
            self._finish(context, uuid, task, facts, {"status_reason": None})

    def container_action(self, context: RequestContext, uuid: str, action: str,
                         params: dict[str, Any] | None = None
                         ) -> concurrent.futures.Future[None] | None:
        """A generic action of the registry: one driver call, its parameters
        passed by name (start, stop(timeout), kill(signal), ...).

        An action that waits as long as the caller asks (``waits`` in the
        registry: stop, reboot) runs on the wait pool (see WAIT_WORKERS) and
        this returns its future at once; the container counts as active from
        now, so recovery leaves a queued one alone. Others run here and
        return None.
        """
        row_def = actions.get(action)
        if not row_def.generic or not row_def.task_state:
            raise exception.Invalid(reason="'%s' is not an action the agent "
                                           "dispatches generically" % action)
        known = {p.name for p in row_def.params}
        kwargs = {k: v for k, v in (params or {}).items() if k in known}
        if not row_def.waits:
            self._action(context, uuid, row_def, kwargs)
            return None
        with self._active_lock:
            self._active.add(uuid)
        try:
            future = self._waits.submit(self._action, context, uuid, row_def, kwargs)
        except BaseException:
            with self._active_lock:
                self._active.discard(uuid)
            raise
        future.add_done_callback(_log_wait_failure)
        return future

    def _action(self, context: RequestContext, uuid: str, row_def: actions.Action,
                kwargs: dict[str, Any]) -> None:
        action = row_def.name
        operation = getattr(self.driver, row_def.driver_method or action)
        task = row_def.task_state or ""
        with self._operation(context, uuid, task, action.capitalize()) as (context, row):
            if row is None:
                return
            try:
                with self._event(context, uuid, action):
                    if not row.container_id:
                        raise exception.RuntimeContainerNotFound(container_id="(none)")
                    facts = operation(row.container_id, **kwargs)
            except Exception as exc:  # noqa: BLE001
                self._fail(context, row, task, exc, "%s container" % action)
                return
            self._finish(context, uuid, task, facts, {"status_reason": None})

    def container_delete(self, context: RequestContext, uuid: str, force: bool,
                         stop: bool) -> None:
        task = states.CONTAINER_DELETING
        with self._operation(context, uuid, task, "Delete (force=%s, stop=%s)"
                             % (force, stop)) as (context, row):
            if row is None:
                return
            try:
                with self._event(context, uuid, "delete"):
                    self.remove_runtime(row.container_id, graceful=stop and not force)
            except Exception as exc:  # noqa: BLE001
                self._fail(context, row, task, exc, "delete container")
                return
            self._forget(context, uuid)

    def remove_runtime(self, container_id: str | None, graceful: bool = False) -> None:
        if not container_id:
            return
        if graceful:
            with contextlib.suppress(exception.RuntimeOperationFailed):
                self.driver.stop(container_id)
        self.driver.delete(container_id, force=True)

    def _forget(self, context: RequestContext, uuid: str) -> None:
        # The project's network stays: the reconcile removes it once it has
        # been unused for [network] release_after (no network call here).
        mounts.remove(uuid)
        with contextlib.suppress(exception.NotFound):
            db_api.container_destroy(context, uuid)

    # --- calls -------------------------------------------------------------
    def container_update(self, context: RequestContext, uuid: str,
                         cpu: float | None, memory: str | None) -> None:
        """Resize in place, then record the new limits (task claimed by the API).

        The API claimed the new limits with the task (quota and host checked
        there). When the driver fails, the row is left as claimed and the
        error raised: the waiting API gives the old limits back and releases
        the task in one compare-and-set, which expects the row untouched.
        """
        task = states.CONTAINER_UPDATING
        values: dict[str, Any] = {"task_state": None}
        if cpu is not None:
            values["cpu"] = cpu
        if memory is not None:
            values["memory"] = str(memory)
        with self._operation(context, uuid, task, "Resize (cpu=%s, memory=%s)"
                             % (cpu, memory)) as (context, row):
            if row is None:
                raise exception.Conflict(reason="the resize of %s was overtaken by "
                                                "another operation" % uuid)
            with self._event(context, uuid, "update"):
                if row.container_id:
                    self.driver.update(row.container_id, cpu=cpu,
                                       memory_mib=int(memory) if memory else None)
            db_api.container_update(context, uuid, values, expected={"task_state": task})

    def container_network_attach(self, context: RequestContext, uuid: str,
                                 network: str) -> None:
        """Connect the container to ``network`` of its project (a call)."""
        self._network_change(context, uuid, network, "network_attach")

    def container_network_detach(self, context: RequestContext, uuid: str,
                                 network: str) -> None:
        """Disconnect the container from ``network`` (a call)."""
        self._network_change(context, uuid, network, "network_detach")

    def _network_change(self, context: RequestContext, uuid: str, network: str,
                        action: str) -> None:
        """Run one network change, record the addresses the runtime then
        reports, and clear the claimed task whatever happens.

        A refusal (not a network of the project, 404) leaves the container as
        it was: only the task is cleared and the caller gets the error.
        """
        task = actions.get(action).task_state or action
        with self._operation(context, uuid, task, "%s %s" % (action, network)) as (
                context, row):
            if row is None:
                raise exception.Conflict(reason="the %s of %s was overtaken by another "
                                                "operation" % (action, uuid))
            try:
                with self._event(context, uuid, action):
                    if not row.container_id or not row.project_id:
                        raise exception.RuntimeContainerNotFound(container_id=uuid)
                    change = (self.network.connect if action == "network_attach"
                              else self.network.disconnect)
                    change(row.project_id, network, row.container_id)
                    facts = self.driver.inspect(row.container_id)
            except Exception:
                self._finish(context, uuid, task, None)
                raise
            self._finish(context, uuid, task, facts)

    # --- images (zun/compute/images.py does the work) ----------------------------
    def image_pull(self, context: RequestContext, uuid: str) -> None:
        """Pull the image of row ``uuid`` onto this host (a cast, RPC 1.2)."""
        context = context.elevated()
        context.update_store()
        images.pull(self.driver, context, uuid)

    def container_commit(self, context: RequestContext, uuid: str,
                         image_uuid: str) -> None:
        """Snapshot container ``uuid`` into image row ``image_uuid`` (a call,
        RPC 1.2); recorded as the action's event."""
        context.update_store()
        container_id = self._running_id(context, uuid)
        admin = context.elevated()
        # pushed to a registry of the container's project, if one is named
        project_id = self._load(admin, uuid).project_id
        with self._event(admin, uuid, "commit"):
            images.commit(self.driver, admin, container_id, image_uuid,
                          project_id=project_id)

    def image_delete(self, context: RequestContext, uuid: str) -> None:
        """Remove the image of row ``uuid`` from this host (a call, RPC 1.2)."""
        context = context.elevated()
        context.update_store()
        images.delete(self.driver, context, uuid)

    # --- auto heal -----------------------------------------------------------
    def heal(self, row: Container, run: bool) -> bool:
        """Recreate the vanished runtime container of an auto_heal row.

        Claims the row like an API request would (compare-and-set of the
        task state), so a concurrent user action wins cleanly. Returns
        whether the heal was attempted.

        Only a row that still holds its resources on this host is healed (the
        compare-and-set expects that very row): one that holds nothing there
        (Error, no runtime container) would grow the host's usage without the
        capacity claim, so its owner rebuilds it through the API, which
        takes that claim (docs/quotas.rst).
        """
        if row.status not in (actions.get("rebuild").allowed or ()):
            return False
        if not db_api.holds_on_host(row.status, row.container_id, row.task_state):
            return False
        ctx = zun_context.get_admin_context()
        try:
            db_api.container_update(ctx, row.uuid,
                                    {"task_state": states.CONTAINER_REBUILDING},
                                    expected={"task_state": None, "version": row.version})
        except (exception.StaleUpdate, exception.NotFound):
            return False
        LOG.warning("Runtime container of %s vanished; auto_heal recreates it", row.uuid)
        db_api.action_start(ctx, row.uuid, "rebuild", message="auto_heal",
                            intent={"image": None, "run": run})
        self.container_rebuild(ctx, row.uuid, run=run)
        return True

    # --- recovery ------------------------------------------------------------
    def recover_interrupted(self, older_than: datetime.datetime) -> dict[str, int]:
        """Resume (or resolve) the operations nobody is running any more:
        rows untouched since ``older_than`` and not being worked on here,
        and those a passing failure left for a retry (see
        :mod:`zun.compute.resume`). Counts by outcome."""
        return self.recovery.run(older_than)


def member_reason(exc: BaseException) -> str:
    """What the container's owner may read of a failure on this host.

    A zun exception's message is worded for them where it is raised (the
    driver keeps the runtime's sentence about the container and scrubs the
    engine's address and host paths from it). Anything else is a fault whose
    text may name host paths or addresses: only its type is given here.
    """
    if isinstance(exc, exception.ZunException):
        return exc.message
    return ("an internal error occurred (%s); administrators find the detail "
            "in the action's events" % type(exc).__name__)


def _log_wait_failure(future: concurrent.futures.Future[None]) -> None:
    exc = future.exception()
    if exc is not None:
        LOG.error("Action on the wait pool failed: %s", exc, exc_info=exc)
