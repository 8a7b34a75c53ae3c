"""Alembic migrations: idempotent upgrade, version, and models == schema."""
from __future__ import annotations

import os
import subprocess
import sys

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tests.unit.db.conftest import SERVER_URL
from zun.db import migration, models
from zun.db import session as db_session


def _head() -> str:
    from alembic.script import ScriptDirectory
    return ScriptDirectory.from_config(migration._alembic_config()).get_current_head()


REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def test_upgrade_is_idempotent_and_versioned(empty_db_url):
    assert migration.version(empty_db_url) is None
    migration.upgrade(connection=empty_db_url)
    head = migration.version(empty_db_url)
    assert head == _head()
    migration.upgrade(connection=empty_db_url)
    assert migration.version(empty_db_url) == head
    engine = sa.create_engine(empty_db_url, poolclass=sa.pool.NullPool)
    try:
        tables = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert tables >= {"container", "zun_service", "container_actions",
                      "container_actions_events", "alembic_version"}


def test_migrations_match_models(empty_db_url):
    migration.upgrade(connection=empty_db_url)
    engine = sa.create_engine(empty_db_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(ctx, models.Base.metadata)
    finally:
        engine.dispose()
    assert diffs == []


def test_sqlite_parent_dir_created_and_wal(tmp_path):
    url = f"sqlite:///{tmp_path}/deep/er/zun.sqlite"
    migration.upgrade(connection=url)
    assert os.path.exists(tmp_path / "deep" / "er" / "zun.sqlite")
    db_session.configure(url)
    try:
        with db_session.reader() as session:
            mode = session.execute(sa.text("PRAGMA journal_mode")).scalar()
            timeout = session.execute(sa.text("PRAGMA busy_timeout")).scalar()
        assert mode.lower() == "wal"
        assert timeout == db_session.SQLITE_BUSY_TIMEOUT_MS
    finally:
        db_session.configure("sqlite://")


def test_configure_retargets(tmp_path, ctx):
    from zun.db import api
    one, two = (f"sqlite:///{tmp_path}/{n}.sqlite" for n in ("one", "two"))
    for url in (one, two):
        migration.upgrade(connection=url)
    try:
        db_session.configure(one)
        api.container_create(ctx, {"name": "in-one"})
        db_session.configure(two)
        assert api.container_list(ctx) == []
        db_session.configure(one)
        assert [c.name for c in api.container_list(ctx)] == ["in-one"]
    finally:
        db_session.configure("sqlite://")


def _db_manage(conf_file, *args):
    return subprocess.run(
        [sys.executable, "-m", "zun.cmd.db_manage", "--config-file",
         str(conf_file), *args],
        cwd=REPO, capture_output=True, text=True, timeout=120)


def test_db_manage_cli(tmp_path):
    url = SERVER_URL or f"sqlite:///{tmp_path}/state/zun.sqlite"
    if SERVER_URL:
        from tests.unit.db.conftest import _drop_everything
        _drop_everything(SERVER_URL)
    conf_file = tmp_path / "zun.conf"
    conf_file.write_text(f"[DEFAULT]\nstate_path = {tmp_path}\n"
                         f"[database]\nconnection = {url}\n")
    out = _db_manage(conf_file, "version")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "None"
    out = _db_manage(conf_file, "upgrade")
    assert out.returncode == 0, out.stderr
    out = _db_manage(conf_file, "upgrade", "head")
    assert out.returncode == 0, out.stderr
    out = _db_manage(conf_file, "version")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == _head()
    assert migration.version(url) == _head()
