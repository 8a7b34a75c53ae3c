"""One container: show, update, delete and every action, as the CLI sends them."""
from __future__ import annotations

import pytest

from tests.unit.api.conftest import ADMIN, ALICE, BOB, make_container, v
from zun.common.context import RequestContext
from zun.db import api as db_api


def _title(response) -> str:
    return response.json["errors"][0]["title"]


@pytest.fixture
def c1(app):
    return make_container()


# --- show ------------------------------------------------------------------------
def test_show_by_uuid_and_by_name(app, compute, c1):
    by_uuid = app.get("/v1/containers/%s" % c1.uuid, headers=ALICE).json
    by_name = app.get("/v1/containers/c1?all_projects=False", headers=ALICE).json
    assert by_uuid == by_name
    assert by_uuid["uuid"] == c1.uuid
    assert compute.names() == ["container_show", "container_show"]


def test_show_name_with_dots_is_not_a_format_suffix(app):
    make_container(name="web.json")
    assert app.get("/v1/containers/web.json", headers=ALICE).json["name"] == "web.json"


def test_show_ambiguous_name_is_409(app):
    make_container(name="twin")
    make_container(name="twin")
    response = app.get("/v1/containers/twin", headers=ALICE, status=409)
    assert response.json["errors"][0]["code"] == "container.container_name_ambiguous"


def test_show_other_project_with_all_projects(app, c1):
    app.get("/v1/containers/c1", headers=ADMIN, status=404)
    app.get("/v1/containers/c1?all_projects=True", headers=BOB, status=403)
    shown = app.get("/v1/containers/c1?all_projects=True", headers=v("1.40", ADMIN)).json
    assert shown["host"] == "host1" and shown["runtime"] == "runc"


def test_show_version_gated_fields(app, c1):
    old = app.get("/v1/containers/c1", headers=v("1.35")).json
    assert "tty" not in old and "entrypoint" not in old and "auto_remove" in old
    new = app.get("/v1/containers/c1", headers=v("1.40")).json
    assert "tty" in new and "entrypoint" in new


# --- cross-project: every endpoint is a 404 -----------------------------------------
@pytest.mark.parametrize("method,path", [
    ("get", ""), ("patch", ""), ("delete", ""),
    ("post", "/start"), ("post", "/stop"), ("post", "/reboot"), ("post", "/pause"),
    ("post", "/unpause"), ("post", "/kill"), ("post", "/rename?name=x2"),
    ("post", "/execute?command=ls"), ("get", "/logs"), ("get", "/top"),
    ("get", "/stats"), ("get", "/container_actions"),
    ("get", "/container_actions/req-1"),
])
def test_other_projects_container_is_404_everywhere(app, compute, c1, method, path):
    url = "/v1/containers/%s%s" % (c1.uuid, path)
    if method == "patch":
        response = app.patch_json(url, {"name": "x2"}, headers=v("1.12", BOB), status=404)
    else:
        response = getattr(app, method)(url, headers=v("1.12", BOB), status=404)
    assert response.json["errors"][0]["code"] == "container.container_not_found"
    assert compute.calls == []


# --- actions ---------------------------------------------------------------------------
@pytest.mark.parametrize("path,action,kwargs", [
    ("stop?timeout=10", "stop", {"timeout": 10}),
    ("stop", "stop", {"timeout": None}),
    ("reboot?timeout=5", "reboot", {"timeout": 5}),
    ("pause", "pause", {}),
    ("kill?signal=None", "kill", {"signal": None}),
    ("kill?signal=SIGTERM", "kill", {"signal": "SIGTERM"}),
])
def test_actions_call_compute(app, compute, c1, path, action, kwargs):
    response = app.post("/v1/containers/c1/%s" % path, headers=ALICE, status=202)
    assert response.body == b""
    assert "Content-Type" not in response.headers
    (ctx, container, called_action), called_kwargs = compute.last("container_action")
    assert container.uuid == c1.uuid
    assert called_action == action
    assert called_kwargs == kwargs


@pytest.mark.parametrize("action,status", [("start", "Stopped"),
                                           ("unpause", "Paused")])
def test_actions_from_other_statuses(app, compute, action, status):
    make_container(status=status)
    app.post("/v1/containers/c1/%s" % action, headers=ALICE, status=202)
    assert compute.last("container_action")[0][2] == action


