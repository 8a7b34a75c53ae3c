"""A fresh, migrated database per test.

By default a temporary SQLite file; set ZUN_TEST_DB_URL to run the same tests
on a server (tools/start-mariadb.sh or tools/start-postgres.sh print one).
A server database is emptied before every test, alembic_version included, so
each test migrates from nothing.

A server run must never turn into a SQLite run that passes: a set but empty
or unreachable ZUN_TEST_DB_URL fails every test here (no skip, no fallback),
each test checks that the DB API really talks to that server, and the run
ends with a line naming the server the tests ran on.
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
# the server's backend, version and address once it answered; for the summary
_server_seen: dict[str, str] = {}
_tests_on_server: list[str] = []


def _drop_everything(url: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        meta = sa.MetaData()
        meta.reflect(bind=engine)
        with engine.begin() as conn:
            meta.drop_all(conn)
    finally:
        engine.dispose()


def _backend(url: str) -> str:
    return sa.engine.make_url(url).get_backend_name()


@pytest.fixture(scope="session", autouse=True)
def server_url() -> str | None:
    """ZUN_TEST_DB_URL once its server answered on the dialect it names.

    Autouse, so that every test here fails (never skips, never falls back
    to SQLite), whatever fixtures it takes, when the variable is set but
    empty, unparsable or names SQLite, or when its server does not answer.
    """
    if SERVER_URL is None:
        return None
    if not SERVER_URL.strip():
        pytest.fail("ZUN_TEST_DB_URL is set but empty: a start script printed no URL; "
                    "refusing to run these tests on SQLite instead", pytrace=False)
    try:
        backend = _backend(SERVER_URL)
    except sa.exc.ArgumentError as exc:
        pytest.fail("ZUN_TEST_DB_URL=%r is not a database URL: %s" % (SERVER_URL, exc),
                    pytrace=False)
    if backend == "sqlite":
        pytest.fail("ZUN_TEST_DB_URL names SQLite; it is for a server (unset it for "
                    "the SQLite run)", pytrace=False)
    engine = sa.create_engine(SERVER_URL, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1").scalar()
            version = ".".join(str(part) for part in conn.dialect.server_version_info or ())
            server = "MariaDB" if getattr(conn.dialect, "is_mariadb", False) else ""
    except sa.exc.SQLAlchemyError as exc:
        pytest.fail("the server of ZUN_TEST_DB_URL does not answer: %s" % exc,
                    pytrace=False)
    finally:
        engine.dispose()
    assert engine.dialect.name == backend, (engine.dialect.name, backend)
    _server_seen.update(backend=backend, version=" ".join(filter(None, [server, version])),
                        where="%s:%s" % (engine.url.host, engine.url.port))
    return SERVER_URL


@pytest.fixture
def empty_db_url(request, tmp_path, server_url) -> str:
    """A database URL with no tables at all."""
    if server_url:
        _drop_everything(server_url)
        _tests_on_server.append(request.node.nodeid)
        return server_url
    return f"sqlite:///{tmp_path}/zun.sqlite"


@pytest.fixture
def db_url(empty_db_url) -> Iterator[str]:
    """Migrated to head, with the DB API pointed at it."""
    migration.upgrade(connection=empty_db_url)
    db_session.configure(empty_db_url)
    # the DB API itself, not only the URL, must be on the server's dialect
    in_use = db_session.get_engine().dialect.name
    assert in_use == _backend(empty_db_url), (
        "the DB API runs on %s, not on %s" % (in_use, empty_db_url))
    yield empty_db_url
    db_session.configure("sqlite://")


def pytest_sessionfinish(session, exitstatus) -> None:
    """A server run in which no test reached the server has not passed."""
    if SERVER_URL is not None and not _tests_on_server and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter) -> None:
    """Name the server the DB tests ran on: evidence, not an assumption."""
    if SERVER_URL is None:
        return
    if _tests_on_server:
        terminalreporter.write_line(
            "zun DB tests: %d tests ran on %s %s at %s" % (
                len(_tests_on_server), _server_seen["backend"], _server_seen["version"],
                _server_seen["where"]))
    else:
        terminalreporter.write_line("zun DB tests: ZUN_TEST_DB_URL is set but no test "
                                    "ran on its server: the run fails", red=True)


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
