"""Container rows: create, get, scoping, listing and destroy."""
from __future__ import annotations

import pytest

from zun.common import exception
from zun.db import api


def _make(ctx, **values):
    values.setdefault("image", "busybox")
    values.setdefault("status", "Creating")
    return api.container_create(ctx, values)


def test_create_fills_identity_and_version(db_url, ctx):
    row = _make(ctx, name="web", memory=512, command=["sleep", "1"],
                environment={"A": "1"}, labels={"l": "v"})
    assert len(row.uuid) == 36
    assert row.version == 1
    assert row.project_id == "proj1" and row.user_id == "user1"
    assert row.memory == "512"
    assert row.created_at is not None
    got = api.container_get_by_uuid(ctx, row.uuid)
    # Detached, fully loaded: every column readable after the session closed.
    values = got.as_dict()
    assert values["command"] == ["sleep", "1"]
    assert values["environment"] == {"A": "1"}
    assert values["labels"] == {"l": "v"}
    assert values["auto_remove"] is False
    assert values["exit_code"] is None
    assert set(values) >= {"id", "uuid", "version", "created_at", "updated_at"}


def test_create_keeps_given_uuid_and_rejects_duplicates(db_url, ctx):
    row = _make(ctx, uuid="5d8e1a9f-1c2b-4e3d-9f8a-7b6c5d4e3f2a")
    assert row.uuid == "5d8e1a9f-1c2b-4e3d-9f8a-7b6c5d4e3f2a"
    with pytest.raises(exception.ContainerAlreadyExists) as err:
        _make(ctx, uuid=row.uuid)
    assert err.value.code == 409


def test_create_rejects_unknown_fields(db_url, ctx):
    with pytest.raises(exception.Invalid, match="nets"):
        _make(ctx, nets=[])
    with pytest.raises(exception.Invalid, match="version"):
        _make(ctx, version=7)


def test_get_by_uuid_or_name(db_url, ctx):
    row = _make(ctx, name="web")
    assert api.container_get(ctx, row.uuid).id == row.id
    assert api.container_get(ctx, "web").uuid == row.uuid
    with pytest.raises(exception.ContainerNotFound) as err:
        api.container_get(ctx, "nope")
    assert err.value.code == 404
    with pytest.raises(exception.ContainerNotFound):
        api.container_get(ctx, "0b5f3a8e-1111-4222-8333-944455556666")


def test_ambiguous_name_is_409(db_url, ctx, other_ctx):
    _make(ctx, name="dup")
    _make(other_ctx, name="dup")
    # One per project: each caller sees only its own.
    assert api.container_get(ctx, "dup").project_id == "proj1"
    _make(ctx, name="dup")
    with pytest.raises(exception.ContainerNameAmbiguous) as err:
        api.container_get(ctx, "dup")
    assert err.value.code == 409


def test_project_scoping(db_url, ctx, other_ctx, admin_ctx, all_ctx):
    mine = _make(ctx, name="mine")
    theirs = _make(other_ctx, name="theirs")
    with pytest.raises(exception.ContainerNotFound):
        api.container_get_by_uuid(ctx, theirs.uuid)
    with pytest.raises(exception.ContainerNotFound):
        api.container_get(ctx, "theirs")
    assert [c.uuid for c in api.container_list(ctx)] == [mine.uuid]
    # An admin who did not ask for all projects is still scoped on reads.
    assert api.container_list(admin_ctx) == []
    assert {c.uuid for c in api.container_list(all_ctx)} == {mine.uuid,
                                                            theirs.uuid}
    assert api.container_get(all_ctx, "theirs").uuid == theirs.uuid
    # A filter on another project cannot widen the caller's scope.
    assert api.container_list(ctx, {"project_id": "proj2"}) == []


def test_list_filters(db_url, ctx):
    a = _make(ctx, name="a", status="Running", host="h1", memory="512",
              auto_remove=True)
    b = _make(ctx, name="b", status="Stopped", host="h2", memory="256")
    c = _make(ctx, name="c", status="Error", host="h1", memory="512",
              task_state="container_starting")

    def names(**filters):
        return [r.name for r in api.container_list(ctx, filters)]

    assert names(status="Running") == ["a"]
    assert names(status=["Running", "Stopped"]) == ["a", "b"]
    assert names(host="h1", memory=512) == ["a", "c"]
    assert names(task_state=None) == ["a", "b"]
    assert names(task_state=["container_starting", None]) == ["a", "b", "c"]
    assert names(auto_remove=True) == ["a"]
    assert names(status=[]) == []
    assert names(image="busybox") == ["a", "b", "c"]
    with pytest.raises(exception.Invalid, match="bogus"):
        api.container_list(ctx, {"bogus": 1})
    assert {a.uuid, b.uuid, c.uuid} == {r.uuid for r in api.container_list(ctx)}


