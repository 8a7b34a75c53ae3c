"""GET /v1/containers/{id}/container_actions[/{request_id}]."""
from __future__ import annotations

import pytest

from tests.unit.api.conftest import ADMIN, ALICE, make_container, v
from zun.common.context import RequestContext
from zun.db import api as db_api


@pytest.fixture
def recorded(app):
    row = make_container()
    ctx = RequestContext(user_id="alice", project_id="proj-a", request_id="req-abc")
    db_api.action_start(ctx, row.uuid, "stop")
    db_api.action_event_start(ctx, row.uuid, "req-abc", "compute__do_container_stop")
    db_api.action_event_finish(ctx, row.uuid, "req-abc", "compute__do_container_stop",
                               "Error", traceback="Traceback: secret")
    db_api.action_finish(ctx, row.uuid, "req-abc", message="Error")
    return row


def test_list_actions(app, recorded):
    body = app.get("/v1/containers/c1/container_actions", headers=v("1.40")).json
    actions = body["containerActions"]
    assert [a["action"] for a in actions] == ["stop"]
    action = actions[0]
    assert action["request_id"] == "req-abc"
    assert action["container_uuid"] == recorded.uuid
    assert action["message"] == "Error"
    assert action["finish_time"] is not None
    assert "events" not in action


def test_finish_time_only_from_1_33(app, recorded):
    old = app.get("/v1/containers/c1/container_actions", headers=v("1.32")).json
    assert "finish_time" not in old["containerActions"][0]


def test_show_action_member_gets_no_events(app, recorded):
    body = app.get("/v1/containers/c1/container_actions/req-abc", headers=ALICE).json
    assert body["action"] == "stop"
    assert body["events"] == []


def test_show_action_admin_gets_events(app, recorded):
    body = app.get("/v1/containers/%s/container_actions/req-abc?all_projects=True"
                   % recorded.uuid, headers=ADMIN).json
    assert [e["event"] for e in body["events"]] == ["compute__do_container_stop"]
    assert body["events"][0]["result"] == "Error"


def test_unknown_request_id_is_404(app, recorded):
    response = app.get("/v1/containers/c1/container_actions/req-nope",
                       headers=ALICE, status=404)
    assert response.json["errors"][0]["code"] == "container.container_action_not_found"
