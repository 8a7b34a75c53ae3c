"""A row's mounts in driver terms: injected files written, volumes passed on."""
from __future__ import annotations

import base64
import os

from tests.unit.compute.conftest import make_row
from zun.common import states
from zun.compute import manager as manager_mod
from zun.compute import mounts
from zun.conf import CONF

MIXED = [
    {"type": "volume", "name": "data", "destination": "/data"},
    {"type": "bind", "destination": "/etc/app.conf",
     "content": base64.b64encode(b"k=v\n").decode()},
    {"type": "volume", "name": "", "destination": "/scratch"},
]


def test_volumes_keep_the_users_name_and_order():
    assert mounts.volumes(MIXED) == [("data", "/data"), ("", "/scratch")]
    assert mounts.volumes(None) == []


def test_only_injected_files_are_written(tmp_path):
    CONF.set_override("state_path", str(tmp_path))
    try:
        ((path, dest),) = mounts.materialize("u1", MIXED)
        assert dest == "/etc/app.conf" and open(path, "rb").read() == b"k=v\n"
        assert os.listdir(mounts.host_dir("u1")) == ["1"]
        # a container with volumes only needs no directory on the host
        assert mounts.materialize("u2", [MIXED[0]]) == []
        assert not os.path.exists(mounts.host_dir("u2"))
    finally:
        CONF.clear_override("state_path")


def test_spec_carries_volumes_and_binds_to_the_driver(db, ctx, manager, driver,
                                                      tmp_path):
    CONF.set_override("state_path", str(tmp_path))
    try:
        row = make_row(ctx, task_state=states.CONTAINER_CREATING, mounts=MIXED)
        assert manager_mod.spec_from_row(row).volumes == [("data", "/data"),
                                                          ("", "/scratch")]
        seen = []
        original = driver.create
        driver.create = lambda spec: (seen.append(spec), original(spec))[1]
        manager.container_create(ctx, row.uuid, run=False)
        assert seen[0].volumes == [("data", "/data"), ("", "/scratch")]
        assert [dest for _, dest in seen[0].binds] == ["/etc/app.conf"]
        assert seen[0].project_id == ctx.project_id
    finally:
        CONF.clear_override("state_path")


def test_read_only_only_where_the_request_said_so():
    stored = [{"type": "bind", "destination": "/etc/a", "content": "", "read_only": False},
              {"type": "volume", "destination": "/data", "name": "d", "read_only": True},
              {"type": "volume", "destination": "/logs", "name": "l"}]
    assert mounts.read_only(stored) == {"/etc/a": False, "/data": True}
    assert mounts.read_only(None) == {}
