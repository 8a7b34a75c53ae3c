"""The DB API: every read and write of zun's state goes through these functions.

Each takes the request context first. Container reads are scoped to
``context.project_id`` unless ``context.all_projects`` is set (an admin who
asked for it), so another project's container is simply "not found".

Functions return detached model objects (``zun.db.models``) whose columns are
loaded; they never lazy-load. Every status/task_state write on a container is
a compare-and-set through :func:`container_update` with ``expected``.
"""
from __future__ import annotations

from typing import Any, Iterable

import sqlalchemy as sa
from oslo_db import api as oslo_db_api
from oslo_db import exception as db_exc
from oslo_utils import uuidutils

from zun.common import exception
from zun.common.context import RequestContext
from zun.conf import CONF
from zun.conf import quota as quota_conf
from zun.db import models
from zun.db import session as db_session

Container = models.Container
Action = models.ContainerAction
Event = models.ContainerActionEvent
Service = models.ZunService

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


# --- helpers -----------------------------------------------------------------
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


# --- containers ------------------------------------------------------------
@_retry
def container_create(context: RequestContext, values: dict[str, Any],
                     capacity: dict[str, float] | None = None,
                     quota: dict[str, int] | None = None) -> Any:
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
    project = values["project_id"] if quota is not None else None
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
                if project is not None:
                    _quota_or_refuse(session, project, values, quota)
                if capacity is not None:
                    _claim_or_refuse(session, values, capacity)
                session.add(row)
                session.flush()
            return row
        except _NoProjectLock:
            _add_project_lock(project)
        except db_exc.DBDuplicateEntry:
            raise exception.ContainerAlreadyExists(field="uuid",
                                                   value=values["uuid"])
    raise exception.ZunException(
        "Could not lock the quota of project %s." % project)


def _resource_sums() -> tuple[Any, Any, Any]:
    """SUM(cpu), SUM(memory as MiB), SUM(disk), zero when there are no rows."""
    return (sa.func.coalesce(sa.func.sum(Container.cpu), 0.0),
            sa.func.coalesce(sa.func.sum(sa.cast(Container.memory, sa.Integer)), 0),
            sa.func.coalesce(sa.func.sum(Container.disk), 0))


def _asked(values: dict[str, Any]) -> dict[str, float]:
    return {"cpu": float(values.get("cpu") or 0),
            "memory": int(values.get("memory") or 0),
            "disk": int(values.get("disk") or 0)}


def _lock_host(session: Any, host: str) -> None:
    """Queue concurrent claims on one host behind its compute_node row.

    SELECT ... FOR UPDATE on MySQL/PostgreSQL; SQLite write transactions are
    already serialised by BEGIN IMMEDIATE.
    """
    session.execute(sa.select(ComputeNode.id).where(ComputeNode.hostname == host)
                    .with_for_update()).all()


def _claim_or_refuse(session: Any, values: dict[str, Any],
                     capacity: dict[str, float]) -> None:
    """Check, in the inserting transaction and under the host lock, that the
    host has room, against the usage summed from the container rows."""
    host = values["host"]
    used = session.execute(
        sa.select(*_resource_sums()).where(Container.host == host, *_consuming())).one()
    for (resource, request), in_use in zip(_asked(values).items(), used):
        limit = capacity.get(resource)
        if limit is not None and float(in_use) + request > limit + 1e-9:
            raise exception.HostFull(host=host, resource=resource, requested=request,
                                     used=round(float(in_use), 3), limit=round(limit, 3))


def _consuming() -> list[Any]:
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


def container_get(context: RequestContext, ident: str) -> Any:
    """By uuid if ``ident`` looks like a uuid, else by name (project scoped).

    Raises ContainerNotFound, or ContainerNameAmbiguous (409) when the name
    matches several containers visible to the caller.
    """
    if uuidutils.is_uuid_like(ident):
        return container_get_by_uuid(context, ident)
    with db_session.reader() as session:
        return _fetch_container(session, context, Container.name, ident)


def container_get_by_uuid(context: RequestContext, uuid: str) -> Any:
    """Project-scoped; raises ContainerNotFound."""
    with db_session.reader() as session:
        return _fetch_container(session, context, Container.uuid, uuid)


def container_list(context: RequestContext, filters: dict[str, Any] | None = None,
                   limit: int | None = None, marker: str | None = None,
                   sort_key: str = "id", sort_dir: str = "asc") -> list[Any]:
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

    column = getattr(Container, sort_key)
    desc = sort_dir == "desc"
    stmt = _scoped(context, sa.select(Container))
    for key, value in filters.items():
        stmt = stmt.where(_match(getattr(Container, key), value))
    with db_session.reader() as session:
        if marker is not None:
            anchor = _fetch_container(session, context, Container.uuid, marker)
            stmt = stmt.where(_after_marker(column, getattr(anchor, sort_key),
                                            anchor.id, desc))
        stmt = stmt.order_by(*_order_by(column, desc))
        if limit is not None:
            stmt = stmt.limit(limit)
        return list(session.execute(stmt).scalars().all())


