"""What every table group shares: scoping, column checks, paging, retries."""
from __future__ import annotations

from typing import Any, Callable, Iterable, ParamSpec, Protocol, Self, TypeVar, cast

import sqlalchemy as sa
from oslo_db import api as oslo_db_api
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.elements import OrderByList

from zun.common import exception
from zun.common.context import RequestContext
from zun.db import models

Container = models.Container
Action = models.ContainerAction
Event = models.ContainerActionEvent
Service = models.ZunService
ComputeNode = models.ComputeNode

_P = ParamSpec("_P")
_R = TypeVar("_R")
_wrap_db_retry = oslo_db_api.wrap_db_retry(max_retries=5, retry_on_deadlock=True)


def _retry(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``func`` again after a deadlock (MySQL/Galera roll the whole
    transaction back, so it can simply run again).

    oslo.db is untyped: this keeps the decorated function's signature.
    """
    wrapped: Callable[_P, _R] = _wrap_db_retry(func)
    return wrapped


_CONTAINER_COLUMNS = frozenset(c.name for c in Container.__table__.columns)
# Columns a caller may never write: identity and the CAS counter.
_READONLY_COLUMNS = frozenset({"id", "uuid", "version"})
# JSON has no ordering (PostgreSQL's json type cannot even be compared).
_SORTABLE_COLUMNS = frozenset(
    c.name for c in Container.__table__.columns
    if not isinstance(c.type, sa.JSON))
_SORT_DIRS = ("asc", "desc")

# A mapped attribute (``Container.host``) or the result of getattr() on a
# model class with a checked column name.
ColumnAttr = QueryableAttribute[Any]


class _Filterable(Protocol):
    def where(self, *whereclause: Any) -> Self: ...


_Stmt = TypeVar("_Stmt", bound=_Filterable)
# _scoped or _scoped_for_write, for _stale_or_missing to read back with.
Scope = Callable[[RequestContext, "sa.Select[models.Container]"],
                 "sa.Select[models.Container]"]


def _rowcount(session: Session, stmt: sa.Executable) -> int:
    """Run an UPDATE/DELETE and say how many rows it matched.

    Session.execute() is typed as returning a plain Result, but for DML it
    is a CursorResult, which alone carries ``rowcount``.
    """
    return cast("sa.CursorResult[Any]", session.execute(stmt)).rowcount


def _scoped(context: RequestContext, stmt: _Stmt) -> _Stmt:
    """Limit a container statement to the caller's project."""
    if getattr(context, "all_projects", False):
        return stmt
    return stmt.where(Container.project_id == context.project_id)


def _scoped_for_write(context: RequestContext, stmt: _Stmt) -> _Stmt:
    """Admins (the compute agent, the sync) write any project's rows."""
    if context.is_admin:
        return stmt
    return _scoped(context, stmt)


def _match(column: ColumnAttr, value: Any) -> sa.ColumnElement[bool]:
    """``column = value``; a list/tuple means IN, and None matches NULL."""
    if isinstance(value, (list, tuple, set, frozenset)):
        values = list(value)
        present = [v for v in values if v is not None]
        clauses: list[sa.ColumnElement[bool]] = []
        if present:
            clauses.append(column.in_(present))
        if len(present) != len(values):
            clauses.append(column.is_(None))
        return sa.or_(*clauses) if clauses else sa.false()
    if value is None:
        return column.is_(None)
    # (a plain ``return column == value`` is Any to mypy: value is Any)
    equal: sa.ColumnElement[bool] = column == value
    return equal


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


def _expectations(expected: dict[str, Any] | None) -> list[sa.ColumnElement[bool]]:
    if not expected:
        return []
    _check_columns(expected, "expected container field(s)")
    return [_match(getattr(Container, k), v)
            for k, v in _normalized(expected).items()]


def _stale_or_missing(session: Session, context: RequestContext, uuid: str,
                      expected: dict[str, Any] | None,
                      scope: Scope) -> exception.ZunException:
    """Why a guarded write touched no row: gone, or changed underneath."""
    row = session.execute(
        scope(context, sa.select(Container).where(Container.uuid == uuid))
    ).scalar_one_or_none()
    if row is None or not expected:
        return exception.ContainerNotFound(container=uuid)
    actual = {k: getattr(row, k) for k in expected}
    return exception.StaleUpdate(uuid=uuid, expected=expected, actual=actual)


def _fetch_container(session: Session, context: RequestContext, column: ColumnAttr,
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


def _after_marker(column: ColumnAttr, value: Any, marker_id: int, desc: bool,
                  id_column: ColumnAttr = Container.id) -> sa.ColumnElement[bool]:
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


_OrderKey = sa.UnaryExpression[Any] | OrderByList


def _page(session: Any, stmt: sa.Select[Any], model: Any, sort_key: str, desc: bool,
          limit: int | None, anchor: Any = None) -> list[Any]:
    """The rows of ``stmt`` in (``sort_key``, id) order, strictly after
    ``anchor`` (the marker's row, when paging), at most ``limit`` of them:
    the one way every list of the API pages."""
    column = getattr(model, sort_key)
    if anchor is not None:
        stmt = stmt.where(_after_marker(column, getattr(anchor, sort_key), anchor.id,
                                        desc, id_column=model.id))
    stmt = stmt.order_by(*_order_by(column, desc, id_column=model.id))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.execute(stmt).scalars().all())


def _order_by(column: ColumnAttr, desc: bool,
              id_column: ColumnAttr = Container.id) -> list[_OrderKey]:
    direction = sa.desc if desc else sa.asc
    keys: list[_OrderKey] = []
    if column is not id_column:
        keys.append(direction(sa.case((column.is_(None), 0), else_=1)))
        keys.append(direction(column))
    keys.append(direction(id_column))
    return keys
