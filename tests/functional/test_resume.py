"""Accepted work survives a restart: interrupted operations are resumed.

Real processes, real engine, no mocks (issue 13). Each test interrupts
operations the API accepted (kill -9 of the agent's process, split or
zun-all, or a container engine that is away), lets the agent come back and
checks that every operation reached its target, once: the rows, the
runtime containers (one per uuid, labelled zun.uuid/zun.host) and the
action history, where a resume shows as a ``compute__resume`` event
followed by the operation's own event with its outcome.

The deployments, fault helpers and figures are those of test_faults.py
(a private RabbitMQ and a private engine that may be stopped); every test
prints one ``FAULT`` figure line, with ``resumed`` counted both from the
action history and from the agent's "Recovered interrupted operations"
log lines.
"""
from __future__ import annotations

import collections
import concurrent.futures
import signal
import threading
from typing import Any

import docker
import requests

from tests.functional import harness, test_faults
from tests.functional.test_faults import (
    DRAIN_TIMEOUT,
    _detail,
    act,
    agent_of,
    assert_zero,
    figures,
    in_flight,
    kill9_during_runs,
    recovered_counts,
    report,
    restart_agent,
    rows_of,
    run_many,
    runtime_of,
    settle,
)

# The fault fixtures, taken by name: the private broker and engine, and the
# split (or zun-all) deployments on them with the short cadences.
faults_rabbit = test_faults.faults_rabbit
private_engine = test_faults.private_engine
deploy = test_faults.deploy

RESUME_ATTEMPTS = 3
RESUME_CONF = "\n[compute]\nresume_attempts = %d\n" % RESUME_ATTEMPTS
# Where the engine comes back during the operations: the bound must not race
# the engine's own start-up. In production sync_interval is 30 s, so three
# attempts span a minute and more; here passes are 2 s apart, hence more attempts.
ENGINE_BACK_ATTEMPTS = 30
ENGINE_BACK_CONF = "\n[compute]\nresume_attempts = %d\n" % ENGINE_BACK_ATTEMPTS
RESUME_EVENT = "compute__resume"
GAVE_UP = "The %s operation was interrupted and could not be completed after %d attempts"
ENGINE_AWAY = "cannot be reached"


# --- the action history ------------------------------------------------------------
def actions_of(admin: harness.ApiClient, uuid: str) -> list[dict[str, Any]]:
    """Every action of a container with its events, as an admin reads them."""
    path = "/v1/containers/%s/container_actions" % uuid
    listed = admin.get(path, all_projects="1")
    assert listed.status_code == 200, listed.text
    out = []
    for action in listed.json()["containerActions"]:
        if not action["request_id"]:
            continue
        shown = admin.get("%s/%s" % (path, action["request_id"]), all_projects="1")
        assert shown.status_code == 200, shown.text
        out.append(shown.json())
    return out


