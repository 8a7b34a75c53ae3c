"""Registry rows: a project's private registries and their accounts.

Reads are scoped to ``context.project_id`` unless ``context.all_projects``
(an admin who asked), so another project's registry is "not found". The
password is encrypted here, on every write, so no caller can store it in
clear (zun/common/registry_secrets.py); rows carry the token, which only
the compute agent decrypts.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from oslo_utils import uuidutils

from zun.common import exception, registry_secrets
from zun.common.context import RequestContext
from zun.db import models
from zun.db import session as db_session
from zun.db.api._common import (
    _check_columns,
    _match,
    _page,
    _page_params,
    _retry,
    _rowcount,
)

Registry = models.Registry

_COLUMNS = frozenset(c.name for c in Registry.__table__.columns)
# never sorted or filtered by: it is a token
_SORTABLE = _COLUMNS - {"password"}
_WRITABLE = _COLUMNS - {"id", "uuid", "created_at", "updated_at"}


def _scoped(context: RequestContext, stmt: sa.Select[Any]) -> sa.Select[Any]:
    if getattr(context, "all_projects", False):
        return stmt
    return stmt.where(Registry.project_id == context.project_id)


def _sealed(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with a plaintext password replaced by its token (None and
    "" clear it: a registry without a password)."""
    if "password" not in values:
        return values
    password = values["password"]
    return dict(values, password=registry_secrets.encrypt(password) if password else None)


@_retry
def registry_create(context: RequestContext, values: dict[str, Any]) -> models.Registry:
    """Insert a registry of ``values`` (plaintext password, encrypted here).

    Raises RegistryKeyMissing (409) for a password with no ``[registry] key``.
    """
    _check_columns(values, "registry field(s)", _WRITABLE | {"uuid"})
    values = _sealed(dict(values))
    values.setdefault("uuid", uuidutils.generate_uuid())
    row = Registry(**values)
    with db_session.writer() as session:
        session.add(row)
        session.flush()
    return row


def registry_get(context: RequestContext, ident: str) -> models.Registry:
    """The caller's registry of uuid or name ``ident``.

    RegistryNotFound (404) when the project has none (another project's is
    not found either); RegistryNameAmbiguous (409) for a name held twice.
    """
    column = Registry.uuid if uuidutils.is_uuid_like(ident) else Registry.name
    with db_session.reader() as session:
        rows = session.execute(_scoped(context, sa.select(Registry).where(
            column == ident)).order_by(Registry.id).limit(2)).scalars().all()
    if not rows:
        raise exception.RegistryNotFound(registry=ident)
    if len(rows) > 1:
        raise exception.RegistryNameAmbiguous(name=ident)
    row: models.Registry = rows[0]
    return row


def registry_get_by_id(context: RequestContext, registry_id: int,
                       project_id: str | None) -> models.Registry:
    """Registry ``registry_id`` of ``project_id`` (the agent's read for a
    container's pull); RegistryNotFound when it is gone."""
    with db_session.reader() as session:
        row = session.execute(sa.select(Registry).where(
            Registry.id == registry_id, Registry.project_id == project_id)
        ).scalar_one_or_none()
    if row is None:
        raise exception.RegistryNotFound(registry=registry_id)
    return row


def registry_list(context: RequestContext, filters: dict[str, Any] | None = None,
                  limit: int | None = None, marker: str | None = None,
                  sort_key: str | None = None,
                  sort_dir: str | None = None) -> list[models.Registry]:
    """One page of the caller's registries (marker: a row's uuid).

    Invalid (400) for a bad sort key/direction or filter; RegistryNotFound
    for an unknown marker.
    """
    key, direction = _page_params(sort_key, sort_dir, limit, _SORTABLE)
    desc = direction == "desc"
    _check_columns((filters or {}).keys(), "registry filter(s)", _SORTABLE)
    stmt = _scoped(context, sa.select(Registry))
    for name, value in (filters or {}).items():
        stmt = stmt.where(_match(getattr(Registry, name), value))
    with db_session.reader() as session:
        anchor = None
        if marker is not None:
            anchor = session.execute(_scoped(context, sa.select(Registry).where(
                Registry.uuid == marker))).scalar_one_or_none()
            if anchor is None:
                raise exception.RegistryNotFound(registry=marker)
        return _page(session, stmt, Registry, key, desc, limit, anchor)


@_retry
def registry_update(context: RequestContext, uuid: str,
                    values: dict[str, Any]) -> models.Registry:
    """Write ``values`` (a plaintext password is encrypted here) to the
    caller's registry ``uuid``; RegistryNotFound when it is not one."""
    _check_columns(values, "registry field(s)", _WRITABLE - {"project_id"})
    values = _sealed(dict(values))
    with db_session.writer() as session:
        stmt = sa.update(Registry).where(Registry.uuid == uuid)
        if not getattr(context, "all_projects", False):
            stmt = stmt.where(Registry.project_id == context.project_id)
        if not _rowcount(session, stmt.values(dict(values, updated_at=models.utcnow()))):
            raise exception.RegistryNotFound(registry=uuid)
        row: models.Registry = session.execute(
            sa.select(Registry).where(Registry.uuid == uuid)).scalar_one()
    return row


@_retry
def registry_destroy(context: RequestContext, uuid: str) -> None:
    """Remove the caller's registry ``uuid``: RegistryInUse (409) while a
    container names it (its pulls need it), RegistryNotFound when it is
    not one of the caller's."""
    with db_session.writer() as session:
        row = session.execute(_scoped(context, sa.select(Registry).where(
            Registry.uuid == uuid)).with_for_update()).scalar_one_or_none()
        if row is None:
            raise exception.RegistryNotFound(registry=uuid)
        users = session.execute(sa.select(sa.func.count()).select_from(
            models.Container).where(models.Container.registry_id == row.id)
        ).scalar_one()
        if users:
            raise exception.RegistryInUse(registry=uuid, count=users)
        session.execute(sa.delete(Registry).where(Registry.id == row.id))


def registry_rekey(context: RequestContext) -> int:
    """Re-encrypt every stored password under ``[registry] key`` (after a
    rotation, so the old key can be dropped); the number of rows rewritten.

    RegistryKeyInvalid when a password opens with none of the keys (the
    rows before it are rewritten; running it again is harmless)."""
    with db_session.reader() as session:
        rows = session.execute(sa.select(Registry.id, Registry.password).where(
            Registry.password.is_not(None))).all()
    done = 0
    for row_id, token in rows:
        if token is None:
            continue
        fresh = registry_secrets.rotate(token)
        with db_session.writer() as session:
            done += _rowcount(session, sa.update(Registry).where(
                Registry.id == row_id, _match(Registry.password, token)
            ).values(password=fresh))
    return done
