"""Image rows (zun/db/api/images.py) on SQLite, or the server of ZUN_TEST_DB_URL."""
from __future__ import annotations

import pytest

from zun.common import exception
from zun.db import api as db_api
from zun.db.api import images as image_rows


def _new(ctx, repo="busybox", tag="latest", host="h1", uuid=None):
    import uuid as uuidlib
    return db_api.image_create(ctx, {"uuid": uuid or str(uuidlib.uuid4()), "repo": repo,
                                     "tag": tag, "host": host,
                                     "status": image_rows.PULLING, "size": 5 * 2**30})


def test_create_get_list_destroy(db_url, admin_ctx):
    row = _new(admin_ctx)
    got = db_api.image_get(admin_ctx, row.uuid)
    assert (got.repo, got.tag, got.host, got.size) == ("busybox", "latest", "h1", 5 * 2**30)
    assert db_api.image_find(admin_ctx, "h1", "busybox", "latest").uuid == row.uuid
    assert db_api.image_find(admin_ctx, "h2", "busybox", "latest") is None
    db_api.image_destroy(admin_ctx, row.uuid)
    with pytest.raises(exception.ImageRecordNotFound):
        db_api.image_get(admin_ctx, row.uuid)
    with pytest.raises(exception.ImageRecordNotFound):
        db_api.image_destroy(admin_ctx, row.uuid)


def test_one_row_per_host_repo_tag(db_url, admin_ctx):
    _new(admin_ctx)
    with pytest.raises(exception.ImageAlreadyExists):
        _new(admin_ctx)
    _new(admin_ctx, host="h2")
    _new(admin_ctx, tag="1")


def test_list_filters_and_pages(db_url, admin_ctx):
    rows = [_new(admin_ctx, repo="r%d" % i) for i in range(3)]
    _new(admin_ctx, host="h2")
    assert [r.uuid for r in db_api.image_list_by_host(admin_ctx, "h1")] == [
        r.uuid for r in rows]
    page = db_api.image_list(admin_ctx, filters={"host": "h1"}, limit=2,
                             sort_key="repo", sort_dir="desc")
    assert [r.repo for r in page] == ["r2", "r1"]
    rest = db_api.image_list(admin_ctx, filters={"host": "h1"}, limit=2, marker=page[-1].uuid,
                             sort_key="repo", sort_dir="desc")
    assert [r.repo for r in rest] == ["r0"]
    with pytest.raises(exception.Invalid):
        db_api.image_list(admin_ctx, sort_key="tags")
    with pytest.raises(exception.ImageRecordNotFound):
        db_api.image_list(admin_ctx, marker="00000000-0000-0000-0000-000000000000")


def test_update_is_a_compare_and_set(db_url, admin_ctx):
    row = _new(admin_ctx)
    done = db_api.image_update(admin_ctx, row.uuid, {"status": image_rows.AVAILABLE,
                                                     "tags": ["busybox:latest"]},
                               expected={"status": image_rows.PULLING})
    assert done.status == image_rows.AVAILABLE and done.tags == ["busybox:latest"]
    with pytest.raises(exception.StaleUpdate):
        db_api.image_update(admin_ctx, row.uuid, {"status": image_rows.ERROR},
                            expected={"status": image_rows.PULLING})
    with pytest.raises(exception.Invalid):
        db_api.image_update(admin_ctx, row.uuid, {"nope": 1})


def test_claim_makes_or_refreshes_a_pulling_row(db_url, admin_ctx):
    first = db_api.image_claim(admin_ctx, "h1", "busybox", "1")
    assert first.status == image_rows.PULLING
    with pytest.raises(exception.ImageAlreadyExists):
        db_api.image_claim(admin_ctx, "h1", "busybox", "1")
    db_api.image_update(admin_ctx, first.uuid, {"status": image_rows.ERROR})
    again = db_api.image_claim(admin_ctx, "h1", "busybox", "1")
    assert again.uuid == first.uuid and again.status == image_rows.PULLING