def test_list_limit_marker_and_sort(db_url, ctx):
    rows = [_make(ctx, name=f"c{i}", cpu=float(i % 3)) for i in range(7)]
    ids = [r.uuid for r in rows]

    page = api.container_list(ctx, limit=3)
    assert [r.uuid for r in page] == ids[:3]
    page = api.container_list(ctx, limit=3, marker=page[-1].uuid)
    assert [r.uuid for r in page] == ids[3:6]
    page = api.container_list(ctx, limit=3, marker=page[-1].uuid)
    assert [r.uuid for r in page] == ids[6:]
    assert api.container_list(ctx, limit=3, marker=ids[-1]) == []

    desc = api.container_list(ctx, sort_dir="desc")
    assert [r.uuid for r in desc] == ids[::-1]

    # Ties on the sort key fall back to id, so paging is stable.
    expected = sorted(rows, key=lambda r: (r.cpu, r.id))
    seen, marker = [], None
    while True:
        page = api.container_list(ctx, limit=2, marker=marker,
                                  sort_key="cpu", sort_dir="asc")
        if not page:
            break
        seen += [r.uuid for r in page]
        marker = page[-1].uuid
    assert seen == [r.uuid for r in expected]

    expected = sorted(rows, key=lambda r: (r.cpu, r.id), reverse=True)
    seen, marker = [], None
    while True:
        page = api.container_list(ctx, limit=3, marker=marker,
                                  sort_key="cpu", sort_dir="desc")
        if not page:
            break
        seen += [r.uuid for r in page]
        marker = page[-1].uuid
    assert seen == [r.uuid for r in expected]


@pytest.mark.parametrize("sort_dir", ["asc", "desc"])
def test_paging_over_nullable_sort_key(db_url, ctx, sort_dir):
    hosts = [None, "h2", None, "h1", "h2", None]
    rows = [_make(ctx, name=f"n{i}", host=h) for i, h in enumerate(hosts)]
    # NULLs sort first ascending (last descending) on every backend.
    key = lambda r: (r.host is not None, r.host or "", r.id)  # noqa: E731
    expected = sorted(rows, key=key, reverse=sort_dir == "desc")
    assert [r.uuid for r in api.container_list(
        ctx, sort_key="host", sort_dir=sort_dir)] == [r.uuid for r in expected]
    seen, marker = [], None
    while True:
        page = api.container_list(ctx, limit=1, marker=marker,
                                  sort_key="host", sort_dir=sort_dir)
        if not page:
            break
        seen += [r.uuid for r in page]
        marker = page[-1].uuid
    assert seen == [r.uuid for r in expected]


def test_list_rejects_bad_sort_and_marker(db_url, ctx, other_ctx):
    theirs = _make(other_ctx, name="x")
    with pytest.raises(exception.Invalid, match="nonexistent") as err:
        api.container_list(ctx, sort_key="nonexistent")
    assert err.value.code == 400
    with pytest.raises(exception.Invalid, match="labels"):
        api.container_list(ctx, sort_key="labels")
    with pytest.raises(exception.Invalid, match="sideways"):
        api.container_list(ctx, sort_dir="sideways")
    with pytest.raises(exception.ContainerNotFound):
        api.container_list(ctx, marker="0b5f3a8e-1111-4222-8333-944455556666")
    # Another project's uuid is not a usable marker either.
    with pytest.raises(exception.ContainerNotFound):
        api.container_list(ctx, marker=theirs.uuid)


def test_list_by_host_ignores_projects(db_url, ctx, other_ctx):
    a = _make(ctx, host="h1")
    b = _make(other_ctx, host="h1")
    _make(ctx, host="h2")
    assert [r.uuid for r in api.container_list_by_host(ctx, "h1")] == [
        a.uuid, b.uuid]


def test_destroy(db_url, ctx, other_ctx, admin_ctx):
    row = _make(ctx)
    theirs = _make(other_ctx)
    with pytest.raises(exception.ContainerNotFound):
        api.container_destroy(ctx, theirs.uuid)
    with pytest.raises(exception.StaleUpdate):
        api.container_destroy(ctx, row.uuid, expected={"status": "Deleted"})
    api.container_destroy(ctx, row.uuid, expected={"status": "Creating"})
    with pytest.raises(exception.ContainerNotFound):
        api.container_get_by_uuid(ctx, row.uuid)
    with pytest.raises(exception.ContainerNotFound):
        api.container_destroy(ctx, row.uuid)
    # The compute agent (admin) removes rows of any project.
    api.container_destroy(admin_ctx, theirs.uuid)
    with pytest.raises(exception.ContainerNotFound):
        api.container_get_by_uuid(other_ctx, theirs.uuid)


def test_destroy_removes_actions_and_events(db_url, ctx):
    row = _make(ctx)
    keep = _make(ctx)
    action = api.action_start(ctx, row.uuid, "create")
    api.action_event_start(ctx, row.uuid, ctx.request_id, "compute__create")
    api.action_start(ctx, keep.uuid, "create")
    api.container_destroy(ctx, row.uuid)
    assert api.actions_get(ctx, row.uuid) == []
    assert api.action_events_get(ctx, action.id) == []
    assert len(api.actions_get(ctx, keep.uuid)) == 1
