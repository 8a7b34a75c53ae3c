"""Container actions and their events: the record behind `action list`."""
from __future__ import annotations

import pytest

from zun.common import exception
from zun.common.context import RequestContext
from zun.db import api

UUID = "4a5b6c7d-8e9f-4a1b-8c2d-3e4f5a6b7c8d"


def test_action_lifecycle(db_url, ctx):
    action = api.action_start(ctx, UUID, "start", message=None)
    assert (action.action, action.request_id, action.project_id,
            action.user_id) == ("start", "req-1", "proj1", "user1")
    assert action.start_time is not None and action.finish_time is None

    got = api.action_get_by_request_id(ctx, UUID, "req-1")
    assert got.id == action.id

    finished = api.action_finish(ctx, UUID, "req-1")
    assert finished.finish_time is not None
    assert finished.message is None
    assert api.action_finish(ctx, UUID, "req-1", message="Error").message == "Error"


def test_actions_newest_first(db_url, ctx):
    first = api.action_start(ctx, UUID, "create")
    ctx2 = RequestContext(user_id="user1", project_id="proj1",
                          request_id="req-later")
    second = api.action_start(ctx2, UUID, "start")
    api.action_start(ctx, "9a5b6c7d-8e9f-4a1b-8c2d-3e4f5a6b7c8d", "create")
    assert [a.id for a in api.actions_get(ctx, UUID)] == [second.id, first.id]


def test_unknown_action(db_url, ctx):
    for call in (lambda: api.action_get_by_request_id(ctx, UUID, "nope"),
                 lambda: api.action_finish(ctx, UUID, "nope"),
                 lambda: api.action_event_start(ctx, UUID, "nope", "ev")):
        with pytest.raises(exception.ContainerActionNotFound) as err:
            call()
        assert err.value.code == 404


def test_events(db_url, ctx):
    action = api.action_start(ctx, UUID, "start")
    ev1 = api.action_event_start(ctx, UUID, "req-1", "compute__do_start")
    ev2 = api.action_event_start(ctx, UUID, "req-1", "compute__other")
    assert ev1.action_id == action.id and ev1.finish_time is None

    done = api.action_event_finish(ctx, UUID, "req-1", "compute__do_start",
                                   "Success")
    assert done.id == ev1.id and done.result == "Success"
    assert done.finish_time is not None
    # Nothing left unfinished under that name.
    with pytest.raises(exception.ContainerActionNotFound, match="do_start"):
        api.action_event_finish(ctx, UUID, "req-1", "compute__do_start",
                                "Success")

    failed = api.action_event_finish(ctx, UUID, "req-1", "compute__other",
                                     "Error", traceback="Traceback ...",
                                     details="boom")
    assert (failed.id, failed.traceback, failed.details) == (
        ev2.id, "Traceback ...", "boom")
    assert api.action_get_by_request_id(ctx, UUID, "req-1").message == "Error"

    events = api.action_events_get(ctx, action.id)
    assert [e.id for e in events] == [ev1.id, ev2.id]
    assert [e.result for e in events] == ["Success", "Error"]


def test_event_finish_picks_latest_unfinished(db_url, ctx):
    api.action_start(ctx, UUID, "reboot")
    older = api.action_event_start(ctx, UUID, "req-1", "ev")
    newer = api.action_event_start(ctx, UUID, "req-1", "ev")
    assert api.action_event_finish(ctx, UUID, "req-1", "ev",
                                   "Success").id == newer.id
    assert api.action_event_finish(ctx, UUID, "req-1", "ev",
                                   "Success").id == older.id


def test_concurrent_recording_from_many_threads(db_url):
    """Read-then-write transactions from many threads all succeed.

    On SQLite this is what BEGIN IMMEDIATE plus the busy timeout are for: a
    deferred transaction that read first could fail at once with "database
    is locked" when another thread committed in between.
    """
    import threading

    count, rounds = 8, 5
    barrier = threading.Barrier(count)
    errors: list[str] = []

    def record(i: int) -> None:
        barrier.wait()
        try:
            for r in range(rounds):
                c = RequestContext(user_id="u", project_id="p",
                                   request_id=f"req-{i}-{r}")
                api.action_start(c, UUID, "start")
                api.action_event_start(c, UUID, c.request_id, "ev")
                api.action_event_finish(c, UUID, c.request_id, "ev", "Success")
                api.action_finish(c, UUID, c.request_id)
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=record, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    actions = api.actions_get(RequestContext(project_id="p"), UUID)
    assert len(actions) == count * rounds
    assert all(a.finish_time is not None for a in actions)
