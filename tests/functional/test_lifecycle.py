"""End to end over HTTP: real zun processes, a real Docker engine, and for the
split deployment a real RabbitMQ between zun-api and zun-compute.

Each test runs against both deployments (``zun-all`` and api+compute).
"""
from __future__ import annotations

import concurrent.futures
import uuid as uuidlib

import docker
import pytest

from tests.functional import harness


def _name(prefix: str = "c") -> str:
    return "%s-%s" % (prefix, uuidlib.uuid4().hex[:8])


def _cleanup(api, uuid):
    api.delete("/v1/containers/%s" % uuid, force="True", stop="True")


def test_run_reaches_running_with_the_requested_runtime_config(api, docker_client):
    body = api.run(name=_name(), cpu=0.5, memory="64", environment={"A": "1"},
                   labels={"team": "x"}, workdir="/tmp", hostname="box1",
                   restart_policy={"Name": "on-failure", "MaximumRetryCount": "2"})
    assert body["status"] == "Creating"
    uuid = body["uuid"]
    try:
        shown = api.wait_status(uuid, "Running")
        assert shown["restart_policy"]["MaximumRetryCount"] == "2"
        attrs = docker_client.containers.get("zun-%s" % uuid).attrs
        labels = attrs["Config"]["Labels"]
        assert labels["zun.uuid"] == uuid and labels["zun.project_id"] == "project-a"
        assert labels["team"] == "x"
        assert attrs["HostConfig"]["NanoCpus"] == 500_000_000
        assert attrs["HostConfig"]["Memory"] == 64 * 1024 * 1024
        assert attrs["HostConfig"]["RestartPolicy"] == {"Name": "on-failure",
                                                        "MaximumRetryCount": 2}
        assert "A=1" in attrs["Config"]["Env"]
        assert attrs["Config"]["WorkingDir"] == "/tmp"
        assert attrs["Config"]["Hostname"] == "box1"
    finally:
        _cleanup(api, uuid)


def test_exit_is_seen_as_stopped_with_its_code(api):
    body = api.run(command=["sh", "-c", "exit 3"])
    shown = api.wait_status(body["uuid"], "Stopped")
    assert shown["status_detail"].startswith("Exited(3)")
    _cleanup(api, body["uuid"])


def test_external_docker_stop_is_seen(api, docker_client):
    body = api.run()
    uuid = body["uuid"]
    api.wait_status(uuid, "Running")
    docker_client.containers.get("zun-%s" % uuid).stop(timeout=5)
    api.wait_status(uuid, "Stopped")
    _cleanup(api, uuid)


def test_reads_logs_exec_top_stats(api):
    body = api.run(command=["sh", "-c", "echo out-line; echo err-line >&2; "
                                        "trap 'exit 0' TERM; sleep 3600 & wait"])
    uuid = body["uuid"]
    try:
        api.wait_status(uuid, "Running")
        harness.wait_until(lambda: "out-line" in api.get(
            "/v1/containers/%s/logs" % uuid).json(), what="logs")
        only_err = api.get("/v1/containers/%s/logs" % uuid, stdout="False",
                           stderr="True").json()
        assert "err-line" in only_err and "out-line" not in only_err

        resp = api.post("/v1/containers/%s/execute" % uuid,
                        command='"sh" "-c" "echo from-query; exit 4"')
        assert resp.status_code == 200, resp.text
        assert resp.json()["exit_code"] == 4 and "from-query" in resp.json()["output"]
        resp = api.post("/v1/containers/%s/execute" % uuid, {"command": "echo body"})
        assert resp.json() == {"output": "body\n", "exit_code": 0, "exec_id": None,
                               "proxy_url": None}

        top = api.get("/v1/containers/%s/top" % uuid, ps_args="None").json()
        assert "PID" in top["Titles"] and top["Processes"]
        stats = api.get("/v1/containers/%s/stats" % uuid).json()
        assert set(stats) == {"CONTAINER", "CPU %", "MEM USAGE(MiB)", "MEM LIMIT(MiB)",
                              "MEM %", "BLOCK I/O(B)", "NET I/O(B)"}
    finally:
        _cleanup(api, uuid)


