"""Container actions and their events: the audit trail of each request."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from zun.common import exception
from zun.common.context import RequestContext
from zun.db import models
from zun.db import session as db_session
from zun.db.api._common import Action, Event, _retry


def _action_query(container_uuid: str,
                  request_id: str) -> sa.Select[models.ContainerAction]:
    return (sa.select(Action)
            .where(Action.container_uuid == container_uuid,
                   Action.request_id == request_id)
            .order_by(Action.id.desc()).limit(1))


def _get_action(session: Session, container_uuid: str,
                request_id: str) -> models.ContainerAction:
    row = session.execute(
        _action_query(container_uuid, request_id)).scalar_one_or_none()
    if row is None:
        raise exception.ContainerActionNotFound(request_id=request_id,
                                                container=container_uuid)
    return row


@_retry
def action_start(context: RequestContext, container_uuid: str, action: str,
                 message: str | None = None,
                 intent: dict[str, Any] | None = None) -> models.ContainerAction:
    """Record that ``action`` started for this request (context.request_id).

    ``intent``: what was accepted, complete enough for an agent to finish
    the operation if it is interrupted (None: nothing to resume).
    """
    row = Action(action=action, container_uuid=container_uuid,
                 request_id=context.request_id, user_id=context.user_id,
                 project_id=context.project_id, start_time=models.utcnow(),
                 message=message, intent=intent)
    with db_session.writer() as session:
        session.add(row)
        session.flush()
    return row


@_retry
def action_finish(context: RequestContext, container_uuid: str,
                  request_id: str, message: str | None = None) -> models.ContainerAction:
    """Set finish_time (and message, e.g. 'Error') of the action."""
    with db_session.writer() as session:
        row = _get_action(session, container_uuid, request_id)
        row.finish_time = models.utcnow()
        if message is not None:
            row.message = message
        session.flush()
        return row


def action_in_flight(context: RequestContext, container_uuid: str,
                     action: str) -> models.ContainerAction | None:
    """The newest record of ``action`` for the container, or None: while
    the container's task state claims that action, it is the record of the
    operation in flight (one claim at a time), even if a failed attempt
    already closed it."""
    with db_session.reader() as session:
        return session.execute(
            sa.select(Action)
            .where(Action.container_uuid == container_uuid, Action.action == action)
            .order_by(Action.id.desc()).limit(1)).scalar_one_or_none()


@_retry
def action_count_attempt(context: RequestContext, action_id: int) -> int:
    """Count one more resume of the action and open it again (no finish
    time, no message: its outcome is the resumed attempt's); the new count."""
    with db_session.writer() as session:
        session.execute(sa.update(Action).where(Action.id == action_id)
                        .values(attempts=Action.attempts + 1, finish_time=None,
                                message=None)
                        .execution_options(synchronize_session=False))
        return int(session.execute(sa.select(Action.attempts)
                                   .where(Action.id == action_id)).scalar_one())


def action_get_by_request_id(context: RequestContext, container_uuid: str,
                             request_id: str) -> models.ContainerAction:
    """Raises ContainerActionNotFound."""
    with db_session.reader() as session:
        return _get_action(session, container_uuid, request_id)


def actions_get(context: RequestContext,
                container_uuid: str) -> list[models.ContainerAction]:
    """Actions of a container, newest first."""
    with db_session.reader() as session:
        return list(session.execute(
            sa.select(Action).where(Action.container_uuid == container_uuid)
            .order_by(Action.created_at.desc(), Action.id.desc())
        ).scalars().all())


@_retry
def action_event_start(context: RequestContext, container_uuid: str,
                       request_id: str, event: str) -> models.ContainerActionEvent:
    """Record the start of an event (e.g. 'compute__do_container_start')."""
    with db_session.writer() as session:
        action = _get_action(session, container_uuid, request_id)
        row = Event(event=event, action_id=action.id,
                    start_time=models.utcnow())
        session.add(row)
        session.flush()
        return row


@_retry
def action_event_finish(context: RequestContext, container_uuid: str,
                        request_id: str, event: str, result: str,
                        traceback: str | None = None,
                        details: str | None = None) -> models.ContainerActionEvent:
    """Finish the latest unfinished event of that name ('Success'/'Error').

    An 'Error' result also marks its action's message 'Error' (if none is
    set), so a failed operation shows in the action list.
    """
    with db_session.writer() as session:
        action = _get_action(session, container_uuid, request_id)
        row = session.execute(
            sa.select(Event).where(Event.action_id == action.id,
                                   Event.event == event,
                                   Event.finish_time.is_(None))
            .order_by(Event.id.desc()).limit(1)).scalar_one_or_none()
        if row is None:
            raise exception.ContainerActionNotFound(
                f"No unfinished event {event} for request {request_id} "
                f"of container {container_uuid}.")
        row.finish_time = models.utcnow()
        row.result = result
        row.traceback = traceback
        row.details = details
        if result.lower() == "error" and action.message is None:
            action.message = "Error"
        session.flush()
        return row


def action_events_get(context: RequestContext,
                      action_id: int) -> list[models.ContainerActionEvent]:
    """Events of one action, oldest first."""
    with db_session.reader() as session:
        return list(session.execute(
            sa.select(Event).where(Event.action_id == action_id)
            .order_by(Event.id)).scalars().all())
