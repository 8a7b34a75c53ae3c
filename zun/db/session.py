"""The one place that knows how to reach the database.

An oslo.db ``enginefacade`` transaction context targets
``CONF.database.connection`` until :func:`configure` re-targets it (tests and
the functional harness switch URLs at run time).

SQLite needs care because the API's threads and the compute agent's threads
write concurrently in one process: connections use WAL (readers never wait
for a writer) and a busy timeout (writers queue instead of failing), and
write transactions start with ``BEGIN IMMEDIATE``. A deferred BEGIN that
reads before it writes can lose the race for the write lock in WAL mode and
fail at once with "database is locked"; taking the lock up front makes the
busy timeout apply instead.
"""
from __future__ import annotations

import contextlib
import os
import threading
import types
from typing import Iterator

import sqlalchemy as sa
from oslo_db.sqlalchemy import enginefacade
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry

from zun import conf

CONF = conf.CONF

SQLITE_BUSY_TIMEOUT_MS = 30000

_lock = threading.Lock()
_manager: enginefacade._TransactionContextManager | None = None
_intent = threading.local()


def sqlite_file_path(connection: str) -> str | None:
    """The database file of a file-based SQLite URL, else None."""
    url = sa.engine.make_url(connection)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        return None
    return url.database


def ensure_sqlite_dir(connection: str) -> None:
    """Create the parent directory of a SQLite file (the state_path default)."""
    path = sqlite_file_path(connection)
    if path:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)


def _on_engine_create(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    file_based = sqlite_file_path(str(engine.url)) is not None
    if file_based and isinstance(engine.pool, sa.pool.NullPool):
        # oslo.db gives file SQLite no pool: every transaction would open a
        # connection and run the PRAGMAs again (most of a GET's time).
        old = engine.pool
        engine.pool = sa.pool.QueuePool(old._creator, pool_size=8, max_overflow=64,
                                        _dispatch=old.dispatch, dialect=old._dialect)

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_con: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        dbapi_con.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if file_based:
            dbapi_con.execute("PRAGMA journal_mode = WAL")

    def _begin(conn: Connection) -> None:
        if "in_transaction" in conn.info:
            return
        immediate = getattr(_intent, "write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        conn.info["in_transaction"] = True

    # _begin must run before oslo.db's own "begin" listener (which then sees
    # the transaction open and emits nothing). SQLAlchemy ignores
    # insert=True for engine events, so re-register the others after it.
    others = list(engine.dispatch.begin)
    for fn in others:
        sa.event.remove(engine, "begin", fn)
    sa.event.listen(engine, "begin", _begin)
    for fn in others:
        sa.event.listen(engine, "begin", fn)


def _new_manager(connection: str) -> enginefacade._TransactionContextManager:
    ensure_sqlite_dir(connection)
    manager = enginefacade.transaction_context()
    # thread_checkin would sleep(0) on every connection return, handing the
    # GIL away on each transaction for no benefit with real threads
    manager.configure(connection=connection, sqlite_fk=True, thread_checkin=False)
    manager.append_on_engine_create(_on_engine_create)
    return manager


def _get_manager() -> enginefacade._TransactionContextManager:
    global _manager
    with _lock:
        if _manager is None:
            _manager = _new_manager(CONF.database.connection)
        return _manager


def configure(connection: str) -> None:
    """Point every later transaction at ``connection``; drop the old engine."""
    global _manager
    with _lock:
        old, _manager = _manager, _new_manager(connection)
    if old is not None:
        old.dispose_pool()


def get_engine() -> Engine:
    """The engine in use (starting it if needed)."""
    engine: Engine = _get_manager().writer.get_engine()
    return engine


@contextlib.contextmanager
def writer() -> Iterator[Session]:
    """A read-write transaction, committed when the block exits cleanly.

    Each call is its own transaction: the DB API never nests them, and
    keeping them off the caller's context means a context shared between
    threads can never join someone else's transaction.
    """
    manager = _get_manager()
    previous = getattr(_intent, "write", False)
    _intent.write = True
    try:
        with manager.writer.using(types.SimpleNamespace()) as session:
            yield session
    finally:
        _intent.write = previous


@contextlib.contextmanager
def reader() -> Iterator[Session]:
    """A read-only transaction."""
    manager = _get_manager()
    with manager.reader.using(types.SimpleNamespace()) as session:
        yield session
