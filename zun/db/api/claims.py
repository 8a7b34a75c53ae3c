"""Resource claims and quota checks, made inside the writing transaction.

Two sums, two meanings:

* A project's quota counts every row it has, whatever its state, until the
  row is deleted: the quota is what the project has *asked for* (as
  upstream). A create that failed (image missing, no host) still counts, so
  a scheduling failure cannot make a tenant write rows without bound, and a
  rebuild or start of such a row never needs quota again.
* A host's capacity counts only the rows that hold something there
  (:func:`_consuming`): an Error row with no runtime container and no
  operation in flight holds nothing on its host.

Every write that adds or grows usage (a create's insert, a claim's
compare-and-set: resize, rebuild/start of a row holding nothing) locks the
project's row, then the host's inventory row, before any plain read, sums
what the rows hold and refuses what would not fit, in the same transaction
as the write: concurrent writers can neither overcommit a host nor exceed a
quota. What only shrinks or keeps usage is never refused, even past a limit
an administrator has since lowered.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from oslo_db import exception as db_exc
from sqlalchemy.orm import Session

from zun.common import exception, states
from zun.common.context import RequestContext
from zun.conf import quota as quota_conf
from zun.db import models
from zun.db import session as db_session
from zun.db.api._common import ComputeNode, Container

# The resources a row asks for, in the order of _resource_sums().
_RESOURCES = ("cpu", "memory", "disk")


def _resource_sums() -> tuple[sa.ColumnElement[Any], sa.ColumnElement[Any],
                             sa.ColumnElement[Any]]:
    """SUM(cpu), SUM(memory as MiB), SUM(disk), zero when there are no rows."""
    return (sa.func.coalesce(sa.func.sum(Container.cpu), 0.0),
            sa.func.coalesce(sa.func.sum(sa.cast(Container.memory, sa.Integer)), 0),
            sa.func.coalesce(sa.func.sum(Container.disk), 0))


def _asked(values: Any) -> dict[str, float]:
    """cpu, memory (MiB) and disk (GiB) of a row or of a dict of its columns."""
    get = values.get if isinstance(values, dict) else (
        lambda key: getattr(values, key, None))
    return {"cpu": float(get("cpu") or 0),
            "memory": int(get("memory") or 0),
            "disk": int(get("disk") or 0)}


def _consuming() -> list[sa.ColumnElement[bool]]:
    """Rows that hold resources on their host: all but those with nothing there.

    :func:`holds_on_host` says the same of one row in Python.
    """
    return [sa.not_(sa.and_(Container.status == states.ERROR,
                            Container.container_id.is_(None),
                            Container.task_state.is_(None)))]


def holds_on_host(status: str | None, container_id: str | None,
                  task_state: str | None) -> bool:
    """Whether a row in this state holds its resources on its host (the
    Python twin of :func:`_consuming`; a test keeps them in step)."""
    return not (status == states.ERROR and container_id is None
                and task_state is None)


def _growth(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """What ``after`` adds to ``before``, resource by resource (0: nothing)."""
    return {r: max(after[r] - before[r], 0) for r in after}


def _lock_host(session: Session, host: str) -> None:
    """Queue concurrent claims on one host behind its compute_node row.

    SELECT ... FOR UPDATE on MySQL/PostgreSQL; SQLite write transactions are
    already serialised by BEGIN IMMEDIATE.
    """
    session.execute(sa.select(ComputeNode.id).where(ComputeNode.hostname == host)
                    .with_for_update()).all()


def _host_used(session: Session, host: str) -> dict[str, float]:
    used = session.execute(
        sa.select(*_resource_sums()).where(Container.host == host, *_consuming())).one()
    return {r: float(v) for r, v in zip(_RESOURCES, used, strict=True)}


def _claim_or_refuse(session: Session, host: str, growth: dict[str, float],
                     capacity: dict[str, float],
                     written: bool = False) -> None:
    """Under the host lock: refuse (HostFull) a ``growth`` of the host's
    usage that would take a resource past its ``capacity``.

    ``written``: the growth is already in the rows (a claim's update ran
    first in this transaction), so the sum includes it.
    """
    used = _host_used(session, host)
    for resource, request in growth.items():
        limit = capacity.get(resource)
        if limit is None or request <= 0:
            continue
        before = used[resource] - (request if written else 0)
        if before + request > limit + 1e-9:
            raise exception.HostFull(host=host, resource=resource, requested=request,
                                     used=round(before, 3), limit=round(limit, 3))


def host_usage(context: RequestContext, host: str) -> dict[str, float]:
    """cpu, memory (MiB) and disk (GiB) held by the containers of ``host``."""
    with db_session.reader() as session:
        return _host_used(session, host)


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
    """What the project has asked for: every row it has, in any state."""
    count, cpu, memory, disk = session.execute(
        sa.select(sa.func.count(Container.id), *_resource_sums())
        .where(Container.project_id == project_id)).one()
    return {"containers": int(count), "cpu": float(cpu),
            "memory": int(memory), "disk": int(disk)}


def _quota_or_refuse(session: Session, project_id: str, growth: dict[str, float],
                     limits: dict[str, int], written: bool = False) -> None:
    """Under the project lock: refuse (OverQuota) a ``growth`` of the
    project's usage that would take a resource past its limit.

    A resource that does not grow is never refused, even if an admin has
    since lowered its limit below the usage. ``written`` as for
    :func:`_claim_or_refuse`.
    """
    used = _project_usage(session, project_id)
    for resource, request in growth.items():
        limit = limits.get(resource, quota_conf.UNLIMITED)
        if limit < 0 or request <= 0:
            continue
        before = used[resource] - (request if written else 0)
        if before + request > limit + 1e-9:
            raise exception.OverQuota(resource=resource, requested=request,
                                      used=before, limit=limit)
