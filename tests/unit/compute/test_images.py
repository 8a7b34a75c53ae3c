"""The agent's image work (zun/compute/images.py) on the real DB layer with
a fake driver: pull outcomes, delete, and the reconcile with the engine."""
from __future__ import annotations

import pytest

from zun.common import exception
from zun.common.context import get_admin_context
from zun.compute import images
from zun.container.driver import base
from zun.db import api as db_api
from zun.db.api import images as image_rows


class FakeImages:
    """Just enough of a driver: the image methods over a dict of tags."""

    name = "fake"
    capabilities = frozenset({"image"})

    def __init__(self) -> None:
        self.held: dict[str, base.ImageFacts] = {}
        self.fail_pull: Exception | None = None
        self.deleted: list[str] = []

    def pull_image(self, ref):
        if self.fail_pull is not None:
            raise self.fail_pull
        facts = base.ImageFacts(image_id="sha256:" + ref, size=42, tags=[ref])
        self.held[ref] = facts
        return facts

    def delete_image(self, ref):
        self.deleted.append(ref)
        self.held.pop(ref, None)

    def list_images(self):
        return list(self.held.values())


@pytest.fixture
def ctx(db):
    return get_admin_context()


def _row(ctx, repo="busybox", tag="latest", status=image_rows.PULLING):
    import uuid as uuidlib
    return db_api.image_create(ctx, {"uuid": str(uuidlib.uuid4()), "repo": repo,
                                     "tag": tag, "host": "host1", "status": status})


def test_pull_records_the_engine_facts(ctx):
    driver = FakeImages()
    row = _row(ctx)
    images.pull(driver, ctx, row.uuid)
    done = db_api.image_get(ctx, row.uuid)
    assert (done.status, done.image_id, done.size, done.tags) == (
        image_rows.AVAILABLE, "sha256:busybox:latest", 42, ["busybox:latest"])


def test_failed_pull_keeps_the_registry_message(ctx):
    driver = FakeImages()
    driver.fail_pull = exception.ImageNotFound(
        image="busybox:nope", reason="manifest for busybox:nope not found: manifest unknown")
    row = _row(ctx, tag="nope")
    images.pull(driver, ctx, row.uuid)
    done = db_api.image_get(ctx, row.uuid)
    assert done.status == image_rows.ERROR
    assert "manifest unknown" in done.status_reason


def test_pull_checks_the_registry_on_the_agent_too(ctx):
    driver = FakeImages()
    row = _row(ctx, repo="127.0.0.1:5000/x")
    images.pull(driver, ctx, row.uuid)
    done = db_api.image_get(ctx, row.uuid)
    assert done.status == image_rows.ERROR and "not allowed" in done.status_reason
    assert driver.held == {}


def test_pull_of_a_row_no_longer_pulling_does_nothing(ctx):
    driver = FakeImages()
    row = _row(ctx, status=image_rows.AVAILABLE)
    images.pull(driver, ctx, row.uuid)
    assert driver.held == {}
    images.pull(driver, ctx, "00000000-0000-0000-0000-000000000000")  # gone: no error


def test_delete_removes_the_name_then_the_row(ctx):
    driver = FakeImages()
    row = _row(ctx, status=image_rows.AVAILABLE)
    images.delete(driver, ctx, row.uuid)
    assert driver.deleted == ["busybox:latest"]
    with pytest.raises(exception.ImageRecordNotFound):
        db_api.image_get(ctx, row.uuid)


def test_reconcile_notices_an_image_removed_outside_and_back(ctx):
    driver = FakeImages()
    row = _row(ctx)
    images.pull(driver, ctx, row.uuid)
    pulling = _row(ctx, repo="alpine")
    assert images.reconcile(driver, ctx, "host1") == 0
    driver.held.clear()  # `docker rmi` behind zun's back
    assert images.reconcile(driver, ctx, "host1") == 1
    gone = db_api.image_get(ctx, row.uuid)
    assert gone.status == image_rows.ERROR and "removed outside zun" in gone.status_reason
    assert db_api.image_get(ctx, pulling.uuid).status == image_rows.PULLING
    driver.pull_image("busybox:latest")  # pulled again outside zun
    assert images.reconcile(driver, ctx, "host1") == 1
    assert db_api.image_get(ctx, row.uuid).status == image_rows.AVAILABLE


def test_reconcile_skips_a_driver_without_images(ctx):
    driver = FakeImages()
    driver.capabilities = frozenset()
    _row(ctx, status=image_rows.AVAILABLE)
    assert images.reconcile(driver, ctx, "host1") == 0


def test_rkt_refuses_image_operations():
    from zun.container.driver import rkt
    driver = rkt.RktDriver()
    for call in (lambda: driver.pull_image("busybox"), driver.list_images,
                 lambda: driver.delete_image("busybox"),
                 lambda: driver.commit("x", "repo", "tag")):
        with pytest.raises(exception.UnsupportedOperation):
            call()


def test_reconcile_ends_a_pull_nobody_runs(ctx):
    driver = FakeImages()
    row = _row(ctx)
    assert images.reconcile(driver, ctx, "host1", stuck_after=3600) == 0
    images._working(row.uuid, True)
    try:
        assert images.reconcile(driver, ctx, "host1", stuck_after=0) == 0
    finally:
        images._working(row.uuid, False)
    assert images.reconcile(driver, ctx, "host1", stuck_after=0) == 1
    done = db_api.image_get(ctx, row.uuid)
    assert done.status == image_rows.ERROR and "interrupted" in done.status_reason
