"""Service rows: one per agent, kept alive by its heartbeat."""
from __future__ import annotations

import datetime
from typing import Any, Unpack

import sqlalchemy as sa
from oslo_db import exception as db_exc
from sqlalchemy.orm import Session

from zun.common import exception
from zun.common.context import RequestContext
from zun.db import models
from zun.db import session as db_session
from zun.db.api._common import Service, _check_columns, _retry, _rowcount


def _service_missing(host: str, binary: str) -> exception.ServiceNotFound:
    return exception.ServiceNotFound(service=f"{binary} on host {host}")


def _service_where(host: str,
                   binary: str) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[bool]]:
    return Service.host == host, Service.binary == binary


def _service_columns(values: dict[str, Any]) -> None:
    _check_columns(values, "service field(s)",
                   frozenset(c.name for c in Service.__table__.columns) - {"id"})


@_retry
def service_create(context: RequestContext, values: dict[str, Any]) -> models.ZunService:
    """Raises ServiceAlreadyExists for a duplicate (host, binary)."""
    _service_columns(values)
    row = Service(**values)
    try:
        with db_session.writer() as session:
            session.add(row)
            session.flush()
    except db_exc.DBDuplicateEntry as exc:
        raise exception.ServiceAlreadyExists(host=values.get("host"),
                                             binary=values.get("binary")) from exc
    return row


def service_get(context: RequestContext, host: str, binary: str) -> models.ZunService:
    """Raises ServiceNotFound."""
    with db_session.reader() as session:
        row = session.execute(sa.select(Service).where(
            *_service_where(host, binary))).scalar_one_or_none()
    if row is None:
        raise _service_missing(host, binary)
    return row


def service_list(context: RequestContext,
                 binary: str | None = None) -> list[models.ZunService]:
    stmt = sa.select(Service).order_by(Service.id)
    if binary is not None:
        stmt = stmt.where(Service.binary == binary)
    with db_session.reader() as session:
        return list(session.execute(stmt).scalars().all())


def _service_write(session: Session, host: str, binary: str,
                   values: dict[str, Any]) -> models.ZunService | None:
    """UPDATE first so a SQLite writer takes the lock before any read."""
    values = dict(values)
    values.setdefault("updated_at", models.utcnow())
    matched = _rowcount(session, sa.update(Service).where(*_service_where(host, binary))
                        .values(values).execution_options(synchronize_session=False))
    if matched != 1:
        return None
    return session.execute(
        sa.select(Service).where(*_service_where(host, binary))
        .execution_options(populate_existing=True)).scalar_one()


@_retry
def service_update(context: RequestContext, host: str, binary: str,
                   values: dict[str, Any]) -> models.ZunService:
    """Raises ServiceNotFound."""
    _service_columns(values)
    with db_session.writer() as session:
        row = _service_write(session, host, binary, values)
    if row is None:
        raise _service_missing(host, binary)
    return row


@_retry
def service_heartbeat(context: RequestContext, host: str, binary: str,
                      values: dict[str, Any] | None = None) -> models.ZunService:
    """Upsert the service row, set last_seen_up=now, report_count += 1.

    Two agents starting at once may both find no row; the loser of the
    INSERT race sees DBDuplicateEntry and simply updates the winner's row.
    """
    values = dict(values or {})
    _service_columns(values)
    for _attempt in range(2):
        now = models.utcnow()
        with db_session.writer() as session:
            row = _service_write(
                session, host, binary,
                dict(values, last_seen_up=now,
                     report_count=Service.report_count + 1))
        if row is not None:
            return row
        try:
            return service_create(context, dict(
                values, host=host, binary=binary, last_seen_up=now,
                report_count=1))
        except exception.ServiceAlreadyExists:
            continue
    raise _service_missing(host, binary)


@_retry
def service_destroy(context: RequestContext, host: str, binary: str) -> None:
    """Raises ServiceNotFound."""
    with db_session.writer() as session:
        matched = _rowcount(session, sa.delete(Service).where(*_service_where(host, binary))
                            .execution_options(synchronize_session=False))
    if matched != 1:
        raise _service_missing(host, binary)


def service_list_schedulable(
        context: RequestContext, binary: str,
        seen_since: datetime.datetime) -> list[sa.Row[Unpack[tuple[Any, ...]]]]:
    """Enabled services heard from since ``seen_since``, with their inventory.

    One Core query of plain rows (host, driver, availability_zone,
    capabilities, cpus, mem_total, disk_total, runtimes, labels; inventory
    columns None for a host that has not reported one): the scheduler's
    hot path, where loading two ORM objects per host would dominate.
    """
    node = models.ComputeNode
    stmt = (sa.select(Service.host, Service.driver, Service.availability_zone,
                      Service.capabilities, node.cpus, node.mem_total,
                      node.disk_total, node.runtimes, node.labels)
            .outerjoin(node, node.hostname == Service.host)
            .where(Service.binary == binary, Service.disabled == sa.false(),
                   Service.forced_down == sa.false(),
                   Service.last_seen_up >= seen_since))
    with db_session.reader() as session:
        return list(session.execute(stmt).all())
