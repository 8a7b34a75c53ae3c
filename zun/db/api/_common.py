"""What every table group shares: scoping, column checks, paging, retries."""
from __future__ import annotations

from typing import Any, Iterable

import sqlalchemy as sa
from oslo_db import api as oslo_db_api

from zun.common import exception
from zun.common.context import RequestContext
from zun.db import models


Container = models.Container
Action = models.ContainerAction
Event = models.ContainerActionEvent
Service = models.ZunService
ComputeNode = models.ComputeNode

# Deadlocks (MySQL/Galera) roll the whole transaction back, so the function
# can simply run again.
_retry = oslo_db_api.wrap_db_retry(max_retries=5, retry_on_deadlock=True)

_CONTAINER_COLUMNS = frozenset(c.name for c in Container.__table__.columns)
# Columns a caller may never write: identity and the CAS counter.
_READONLY_COLUMNS = frozenset({"id", "uuid", "version"})
# JSON has no ordering (PostgreSQL's json type cannot even be compared).
_SORTABLE_COLUMNS = frozenset(
    c.name for c in Container.__table__.columns
    if not isinstance(c.type, sa.JSON))
_SORT_DIRS = ("asc", "desc")


def _scoped(context: RequestContext, stmt: Any) -> Any:
    """Limit a container statement to the caller's project."""
    if getattr(context, "all_projects", False):
        return stmt
    return stmt.where(Container.project_id == context.project_id)


def _scoped_for_write(context: RequestContext, stmt: Any) -> Any:
    """Admins (the compute agent, the sync) write any project's rows."""
    if context.is_admin:
        return stmt
    return _scoped(context, stmt)


def _match(column: Any, value: Any) -> Any:
    """``column = value``; a list/tuple means IN, and None matches NULL."""
    if isinstance(value, (list, tuple, set, frozenset)):
        values = list(value)
        present = [v for v in values if v is not None]
        clauses = []
        if present:
            clauses.append(column.in_(present))
        if len(present) != len(values):
            clauses.append(column.is_(None))
        return sa.or_(*clauses) if clauses else sa.false()
    if value is None:
        return column.is_(None)
    return column == value


def _check_columns(keys: Iterable[str], what: str,
                   allowed: frozenset[str] = _CONTAINER_COLUMNS) -> None:
    unknown = sorted(set(keys) - allowed)
    if unknown:
        raise exception.Invalid(
            reason=f"unknown {what}: {', '.join(unknown)}")


def _normalized(values: dict[str, Any]) -> dict[str, Any]:
    """memory is stored as a MiB string; accept ints from callers."""
    memory = values.get("memory")
    if memory is not None and not isinstance(memory, (str, list, tuple,
                                                      set, frozenset)):
        values = dict(values, memory=str(memory))
    elif isinstance(memory, (list, tuple, set, frozenset)):
        values = dict(values, memory=[None if m is None else str(m)
                                      for m in memory])
    return values


def _expectations(expected: dict[str, Any] | None) -> list[Any]:
    if not expected:
        return []
    _check_columns(expected, "expected container field(s)")
    return [_match(getattr(Container, k), v)
            for k, v in _normalized(expected).items()]


def _stale_or_missing(session: Any, context: RequestContext, uuid: str,
                      expected: dict[str, Any] | None,
                      scope: Any) -> exception.ZunException:
    """Why a guarded write touched no row: gone, or changed underneath."""
    row = session.execute(
        scope(context, sa.select(Container).where(Container.uuid == uuid))
    ).scalar_one_or_none()
    if row is None or not expected:
        return exception.ContainerNotFound(container=uuid)
    actual = {k: getattr(row, k) for k in expected}
    return exception.StaleUpdate(uuid=uuid, expected=expected, actual=actual)


def _fetch_container(session: Any, context: RequestContext, column: Any,
                     value: str) -> models.Container:
    rows = session.execute(
        _scoped(context, sa.select(Container).where(column == value))
        .order_by(Container.id).limit(2)
    ).scalars().all()
    if not rows:
        raise exception.ContainerNotFound(container=value)
    if len(rows) > 1:
        raise exception.ContainerNameAmbiguous(name=value)
    return rows[0]


def _page_params(sort_key: str | None, sort_dir: str | None, limit: int | None,
                 sortable: Iterable[str]) -> tuple[str, str]:
    """Validated (sort_key, sort_dir) of a page request; Invalid (400) if bad."""
    sort_key = sort_key or "id"
    sort_dir = (sort_dir or "asc").lower()
    if sort_key not in sortable:
        raise exception.Invalid(reason=f"invalid sort_key '{sort_key}'")
    if sort_dir not in _SORT_DIRS:
        raise exception.Invalid(
            reason=f"invalid sort_dir '{sort_dir}': use asc or desc")
    if limit is not None and limit < 0:
        raise exception.Invalid(reason=f"invalid limit {limit}")
    return sort_key, sort_dir


def _after_marker(column: Any, value: Any, marker_id: int, desc: bool,
                  id_column: Any = Container.id) -> Any:
    """Rows strictly after the marker in (NULLs first, column, id) order.

    NULLs sort as the smallest value on every backend (see
    :func:`_order_by`), so pages are the same on SQLite, MySQL and
    PostgreSQL.
    """
    id_after = id_column < marker_id if desc else id_column > marker_id
    if column is id_column:
        return id_after
    if value is None:
        if desc:
            return sa.and_(column.is_(None), id_after)
        return sa.or_(column.is_not(None), sa.and_(column.is_(None), id_after))
    beyond = column < value if desc else column > value
    ties = sa.and_(column == value, id_after)
    if desc:
        return sa.or_(beyond, column.is_(None), ties)
    return sa.or_(beyond, ties)


def _order_by(column: Any, desc: bool, id_column: Any = Container.id) -> list[Any]:
    direction = sa.desc if desc else sa.asc
    keys = []
    if column is not id_column:
        keys.append(direction(sa.case((column.is_(None), 0), else_=1)))
        keys.append(direction(column))
    keys.append(direction(id_column))
    return keys
