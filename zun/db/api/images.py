"""Image rows: what each compute host holds, as its agent last saw it.

Images are an administrator's resource (upstream's policies), so reads are
not scoped to a project. Every status write may be a compare-and-set
(``expected``), so the agent recording a pull never overwrites a delete or a
newer pull of the same row.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from oslo_db import exception as db_exc
from oslo_utils import uuidutils

from zun.common import exception
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

Image = models.Image

# An image row's statuses: the pull is running on the host, the engine holds
# the image, or the pull failed (status_reason says why).
PULLING = "Pulling"
AVAILABLE = "Available"
ERROR = "Error"
STATUSES = (PULLING, AVAILABLE, ERROR)

_COLUMNS = frozenset(c.name for c in Image.__table__.columns)
_SORTABLE = frozenset(c.name for c in Image.__table__.columns
                      if not isinstance(c.type, sa.JSON))


@_retry
def image_create(context: RequestContext, values: dict[str, Any]) -> models.Image:
    """Insert a row; ImageAlreadyExists (409) for a taken (host, repo, tag)."""
    _check_columns(values, "image field(s)", _COLUMNS - {"id"})
    row = Image(**values)
    try:
        with db_session.writer() as session:
            session.add(row)
            session.flush()
    except db_exc.DBDuplicateEntry as exc:
        raise exception.ImageAlreadyExists(
            image="%s:%s" % (values.get("repo"), values.get("tag")),
            host=values.get("host")) from exc
    return row


def image_get(context: RequestContext, uuid: str) -> models.Image:
    """The row ``uuid``; ImageRecordNotFound (404) if there is none."""
    with db_session.reader() as session:
        row = session.execute(sa.select(Image).where(Image.uuid == uuid)
                              ).scalar_one_or_none()
    if row is None:
        raise exception.ImageRecordNotFound(image=uuid)
    return row


def image_find(context: RequestContext, host: str, repo: str,
               tag: str) -> models.Image | None:
    """The row of ``repo:tag`` on ``host``, or None."""
    with db_session.reader() as session:
        return session.execute(sa.select(Image).where(
            Image.host == host, Image.repo == repo, Image.tag == tag)
        ).scalar_one_or_none()


def image_list(context: RequestContext, filters: dict[str, Any] | None = None,
               limit: int | None = None, marker: str | None = None,
               sort_key: str | None = None,
               sort_dir: str | None = None) -> list[models.Image]:
    """One page of rows (paging as for containers: marker is a row's uuid).

    Raises Invalid (400) for a bad sort key or direction, ImageRecordNotFound
    for an unknown marker.
    """
    key, direction = _page_params(sort_key, sort_dir, limit, _SORTABLE)
    desc = direction == "desc"
    _check_columns((filters or {}).keys(), "image filter(s)", _COLUMNS)
    stmt = sa.select(Image)
    for name, value in (filters or {}).items():
        stmt = stmt.where(_match(getattr(Image, name), value))
    with db_session.reader() as session:
        anchor = None
        if marker is not None:
            anchor = session.execute(sa.select(Image).where(Image.uuid == marker)
                                     ).scalar_one_or_none()
            if anchor is None:
                raise exception.ImageRecordNotFound(image=marker)
        return _page(session, stmt, Image, key, desc, limit, anchor)


def image_list_by_host(context: RequestContext, host: str) -> list[models.Image]:
    """Every row of ``host`` (the agent's reconcile)."""
    return image_list(context, filters={"host": host})


@_retry
def image_update(context: RequestContext, uuid: str, values: dict[str, Any],
                 expected: dict[str, Any] | None = None) -> models.Image:
    """Write ``values`` iff the row still holds ``expected``.

    Raises ImageRecordNotFound when the row is gone, StaleUpdate (409) when
    it changed underneath.
    """
    _check_columns(values, "image field(s)", _COLUMNS - {"id", "uuid"})
    _check_columns((expected or {}).keys(), "expected image field(s)", _COLUMNS)
    conditions = [Image.uuid == uuid] + [
        _match(getattr(Image, k), v) for k, v in (expected or {}).items()]
    with db_session.writer() as session:
        done = _rowcount(session, sa.update(Image).where(*conditions).values(
            dict(values, updated_at=models.utcnow())))
        row = session.execute(sa.select(Image).where(Image.uuid == uuid)
                              ).scalar_one_or_none()
    if row is None:
        raise exception.ImageRecordNotFound(image=uuid)
    if not done:
        actual = {k: getattr(row, k) for k in (expected or {})}
        raise exception.StaleUpdate(
            "Image %s changed concurrently (expected %s, found %s)."
            % (uuid, expected, actual))
    return row


@_retry
def image_destroy(context: RequestContext, uuid: str,
                  expected: dict[str, Any] | None = None) -> None:
    """Remove the row (iff it holds ``expected``); ImageRecordNotFound if none
    matched."""
    conditions = [Image.uuid == uuid] + [
        _match(getattr(Image, k), v) for k, v in (expected or {}).items()]
    with db_session.writer() as session:
        if not _rowcount(session, sa.delete(Image).where(*conditions)):
            raise exception.ImageRecordNotFound(image=uuid)


def image_claim(context: RequestContext, host: str, repo: str,
                tag: str) -> models.Image:
    """The row of ``repo:tag`` on ``host`` in status Pulling, for a pull or a
    commit about to run: a new row, or the existing one set back to Pulling
    (doing it again refreshes it). ImageAlreadyExists (409) while another
    pull or commit of that name runs there."""
    name = "%s:%s" % (repo, tag)
    existing = image_find(context, host, repo, tag)
    if existing is None:
        try:
            return image_create(context, {
                "uuid": uuidutils.generate_uuid(), "repo": repo, "tag": tag,
                "host": host, "project_id": context.project_id,
                "user_id": context.user_id, "status": PULLING})
        except exception.ImageAlreadyExists:
            existing = image_find(context, host, repo, tag)
            if existing is None:
                raise
    if existing.status == PULLING:
        raise exception.ImageAlreadyExists(image=name, host=host)
    try:
        return image_update(context, existing.uuid,
                            {"status": PULLING, "status_reason": None,
                             "user_id": context.user_id},
                            expected={"status": existing.status})
    except exception.StaleUpdate:
        raise exception.ImageAlreadyExists(image=name, host=host) from None
