"""A fresh, migrated database per test.

By default a temporary SQLite file; set ZUN_TEST_DB_URL to run the same tests
on a server (tools/start-mariadb.sh or tools/start-postgres.sh print one).
A server database is emptied before every test, alembic_version included, so
each test migrates from nothing.
"""
from __future__ import annotations

import os
from typing import Iterator

import pytest
import sqlalchemy as sa

from zun.common.context import RequestContext
from zun.db import migration
from zun.db import session as db_session

SERVER_URL = os.environ.get("ZUN_TEST_DB_URL")


def _drop_everything(url: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        meta = sa.MetaData()
        meta.reflect(bind=engine)
        with engine.begin() as conn:
            meta.drop_all(conn)
    finally:
        engine.dispose()


@pytest.fixture
def empty_db_url(tmp_path) -> str:
    """A database URL with no tables at all."""
    if SERVER_URL:
        _drop_everything(SERVER_URL)
        return SERVER_URL
    return f"sqlite:///{tmp_path}/zun.sqlite"


@pytest.fixture
def db_url(empty_db_url) -> Iterator[str]:
    """Migrated to head, with the DB API pointed at it."""
    migration.upgrade(connection=empty_db_url)
    db_session.configure(empty_db_url)
    yield empty_db_url
    db_session.configure("sqlite://")


@pytest.fixture
def ctx() -> RequestContext:
    return RequestContext(user_id="user1", project_id="proj1",
                          request_id="req-1")


@pytest.fixture
def other_ctx() -> RequestContext:
    return RequestContext(user_id="user2", project_id="proj2",
                          request_id="req-2")


@pytest.fixture
def admin_ctx() -> RequestContext:
    """An admin of proj-admin who did not ask for all_projects."""
    return RequestContext(user_id="admin", project_id="proj-admin",
                          roles=["admin"], request_id="req-admin")


@pytest.fixture
def all_ctx() -> RequestContext:
    return RequestContext(user_id="admin", project_id="proj-admin",
                          roles=["admin"], all_projects=True,
                          request_id="req-all")