def container_list_by_host(context: RequestContext, host: str) -> list[Any]:
    """Every container row on ``host`` (all projects), in one query."""
    with db_session.reader() as session:
        return list(session.execute(
            sa.select(Container).where(Container.host == host)
            .order_by(Container.id)).scalars().all())


@_retry
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
    values = _normalized(dict(values))
    _check_columns(values, "container field(s)",
                   _CONTAINER_COLUMNS - _READONLY_COLUMNS)
    values.setdefault("updated_at", models.utcnow())
    values["version"] = Container.version + 1
    stmt = _scoped_for_write(
        context,
        sa.update(Container).where(Container.uuid == uuid,
                                   *_expectations(expected))
    ).values(values).execution_options(synchronize_session=False)
    with db_session.writer() as session:
        if session.execute(stmt).rowcount != 1:
            raise _stale_or_missing(session, context, uuid, expected,
                                    _scoped_for_write)
        return session.execute(
            sa.select(Container).where(Container.uuid == uuid)
            .execution_options(populate_existing=True)).scalar_one()


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
        if session.execute(stmt).rowcount != 1:
            raise _stale_or_missing(session, context, uuid, expected,
                                    _scoped_for_write)
        # Explicit rather than relying on ON DELETE CASCADE, which SQLite
        # only honours with its foreign_keys pragma on.
        action_ids = sa.select(Action.id).where(Action.container_uuid == uuid)
        session.execute(sa.delete(Event).where(Event.action_id.in_(action_ids))
                        .execution_options(synchronize_session=False))
        session.execute(sa.delete(Action).where(Action.container_uuid == uuid)
                        .execution_options(synchronize_session=False))


# --- container actions and events -------------------------------------------
def _action_query(container_uuid: str, request_id: str) -> Any:
    return (sa.select(Action)
            .where(Action.container_uuid == container_uuid,
                   Action.request_id == request_id)
            .order_by(Action.id.desc()).limit(1))


def _get_action(session: Any, container_uuid: str,
                request_id: str) -> models.ContainerAction:
    row = session.execute(
        _action_query(container_uuid, request_id)).scalar_one_or_none()
    if row is None:
        raise exception.ContainerActionNotFound(request_id=request_id,
                                                container=container_uuid)
    return row


@_retry
def action_start(context: RequestContext, container_uuid: str, action: str,
                 message: str | None = None) -> Any:
    """Record that ``action`` started for this request (context.request_id)."""
    row = Action(action=action, container_uuid=container_uuid,
                 request_id=context.request_id, user_id=context.user_id,
                 project_id=context.project_id, start_time=models.utcnow(),
                 message=message)
    with db_session.writer() as session:
        session.add(row)
        session.flush()
    return row


@_retry
def action_finish(context: RequestContext, container_uuid: str,
                  request_id: str, message: str | None = None) -> Any:
    """Set finish_time (and message, e.g. 'Error') of the action."""
    with db_session.writer() as session:
        row = _get_action(session, container_uuid, request_id)
        row.finish_time = models.utcnow()
        if message is not None:
            row.message = message
        session.flush()
        return row


def action_get_by_request_id(context: RequestContext, container_uuid: str,
                             request_id: str) -> Any:
    """Raises ContainerActionNotFound."""
    with db_session.reader() as session:
        return _get_action(session, container_uuid, request_id)


def actions_get(context: RequestContext, container_uuid: str) -> list[Any]:
    """Actions of a container, newest first."""
    with db_session.reader() as session:
        return list(session.execute(
            sa.select(Action).where(Action.container_uuid == container_uuid)
            .order_by(Action.created_at.desc(), Action.id.desc())
        ).scalars().all())


@_retry
def action_event_start(context: RequestContext, container_uuid: str,
                       request_id: str, event: str) -> Any:
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
                        details: str | None = None) -> Any:
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


def action_events_get(context: RequestContext, action_id: int) -> list[Any]:
    """Events of one action, oldest first."""
    with db_session.reader() as session:
        return list(session.execute(
            sa.select(Event).where(Event.action_id == action_id)
            .order_by(Event.id)).scalars().all())


# --- services ----------------------------------------------------------------
def _service_missing(host: str, binary: str) -> exception.ServiceNotFound:
    return exception.ServiceNotFound(service=f"{binary} on host {host}")


def _service_where(host: str, binary: str) -> tuple[Any, Any]:
    return Service.host == host, Service.binary == binary


def _service_columns(values: dict[str, Any]) -> None:
    _check_columns(values, "service field(s)",
                   frozenset(c.name for c in Service.__table__.columns) - {"id"})


@_retry
def service_create(context: RequestContext, values: dict[str, Any]) -> Any:
    """Raises ServiceAlreadyExists for a duplicate (host, binary)."""
    _service_columns(values)
    row = Service(**values)
    try:
        with db_session.writer() as session:
            session.add(row)
            session.flush()
    except db_exc.DBDuplicateEntry:
        raise exception.ServiceAlreadyExists(host=values.get("host"),
                                             binary=values.get("binary"))
    return row


