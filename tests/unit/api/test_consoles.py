"""attach, exec -it, resize and execute_resize as python-zunclient sends
them: the URL's shape, the token behind it, and every refusal before a token
is issued or the agent is asked."""
from __future__ import annotations

from urllib import parse

import pytest

from tests.unit.api.conftest import ALICE, BOB, make_container, v
from zun.common import console_token, exception
from zun.common.context import RequestContext
from zun.conf import CONF
from zun.db import api as db_api

READER = dict(ALICE, **{"X-Roles": "reader"})


def _query(url: str) -> dict[str, str]:
    parsed = parse.urlsplit(url)
    assert parsed.scheme == "ws" and parsed.path == "/"
    return dict(parse.parse_qsl(parsed.query))


def _error(response) -> dict:
    return response.json["errors"][0]


@pytest.fixture
def tty(app):
    return make_container(name="c1", interactive=True, tty=True)


def test_attach_answers_a_url_whose_token_opens_this_container_once(app, tty):
    url = app.get("/v1/containers/c1/attach", headers=ALICE).json
    assert url.startswith(CONF.websocket_proxy.base_url + "?")
    query = _query(url)
    assert query["uuid"] == tty.uuid and "exec_id" not in query
    row = db_api.console_token_consume(query["token"], tty.uuid, "attach", None)
    assert (row.project_id, row.user_id) == ("proj-a", "alice")
    with pytest.raises(exception.ConsoleTokenInvalid):
        db_api.console_token_consume(query["token"], tty.uuid, "attach", None)


def test_each_attach_gets_its_own_token(app, tty):
    first, second = (app.get("/v1/containers/c1/attach", headers=ALICE).json
                     for _ in range(2))
    assert _query(first)["token"] != _query(second)["token"]


def test_attach_refusals(app, compute):
    make_container(name="plain")
    error = _error(app.get("/v1/containers/plain/attach", headers=ALICE, status=400))
    assert error["code"] == "container.container_not_interactive"
    assert "not interactive" in error["title"]
    make_container(name="stopped", interactive=True, status="Stopped")
    app.get("/v1/containers/stopped/attach", headers=ALICE, status=409)
    app.get("/v1/containers/plain/attach", headers=BOB, status=404)


def test_attach_needs_a_member(app, tty):
    app.get("/v1/containers/c1/attach", headers=READER, status=403)
    app.post("/v1/containers/c1/execute?command=sh&interactive=True&run=False",
             headers=READER, status=403)


def test_the_token_rate_is_bounded_per_project(app, tty):
    CONF.set_override("tokens_per_minute", 2, "websocket_proxy")
    try:
        for _ in range(2):
            app.get("/v1/containers/c1/attach", headers=ALICE)
        error = _error(app.get("/v1/containers/c1/attach", headers=ALICE, status=429))
        assert error["code"] == "container.console_rate_exceeded"
        assert "tokens_per_minute" in error["detail"]
    finally:
        CONF.clear_override("tokens_per_minute", "websocket_proxy")


def test_exec_interactive_as_zunclient_sends_it(app, compute, tty):
    answer = app.post("/v1/containers/c1/execute?command=%22sh%22&interactive=True"
                      "&run=False", headers=ALICE).json
    assert answer["exec_id"] == "exec-1" and answer["output"] is None
    query = _query(answer["proxy_url"])
    assert (query["uuid"], query["exec_id"]) == (tty.uuid, "exec-1")
    args, kwargs = compute.last("rpc_container_exec")
    assert args == (tty.uuid, ["sh"]) and kwargs == {"run": False, "interactive": True}
    assert db_api.console_token_consume(query["token"], tty.uuid,
                                        console_token.KIND_EXEC, "exec-1")


def test_exec_interactive_with_run_answers_output(app, compute, tty):
    answer = app.post("/v1/containers/c1/execute?command=ls&interactive=True",
                      headers=ALICE).json
    assert answer["output"] == "hello\n" and answer["proxy_url"] is None
    assert compute.last("rpc_container_exec")[1] == {"run": True, "interactive": True}


def test_plain_exec_still_takes_the_old_path(app, compute, tty):
    app.post("/v1/containers/c1/execute?command=ls", headers=ALICE)
    assert "container_exec" in compute.names()
    assert "rpc_container_exec" not in compute.names()


def test_resize_and_execute_resize(app, compute, tty):
    app.post("/v1/containers/c1/resize?w=101&h=33", headers=ALICE)
    assert compute.last("rpc_container_resize")[0] == (tty.uuid, 33, 101)
    app.post("/v1/containers/c1/execute_resize?exec_id=e9&w=80&h=24", headers=ALICE)
    assert compute.last("rpc_container_exec_resize")[0] == (tty.uuid, "e9", 24, 80)


@pytest.mark.parametrize("query,field", [
    ("w=80", "h"), ("h=24", "w"), ("h=0&w=80", "h"), ("h=24&w=-1", "w"),
    ("h=x&w=80", "h"), ("h=24&w=10001", "w"),
])
def test_resize_refuses_bad_sizes(app, compute, tty, query, field):
    error = _error(app.post("/v1/containers/c1/resize?" + query, headers=ALICE,
                            status=400))
    assert "'%s'" % field in error["detail"] or field in error["title"]
    assert "rpc_container_resize" not in compute.names()


def test_execute_resize_needs_an_exec_id(app, compute, tty):
    app.post("/v1/containers/c1/execute_resize?w=80&h=24", headers=ALICE, status=400)
    assert "rpc_container_exec_resize" not in compute.names()


def test_interactive_implies_a_tty_before_1_36_only(app):
    body = {"image": "busybox", "interactive": True}
    old = app.post_json("/v1/containers", body, headers=v("1.35")).json
    assert old["interactive"] is True
    alice = RequestContext(user_id="alice", project_id="proj-a")
    assert db_api.container_get_by_uuid(alice, old["uuid"]).tty is True
    new = app.post_json("/v1/containers", body, headers=v("1.36")).json
    assert new["tty"] is False   # from 1.36 the client says (zunclient: tty=interactive)
