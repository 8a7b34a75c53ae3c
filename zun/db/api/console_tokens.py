"""Console tokens: issued by the API, consumed once by the console proxy.

The rate bound and the single use are both decided here, in one statement
or one transaction, so that neither two API workers nor two proxies can
race past them: issuing counts the project's tokens of the last minute under
the project's lock row (the one the quota checks take); consuming is a
compare-and-set on ``used_at``.
"""
from __future__ import annotations

import datetime

import sqlalchemy as sa

from zun.common import console_token, exception
from zun.common.context import RequestContext
from zun.db import models
from zun.db import session as db_session
from zun.db.api._common import _retry
from zun.db.api.claims import _add_project_lock, _lock_project, _NoProjectLock

ConsoleToken = models.ConsoleToken
# The window of tokens_per_minute; rows are kept at least this long.
_RATE_WINDOW = datetime.timedelta(minutes=1)


@_retry
def console_token_create(context: RequestContext, token: str, container_uuid: str,
                         kind: str, exec_id: str | None, ttl: int,
                         per_minute: int) -> models.ConsoleToken:
    """Store ``token`` (its digest) for one use within ``ttl`` seconds.

    Raises ConsoleRateExceeded (429) when the caller's project already got
    ``per_minute`` tokens in the last minute. Also purges long-expired
    rows, so the table stays small without a periodic job.
    """
    now = models.utcnow()
    row = ConsoleToken(token_hash=console_token.digest(token),
                       container_uuid=container_uuid, project_id=context.project_id,
                       user_id=context.user_id, kind=kind, exec_id=exec_id,
                       created_at=now, expires_at=now + datetime.timedelta(seconds=ttl))
    for _attempt in range(3):
        try:
            with db_session.writer() as session:
                if context.project_id is not None:
                    _lock_project(session, context.project_id)
                recent = session.execute(
                    sa.select(sa.func.count(ConsoleToken.id)).where(
                        ConsoleToken.project_id == context.project_id,
                        ConsoleToken.created_at > now - _RATE_WINDOW)).scalar_one()
                if recent >= per_minute:
                    raise exception.ConsoleRateExceeded(limit=per_minute)
                session.execute(sa.delete(ConsoleToken).where(
                    ConsoleToken.expires_at < now,
                    ConsoleToken.created_at < now - _RATE_WINDOW))
                session.add(row)
                session.flush()
            return row
        except _NoProjectLock as missing:
            _add_project_lock(missing.project_id)
    raise exception.ZunException(
        "Could not lock the console tokens of project %s." % context.project_id)


@_retry
def console_token_consume(token: str, container_uuid: str, kind: str,
                          exec_id: str | None) -> models.ConsoleToken:
    """Mark ``token`` used and return its row, if it is unused, unexpired
    and was issued for this container, kind and exec.

    Raises ConsoleTokenInvalid (403) otherwise, with one message whatever
    the reason (the reason is not the caller's to learn). Two concurrent
    consumers of one token: exactly one succeeds.
    """
    digest = console_token.digest(token)
    now = models.utcnow()
    matches = [ConsoleToken.token_hash == digest, ConsoleToken.used_at.is_(None),
               ConsoleToken.expires_at > now,
               ConsoleToken.container_uuid == container_uuid, ConsoleToken.kind == kind,
               (ConsoleToken.exec_id == exec_id) if exec_id is not None
               else ConsoleToken.exec_id.is_(None)]
    with db_session.writer() as session:
        result = session.execute(sa.update(ConsoleToken).where(*matches)
                                 .values(used_at=now).execution_options(
                                     synchronize_session=False))
        if getattr(result, "rowcount", 0) != 1:
            raise exception.ConsoleTokenInvalid()
        found = session.execute(sa.select(ConsoleToken).where(
            ConsoleToken.token_hash == digest)).scalar_one()
    return found
