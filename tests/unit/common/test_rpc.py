"""RPC plumbing: the in-process client and the context round trip."""
from __future__ import annotations

import threading

from zun.common import context as zun_context
from zun.common import rpc


class Endpoint:
    def __init__(self):
        self.seen = []
        self.done = threading.Event()

    def echo(self, ctxt, value):
        self.seen.append(ctxt)
        return value

    def fire(self, ctxt, value):
        self.seen.append((ctxt, threading.current_thread().name, value))
        self.done.set()


def _ctx():
    return zun_context.RequestContext(user_id="u", project_id="p", roles=["member"])


def test_local_call_returns_and_copies_the_context():
    endpoint = Endpoint()
    client = rpc.LocalClient(endpoint)
    ctx = _ctx()
    assert client.call(ctx, "host", "echo", value=5) == 5
    (seen,) = endpoint.seen
    assert seen is not ctx and seen.request_id == ctx.request_id
    assert (seen.user_id, seen.project_id) == ("u", "p")
    client.shutdown()


def test_local_cast_runs_on_another_thread():
    endpoint = Endpoint()
    client = rpc.LocalClient(endpoint)
    client.cast(_ctx(), "host", "fire", value=1)
    assert endpoint.done.wait(5)
    (_, thread_name, value) = endpoint.seen[0]
    assert thread_name.startswith("zun-cast") and value == 1
    client.shutdown()


def test_serializer_round_trip_keeps_admin_scope():
    serializer = rpc.ContextSerializer()
    admin = zun_context.get_admin_context()
    back = serializer.deserialize_context(serializer.serialize_context(admin))
    assert back.is_admin and back.all_projects
    member = serializer.deserialize_context(serializer.serialize_context(_ctx()))
    assert not member.is_admin and not member.all_projects