def service_get(context: RequestContext, host: str, binary: str) -> Any:
    """Raises ServiceNotFound."""
    with db_session.reader() as session:
        row = session.execute(sa.select(Service).where(
            *_service_where(host, binary))).scalar_one_or_none()
    if row is None:
        raise _service_missing(host, binary)
    return row


def service_list(context: RequestContext, binary: str | None = None) -> list[Any]:
    stmt = sa.select(Service).order_by(Service.id)
    if binary is not None:
        stmt = stmt.where(Service.binary == binary)
    with db_session.reader() as session:
        return list(session.execute(stmt).scalars().all())


def _service_write(session: Any, host: str, binary: str,
                   values: dict[str, Any]) -> Any:
    """UPDATE first so a SQLite writer takes the lock before any read."""
    values = dict(values)
    values.setdefault("updated_at", models.utcnow())
    result = session.execute(
        sa.update(Service).where(*_service_where(host, binary)).values(values)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return None
    return session.execute(
        sa.select(Service).where(*_service_where(host, binary))
        .execution_options(populate_existing=True)).scalar_one()


@_retry
def service_update(context: RequestContext, host: str, binary: str,
                   values: dict[str, Any]) -> Any:
    """Raises ServiceNotFound."""
    _service_columns(values)
    with db_session.writer() as session:
        row = _service_write(session, host, binary, values)
    if row is None:
        raise _service_missing(host, binary)
    return row


@_retry
def service_heartbeat(context: RequestContext, host: str, binary: str,
                      values: dict[str, Any] | None = None) -> Any:
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
        result = session.execute(
            sa.delete(Service).where(*_service_where(host, binary))
            .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise _service_missing(host, binary)


# --- compute nodes (host inventory) ------------------------------------------
ComputeNode = models.ComputeNode

_NODE_COLUMNS = frozenset(c.name for c in ComputeNode.__table__.columns)
_NODE_SORTABLE = frozenset(
    c.name for c in ComputeNode.__table__.columns
    if not isinstance(c.type, sa.JSON))


def _node_missing(ident: str) -> exception.ComputeNodeNotFound:
    return exception.ComputeNodeNotFound(host=ident)


def _node_write(session: Any, hostname: str, values: dict[str, Any]) -> Any:
    """UPDATE first (SQLite takes its write lock before any read)."""
    values = dict(values, updated_at=models.utcnow())
    result = session.execute(
        sa.update(ComputeNode).where(ComputeNode.hostname == hostname)
        .values(values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return None
    return session.execute(
        sa.select(ComputeNode).where(ComputeNode.hostname == hostname)
        .execution_options(populate_existing=True)).scalar_one()


@_retry
def compute_node_upsert(context: RequestContext, hostname: str,
                        values: dict[str, Any]) -> Any:
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


def compute_node_get(context: RequestContext, ident: str) -> Any:
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
                      sort_dir: str = "asc") -> list[Any]:
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


# --- quotas --------------------------------------------------------------------
Quota = models.Quota
QuotaClass = models.QuotaClass
DEFAULT_QUOTA_CLASS = "default"


class _NoProjectLock(Exception):
    """The project has no lock row yet: create it outside the transaction
    (a duplicate-key error would abort a PostgreSQL transaction) and retry."""


def _lock_project(session: Any, project_id: str) -> None:
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


def _project_usage(session: Any, project_id: str) -> dict[str, float]:
    count, cpu, memory, disk = session.execute(
        sa.select(sa.func.count(Container.id), *_resource_sums())
        .where(Container.project_id == project_id, *_consuming())).one()
    return {"containers": int(count), "cpu": float(cpu),
            "memory": int(memory), "disk": int(disk)}


def _quota_or_refuse(session: Any, project_id: str, values: dict[str, Any],
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


def _check_resources(values: dict[str, Any]) -> None:
    _check_columns(values, "quota resource(s)", frozenset(quota_conf.RESOURCES))


def _class_limits(session: Any, class_name: str) -> dict[str, int]:
    """Config defaults, overridden by the default class, then by ``class_name``."""
    limits = {r: getattr(CONF.quota, r) for r in quota_conf.RESOURCES}
    rows = session.execute(
        sa.select(QuotaClass).where(QuotaClass.class_name.in_(
            {DEFAULT_QUOTA_CLASS, class_name}))).scalars().all()
    for row in sorted(rows, key=lambda r: r.class_name == class_name):
        if row.resource in limits:
            limits[row.resource] = row.hard_limit
    return limits


def _upsert_limits(model: Any, owner_column: str, owner: str,
                   values: dict[str, int]) -> None:
    """UPDATE each limit, INSERT the missing; a racing INSERT means retry."""
    _check_resources(values)
    owner_col = getattr(model, owner_column)
    for _attempt in range(2):
        try:
            with db_session.writer() as session:
                for resource, limit in values.items():
                    result = session.execute(
                        sa.update(model)
                        .where(owner_col == owner, model.resource == resource)
                        .values(hard_limit=limit, updated_at=models.utcnow())
                        .execution_options(synchronize_session=False))
                    if result.rowcount == 0:
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
    """What the project's containers hold now (rows holding nothing excluded)."""
    with db_session.reader() as session:
        return _project_usage(session, project_id)
