"""What members read of failures names no infrastructure; admins keep it.

A member's view (status_reason, an error body's message) never names a
compute host, its labels, zone internals or capacity, the engine's URL or
socket, or a host path; the detail is in the action's events, which only
administrators see (policy ``container:actions:events``), and in the logs.
"""
from __future__ import annotations

import dataclasses

import docker.errors
import oslo_messaging
import pytest
import requests.exceptions
import webtest

from tests.unit.api.conftest import ADMIN, ALICE, v
from tests.unit.compute.conftest import make_row, register_host
from zun.api import app as api_app
from zun.common import actions, exception, policy, states
from zun.common import context as zun_context
from zun.compute import api as compute_api
from zun.conf import CONF
from zun.container.driver import docker_errors
from zun.db import api as db_api
from zun.scheduler import scheduler

HOST = "secret-host-9"  # the infrastructure no member may read


class Client:
    """The RPC client: records casts, or fails like a broken bus."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.fail = fail
        self.casts: list[tuple] = []

    def cast(self, context, host, method, version, **kwargs):
        if self.fail:
            raise self.fail
        self.casts.append((host, method))

    call = cast


@pytest.fixture
def app(db):
    CONF([], project="zun", default_config_files=[], default_config_dirs=[])
    CONF.set_override("auth_strategy", "noauth", "api")
    policy.reset()
    yield webtest.TestApp(api_app.setup_app(compute_api=compute_api.API(Client())))
    CONF.clear_override("auth_strategy", "api")
    policy.reset()


@pytest.fixture
def labelled_host(db):
    admin = zun_context.get_admin_context()
    register_host(admin, host=HOST)
    db_api.compute_node_upsert(admin, HOST, {"cpus": 2, "mem_total": 1024,
                                             "labels": {"disk": "hdd"}})
    return admin


def _title(response) -> str:
    return response.json["errors"][0]["title"]


def test_unmatched_hint_member_reads_the_request_admin_reads_the_hosts(app, labelled_host):
    created = app.post_json("/v1/containers", {"image": "busybox", "hints": {"disk": "ssd"}},
                            headers=ALICE, status=202).json
    uuid = created["uuid"]
    shown = app.get("/v1/containers/%s" % uuid, headers=ALICE).json
    assert shown["status"] == "Error"
    assert shown["status_reason"] == ("No valid host was found: no host matches the "
                                      "scheduler hints")
    assert HOST not in str(shown) and "hdd" not in str(shown)
    (action,) = app.get("/v1/containers/%s/container_actions" % uuid,
                        headers=ALICE).json["containerActions"]
    assert action["message"] == "Error"
    path = "/v1/containers/%s/container_actions/%s" % (uuid, action["request_id"])
    assert app.get(path, headers=ALICE).json["events"] == []
    (event,) = app.get(path + "?all_projects=1", headers=ADMIN).json["events"]
    assert (event["event"], event["result"]) == (scheduler.EVENT, "Error")
    assert "%s: labels do not match hint(s) disk=ssd" % HOST in event["traceback"]


def test_no_room_names_what_was_asked(app, labelled_host):
    # the host reports 1024 MiB of memory
    created = app.post_json("/v1/containers", {"image": "busybox", "cpu": 0.5,
                                               "memory": "8192"},
                            headers=v("1.40"), status=202).json
    shown = app.get("/v1/containers/%s" % created["uuid"], headers=ALICE).json
    assert shown["status_reason"] == ("No valid host was found: no host has room for "
                                      "0.5 cpu / 8192 MiB")


def test_host_down_409_names_no_host(app, db):
    admin = zun_context.get_admin_context()
    register_host(admin, host=HOST, age=3600)
    ctx = zun_context.RequestContext(user_id="alice", project_id="proj-a")
    row = make_row(ctx, host=HOST, status=states.RUNNING, container_id="c")
    refused = app.post("/v1/containers/%s/stop" % row.uuid, headers=ALICE, status=409)
    assert "is down" in _title(refused) and HOST not in _title(refused)
    # the admin finds the host in the container itself
    assert app.get("/v1/containers/%s?all_projects=1" % row.uuid,
                   headers=ADMIN).json["host"] == HOST


def test_old_agent_conflict_names_no_host(db, monkeypatch):
    admin = zun_context.get_admin_context()
    register_host(admin, host=HOST)
    monkeypatch.setitem(actions.ACTIONS, "pause",
                        dataclasses.replace(actions.get("pause"), rpc_version="1.1"))
    ctx = zun_context.RequestContext(user_id="u1", project_id="p1")
    row = make_row(ctx, host=HOST, status=states.RUNNING, container_id="c")
    with pytest.raises(exception.Conflict) as err:
        compute_api.API(Client()).container_action(ctx, row, "pause")
    assert "needs 1.1" in err.value.message and HOST not in err.value.message


def test_unreachable_agent_503_and_reason_name_no_host(db, caplog):
    admin = zun_context.get_admin_context()
    register_host(admin, host=HOST)
    ctx = zun_context.RequestContext(user_id="u1", project_id="p1")
    api = compute_api.API(Client(fail=oslo_messaging.MessagingTimeout("t")))
    with pytest.raises(exception.ServiceUnavailable) as err:
        api.container_create(ctx, {"image": "i"}, run=False)
    assert "could not be reached" in err.value.message and HOST not in err.value.message
    (row,) = db_api.container_list(admin)
    assert HOST not in (row.status_reason or "")
    assert HOST in caplog.text  # the operator's log names it


def test_unexpected_agent_failure_reason_names_only_its_kind(db, ctx, admin, manager,
                                                              driver):
    secret = "%s/mounts/abc: Permission denied" % CONF.state_path
    driver.fail["create"] = PermissionError(13, secret)
    row = make_row(ctx, host="host-1", status=states.CREATING,
                   task_state=states.CONTAINER_CREATING)
    db_api.action_start(ctx, row.uuid, "create")
    manager.container_create(ctx, row.uuid, run=True)
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert row.status == states.ERROR
    assert row.status_reason == (
        "Failed to create container: an internal error occurred (PermissionError); "
        "administrators find the detail in the action's events")
    (action,) = db_api.actions_get(admin, row.uuid)
    (event,) = db_api.action_events_get(admin, action.id)
    assert secret in event.traceback


def test_the_tenants_own_problem_stays_readable(db, ctx, admin, manager, driver):
    driver.fail["start"] = exception.RuntimeOperationFailed(
        reason='exec: "nope": executable file not found in $PATH')
    row = make_row(ctx, host="host-1", status=states.CREATING,
                   task_state=states.CONTAINER_CREATING)
    manager.container_create(ctx, row.uuid, run=True)
    reason = db_api.container_get_by_uuid(admin, row.uuid).status_reason
    assert 'executable file not found' in reason


# --- what the Docker driver lets through ---------------------------------------------
URL = "unix:///run/zun-secret/docker.sock"


def _converted(err, **kw) -> str:
    return docker_errors.convert(err, URL, **kw).message


def test_engine_unreachable_names_no_socket(caplog):
    for cause in (requests.exceptions.ConnectionError("(%s) refused" % URL),
                  FileNotFoundError(2, "No such file: /run/zun-secret/docker.sock")):
        message = _converted(cause)
        assert message == exception.engine_unreachable().message
        assert "zun-secret" not in message
    assert "zun-secret" in caplog.text


def test_engine_timeout_names_no_url():
    message = _converted(requests.exceptions.ReadTimeout(
        "HTTPConnectionPool(host='10.9.8.7', port=2375): Read timed out"))
    assert "10.9.8.7" not in message and "did not answer in time" in message


@pytest.mark.parametrize("url,text", [
    (URL, "error during connect: /run/zun-secret/docker.sock is busy"),
    ("tcp://10.9.8.7:2375", "500 Server Error for http://10.9.8.7:2375/v1.41/x: boom"),
    ("unix:///var/run/docker.sock",
     "500 Server Error for http+docker://localhost/v1.41/containers/create: boom"),
])
def test_engine_address_is_scrubbed_from_docker_sentences(url, text):
    message = docker_errors.convert(docker.errors.APIError(text), url).message
    assert "zun-secret" not in message and "10.9.8.7" not in message
    assert "http+docker" not in message
    assert docker_errors.ENGINE in message


def test_host_paths_are_scrubbed_but_the_containers_own_words_stay():
    text = ('OCI runtime create failed: error mounting "%s/mounts/u/0" to rootfs at '
            '"/etc/app.conf": not a directory' % CONF.state_path)
    message = _converted(docker.errors.APIError(
        "500", explanation=text))
    assert CONF.state_path not in message
    assert docker_errors.HOST_PATH in message and '"/etc/app.conf"' in message
    missing = docker_errors.convert(
        docker.errors.ImageNotFound("pull access denied for nope, repository does not "
                                    "exist"), URL, image="nope:1")
    assert "nope" in missing.message and "pull access denied" in missing.message
    registry = _converted(docker.errors.APIError(
        "500", explanation='Get "https://registry.example:5000/v2/": dial tcp: timeout'))
    assert "https://registry.example:5000/v2/" in registry  # the tenant's own registry
