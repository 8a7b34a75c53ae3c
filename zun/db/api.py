"""The DB API: every read and write of zun's state goes through these functions.

Each takes the request context first. Container reads are scoped to
``context.project_id`` unless ``context.all_projects`` is set (an admin who
asked for it), so another project's container is simply "not found".

Functions return detached model objects (``zun.db.models``) whose columns are
loaded; they never lazy-load. Every status/task_state write on a container is
a compare-and-set through :func:`container_update` with ``expected``.

CONTRACT STUB: implementation pending (owned by the DB work item).
"""
from __future__ import annotations

from typing import Any, Iterable

from zun.common.context import RequestContext


# --- containers ------------------------------------------------------------
def container_create(context: RequestContext, values: dict[str, Any]) -> Any:
    """Insert a container row (uuid generated if absent); version starts at 1.

    Raises ContainerAlreadyExists on a duplicate uuid.
    """
    raise NotImplementedError


def container_get(context: RequestContext, ident: str) -> Any:
    """By uuid if ``ident`` looks like a uuid, else by name (project scoped).

    Raises ContainerNotFound, or ContainerNameAmbiguous (409) when the name
    matches several containers visible to the caller.
    """
    raise NotImplementedError


def container_get_by_uuid(context: RequestContext, uuid: str) -> Any:
    """Project-scoped; raises ContainerNotFound."""
    raise NotImplementedError


def container_list(context: RequestContext, filters: dict[str, Any] | None = None,
                   limit: int | None = None, marker: str | None = None,
                   sort_key: str = "id", sort_dir: str = "asc") -> list[Any]:
    """Project-scoped page of containers.

    ``filters``: column -> value (or list of values, matched with IN) for
    name, image, project_id, user_id, memory, host, task_state, status,
    auto_remove. ``marker`` is a uuid (ContainerNotFound if unknown); rows
    after it in (sort_key, sort_dir, id) order are returned.
    """
    raise NotImplementedError


def container_list_by_host(context: RequestContext, host: str) -> list[Any]:
    """Every container row on ``host`` (all projects), in one query."""
    raise NotImplementedError


def container_update(context: RequestContext, uuid: str, values: dict[str, Any],
                     expected: dict[str, Any] | None = None) -> Any:
    """Compare-and-set update of one container; returns the updated row.

    ``expected`` maps column -> value, or column -> list/tuple of acceptable
    values; the UPDATE only applies if every condition holds (one
    ``UPDATE ... WHERE uuid=? AND ...`` statement). ``version`` is
    incremented on every successful update. Not scoped to a project when the
    context is admin. Raises ContainerNotFound if the row does not exist and
    StaleUpdate (409, with ``actual`` values) if an expectation failed.
    """
    raise NotImplementedError


def container_destroy(context: RequestContext, uuid: str,
                      expected: dict[str, Any] | None = None) -> None:
    """Delete the row (and its actions/events); same ``expected`` semantics."""
    raise NotImplementedError


# --- container actions and events -------------------------------------------
def action_start(context: RequestContext, container_uuid: str, action: str,
                 message: str | None = None) -> Any:
    """Record that ``action`` started for this request (context.request_id)."""
    raise NotImplementedError


def action_finish(context: RequestContext, container_uuid: str,
                  request_id: str, message: str | None = None) -> Any:
    """Set finish_time (and message, e.g. 'Error') of the action."""
    raise NotImplementedError


def action_get_by_request_id(context: RequestContext, container_uuid: str,
                             request_id: str) -> Any:
    """Raises ContainerActionNotFound."""
    raise NotImplementedError


def actions_get(context: RequestContext, container_uuid: str) -> list[Any]:
    """Actions of a container, newest first."""
    raise NotImplementedError


def action_event_start(context: RequestContext, container_uuid: str,
                       request_id: str, event: str) -> Any:
    """Record the start of an event (e.g. 'compute__do_container_start')."""
    raise NotImplementedError


def action_event_finish(context: RequestContext, container_uuid: str,
                        request_id: str, event: str, result: str,
                        traceback: str | None = None,
                        details: str | None = None) -> Any:
    """Finish the latest unfinished event of that name ('Success'/'Error')."""
    raise NotImplementedError


def action_events_get(context: RequestContext, action_id: int) -> list[Any]:
    """Events of one action, oldest first."""
    raise NotImplementedError


# --- services ----------------------------------------------------------------
def service_create(context: RequestContext, values: dict[str, Any]) -> Any:
    """Raises ServiceAlreadyExists for a duplicate (host, binary)."""
    raise NotImplementedError


def service_get(context: RequestContext, host: str, binary: str) -> Any:
    """Raises ServiceNotFound."""
    raise NotImplementedError


def service_list(context: RequestContext, binary: str | None = None) -> list[Any]:
    raise NotImplementedError


def service_update(context: RequestContext, host: str, binary: str,
                   values: dict[str, Any]) -> Any:
    """Raises ServiceNotFound."""
    raise NotImplementedError


def service_heartbeat(context: RequestContext, host: str, binary: str,
                      values: dict[str, Any] | None = None) -> Any:
    """Upsert the service row, set last_seen_up=now, report_count += 1."""
    raise NotImplementedError


def service_destroy(context: RequestContext, host: str, binary: str) -> None:
    raise NotImplementedError

