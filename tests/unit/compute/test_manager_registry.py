"""The agent's own registry check: a refused image ends in Error with the
reason before the driver is asked to create (and so to pull) anything."""
from __future__ import annotations

import pytest

from tests.unit.compute.conftest import HOST, make_row
from zun.common import states
from zun.compute import manager as manager_mod
from zun.compute import sync as sync_mod
from zun.conf import CONF
from zun.db import api as db_api


@pytest.fixture
def manager(driver, network):
    yield manager_mod.Manager(driver, HOST, sync_mod.StateSync(driver, HOST),
                              network=network)
    for name in ("allow", "deny", "allow_only"):
        CONF.clear_override(name, "registry")


def test_create_of_a_refused_image_ends_in_error_without_a_driver_call(
        db, ctx, admin, manager, driver):
    # e.g. a row accepted by an API whose [registry] allow listed it
    row = make_row(ctx, image="127.0.0.1:5000/x", task_state=states.CONTAINER_CREATING)
    db_api.action_start(ctx, row.uuid, "create")
    manager.container_create(ctx, row.uuid, run=True)
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.status, row.task_state) == (states.ERROR, None)
    assert "Registry 127.0.0.1:5000 is not allowed" in row.status_reason
    assert [c for c in driver.calls if c[0] == "create"] == []


def test_rebuild_to_an_image_this_host_refuses_ends_in_error(db, ctx, admin, manager,
                                                              driver):
    CONF.set_override("allow_only", True, "registry")
    row = make_row(ctx, image="busybox:local",
                   task_state=states.CONTAINER_REBUILDING)
    db_api.action_start(ctx, row.uuid, "rebuild")
    manager.container_rebuild(ctx, row.uuid, image="busybox:2")
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.status, row.task_state) == (states.ERROR, None)
    assert "allow_only" in row.status_reason
    assert [c for c in driver.calls if c[0] == "create"] == []


def test_an_allowed_image_is_created(db, ctx, admin, manager, driver):
    CONF.set_override("allow", ["127.0.0.1:5000"], "registry")
    row = make_row(ctx, image="127.0.0.1:5000/x", task_state=states.CONTAINER_CREATING)
    manager.container_create(ctx, row.uuid, run=False)
    assert db_api.container_get_by_uuid(admin, row.uuid).status == states.CREATED
