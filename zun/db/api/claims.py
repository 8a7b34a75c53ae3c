"""Resource claims and quota checks, made inside the inserting transaction.

A create locks its project's row and its host's inventory row before any
plain read, sums what the rows already hold and refuses what would not fit:
two concurrent creates can neither overcommit a host nor exceed a quota.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from oslo_db import exception as db_exc
from sqlalchemy.orm import Session

from zun.common import exception
from zun.common.context import RequestContext
from zun.conf import quota as quota_conf
from zun.db import models
from zun.db import session as db_session
from zun.db.api._common import ComputeNode, Container


def _resource_sums() -> tuple[sa.ColumnElement[Any], sa.ColumnElement[Any],
                             sa.ColumnElement[Any]]:
    """SUM(cpu), SUM(memory as MiB), SUM(disk), zero when there are no rows."""
    return (sa.func.coalesce(sa.func.sum(Container.cpu), 0.0),
            sa.func.coalesce(sa.func.sum(sa.cast(Container.memory, sa.Integer)), 0),
            sa.func.coalesce(sa.func.sum(Container.disk), 0))


def _asked(values: dict[str, Any]) -> dict[str, float]:
    return {"cpu": float(values.get("cpu") or 0),
            "memory": int(values.get("memory") or 0),
            "disk": int(values.get("disk") or 0)}


def _lock_host(session: Session, host: str) -> None:
    """Queue concurrent claims on one host behind its compute_node row.

    SELECT ... FOR UPDATE on MySQL/PostgreSQL; SQLite write transactions are
    already serialised by BEGIN IMMEDIATE.
    """
    session.execute(sa.select(ComputeNode.id).where(ComputeNode.hostname == host)
                    .with_for_update()).all()


def _claim_or_refuse(session: Session, values: dict[str, Any],
                     capacity: dict[str, float]) -> None:
    """Check, in the inserting transaction and under the host lock, that the
    host has room, against the usage summed from the container rows."""
    host = values["host"]
    used = session.execute(
        sa.select(*_resource_sums()).where(Container.host == host, *_consuming())).one()
    for (resource, request), in_use in zip(_asked(values).items(), used, strict=True):
        limit = capacity.get(resource)
        if limit is not None and float(in_use) + request > limit + 1e-9:
            raise exception.HostFull(host=host, resource=resource, requested=request,
                                     used=round(float(in_use), 3), limit=round(limit, 3))


def _consuming() -> list[sa.ColumnElement[bool]]:
    """Rows that hold resources on their host: all but those with nothing there."""
    return [sa.not_(sa.and_(Container.status == "Error",
                            Container.container_id.is_(None),
                            Container.task_state.is_(None)))]


def host_usage(context: RequestContext, host: str) -> dict[str, float]:
    """cpu, memory (MiB) and disk (GiB) held by the containers of ``host``."""
    with db_session.reader() as session:
        cpu, memory, disk = session.execute(
            sa.select(*_resource_sums())
            .where(Container.host == host, *_consuming())).one()
    return {"cpu": float(cpu), "memory": float(memory), "disk": float(disk)}


class _NoProjectLock(Exception):
    """The project has no lock row yet: create it outside the transaction
    (a duplicate-key error would abort a PostgreSQL transaction) and retry."""

    def __init__(self, project_id: str) -> None:
        super().__init__(project_id)
        self.project_id = project_id


def _lock_project(session: Session, project_id: str) -> None:
    """Queue concurrent quota checks of one project behind its lock row."""
    found = session.execute(
        sa.select(models.ProjectLock.project_id)
        .where(models.ProjectLock.project_id == project_id)
        .with_for_update()).first()
    if found is None:
        raise _NoProjectLock(project_id)


def _add_project_lock(project_id: str) -> None:
    try:
        with db_session.writer() as session:
            session.add(models.ProjectLock(project_id=project_id))
            session.flush()
    except db_exc.DBDuplicateEntry:
        pass  # a concurrent create made it first: just as good


def _project_usage(session: Session, project_id: str) -> dict[str, float]:
    count, cpu, memory, disk = session.execute(
        sa.select(sa.func.count(Container.id), *_resource_sums())
        .where(Container.project_id == project_id, *_consuming())).one()
    return {"containers": int(count), "cpu": float(cpu),
            "memory": int(memory), "disk": int(disk)}


def _quota_or_refuse(session: Session, project_id: str, values: dict[str, Any],
                     limits: dict[str, int]) -> None:
    """Under the project lock: refuse what would take a resource past its
    limit. A resource not asked for is never refused, even if an admin has
    since lowered its limit below the usage."""
    used = _project_usage(session, project_id)
    asked = dict(_asked(values), containers=1)
    for resource, request in asked.items():
        limit = limits.get(resource, quota_conf.UNLIMITED)
        if limit < 0 or not request:
            continue
        if used[resource] + request > limit + 1e-9:
            raise exception.OverQuota(resource=resource, requested=request,
                                      used=used[resource], limit=limit)