def test_actions_follow_the_state_machine(api, docker_client):
    uuid = api.run()["uuid"]
    try:
        api.wait_status(uuid, "Running")
        assert api.post("/v1/containers/%s/unpause" % uuid).status_code == 409
        for action, status in [("pause", "Paused"), ("unpause", "Running"),
                               ("stop", "Stopped"), ("start", "Running"),
                               ("reboot", "Running"), ("kill", "Stopped")]:
            params = {"timeout": "5"} if action in ("stop", "reboot") else {}
            if action == "kill":
                params = {"signal": "None"}
            resp = api.post("/v1/containers/%s/%s" % (uuid, action), **params)
            assert resp.status_code == 202, (action, resp.text)
            api.wait_status(uuid, status)
        resp = api.post("/v1/containers/%s/pause" % uuid)
        assert resp.status_code == 409
        assert "Cannot pause container %s in Stopped state" % uuid in \
            resp.json()["errors"][0]["detail"]
        actions = api.get("/v1/containers/%s/container_actions" % uuid).json()
        names = [a["action"] for a in actions["containerActions"]]
        assert {"create", "pause", "unpause", "stop", "start", "reboot", "kill"} <= set(names)
    finally:
        _cleanup(api, uuid)


def test_concurrent_conflicting_actions_exactly_one_wins(api):
    uuid = api.run()["uuid"]
    try:
        api.wait_status(uuid, "Running")
        # whichever wins leaves Stopped or Paused, from which none of these is
        # allowed: one 202 even if the winner finishes before the others arrive
        actions = ["stop", "pause", "kill"] * 4
        with concurrent.futures.ThreadPoolExecutor(len(actions)) as pool:
            codes = list(pool.map(
                lambda a: api.post("/v1/containers/%s/%s" % (uuid, a)).status_code,
                actions))
        assert codes.count(202) == 1 and codes.count(409) == len(actions) - 1, codes
        api.wait_status(uuid, ("Stopped", "Paused", "Running"))
    finally:
        _cleanup(api, uuid)


def test_update_resizes_the_running_container(api, docker_client):
    uuid = api.run(cpu=1, memory="64")["uuid"]
    try:
        api.wait_status(uuid, "Running")
        new_name = _name("renamed")
        resp = api.patch("/v1/containers/%s" % uuid,
                         {"cpu": "0.25", "memory": "96", "name": new_name})
        assert resp.status_code == 200, resp.text
        assert resp.json()["name"] == new_name and resp.json()["memory"] == "96"
        host_config = docker_client.containers.get("zun-%s" % uuid).attrs["HostConfig"]
        assert host_config["NanoCpus"] == 250_000_000
        assert host_config["Memory"] == 96 * 1024 * 1024
        assert api.show(new_name)["uuid"] == uuid
    finally:
        _cleanup(api, uuid)


def test_missing_image_ends_in_error_with_a_reason(api):
    uuid = api.run(image="no-such-image:404")["uuid"]
    shown = api.wait_status(uuid, "Error")
    assert "no-such-image:404" in shown["status_reason"]
    assert api.delete("/v1/containers/%s" % uuid).status_code == 204
    api.wait_gone(uuid)


@pytest.mark.parametrize("body,field", [
    ({"image": harness.IMAGE, "memory": "-1"}, "memory"),
    ({"image": harness.IMAGE, "name": "!bad"}, "name"),
    ({"image": harness.IMAGE, "bogus": 1}, "bogus"),
    ({"image": harness.IMAGE, "cpu": "lots"}, "cpu"),
    ({"image": harness.IMAGE, "environment": ["A=1"]}, "environment"),
    ({"memory": "64"}, "image"),
])
def test_bad_input_is_400_naming_the_field_and_creates_nothing(api, body, field):
    before = len(api.get("/v1/containers").json()["containers"])
    resp = api.post("/v1/containers?run=true", body)
    assert resp.status_code == 400, resp.text
    error = resp.json()["errors"][0]
    assert error["status"] == 400 and field in error["detail"]
    assert len(api.get("/v1/containers").json()["containers"]) == before