def after_resume(events: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """The operation's events after its last resume: (event, result)."""
    last = max(i for i, e in enumerate(events) if e["event"] == RESUME_EVENT)
    return [(e["event"], e["result"]) for e in events[last + 1:]
            if e["event"].startswith("compute__do_container_")]


def resumes(admin: harness.ApiClient, uuids: set[str]) -> dict[str, dict[str, Any]]:
    """The containers among ``uuids`` whose history shows a resume: per uuid,
    the resumed action, how many resume events it has and what followed."""
    out = {}
    for uuid in sorted(uuids):
        for action in actions_of(admin, uuid):
            events = action["events"]
            count = sum(1 for e in events if e["event"] == RESUME_EVENT)
            if count:
                out[uuid] = {"action": action["action"], "resumes": count,
                             "results": [e["result"] for e in events
                                         if e["event"] == RESUME_EVENT],
                             "then": after_resume(events)}
    return out


def bad_resumes(resumed: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Resumes not recorded as: a successful resume event, then the
    operation's own event(s), ending in Success."""
    return {u: r for u, r in resumed.items()
            if r["results"][-1] != "Success" or not r["then"]
            or r["then"][-1][1] != "Success"}


def causes(rows: dict[str, dict], uuids: set[str]) -> dict[str, int]:
    """Error rows among ``uuids``, counted by reason."""
    return dict(collections.Counter(rows[u]["status_reason"] for u in uuids
                                    if rows.get(u, {}).get("status") == "Error"))


def attempts(dep: harness.ZunProcesses, uuid: str, action: str = "create") -> int:
    """The resume attempts counted on ``uuid``'s ``action`` record."""
    found = dep.db_rows("SELECT attempts FROM container_actions "
                        "WHERE container_uuid = ? AND action = ?", (uuid, action))
    return max((n or 0 for (n,) in found), default=0)


def print_causes(name: str, errors: dict[str, int]) -> None:
    if errors:
        print("FAULT %s error causes: %s" % (name, errors))


# --- 1. split: kill -9 of zun-compute during 20 runs ----------------------------------
def _runs_outcome(name: str, dep: harness.ZunProcesses, engine: docker.DockerClient
                  ) -> dict[str, Any]:
    out = kill9_during_runs(dep, engine)
    admin = harness.ApiClient(dep.url, roles="admin")
    rows = out["figs"]["_rows"]
    out["resumed"] = resumes(admin, set(rows))
    out["errors"] = causes(rows, out["accepted"])
    report(name, out["figs"], accepted=len(out["accepted"]),
           refused=len(out["refused"]), unanswered=out["unanswered"],
           runtime_at_kill=out["runtime_at_kill"],
           in_flight_at_kill=len(out["in_flight"]),
           resumed=len(out["resumed"]), resumed_log=out["recovered"].get("resumed", 0),
           gave_up_log=out["recovered"].get("gave_up", 0),
           completed=len(out["running"]), errors=sum(out["errors"].values()),
           drained_s=out["drained_s"], converged_s=out["converged_s"])
    print_causes(name, out["errors"])
    if out["unanswered_rows"]:
        print("FAULT %s rows of unanswered requests: %s" % (name, out["unanswered_rows"]))
    return out


def test_kill9_compute_during_20_runs_resumes_them(deploy, docker_client):
    dep = deploy(RESUME_CONF)
    out = _runs_outcome("resume-runs-split", dep, docker_client)
    assert not out["refused"], out["refused"]
    assert not out["not_running"], out["not_running"]
    assert_zero(out["figs"])
    assert not bad_resumes(out["resumed"]), out["resumed"]
    assert not out["recovered"].get("gave_up"), out["recovered"]


# --- 2. split: kill -9 of zun-compute during 20 deletes --------------------------------
def test_kill9_compute_during_20_deletes_completes_them(deploy, docker_client):
    dep = deploy(RESUME_CONF)
    api = harness.ApiClient(dep.url)
    admin = harness.ApiClient(dep.url, roles="admin")
    count = 20
    uuids = run_many(api, count)
    pool = concurrent.futures.ThreadPoolExecutor(count)
    barrier = threading.Barrier(count)

    def delete(uuid: str) -> requests.Response:
        barrier.wait()
        return api.delete("/v1/containers/%s" % uuid, stop="True")
    futures = [pool.submit(delete, u) for u in uuids]
    # kill while deletes are under way: once a few runtime containers are gone
    harness.wait_until(lambda: len(runtime_of(docker_client, dep.host)) <= count - 3
                       or all(f.done() for f in futures), timeout=60, interval=0.01,
                       what="the first deletes to reach the engine")
    agent = agent_of(dep)
    dep.kill_service(agent, signal.SIGKILL)
    at_kill = runtime_of(docker_client, dep.host)
    flying = in_flight(dep)
    responses = [f.result() for f in futures]
    pool.shutdown()
    accepted = {u for u, r in zip(uuids, responses, strict=True) if r.status_code == 204}
    refused = [(r.status_code, _detail(r)) for r in responses if r.status_code != 204]

    log_offset = len(dep.log_text(agent))
    restart_agent(dep)
    harness.poll(lambda: not (set(rows_of(admin)) & set(uuids))
                 and not runtime_of(docker_client, dep.host),
                 timeout=DRAIN_TIMEOUT, interval=0.2)
    waited = settle(dep, admin)
    figs = figures(dep, docker_client, set(uuids), deleted=accepted)
    left_rows = sorted((u, r["status"], r["task_state"], r["status_reason"])
                       for u, r in figs["_rows"].items() if u in set(uuids))
    left_runtime = sorted(u for u in figs["_runtime"] if u in set(uuids))
    recovered = recovered_counts(dep.log_text(agent)[log_offset:])
    report("resume-deletes-split", figs, accepted=len(accepted), refused=len(refused),
           runtime_at_kill=len(at_kill), in_flight_at_kill=len(flying),
           completed=len(accepted) - len(left_rows),
           deleted_log=recovered.get("deleted", 0), resumed_log=recovered.get("resumed", 0),
           gave_up_log=recovered.get("gave_up", 0), rows_left=len(left_rows),
           runtime_left=len(left_runtime), drained_s="%.1f" % waited)
    assert not refused, refused
    assert not left_rows, left_rows
    assert not left_runtime, left_runtime
    assert_zero(figs)


# --- 3. split: kill -9 of zun-compute during mixed actions -----------------------------
def test_kill9_compute_during_mixed_actions_reaches_targets(deploy, docker_client):
    dep = deploy(RESUME_CONF)
    api = harness.ApiClient(dep.url)
    admin = harness.ApiClient(dep.url, roles="admin")
    uuids = run_many(api, 11)
    running, stopped, paused = uuids[:7], uuids[7:10], uuids[10:]
    for uuid in stopped:
        assert act(api, uuid, "stop").status_code == 202
    assert act(api, paused[0], "pause").status_code == 202
    for uuid in stopped:
        api.wait_status(uuid, "Stopped")
    api.wait_status(paused[0], "Paused")
    # (container, action, the statuses it may end in)
    plan = [
        (running[0], "stop", ("Stopped",)),
        (running[1], "stop", ("Stopped",)),
        (running[2], "reboot", ("Running",)),
        (running[3], "reboot", ("Running",)),
        (running[4], "rebuild", ("Running",)),     # running when accepted: runs again
        (running[5], "pause", ("Paused",)),
        (stopped[0], "start", ("Running",)),
        (stopped[1], "start", ("Running",)),
        (stopped[2], "rebuild", ("Stopped", "Created")),  # not running: does not run
        (paused[0], "unpause", ("Running",)),
        # SIGKILL: sent again only if it surely never arrived, so it ends stopped
        (running[6], "kill", ("Stopped",)),
    ]
    pool = concurrent.futures.ThreadPoolExecutor(len(plan))
    barrier = threading.Barrier(len(plan))

    def send(uuid: str, action: str) -> requests.Response:
        barrier.wait()
        return act(api, uuid, action)
    futures = [pool.submit(send, u, a) for u, a, _ in plan]
    # kill mid-burst: half answered (and being run by the agent), half still sent
    harness.wait_until(lambda: sum(f.done() for f in futures) >= len(plan) // 2,
                       timeout=60, interval=0.005, what="half the actions answered")
    agent = agent_of(dep)
    dep.kill_service(agent, signal.SIGKILL)
    flying = in_flight(dep)
    responses = [f.result() for f in futures]
    pool.shutdown()
    refused = [(a, r.status_code, _detail(r)) for (_, a, _), r in zip(plan, responses, strict=True)
               if r.status_code != 202]

    log_offset = len(dep.log_text(agent))
    restart_agent(dep)
    waited = settle(dep, admin)
    figs = figures(dep, docker_client, set(uuids))
    rows = figs["_rows"]
    off_target = [(u, a, rows.get(u, {}).get("status"), rows.get(u, {}).get("task_state"),
                   rows.get(u, {}).get("status_reason"))
                  for u, a, want in plan if rows.get(u, {}).get("status") not in want]
    resumed = resumes(admin, {u for u, _, _ in plan})
    recovered = recovered_counts(dep.log_text(agent)[log_offset:])
    errors = causes(rows, set(uuids))
    report("resume-actions-split", figs, actions=len(plan), accepted=len(plan) - len(refused),
           in_flight_at_kill=len(flying), resumed=len(resumed),
           resumed_log=recovered.get("resumed", 0), resolved_log=recovered.get("resolved", 0),
           gave_up_log=recovered.get("gave_up", 0),
           at_target=len(plan) - len(off_target), errors=sum(errors.values()),
           rebuilt_stopped=rows.get(stopped[2], {}).get("status"),
           killed=rows.get(running[6], {}).get("status"),
           drained_s="%.1f" % waited)
    print("FAULT resume-actions-split resumed: %s"
          % sorted((r["action"], r["then"]) for r in resumed.values()))
    print_causes("resume-actions-split", errors)
    assert not refused, refused
    assert not off_target, off_target
    assert_zero(figs)
    assert not bad_resumes(resumed), resumed


# --- 4. zun-all: kill -9 of the whole process during 20 runs --------------------------
def test_kill9_zun_all_during_20_runs_resumes_them(deploy, docker_client):
    # `make run`'s topology: API and agent in one process, the request queue
    # in memory. Everything in flight at the kill is lost but for its rows
    # and action records, so each accepted one must be resumed. A request
    # the process died answering may have left a row but no record of its
    # intent: not accepted, it only has to end settled and truthful.
    dep = deploy(RESUME_CONF, mode="all")
    out = _runs_outcome("resume-runs-all", dep, docker_client)
    not_resumed = sorted((out["in_flight"] & out["accepted"]) - set(out["resumed"]))
    assert not out["refused"], out["refused"]
    assert not out["not_running"], out["not_running"]
    assert_zero(out["figs"])
    assert not not_resumed, (not_resumed, out["resumed"])
    assert not bad_resumes(out["resumed"]), out["resumed"]


# --- 5. a resume that keeps failing; the engine coming back -----------------------------
def test_engine_away_gives_up_after_the_bound_then_comes_back(deploy, private_engine):
    name = "resume-engine"
    # (a) the engine stays away: Error after resume_attempts, the engine as the cause
    dep = deploy(RESUME_CONF, docker_url=private_engine.url)
    api = harness.ApiClient(dep.url)
    admin = harness.ApiClient(dep.url, roles="admin")
    private_engine.stop()
    doomed = api.run(name="doomed")["uuid"]    # 202: the agent heartbeats
    shown = api.wait_status(doomed, "Error", timeout=DRAIN_TIMEOUT)
    reason = shown["status_reason"] or ""
    doomed_attempts = attempts(dep, doomed)
    gave_up = recovered_counts(dep.log_text(agent_of(dep))).get("gave_up", 0)
    (action,) = [a for a in actions_of(admin, doomed) if a["action"] == "create"]
    doomed_resumes = sum(1 for e in action["events"] if e["event"] == RESUME_EVENT)

    # (b) stop the engine, create, start it: every create ends Running
    private_engine.start()
    dep_b = deploy(ENGINE_BACK_CONF, docker_url=private_engine.url)
    api_b = harness.ApiClient(dep_b.url)
    admin_b = harness.ApiClient(dep_b.url, roles="admin")
    private_engine.stop()
    uuids = [api_b.run(name="engine-back-%d" % i)["uuid"] for i in range(5)]
    # each create failed on the engine and was resumed (and failed) at least once
    harness.wait_until(lambda: all(attempts(dep_b, u) >= 1 for u in uuids), timeout=60,
                       interval=0.2, what="a resume of each create with the engine away")
    at_engine_back = {u: attempts(dep_b, u) for u in uuids}
    private_engine.start()
    engine = docker.DockerClient(base_url=private_engine.url)
    try:
        harness.poll(lambda: all(s["status"] == "Running" and not s["task_state"]
                                 for s in (api_b.show(u) for u in uuids)),
                     timeout=DRAIN_TIMEOUT, interval=0.2)
        waited = settle(dep_b, admin_b)
        figs = figures(dep_b, engine, set(uuids))
    finally:
        engine.close()
    rows = figs["_rows"]
    running = [u for u in uuids if rows.get(u, {}).get("status") == "Running"]
    resumed = resumes(admin_b, set(uuids))
    errors = causes(rows, set(uuids))
    report(name, figs, bound=RESUME_ATTEMPTS, doomed=shown["status"],
           doomed_attempts=doomed_attempts, doomed_resume_events=doomed_resumes,
           gave_up_log=gave_up, accepted=len(uuids),
           attempts_when_engine_back=sorted(at_engine_back.values()),
           resumed=len(resumed), completed=len(running), errors=sum(errors.values()),
           drained_s="%.1f" % waited)
    print("FAULT %s gave up with: %s" % (name, reason))
    print_causes(name, errors)
    assert reason.startswith(GAVE_UP % ("create", RESUME_ATTEMPTS)), reason
    assert ENGINE_AWAY in reason, reason
    assert doomed_resumes == RESUME_ATTEMPTS, action["events"]
    assert gave_up >= 1
    assert sorted(running) == sorted(uuids), [(u, rows.get(u)) for u in uuids]
    assert_zero(figs)
    assert set(resumed) == set(uuids) and not bad_resumes(resumed), resumed
    # the record counts the resumes the reason names, no more
    assert doomed_attempts == RESUME_ATTEMPTS, doomed_attempts


# --- 6. the action history shows the resume ---------------------------------------------
def test_action_history_shows_the_resume(deploy, private_engine):
    dep = deploy(ENGINE_BACK_CONF, docker_url=private_engine.url)
    api = harness.ApiClient(dep.url)
    admin = harness.ApiClient(dep.url, roles="admin")
    private_engine.stop()
    uuid = api.run(name="history")["uuid"]
    harness.wait_until(lambda: attempts(dep, uuid) >= 1, timeout=60, interval=0.2,
                       what="a resume of the create with the engine away")
    private_engine.start()
    api.wait_status(uuid, "Running", timeout=DRAIN_TIMEOUT)

    (action,) = [a for a in actions_of(admin, uuid) if a["action"] == "create"]
    events = [(e["event"], e["result"]) for e in action["events"]]
    details = dep.db_rows(
        "SELECT e.details FROM container_actions_events e JOIN container_actions a "
        "ON e.action_id = a.id WHERE a.container_uuid = ? AND e.event = ? ORDER BY e.id",
        (uuid, RESUME_EVENT))
    member_view = api.get("/v1/containers/%s/container_actions/%s"
                          % (uuid, action["request_id"]))
    print("\nFAULT resume-history: events=%s attempts=%d first_resume_details=%r "
          "action_message=%s finished=%s"
          % (events, attempts(dep, uuid), details[0][0] if details else None,
             action["message"], bool(action.get("finish_time"))))
    resumed = [i for i, (name, _) in enumerate(events) if name == RESUME_EVENT]
    assert resumed, events
    assert all(events[i][1] == "Success" for i in resumed), events
    then = after_resume(action["events"])
    assert then and then[0][0] == "compute__do_container_create", events
    assert then[-1][1] == "Success", events
    first = details[0][0] or ""
    assert "attempt 1 of %d" % ENGINE_BACK_ATTEMPTS in first and "create" in first, details
    # the owner reads the action, not its events (policy container:actions:events)
    assert member_view.status_code == 200 and member_view.json()["events"] == [], \
        member_view.text
