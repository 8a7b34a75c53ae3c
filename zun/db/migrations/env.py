"""Alembic environment: runs migrations on a connection zun hands over.

zun.db.migration passes an open connection in ``config.attributes``; the
plain ``alembic`` command line falls back to ``sqlalchemy.url`` or zun's
configured database. Logging is left to oslo.log (no fileConfig here).
"""
import sqlalchemy as sa
from alembic import context

from zun.db import models

config = context.config
target_metadata = models.Base.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from zun import conf
    connection: str = conf.CONF.database.connection
    return connection


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection: sa.engine.Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    engine = sa.create_engine(_url(), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            _run_on(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