def test_other_projects_get_404_and_admin_sees_all(api, zun):
    uuid = api.run(name=_name("private"))["uuid"]
    other = harness.ApiClient(zun.url, project="project-b", user="user-b")
    admin = harness.ApiClient(zun.url, project="project-admin", user="root",
                              roles="admin")
    try:
        api.wait_status(uuid, "Running")
        for method, path in [("GET", ""), ("PATCH", ""), ("DELETE", ""),
                             ("POST", "/stop"), ("POST", "/pause"), ("GET", "/logs"),
                             ("POST", "/execute?command=ls"), ("GET", "/top"),
                             ("GET", "/stats"), ("GET", "/container_actions")]:
            body = {"name": "stolen"} if method == "PATCH" else None
            resp = other.request(method, "/v1/containers/%s%s" % (uuid, path), body)
            assert resp.status_code == 404, (method, path, resp.text)
        assert uuid not in [c["uuid"] for c in
                            other.get("/v1/containers").json()["containers"]]
        assert other.get("/v1/containers", all_projects="True").status_code == 403
        everything = admin.get("/v1/containers", all_projects="True").json()
        assert uuid in [c["uuid"] for c in everything["containers"]]
        assert api.show(uuid)["status"] == "Running"  # untouched
    finally:
        _cleanup(api, uuid)


def test_delete_variants(api, docker_client):
    uuid = api.run()["uuid"]
    api.wait_status(uuid, "Running")
    assert api.delete("/v1/containers/%s" % uuid).status_code == 409
    assert api.delete("/v1/containers/%s" % uuid, stop="True").status_code == 204
    api.wait_gone(uuid)
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get("zun-%s" % uuid)


def test_auto_remove_container_disappears_after_exit(api, docker_client):
    uuid = api.run(command=["true"], auto_remove=True)["uuid"]
    api.wait_gone(uuid)
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get("zun-%s" % uuid)


@pytest.fixture(scope="module")
def zun_rkt(request, docker_client):
    deployment = harness.ZunProcesses(mode="all", driver="rkt")
    deployment.start()
    yield deployment
    deployment.stop()


def test_rkt_driver_refuses_cleanly(zun_rkt):
    api = harness.ApiClient(zun_rkt.url)
    resp = api.post("/v1/containers?run=true", {"image": harness.IMAGE})
    assert resp.status_code == 400
    detail = resp.json()["errors"][0]["detail"]
    assert "rkt" in detail and "Traceback" not in resp.text
    assert api.get("/v1/containers").json()["containers"] == []


def test_injected_file_is_readable_in_the_container(api):
    import base64
    content = base64.b64encode(b"injected hello\n").decode()
    uuid = api.run(mounts=[{"type": "bind", "source": content,
                            "destination": "/data/testfile"}])["uuid"]
    try:
        api.wait_status(uuid, "Running")
        resp = api.post("/v1/containers/%s/execute" % uuid,
                        {"command": "cat /data/testfile"})
        assert resp.json()["output"] == "injected hello\n", resp.text
    finally:
        _cleanup(api, uuid)


def test_rebuild_recreates_the_container_and_finishes_its_action(api, docker_client):
    uuid = api.run()["uuid"]
    try:
        api.wait_status(uuid, "Running")
        old_id = docker_client.containers.get("zun-%s" % uuid).id
        resp = api.post("/v1/containers/%s/rebuild" % uuid)
        assert resp.status_code == 202, resp.text
        request_id = resp.headers["x-openstack-request-id"]

        def finished():
            action = api.get("/v1/containers/%s/container_actions/%s"
                             % (uuid, request_id)).json()
            return action if action.get("finish_time") else None
        action = harness.wait_until(finished, what="rebuild action to finish")
        assert action["action"] == "rebuild" and action["message"] is None
        api.wait_status(uuid, "Running")
        assert docker_client.containers.get("zun-%s" % uuid).id != old_id
    finally:
        _cleanup(api, uuid)


def test_restart_policy_is_reflected(api):
    uuid = api.run(command=["sh", "-c", "exit 1"],
                   restart_policy={"Name": "on-failure", "MaximumRetryCount": "2"})["uuid"]
    try:
        body = harness.wait_until(
            lambda: (lambda b: b if b["status"] == "Stopped" and "restarted 2 times"
                     in (b["status_detail"] or "") else None)(api.show(uuid)),
            what="two restarts then Stopped")
        assert body["status_detail"].startswith("Exited(1)")
    finally:
        _cleanup(api, uuid)
