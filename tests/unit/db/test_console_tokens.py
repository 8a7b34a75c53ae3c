"""Console tokens: single use, bound to container/kind/exec, expiring, the
per-project rate, and only the digest stored (on every DB backend)."""
from __future__ import annotations

import datetime
import threading

import pytest
import sqlalchemy as sa

from zun.common import console_token, exception
from zun.db import api as db_api
from zun.db import models
from zun.db import session as db_session

UUID = "6bd0f1a4-86f1-4a43-bb5c-3a4f1f2d0c11"
OTHER = "0d9a5fd6-5f0c-4d0e-9a84-3f1b7f9c2b22"


def _issue(ctx, kind="attach", exec_id=None, ttl=30, per_minute=60, uuid=UUID):
    token = console_token.new()
    db_api.console_token_create(ctx, token, uuid, kind, exec_id, ttl, per_minute)
    return token


def test_a_token_is_consumed_once(db_url, ctx):
    token = _issue(ctx)
    row = db_api.console_token_consume(token, UUID, "attach", None)
    assert (row.project_id, row.container_uuid, row.kind) == ("proj1", UUID, "attach")
    with pytest.raises(exception.ConsoleTokenInvalid):
        db_api.console_token_consume(token, UUID, "attach", None)


@pytest.mark.parametrize("uuid,kind,exec_id", [
    (OTHER, "attach", None),       # another container
    (UUID, "exec", None),          # another kind
    (UUID, "attach", "e1"),        # an exec id the attach token was not for
])
def test_a_token_is_bound_to_its_container_kind_and_exec(db_url, ctx, uuid, kind,
                                                         exec_id):
    token = _issue(ctx)
    with pytest.raises(exception.ConsoleTokenInvalid):
        db_api.console_token_consume(token, uuid, kind, exec_id)
    # the misuse did not burn it for its rightful use
    assert db_api.console_token_consume(token, UUID, "attach", None).kind == "attach"


def test_an_exec_token_needs_its_exec_id(db_url, ctx):
    token = _issue(ctx, kind="exec", exec_id="exec-1")
    with pytest.raises(exception.ConsoleTokenInvalid):
        db_api.console_token_consume(token, UUID, "exec", "exec-2")
    assert db_api.console_token_consume(token, UUID, "exec", "exec-1").exec_id == "exec-1"


def test_an_expired_token_is_refused(db_url, ctx):
    token = _issue(ctx)
    with db_session.writer() as session:
        session.execute(sa.update(models.ConsoleToken).values(
            expires_at=models.utcnow() - datetime.timedelta(seconds=1)))
    with pytest.raises(exception.ConsoleTokenInvalid):
        db_api.console_token_consume(token, UUID, "attach", None)


def test_unknown_tokens_are_refused(db_url, ctx):
    _issue(ctx)
    for bogus in ("", "x", console_token.new(), "\u00e9" * 300):
        with pytest.raises(exception.ConsoleTokenInvalid):
            db_api.console_token_consume(bogus, UUID, "attach", None)


def test_only_the_digest_is_stored(db_url, ctx):
    token = _issue(ctx)
    with db_session.reader() as session:
        stored = session.execute(sa.select(models.ConsoleToken.token_hash)).scalar_one()
    assert stored == console_token.digest(token) and token not in stored


def test_the_rate_is_bounded_per_project(db_url, ctx, other_ctx):
    for _ in range(3):
        _issue(ctx, per_minute=3)
    with pytest.raises(exception.ConsoleRateExceeded) as refused:
        _issue(ctx, per_minute=3)
    assert refused.value.code == 429 and "3 per minute" in str(refused.value)
    _issue(other_ctx, per_minute=3)   # another project is not held back


def test_concurrent_issues_never_pass_the_rate(db_url, ctx):
    got: list[str] = []
    refused: list[Exception] = []

    def issue() -> None:
        try:
            got.append(_issue(ctx, per_minute=5))
        except exception.ConsoleRateExceeded as err:
            refused.append(err)

    threads = [threading.Thread(target=issue) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (len(got), len(refused)) == (5, 7)


def test_concurrent_consumers_of_one_token_one_wins(db_url, ctx):
    token = _issue(ctx)
    wins: list[object] = []
    losses: list[Exception] = []

    def consume() -> None:
        try:
            wins.append(db_api.console_token_consume(token, UUID, "attach", None))
        except exception.ConsoleTokenInvalid as err:
            losses.append(err)

    threads = [threading.Thread(target=consume) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (len(wins), len(losses)) == (1, 7)


def test_expired_rows_are_purged_when_tokens_are_issued(db_url, ctx):
    _issue(ctx)
    old = models.utcnow() - datetime.timedelta(minutes=5)
    with db_session.writer() as session:
        session.execute(sa.update(models.ConsoleToken).values(created_at=old,
                                                              expires_at=old))
    _issue(ctx)
    with db_session.reader() as session:
        assert session.execute(sa.select(sa.func.count(models.ConsoleToken.id))
                               ).scalar_one() == 1
