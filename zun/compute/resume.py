"""Finish what the API accepted when the agent that was running it stopped.

A row keeps its task state when its operation was interrupted: the agent was
killed or restarted mid-operation, the request was lost on the bus, or the
container engine could not be reached. The user was told 202; the restart
of a process is not their problem. So, as a controller reconciles toward
intent, each interrupted operation is driven to its target again from what
the API recorded on the action (``intent``: ``run``, the rebuild's image,
the stop's timeout, ...):

* create: created again, or adopted when a runtime container of its uuid
  already exists (the engine refuses a second container of that name, so a
  resume never duplicates one), and started if ``run`` was asked;
* delete: completed;
* start, stop, reboot, pause, unpause, rebuild and resize: run again (the
  driver contract makes them idempotent; a resize's limits are already
  claimed on the row, and given back if the runtime refuses them);
* kill: sent again only when its signal cannot be caught (SIGKILL, the
  default) and the container still runs, i.e. it surely never arrived;
* everything else (other signals: sent at most once; network calls, whose
  caller got an error instead of an answer; records from before intents
  were kept) is resolved from the runtime's state, with a reason saying so.

Bounded and safe: every resume is an attempt counted on the action record,
shown as a ``compute__resume`` event; past ``[compute] resume_attempts`` the
row takes the runtime's state (Error when no runtime container exists) with
the cause. The task state claimed by the API stays the single gate: a
resume runs under that same claim, so no new request can run beside it.
"""
from __future__ import annotations

import contextlib
import datetime
import logging
import threading
from typing import TYPE_CHECKING, Any

from zun.common import actions, exception, states
from zun.common import context as zun_context
from zun.common.context import RequestContext
from zun.compute import mounts
from zun.compute import sync as sync_mod
from zun.conf import CONF
from zun.container.driver import base as driver_base
from zun.db import api as db_api
from zun.db.models import Container

if TYPE_CHECKING:
    from zun.compute.manager import Manager

LOG = logging.getLogger(__name__)

EVENT = "compute__resume"
# kill's signals that no process can catch or ignore
_UNCATCHABLE = frozenset({"SIGKILL", "KILL", "9"})


