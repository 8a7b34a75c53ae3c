"""Fixtures shared by every unit test package."""
from __future__ import annotations

from typing import Iterator

import pytest

from zun.db import migration
from zun.db import session as db_session


@pytest.fixture
def db(tmp_path) -> Iterator[str]:
    """A fresh SQLite file migrated to head, with the DB API pointed at it."""
    url = "sqlite:///%s/zun.sqlite" % tmp_path
    migration.upgrade(connection=url)
    db_session.configure(url)
    yield url
    db_session.configure("sqlite://")
