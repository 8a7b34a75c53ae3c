"""Schema migrations: bring a database to a revision and say where it is.

Alembic is driven in code (no alembic.ini needed at run time) so that
``zun-db-manage``, the test fixtures and the functional harness all migrate
the URL they are given, defaulting to ``CONF.database.connection``.
"""
from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from zun import conf
from zun.db import session as db_session

_MIGRATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "migrations")


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", _MIGRATIONS)
    return config


def _engine(connection: str | None) -> sa.engine.Engine:
    url = connection or conf.CONF.database.connection
    db_session.ensure_sqlite_dir(url)
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def upgrade(revision: str = "head", connection: str | None = None) -> None:
    """Upgrade to ``revision``; a database already there is left untouched."""
    engine = _engine(connection)
    try:
        with engine.begin() as conn:
            config = _alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def version(connection: str | None = None) -> str | None:
    """The current revision, or None for a database never migrated."""
    engine = _engine(connection)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