def test_bad_timeout_is_400(app, compute, c1):
    response = app.post("/v1/containers/c1/stop?timeout=soon", headers=ALICE, status=400)
    assert "timeout" in _title(response)
    assert compute.calls == []


def test_action_conflict_from_state_table(app, c1):
    response = app.post("/v1/containers/c1/start", headers=ALICE, status=409)
    assert "Running" in _title(response)


def test_one_operation_at_a_time(app, c1):
    app.post("/v1/containers/c1/stop", headers=ALICE, status=202)
    response = app.post("/v1/containers/c1/kill", headers=ALICE, status=409)
    assert response.json["errors"][0]["code"] == "container.container_task_in_flight"


# --- logs / top / stats / execute ------------------------------------------------------
def test_logs_as_the_cli_sends_them(app, compute, c1):
    response = app.get("/v1/containers/c1/logs?stdout=True&stderr=False"
                       "&timestamps=False&tail=all", headers=ALICE)
    assert response.json == "line1\nline2\n"
    _, kwargs = compute.last("container_logs")
    assert kwargs == {"stdout": True, "stderr": False, "timestamps": False,
                      "tail": "all", "since": None}


def test_logs_tail_and_since(app, compute, c1):
    app.get("/v1/containers/c1/logs?tail=5&since=1700000000", headers=ALICE)
    _, kwargs = compute.last("container_logs")
    assert kwargs["tail"] == "5" and kwargs["since"] == "1700000000"
    app.get("/v1/containers/c1/logs?tail=lots", headers=ALICE, status=400)


def test_top_with_literal_none(app, compute, c1):
    assert app.get("/v1/containers/c1/top?ps_args=None", headers=ALICE).json == \
        compute.top_result
    assert compute.last("container_top")[1] == {"ps_args": None}
    app.get("/v1/containers/c1/top?ps_args=aux", headers=ALICE)
    assert compute.last("container_top")[1] == {"ps_args": "aux"}


def test_stats(app, compute, c1):
    assert app.get("/v1/containers/c1/stats", headers=ALICE).json == compute.stats_result


def test_execute_from_query_string(app, compute, c1):
    response = app.post('/v1/containers/c1/execute?command=%22echo%22+%22a+b%22',
                        headers=ALICE)
    assert response.json == {"output": "hello\n", "exit_code": 0,
                             "exec_id": None, "proxy_url": None}
    (ctx, container, command), _ = compute.last("container_exec")
    assert command == ["echo", "a b"]


def test_execute_from_json_body(app, compute, c1):
    app.post_json("/v1/containers/c1/execute", {"command": "echo hello"}, headers=ALICE)
    assert compute.last("container_exec")[0][2] == ["echo", "hello"]
    app.post_json("/v1/containers/c1/execute?run=True", {"command": ["ls", "-l"]},
                  headers=ALICE)
    assert compute.last("container_exec")[0][2] == ["ls", "-l"]


def test_execute_refusals(app, compute, c1):
    app.post("/v1/containers/c1/execute", headers=ALICE, status=400)
    app.post_json("/v1/containers/c1/execute", {"command": "ls", "run": "no"},
                  headers=ALICE, status=400)
    app.post_json("/v1/containers/c1/execute", {"command": 5}, headers=ALICE, status=400)
    assert compute.calls == []


def test_execute_on_stopped_container_is_409(app, compute):
    make_container(status="Stopped")
    app.post("/v1/containers/c1/execute?command=ls", headers=ALICE, status=409)


# --- rename ----------------------------------------------------------------------------
def test_rename_up_to_1_13(app, compute, c1):
    response = app.post("/v1/containers/c1/rename?name=c9", headers=v("1.13"))
    assert response.status_int == 200
    assert response.json["name"] == "c9"
    assert compute.last("container_rename")[0][2] == "c9"
    app.post_json("/v1/containers/c9/rename", {"name": "c10"}, headers=v("1.12"))
    assert compute.last("container_rename")[0][2] == "c10"


def test_rename_from_1_14_is_406(app, compute, c1):
    response = app.post("/v1/containers/c1/rename?name=c9", headers=v("1.14"), status=406)
    assert "PATCH" in _title(response)
    app.post("/v1/containers/c1/rename?name=c9", headers=v("latest"), status=406)
    assert compute.calls == []


def test_rename_bad_name_is_400(app, c1):
    app.post("/v1/containers/c1/rename?name=-x", headers=v("1.13"), status=400)