class Recovery:
    """Resumes (or resolves) the interrupted operations of one agent's host."""

    def __init__(self, manager: Manager) -> None:
        self.manager = manager
        # operations that failed for a passing reason (the engine did not
        # answer) and wait for the next pass, whatever their age
        self._retry: set[str] = set()
        self._retry_lock = threading.Lock()

    def retry_later(self, uuid: str) -> None:
        """Have the next pass resume ``uuid``'s operation (its task kept)."""
        with self._retry_lock:
            self._retry.add(uuid)

    def _take_retry(self, uuid: str) -> bool:
        with self._retry_lock:
            if uuid in self._retry:
                self._retry.discard(uuid)
                return True
            return False

    def run(self, older_than: datetime.datetime) -> dict[str, int]:
        """One pass over this host's rows with a task nobody is running:
        those untouched since ``older_than`` and those waiting for a retry."""
        ctx = zun_context.get_admin_context()
        counts = {"resumed": 0, "deleted": 0, "resolved": 0, "gave_up": 0,
                  "discarded": 0}
        runtime = _Runtime(self.manager.driver)
        for row in db_api.container_list_by_host(ctx, self.manager.host):
            touched = row.updated_at or row.created_at
            if row.task_state is None or self.manager.is_active(row.uuid):
                continue
            retry = self._take_retry(row.uuid)
            if not retry and touched and touched >= older_than:
                continue
            try:
                outcome = self._recover(ctx, row, runtime)
            except exception.ZunException as exc:
                LOG.warning("Could not recover %s of %s yet: %s",
                            row.task_state, row.uuid, exc)
                if retry:
                    self.retry_later(row.uuid)
                continue
            if outcome:
                counts[outcome] += 1
        if any(counts.values()):
            LOG.info("Recovered interrupted operations: %s", counts)
        return counts

    # --- one row ------------------------------------------------------------
    def _recover(self, ctx: RequestContext, row: Container,
                 runtime: _Runtime) -> str | None:
        task = row.task_state
        if task is None:
            return None
        name = actions.ACTION_FOR_TASK.get(task, task)
        if task == states.CONTAINER_DELETING:
            return self._complete_delete(ctx, row, runtime)
        record = db_api.action_in_flight(ctx, row.uuid, name)
        if record is None and task == states.CONTAINER_CREATING:
            return self._discard(ctx, row)
        mode = actions.get(name).resume_mode
        if (record is None or record.intent is None or mode == "resolve"
                or (mode == "redo_if_running"
                    and not self._undelivered(row, runtime, record.intent))):
            return self._resolve(ctx, row, runtime, _interrupted(name))
        limit = CONF.compute.resume_attempts
        if record.attempts >= limit:
            reason = ("The %s operation was interrupted and could not be completed "
                      "after %d attempts" % (name, limit))
            if row.status_reason:
                reason += " (last: %s)" % row.status_reason.rstrip(".")
            return "gave_up" if self._resolve(ctx, row, runtime, reason,
                                              unknown_ok=True) else None
        attempt = db_api.action_count_attempt(ctx, record.id)
        rctx = _context_of(record.request_id)
        _note(rctx, row.uuid, "attempt %d of %d: resuming the interrupted %s"
              % (attempt, limit, name))
        LOG.info("Resuming the interrupted %s of %s (attempt %d of %d)",
                 name, row.uuid, attempt, limit)
        self._dispatch(rctx, row, name, dict(record.intent))
        return "resumed"

    def _dispatch(self, ctx: RequestContext, row: Container, name: str,
                  intent: dict[str, Any]) -> None:
        """Run the operation again under the claim it still holds."""
        manager = self.manager
        if name == "create":
            manager.container_create(ctx, row.uuid, bool(intent.get("run")))
        elif name == "rebuild":
            manager.container_rebuild(ctx, row.uuid, image=intent.get("image"),
                                      run=intent.get("run"))
        elif name == "update":
            self._resize(ctx, row, intent)
        else:
            manager.container_action(ctx, row.uuid, name, intent)

    def _resize(self, ctx: RequestContext, row: Container, intent: dict[str, Any]) -> None:
        """Apply the claimed limits again; if the runtime refuses them, give
        back the previous ones (the API that claimed them may be gone)."""
        try:
            self.manager.container_update(ctx, row.uuid, intent.get("cpu"),
                                          intent.get("memory"))
        except exception.ZunException as exc:
            LOG.warning("Resumed resize of %s failed: %s", row.uuid, exc)
            with contextlib.suppress(exception.ZunException):
                db_api.container_update(
                    ctx, row.uuid, dict(intent.get("previous") or {}, task_state=None),
                    expected={"task_state": row.task_state})

    def _undelivered(self, row: Container, runtime: _Runtime,
                     intent: dict[str, Any]) -> bool:
        """For a kill: its signal surely never arrived (one that cannot be
        caught, and the container still runs), so sending it is not twice."""
        if str(intent.get("signal") or "SIGKILL").upper() not in _UNCATCHABLE:
            return False
        facts = self._facts(row, runtime)
        return facts is not None and facts.state == "running"

    def _discard(self, ctx: RequestContext, row: Container) -> str | None:
        """A create whose process died between the row and its action
        record: the action is recorded before the request is sent and the
        202 given, so nobody was told it was accepted, and nothing was made
        on the host. Leave nothing behind (not even an Error row counting
        against the quota)."""
        try:
            db_api.container_destroy(ctx, row.uuid, expected=_as_read(row))
        except (exception.StaleUpdate, exception.NotFound):
            return None
        LOG.info("Discarded %s: its create was never acknowledged", row.uuid)
        return "discarded"

    def _complete_delete(self, ctx: RequestContext, row: Container,
                         runtime: _Runtime) -> str | None:
        facts = self._facts(row, runtime)
        self.manager.remove_runtime(facts.container_id if facts else None)
        try:
            db_api.container_destroy(ctx, row.uuid, expected=_as_read(row))
        except (exception.StaleUpdate, exception.NotFound):
            return None
        mounts.remove(row.uuid)
        LOG.info("Completed the interrupted delete of %s", row.uuid)
        return "deleted"

    def _resolve(self, ctx: RequestContext, row: Container, runtime: _Runtime,
                 reason: str, unknown_ok: bool = False) -> str | None:
        """Take the runtime's state (Error when there is no runtime
        container), say why, clear the task and close the action.

        ``unknown_ok``: when the runtime cannot be asked (engine down), end
        in Error anyway, keeping the runtime id for the state sync to
        correct once the engine answers (a give-up must not wait for it).
        """
        try:
            facts = self._facts(row, runtime)
        except exception.ServiceUnavailable:
            if not unknown_ok:
                raise
            values: dict[str, Any] = {"status": states.ERROR}
            if not row.status_reason:   # else the last cause already says so
                reason += "; the container engine cannot be reached."
        else:
            if facts is not None:
                values = sync_mod.values_from_facts(facts)
                reason += "; the state shown is the runtime's."
            else:
                values = {"status": states.ERROR, "container_id": None}
                reason += "; no runtime container exists."
        values.update(task_state=None, status_reason=reason)
        try:
            db_api.container_update(ctx, row.uuid, values, expected=_as_read(row))
        except (exception.StaleUpdate, exception.NotFound):
            return None
        for action in db_api.actions_get(ctx, row.uuid):
            if action.finish_time is None and action.request_id:
                db_api.action_finish(ctx, row.uuid, action.request_id, message="Error")
        LOG.info("Resolved the interrupted %s of %s: %s", row.task_state, row.uuid,
                 values["status"])
        return "resolved"

    def _facts(self, row: Container, runtime: _Runtime) -> driver_base.RuntimeFacts | None:
        if row.container_id:
            with contextlib.suppress(exception.RuntimeContainerNotFound):
                return self.manager.driver.inspect(row.container_id)
            return None
        return runtime.get(row.uuid)  # created, but its id was never recorded


