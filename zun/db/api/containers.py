"""Container rows: created with their claims, read scoped to the project,
written only by compare-and-set."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from oslo_db import exception as db_exc
from oslo_utils import uuidutils
from sqlalchemy.orm import Session

from zun.common import exception
from zun.common.context import RequestContext
from zun.db import models
from zun.db import session as db_session
from zun.db.api._common import (
    _CONTAINER_COLUMNS,
    _READONLY_COLUMNS,
    _SORTABLE_COLUMNS,
    Action,
    Container,
    Event,
    _check_columns,
    _expectations,
    _fetch_container,
    _match,
    _normalized,
    _page,
    _page_params,
    _retry,
    _rowcount,
    _scoped,
    _scoped_for_write,
    _stale_or_missing,
)
from zun.db.api.claims import (
    _add_project_lock,
    _asked,
    _claim_or_refuse,
    _growth,
    _lock_host,
    _lock_project,
    _NoProjectLock,
    _quota_or_refuse,
    holds_on_host,
)


@_retry
def container_create(context: RequestContext, values: dict[str, Any],
                     capacity: dict[str, float] | None = None,
                     quota: dict[str, int] | None = None) -> models.Container:
    """Insert a container row (uuid generated if absent); version starts at 1.

    With ``capacity`` (resource -> limit on ``values["host"]``: cpu, memory
    in MiB, disk in GiB) the row is inserted only if the host's usage plus
    this container fits, atomically (HostFull otherwise). With ``quota``
    (resource -> limit, -1 unlimited, as :func:`quota_get` returns) the
    project's usage plus this container must fit too (OverQuota, 403),
    checked in the same transaction. Raises ContainerAlreadyExists on a
    duplicate uuid.
    """
    values = _normalized(dict(values))
    _check_columns(set(values) - {"uuid"}, "container field(s)",
                   _CONTAINER_COLUMNS - _READONLY_COLUMNS)
    values.setdefault("uuid", uuidutils.generate_uuid())
    values.setdefault("project_id", context.project_id)
    values.setdefault("user_id", context.user_id)
    values["version"] = 1
    project: str | None = values["project_id"] if quota is not None else None
    for _attempt in range(2):
        row = Container(**values)
        try:
            with db_session.writer() as session:
                # Every lock before any plain read: MySQL's REPEATABLE READ
                # snapshot starts at the first plain read, so a sum read
                # before the second lock is taken could miss rows committed
                # by whoever held it.
                if project is not None:
                    _lock_project(session, project)
                if capacity is not None:
                    _lock_host(session, values["host"])
                asked = _asked(values)
                if project is not None and quota is not None:
                    _quota_or_refuse(session, project, dict(asked, containers=1),
                                     quota)
                if capacity is not None:
                    _claim_or_refuse(session, values["host"], asked, capacity)
                session.add(row)
                session.flush()
            return row
        except _NoProjectLock as missing:
            _add_project_lock(missing.project_id)
        except db_exc.DBDuplicateEntry as exc:
            raise exception.ContainerAlreadyExists(field="uuid",
                                                   value=values["uuid"]) from exc
    raise exception.ZunException(
        "Could not lock the quota of project %s." % project)


def container_get(context: RequestContext, ident: str) -> models.Container:
    """By uuid if ``ident`` looks like a uuid, else by name (project scoped).

    Raises ContainerNotFound, or ContainerNameAmbiguous (409) when the name
    matches several containers visible to the caller.
    """
    if uuidutils.is_uuid_like(ident):
        return container_get_by_uuid(context, ident)
    with db_session.reader() as session:
        return _fetch_container(session, context, Container.name, ident)


def container_get_by_uuid(context: RequestContext, uuid: str) -> models.Container:
    """Project-scoped; raises ContainerNotFound."""
    with db_session.reader() as session:
        return _fetch_container(session, context, Container.uuid, uuid)


def container_list(context: RequestContext, filters: dict[str, Any] | None = None,
                   limit: int | None = None, marker: str | None = None,
                   sort_key: str = "id", sort_dir: str = "asc") -> list[models.Container]:
    """Project-scoped page of containers.

    ``filters``: column -> value (or list of values, matched with IN) for
    name, image, project_id, user_id, memory, host, task_state, status,
    auto_remove. ``marker`` is a uuid (ContainerNotFound if unknown); rows
    after it in (sort_key, sort_dir, id) order are returned.

    Any other container column is accepted as a filter too (internal
    callers); the API validates which keys users may send.
    """
    sort_key, sort_dir = _page_params(sort_key, sort_dir, limit, _SORTABLE_COLUMNS)
    filters = _normalized(filters or {})
    _check_columns(filters, "filter(s)")

    stmt = _scoped(context, sa.select(Container))
    for key, value in filters.items():
        stmt = stmt.where(_match(getattr(Container, key), value))
    with db_session.reader() as session:
        anchor = (_fetch_container(session, context, Container.uuid, marker)
                  if marker is not None else None)
        return _page(session, stmt, Container, sort_key, sort_dir == "desc", limit,
                     anchor)


def container_list_by_host(context: RequestContext, host: str) -> list[models.Container]:
    """Every container row on ``host`` (all projects), in one query."""
    with db_session.reader() as session:
        return list(session.execute(
            sa.select(Container).where(Container.host == host)
            .order_by(Container.id)).scalars().all())


@_retry
def container_update(context: RequestContext, uuid: str, values: dict[str, Any],
                     expected: dict[str, Any] | None = None) -> models.Container:
    """Compare-and-set update of one container; returns the updated row.

    ``expected`` maps column -> value, or column -> list/tuple of acceptable
    values; the UPDATE only applies if every condition holds (one
    ``UPDATE ... WHERE uuid=? AND ...`` statement). ``version`` is
    incremented on every successful update. Not scoped to a project when the
    context is admin. Raises ContainerNotFound if the row does not exist and
    StaleUpdate (409, with ``actual`` values) if an expectation failed.
    """
    values = _checked_update(values)
    with db_session.writer() as session:
        _compare_and_set(session, context, uuid, values, expected)
        return _reread(session, uuid)


def _checked_update(values: dict[str, Any]) -> dict[str, Any]:
    values = _normalized(dict(values))
    _check_columns(values, "container field(s)",
                   _CONTAINER_COLUMNS - _READONLY_COLUMNS)
    values.setdefault("updated_at", models.utcnow())
    return values


def _compare_and_set(session: Session, context: RequestContext, uuid: str,
                     values: dict[str, Any], expected: dict[str, Any] | None) -> None:
    """One ``UPDATE ... WHERE uuid=? AND <expected>`` bumping ``version``;
    ContainerNotFound or StaleUpdate when it matched no row."""
    stmt = _scoped_for_write(
        context,
        sa.update(Container).where(Container.uuid == uuid,
                                   *_expectations(expected))
    ).values(dict(values, version=Container.version + 1)).execution_options(
        synchronize_session=False)
    if _rowcount(session, stmt) != 1:
        raise _stale_or_missing(session, context, uuid, expected, _scoped_for_write)


def _reread(session: Session, uuid: str) -> models.Container:
    return session.execute(
        sa.select(Container).where(Container.uuid == uuid)
        .execution_options(populate_existing=True)).scalar_one()


@_retry
def container_claim(context: RequestContext, uuid: str, values: dict[str, Any],
                    expected: dict[str, Any] | None = None,
                    capacity: dict[str, float] | None = None,
                    quota: dict[str, int] | None = None
                    ) -> tuple[models.Container, dict[str, Any]]:
    """A compare-and-set (as :func:`container_update`) that may grow what
    the row holds, checked as a create's insert is.

    Returns the updated row and what the written columns held before, so
    that a caller whose operation fails can give back exactly what it took.

    For claiming a row for an operation (``values`` holding its task state),
    optionally with new cpu/memory/disk (a resize). With ``quota`` (as
    :func:`quota_get` returns) the project's usage may grow only within it
    (OverQuota, 403); with ``capacity`` (as for :func:`container_create`)
    the usage of the row's host may grow only within it (HostFull, 409).
    Growth is what the row holds after the write minus what it held before:
    new values above the old ones, and on the host everything when the row
    held nothing there (e.g. a rebuild of an Error row with no runtime
    container). Shrinking or keeping is never refused. Nothing is written
    when a check or ``expected`` fails (StaleUpdate, ContainerNotFound).
    With neither ``quota`` nor ``capacity`` there is nothing to check: a
    plain compare-and-set, and the old values are not read (``{}``).
    """
    values = _checked_update(values)
    if quota is None and capacity is None:
        with db_session.writer() as session:
            _compare_and_set(session, context, uuid, values, expected)
            return _reread(session, uuid), {}
    for _attempt in range(2):
        try:
            with db_session.writer() as session:
                # The row first, with a locking read (no snapshot taken, as
                # no plain read has run yet), then its compare-and-set; the
                # project and host locks after it, and only then the sums
                # (see container_create for why locks come first). No one
                # locks a container row while holding a project or host
                # lock, so this order cannot deadlock with a create.
                before = session.execute(
                    _scoped_for_write(context, sa.select(Container)
                                      .where(Container.uuid == uuid))
                    .with_for_update()).scalar_one_or_none()
                if before is None:
                    raise exception.ContainerNotFound(container=uuid)
                previous = {k: getattr(before, k) for k in values
                            if k != "updated_at"}
                old = _asked(before)
                held = old if holds_on_host(before.status, before.container_id,
                                            before.task_state) else _asked({})
                host, project = before.host, before.project_id
                # what the row will hold, from the values (a plain read of
                # the updated row here would start MySQL's snapshot early)
                after = {k: values.get(k, getattr(before, k)) for k in
                         ("status", "container_id", "task_state", "cpu", "memory",
                          "disk")}
                new = _asked(after)
                grows_quota = _growth(old, new)
                grows_host = _growth(held, new if holds_on_host(
                    after["status"], after["container_id"], after["task_state"])
                    else held)
                _compare_and_set(session, context, uuid, values, expected)
                check_quota = (quota is not None and project is not None
                               and any(grows_quota.values()))
                check_host = (capacity is not None and host is not None
                              and any(grows_host.values()))
                if check_quota and project is not None:
                    _lock_project(session, project)
                if check_host and host is not None:
                    _lock_host(session, host)
                if check_quota and project is not None and quota is not None:
                    _quota_or_refuse(session, project, grows_quota, quota, written=True)
                if check_host and host is not None and capacity is not None:
                    _claim_or_refuse(session, host, grows_host, capacity, written=True)
                return _reread(session, uuid), previous
        except _NoProjectLock as missing:
            _add_project_lock(missing.project_id)
    raise exception.ZunException(
        "Could not lock the quota of the project of container %s." % uuid)


@_retry
def container_destroy(context: RequestContext, uuid: str,
                      expected: dict[str, Any] | None = None) -> None:
    """Delete the row (and its actions/events); same ``expected`` semantics."""
    stmt = _scoped_for_write(
        context,
        sa.delete(Container).where(Container.uuid == uuid,
                                   *_expectations(expected))
    ).execution_options(synchronize_session=False)
    with db_session.writer() as session:
        if _rowcount(session, stmt) != 1:
            raise _stale_or_missing(session, context, uuid, expected,
                                    _scoped_for_write)
        # Explicit rather than relying on ON DELETE CASCADE, which SQLite
        # only honours with its foreign_keys pragma on.
        action_ids = sa.select(Action.id).where(Action.container_uuid == uuid)
        session.execute(sa.delete(Event).where(Event.action_id.in_(action_ids))
                        .execution_options(synchronize_session=False))
        session.execute(sa.delete(Action).where(Action.container_uuid == uuid)
                        .execution_options(synchronize_session=False))