# --- update ------------------------------------------------------------------------------
@pytest.mark.parametrize("version", ["1.12", "1.18", "1.40"])
def test_patch_as_the_cli_sends_it(app, compute, c1, version):
    response = app.patch_json("/v1/containers/c1", {"memory": "128", "cpu": "1"},
                              headers=v(version))
    assert response.status_int == 200
    (ctx, container, patch), _ = compute.last("container_update")
    assert patch == {"memory": "128", "cpu": 1.0}
    assert response.json["memory"] == "128"


def test_patch_name_and_auto_heal(app, compute, c1):
    shown = app.patch_json("/v1/containers/c1", {"name": "n2", "auto_heal": True},
                           headers=v("1.18")).json
    assert shown["name"] == "n2"
    assert compute.last("container_update")[0][2] == {"name": "n2", "auto_heal": True}


@pytest.mark.parametrize("body", [{}, {"image": "x"}, {"memory": "-5"},
                                  {"cpu": "0"}, {"name": "!"}, {"auto_heal": "yes"}])
def test_patch_validation(app, compute, c1, body):
    app.patch_json("/v1/containers/c1", body, headers=ALICE, status=400)
    assert compute.calls == []


# --- delete ------------------------------------------------------------------------------
def test_delete_as_the_cli_sends_it(app, compute):
    row = make_container(status="Stopped")
    response = app.delete("/v1/containers/c1?force=False&stop=False&all_projects=False",
                          headers=v("1.40"), status=204)
    assert response.body == b""
    assert "Content-Type" not in response.headers
    (ctx, container), kwargs = compute.last("container_delete")
    assert container.uuid == row.uuid
    assert kwargs == {"force": False, "stop": False}
    app.get("/v1/containers/c1", headers=ALICE, status=404)


def test_delete_stop_is_accepted_at_every_version(app, compute, c1):
    # tempest's legacy class cleans up with ?stop=True at 1.1
    app.delete("/v1/containers/c1?stop=False", headers=v("1.1"), status=409)
    app.delete("/v1/containers/c1?stop=True", headers=v("1.1"), status=204)
    assert compute.last("container_delete")[1] == {"force": False, "stop": True}


@pytest.mark.parametrize("version", ["1.1", "1.6", "1.7", "1.40"])
def test_force_delete_admin_only_at_every_version(app, compute, c1, version):
    """Deviation from upstream, which checks the policy only from 1.7."""
    response = app.delete("/v1/containers/c1?force=True", headers=v(version), status=403)
    assert "container:delete_force" in _title(response)
    assert "container_delete" not in compute.names()
    app.delete("/v1/containers/c1?force=True&all_projects=True",
               headers=v(version, ADMIN), status=204)
    assert compute.last("container_delete")[1] == {"force": True, "stop": False}


def test_admin_force_deletes_other_project(app, compute, c1):
    app.delete("/v1/containers/c1?force=True&all_projects=True",
               headers=v("1.40", ADMIN), status=204)
    assert compute.last("container_delete")[1]["force"] is True


def test_delete_running_without_stop_is_409(app, c1):
    app.delete("/v1/containers/c1", headers=ALICE, status=409)
    ctx = RequestContext(user_id="alice", project_id="proj-a")
    assert db_api.container_get(ctx, "c1").uuid == c1.uuid


# --- rebuild -------------------------------------------------------------------
def test_rebuild_with_image_from_body_or_query(app, compute, c1):
    app.post_json("/v1/containers/c1/rebuild", {"image": "busybox:2"},
                  headers=v("1.33"), status=202)
    assert compute.last("container_rebuild")[1] == {"image": "busybox:2"}
    app.post("/v1/containers/c1/rebuild?image=busybox:3", headers=v("1.40"), status=202)
    assert compute.last("container_rebuild")[1] == {"image": "busybox:3"}
    app.post("/v1/containers/c1/rebuild", headers=v("1.40"), status=202)
    assert compute.last("container_rebuild")[1] == {"image": None}


def test_rebuild_refuses_glance_and_unknown_fields(app, compute, c1):
    app.post("/v1/containers/c1/rebuild?image_driver=glance", headers=v("1.40"),
             status=400)
    app.post_json("/v1/containers/c1/rebuild", {"bogus": 1}, headers=v("1.40"),
                  status=400)
    assert "container_rebuild" not in compute.names()
