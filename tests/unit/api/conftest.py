"""The API under test: the real app, the real DB layer on a temp SQLite
file, and a fake compute API recording what it was asked to do."""
from __future__ import annotations

from typing import Any, Iterator

import pytest
import webtest

from tests.unit.api.fakes import FakeComputeAPI
from zun.api import app as api_app
from zun.common import policy
from zun.common.context import RequestContext
from zun.conf import CONF
from zun.db import api as db_api

# Accept as zunclient sends it: Pecan answers 406 to handlers that cannot
# produce JSON, so every test request carries it.
_JSON = {"Accept": "application/json"}
ALICE = dict(_JSON, **{"X-User-Id": "alice", "X-Project-Id": "proj-a",
                       "X-Roles": "member"})
BOB = dict(_JSON, **{"X-User-Id": "bob", "X-Project-Id": "proj-b",
                     "X-Roles": "member"})
ADMIN = dict(_JSON, **{"X-User-Id": "root", "X-Project-Id": "proj-admin",
                       "X-Roles": "admin"})


def v(version: str, headers: dict | None = None) -> dict:
    """Headers of ``headers`` asking for microversion ``version``."""
    out = dict(headers or ALICE)
    out["OpenStack-API-Version"] = "container %s" % version
    return out


@pytest.fixture(scope="session", autouse=True)
def _parsed_conf() -> None:
    """oslo.policy looks for policy.yaml through CONF, which must be parsed."""
    CONF([], project="zun", default_config_files=[], default_config_dirs=[])


@pytest.fixture
def compute() -> FakeComputeAPI:
    return FakeComputeAPI()


@pytest.fixture
def app(db, compute) -> Iterator[webtest.TestApp]:
    CONF.set_override("auth_strategy", "noauth", "api")
    policy.reset()
    yield webtest.TestApp(api_app.setup_app(compute_api=compute))
    CONF.clear_override("auth_strategy", "api")
    policy.reset()


def make_container(project: str = "proj-a", user: str = "alice",
                   **values: Any) -> Any:
    """A row as compute would have left it (Running on host1 by default)."""
    ctx = RequestContext(user_id=user, project_id=project)
    row = {"image": "busybox", "name": "c1", "status": "Running",
           "host": "host1", "container_id": "abc", "cpu": 1.0,
           "memory": "512", "command": ["sh"],
           "restart_policy": {"Name": "on-failure", "MaximumRetryCount": 2},
           "runtime": "runc", "image_pull_policy": "always"}
    row.update(values)
    return db_api.container_create(ctx, row)