class _Runtime:
    """The host's runtime containers by uuid, listed once per pass, when
    first needed (a pass that resumes only creates never lists)."""

    def __init__(self, driver: driver_base.ContainerDriver) -> None:
        self._driver = driver
        self._by_uuid: dict[str, driver_base.RuntimeFacts] | None = None

    def get(self, uuid: str) -> driver_base.RuntimeFacts | None:
        if self._by_uuid is None:
            self._by_uuid = {f.uuid: f for f in self._driver.list_containers() if f.uuid}
        return self._by_uuid.get(uuid)


def _interrupted(name: str) -> str:
    return ("The %s operation was interrupted (compute agent restart or lost "
            "request)" % name)


def _as_read(row: Container) -> dict[str, Any]:
    """The compare-and-set expectation: the row exactly as this pass read it."""
    return {"task_state": row.task_state, "version": row.version}


def _context_of(request_id: str | None) -> RequestContext:
    """An admin context that records events on the original request's action."""
    ctx = zun_context.get_admin_context()
    if request_id:
        ctx.request_id = request_id
    return ctx


def _note(ctx: RequestContext, uuid: str, details: str) -> None:
    """A finished event on the action: the history shows the resume."""
    try:
        db_api.action_event_start(ctx, uuid, ctx.request_id, EVENT)
        db_api.action_event_finish(ctx, uuid, ctx.request_id, EVENT, "Success",
                                   details=details)
    except exception.ZunException:
        LOG.debug("No action recorded for the resume of %s", uuid)
