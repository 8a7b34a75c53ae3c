"""Quota limits of projects and quota classes (usage lives in the rows)."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from oslo_db import exception as db_exc
from sqlalchemy.orm import Session

from zun.common import exception
from zun.common.context import RequestContext
from zun.conf import CONF
from zun.conf import quota as quota_conf
from zun.db import models
from zun.db import session as db_session
from zun.db.api._common import _check_columns, _retry, _rowcount
from zun.db.api.claims import _project_usage

Quota = models.Quota
QuotaClass = models.QuotaClass
DEFAULT_QUOTA_CLASS = "default"



def _check_resources(values: dict[str, Any]) -> None:
    _check_columns(values, "quota resource(s)", frozenset(quota_conf.RESOURCES))


def _class_limits(session: Session, class_name: str) -> dict[str, int]:
    """Config defaults, overridden by the default class, then by ``class_name``."""
    limits = {r: getattr(CONF.quota, r) for r in quota_conf.RESOURCES}
    rows = session.execute(
        sa.select(QuotaClass).where(QuotaClass.class_name.in_(
            {DEFAULT_QUOTA_CLASS, class_name}))).scalars().all()
    for row in sorted(rows, key=lambda r: r.class_name == class_name):
        if row.resource in limits:
            limits[row.resource] = row.hard_limit
    return limits


def _upsert_limits(model: type[models.Quota] | type[models.QuotaClass],
                   owner_column: str, owner: str,
                   values: dict[str, int]) -> None:
    """UPDATE each limit, INSERT the missing; a racing INSERT means retry."""
    _check_resources(values)
    owner_col = getattr(model, owner_column)
    for _attempt in range(2):
        try:
            with db_session.writer() as session:
                for resource, limit in values.items():
                    matched = _rowcount(session, (
                        sa.update(model)
                        .where(owner_col == owner, model.resource == resource)
                        .values(hard_limit=limit, updated_at=models.utcnow())
                        .execution_options(synchronize_session=False)))
                    if matched == 0:
                        session.add(model(**{owner_column: owner},
                                          resource=resource, hard_limit=limit))
                session.flush()
            return
        except db_exc.DBDuplicateEntry:
            continue
    raise exception.Conflict(reason="quota of %s changed concurrently; retry"
                             % owner)


def quota_class_get(context: RequestContext, class_name: str) -> dict[str, int]:
    """Every resource's limit in the class; a class never set is the defaults."""
    with db_session.reader() as session:
        return _class_limits(session, class_name)


def quota_defaults(context: RequestContext) -> dict[str, int]:
    """What a project with no limits of its own gets."""
    return quota_class_get(context, DEFAULT_QUOTA_CLASS)


@_retry
def quota_class_update(context: RequestContext, class_name: str,
                       values: dict[str, int]) -> dict[str, int]:
    """Set some limits of the class; returns all of its limits."""
    _upsert_limits(QuotaClass, "class_name", class_name, values)
    return quota_class_get(context, class_name)


def quota_get(context: RequestContext, project_id: str) -> dict[str, int]:
    """The project's limits: its own rows over the defaults (-1 unlimited)."""
    with db_session.reader() as session:
        limits = _class_limits(session, DEFAULT_QUOTA_CLASS)
        rows = session.execute(
            sa.select(Quota).where(Quota.project_id == project_id)).scalars().all()
    limits.update({r.resource: r.hard_limit for r in rows if r.resource in limits})
    return limits


@_retry
def quota_update(context: RequestContext, project_id: str,
                 values: dict[str, int]) -> dict[str, int]:
    """Set some of the project's own limits; returns all of its limits."""
    _upsert_limits(Quota, "project_id", project_id, values)
    return quota_get(context, project_id)


@_retry
def quota_destroy(context: RequestContext, project_id: str) -> None:
    """Drop the project's own limits: it is back on the defaults."""
    with db_session.writer() as session:
        session.execute(sa.delete(Quota).where(Quota.project_id == project_id)
                        .execution_options(synchronize_session=False))


def quota_usage(context: RequestContext, project_id: str) -> dict[str, float]:
    """What the project's containers have asked for: every row, in any
    state, until it is deleted (see zun.db.api.claims)."""
    with db_session.reader() as session:
        return _project_usage(session, project_id)
