"""Compute nodes: each host's inventory and usage, reported by its agent."""
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
    ComputeNode,
    _after_marker,
    _check_columns,
    _order_by,
    _page_params,
    _retry,
    _rowcount,
)

_NODE_COLUMNS = frozenset(c.name for c in ComputeNode.__table__.columns)
_NODE_SORTABLE = frozenset(
    c.name for c in ComputeNode.__table__.columns
    if not isinstance(c.type, sa.JSON))


def _node_missing(ident: str) -> exception.ComputeNodeNotFound:
    return exception.ComputeNodeNotFound(host=ident)


def _node_write(session: Session, hostname: str,
                values: dict[str, Any]) -> models.ComputeNode | None:
    """UPDATE first (SQLite takes its write lock before any read)."""
    values = dict(values, updated_at=models.utcnow())
    matched = _rowcount(session, sa.update(ComputeNode).where(ComputeNode.hostname == hostname)
                        .values(values).execution_options(synchronize_session=False))
    if matched != 1:
        return None
    return session.execute(
        sa.select(ComputeNode).where(ComputeNode.hostname == hostname)
        .execution_options(populate_existing=True)).scalar_one()


@_retry
def compute_node_upsert(context: RequestContext, hostname: str,
                        values: dict[str, Any]) -> models.ComputeNode:
    """Write the inventory of ``hostname``, creating its row on first report.

    ``values`` may carry the ``uuid`` to use when the row is created; an
    existing row keeps its uuid, so a host's identity never changes. Two
    writers racing to create the row both end up updating the winner's.
    """
    values = dict(values)
    uuid = values.pop("uuid", None) or uuidutils.generate_uuid()
    _check_columns(values, "compute node field(s)",
                   _NODE_COLUMNS - {"id", "uuid", "hostname"})
    for _attempt in range(2):
        with db_session.writer() as session:
            row = _node_write(session, hostname, values)
        if row is not None:
            return row
        try:
            with db_session.writer() as session:
                row = ComputeNode(uuid=uuid, hostname=hostname, **values)
                session.add(row)
                session.flush()
            return row
        except db_exc.DBDuplicateEntry:
            continue
    raise _node_missing(hostname)


def compute_node_get(context: RequestContext, ident: str) -> models.ComputeNode:
    """By uuid or hostname (a uuid match wins); raises ComputeNodeNotFound."""
    with db_session.reader() as session:
        rows = session.execute(
            sa.select(ComputeNode).where(sa.or_(ComputeNode.uuid == ident,
                                                ComputeNode.hostname == ident))
        ).scalars().all()
    if not rows:
        raise _node_missing(ident)
    return sorted(rows, key=lambda r: r.uuid != ident)[0]


def compute_node_list(context: RequestContext, limit: int | None = None,
                      marker: str | None = None, sort_key: str = "id",
                      sort_dir: str = "asc") -> list[models.ComputeNode]:
    """A page of compute nodes in (sort_key, id) order after ``marker`` (a uuid).

    NULLs sort first ascending, as for containers. Raises Invalid for an
    unknown or JSON sort key and ComputeNodeNotFound for an unknown marker.
    """
    sort_key, sort_dir = _page_params(sort_key, sort_dir, limit, _NODE_SORTABLE)
    column = getattr(ComputeNode, sort_key)
    desc = sort_dir == "desc"
    stmt = sa.select(ComputeNode)
    with db_session.reader() as session:
        if marker is not None:
            anchor = session.execute(sa.select(ComputeNode).where(
                ComputeNode.uuid == marker)).scalar_one_or_none()
            if anchor is None:
                raise _node_missing(marker)
            stmt = stmt.where(_after_marker(column, getattr(anchor, sort_key),
                                            anchor.id, desc, ComputeNode.id))
        stmt = stmt.order_by(*_order_by(column, desc, ComputeNode.id))
        if limit is not None:
            stmt = stmt.limit(limit)
        return list(session.execute(stmt).scalars().all())


@_retry
def compute_node_destroy(context: RequestContext, hostname: str) -> None:
    """Forget a host's inventory; a host without a row is not an error."""
    with db_session.writer() as session:
        session.execute(
            sa.delete(ComputeNode).where(ComputeNode.hostname == hostname)
            .execution_options(synchronize_session=False))
