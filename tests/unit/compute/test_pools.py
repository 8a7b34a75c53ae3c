"""Long waits (stop/reboot with a large timeout) do not starve other work.

zun-all dispatches casts on LocalClient's pool (16 workers); the manager
moves every wait the caller sizes to a pool of its own, so 16 (or more)
stops blocked in the runtime leave the cast pool free for a start.
"""
from __future__ import annotations

import threading

from tests.unit.compute.conftest import make_row
from zun.common import rpc, states
from zun.compute import manager as manager_mod
from zun.db import api as db_api

# Only a safety net against a hung test run, never a measured duration.
_HANG = 60


def _stopped(ctx, driver, task_state):
    row = make_row(ctx, status=states.STOPPED, task_state=task_state)
    facts = driver.create(type("Spec", (), {"uuid": row.uuid, "project_id": "p1",
                                            "host": row.host})())
    driver.containers[facts.container_id].state = "running"
    return db_api.container_update(ctx, row.uuid, {"container_id": facts.container_id})


def test_blocked_stops_do_not_block_a_start(db, ctx, admin, manager, driver):
    release = threading.Event()
    stopping = threading.Semaphore(0)
    plain_stop = driver.stop

    def blocking_stop(cid, timeout=None):
        stopping.release()
        release.wait(_HANG)
        return plain_stop(cid, timeout)

    driver.stop = blocking_stop
    client = rpc.LocalClient(manager, workers=16)
    many = manager_mod.WAIT_WORKERS + 4  # more stops than either pool has threads
    rows = [_stopped(ctx, driver, states.CONTAINER_STOPPING) for _ in range(many)]
    try:
        for row in rows:
            client.cast(ctx, row.host, "container_action", uuid=row.uuid,
                        action="stop", params={"timeout": 300})
        for _ in range(manager_mod.WAIT_WORKERS):  # every wait thread is held
            assert stopping.acquire(timeout=_HANG)
        target = _stopped(ctx, driver, states.CONTAINER_STARTING)
        started = threading.Event()
        plain_start = driver.start

        def start(cid):
            facts = plain_start(cid)
            started.set()
            return facts
        driver.start = start
        client.cast(ctx, target.host, "container_action", uuid=target.uuid,
                    action="start", params={})
        assert started.wait(_HANG), "the start queued behind the blocked stops"
        assert not release.is_set()
        for row in rows:  # stops still held or queued; none was dropped
            assert manager.is_active(row.uuid)
    finally:
        release.set()
        client.shutdown()
        manager._waits.shutdown(wait=True)
    for row in rows:
        row = db_api.container_get_by_uuid(admin, row.uuid)
        assert (row.status, row.task_state) == (states.STOPPED, None)
