"""Fault injection against real zun processes, each test printing its figures.

Every test breaks something real (kill -9 of the agent, a broker or engine
restart, containers removed behind zun's back, racing requests, a dead host),
lets the fault end, waits for the operations to drain and for one whole
reconcile pass after that, then compares the rows (through the API, as admin, all
projects) with the engine's containers labelled with the deployment's host:

* lost: accepted (202) but neither a row nor deleted by a request;
* orphaned: a labelled runtime container of this host with no row;
* stuck: a row with a task in flight, or still Creating;
* wrong: a row whose status disagrees with the engine's state, or an Error
  row whose runtime container runs;
* duplicated: more than one runtime container for one uuid.

All five must be 0. The broker and the engine that get restarted are private
to this module (port 5673, /tmp/zun-faults-dockerd): other tests share the
machine's engine and broker, which are never touched here.
"""
from __future__ import annotations

import ast
import concurrent.futures
import os
import random
import re
import shutil
import signal
import subprocess
import threading
import time
import uuid as uuidlib
from pathlib import Path
from typing import Any, Callable

import docker
import pytest
import requests

from tests.functional import harness
from tests.functional.engines import PrivateEngine

REPO = Path(__file__).resolve().parents[2]
LOG_DIR = Path(os.environ.get("ZUN_FAULTS_LOG_DIR", "/tmp/zun-faults-logs"))

SYNC_INTERVAL = 2
# Short cadences so that "one reconcile interval after the fault" is seconds.
FAULT_CONF = """
[compute]
sync_interval = %d
recovery_grace = 1
orphan_grace = 2
stuck_task_timeout = 60
""" % SYNC_INTERVAL
DEAD_HOST_CONF = """
[DEFAULT]
report_interval = 1
service_down_time = 5
"""
# Logged by zun-compute once its RPC server consumes.
AGENT_STARTED = "Compute service started on host"
# Logged (debug) by zun-compute around each reconcile pass (zun/compute/sync.py).
RECONCILE_BEGINS = "Reconcile of host %s begins"
RECONCILE_DONE = "Reconcile of host %s done"
# The longest a test waits for its operations to drain after a fault.
DRAIN_TIMEOUT = 90

# Row status -> the engine's state it stands for.
RUNTIME_STATE = {"Running": "running", "Stopped": "exited", "Paused": "paused",
                 "Created": "created", "Restarting": "restarting", "Dead": "dead"}


# --- private broker and engine ---------------------------------------------------
class PrivateRabbit:
    """A RabbitMQ node of our own, through tools/start-rabbitmq.sh."""

    def __init__(self) -> None:
        self.dir = Path(os.environ.get("ZUN_FAULTS_RABBIT_DIR", "/tmp/zun-faults-rabbit"))
        self.env = dict(os.environ, RABBIT_DIR=str(self.dir),
                        RABBIT_PORT=os.environ.get("ZUN_FAULTS_RABBIT_PORT", "5673"),
                        RABBIT_DIST_PORT=os.environ.get("ZUN_FAULTS_RABBIT_DIST_PORT",
                                                        "25673"),
                        RABBIT_NODE="zunfaults@localhost")
        self.url = ""

    def _script(self, *args: str) -> str:
        done = subprocess.run([str(REPO / "tools" / "start-rabbitmq.sh"), *args],
                              env=self.env, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise AssertionError("start-rabbitmq.sh %s failed: %s%s"
                                 % (" ".join(args), done.stdout, done.stderr))
        return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""

    def start(self) -> "PrivateRabbit":
        self.url = self._script()
        return self

    def stop(self) -> None:
        """Stop the node (the script kills only the beam pid it recorded)."""
        self._script("stop")


@pytest.fixture(scope="module")
def faults_rabbit():
    rabbit = PrivateRabbit().start()
    yield rabbit
    rabbit.stop()


@pytest.fixture(scope="module")
def private_engine():
    engine = PrivateEngine(os.environ.get("ZUN_FAULTS_DOCKERD_DIR",
                                          "/tmp/zun-faults-dockerd")).start()
    try:
        engine.prepare_image()
        yield engine
    finally:
        engine.stop()


@pytest.fixture
def deploy(request, faults_rabbit, docker_client):
    """Start deployments: split (zun-api + zun-compute over the private broker)
    or zun-all, with the short cadences of FAULT_CONF."""
    made: list[harness.ZunProcesses] = []
    failed_before = request.session.testsfailed

    def make(extra_conf: str = "", docker_url: str | None = None,
             mode: str = "split") -> harness.ZunProcesses:
        # mode "all": zun-all, the in-process topology of `make run` (no broker)
        dep = harness.ZunProcesses(mode=mode,
                                   transport_url=faults_rabbit.url if mode == "split" else None,
                                   extra_conf=FAULT_CONF + extra_conf,
                                   docker_url=docker_url)
        made.append(dep)
        dep.start()
        # Faults are measured from a fully started, reported-up agent.
        dep.wait_log(agent_of(dep), AGENT_STARTED)
        harness.wait_until(lambda: compute_state(dep) == "up", timeout=60, interval=0.2,
                           what="zun-compute reported up")
        return dep

    yield make
    failed = request.session.testsfailed > failed_before
    for i, dep in enumerate(made):
        if failed:
            # whole logs outlive the deployment's temp dir, for the post-mortem
            keep = LOG_DIR / ("%s-%d" % (request.node.name, i))
            shutil.rmtree(keep, ignore_errors=True)
            keep.mkdir(parents=True)
            for log in dep.dir.glob("*.log"):
                shutil.copy(log, keep)
            print("logs of %s kept in %s" % (dep.host, keep))
        dep.stop()


def agent_of(dep: harness.ZunProcesses) -> str:
    """The process (and log) that runs the agent: zun-all holds it in-process."""
    return "zun-all" if dep.mode == "all" else "zun-compute"


def restart_agent(dep: harness.ZunProcesses) -> None:
    """Start the agent's process again after a kill; wait until it serves.

    For zun-all the API went down with it: wait for it to answer too (the
    harness's own readiness check fails on the killed process it spawned).
    """
    agent = agent_of(dep)
    offset = len(dep.log_text(agent))
    dep.restart_service(agent)
    dep.wait_log(agent, AGENT_STARTED, after=offset)
    harness.wait_until(lambda: _answers(dep.url), timeout=60, interval=0.1,
                       what="the API of %s to answer" % dep.host)


def _answers(url: str) -> bool:
    try:
        return requests.get(url + "/", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def compute_state(dep: harness.ZunProcesses) -> str | None:
    """The agent's state as the API reports it (up/down)."""
    resp = harness.ApiClient(dep.url, roles="admin").get("/v1/services")
    assert resp.status_code == 200, resp.text
    return next((s["state"] for s in resp.json()["services"]
                 if s["binary"] == "zun-compute"), None)


# --- measuring -----------------------------------------------------------------
def runtime_of(engine: docker.DockerClient, host: str) -> dict[str, list[dict]]:
    """The engine's containers labelled with ``host``, by zun uuid."""
    out: dict[str, list[dict]] = {}
    for summary in engine.api.containers(all=True, filters={"label": "zun.host=%s" % host}):
        uuid = (summary.get("Labels") or {}).get("zun.uuid")
        if uuid:
            out.setdefault(uuid, []).append(summary)
    return out


def rows_of(admin: harness.ApiClient) -> dict[str, dict]:
    resp = admin.get("/v1/containers", all_projects="True", limit=1000)
    assert resp.status_code == 200, resp.text
    return {row["uuid"]: row for row in resp.json()["containers"]}


def consistent(row: dict, containers: list[dict] | None) -> bool:
    state = containers[0]["State"] if containers else None
    if row["status"] in RUNTIME_STATE:
        return state == RUNTIME_STATE[row["status"]]
    if row["status"] == "Error":
        return state != "running"
    return True  # transitional statuses are counted as stuck instead


def figures(dep: harness.ZunProcesses, engine: docker.DockerClient,
            accepted: set[str], deleted: set[str] = frozenset()) -> dict[str, Any]:
    admin = harness.ApiClient(dep.url, roles="admin")
    rows = rows_of(admin)
    runtime = runtime_of(engine, dep.host)
    bad = {
        "lost": sorted(u for u in accepted if u not in rows and u not in deleted),
        "orphaned": sorted(u for u in runtime if u not in rows),
        "stuck": sorted(u for u, r in rows.items()
                        if r["task_state"] or r["status"] == "Creating"),
        "wrong": sorted(u for u, r in rows.items() if not consistent(r, runtime.get(u))),
        "duplicated": sorted(u for u, cs in runtime.items() if len(cs) > 1),
    }
    out: dict[str, Any] = {"created": len(accepted)}
    out.update({k: len(v) for k, v in bad.items()})
    out["_bad"] = {k: [(u, rows.get(u, {}).get("status"), rows.get(u, {}).get("task_state"),
                        [c["State"] for c in runtime.get(u, [])]) for u in v]
                   for k, v in bad.items() if v}
    out["_rows"] = rows
    out["_runtime"] = runtime
    return out


def report(name: str, figs: dict[str, Any], **extra: Any) -> None:
    """Print the one-line figure record (and what is bad, if anything)."""
    keys = ["created", "lost", "orphaned", "stuck", "wrong", "duplicated"]
    line = " ".join("%s=%s" % (k, figs[k]) for k in keys)
    line += "".join(" %s=%s" % kv for kv in extra.items())
    print("\nFAULT %s: %s" % (name, line))
    if figs["_bad"]:
        print("FAULT %s bad rows: %s" % (name, figs["_bad"]))


def assert_zero(figs: dict[str, Any]) -> None:
    assert {k: figs[k] for k in ("lost", "orphaned", "stuck", "wrong", "duplicated")} == {
        "lost": 0, "orphaned": 0, "stuck": 0, "wrong": 0, "duplicated": 0}, figs["_bad"]


def drain(admin: harness.ApiClient, timeout: float = DRAIN_TIMEOUT) -> float:
    """Wait until no row has a task in flight; seconds waited (stops at timeout).

    It does not fail: a row that never settles is counted as stuck.
    """
    start = time.monotonic()
    harness.poll(lambda: not any(r["task_state"] or r["status"] == "Creating"
                                 for r in rows_of(admin).values()),
                 timeout=timeout, interval=0.2)
    return time.monotonic() - start


def settle(dep: harness.ZunProcesses, admin: harness.ApiClient) -> float:
    """Drain, then wait for one whole reconcile pass (the figures' reference time).

    The pass must begin after the drain: one already under way may have read
    the rows before the operations ended. Its log lines are the evidence.
    """
    waited = drain(admin)
    agent = agent_of(dep)
    after = len(dep.log_text(agent))
    began = dep.wait_log(agent, RECONCILE_BEGINS % dep.host, after=after, timeout=60)
    dep.wait_log(agent, RECONCILE_DONE % dep.host, after=began, timeout=60)
    return waited


def run_many(api: harness.ApiClient, count: int, **fields: Any) -> list[str]:
    uuids = [api.run(name=_name(), **fields)["uuid"] for _ in range(count)]
    for uuid in uuids:
        api.wait_status(uuid, "Running")
    return uuids


def _name() -> str:
    return "f-%s" % uuidlib.uuid4().hex[:8]


def act(api: harness.ApiClient, uuid: str, action: str) -> requests.Response:
    params = {"signal": "SIGKILL"} if action == "kill" else {}
    if action in ("stop", "reboot"):
        params = {"timeout": "5"}
    return api.post("/v1/containers/%s/%s" % (uuid, action), **params)


def _detail(resp: requests.Response) -> str:
    try:
        return resp.json()["errors"][0]["detail"]
    except (ValueError, KeyError, IndexError, TypeError):
        return resp.text


def parallel(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run ``calls`` at the same instant (a barrier), return their results."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait()
        return call()
    with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


# --- 1. kill -9 of zun-compute during 20 creates ----------------------------------
def kill9_during_runs(dep: harness.ZunProcesses, engine: docker.DockerClient,
                      count: int = 20) -> dict[str, Any]:
    """``count`` concurrent ``POST /v1/containers?run=true``; kill -9 of the
    agent's process once the first runtime containers exist; restart; settle.

    Returns what happened, for the caller's figures and assertions. With
    zun-all the API dies too: requests it never answered are ``unanswered``
    (their rows, if written, are not counted as accepted).
    """
    agent = agent_of(dep)
    api = harness.ApiClient(dep.url)
    admin = harness.ApiClient(dep.url, roles="admin")
    body = {"image": harness.IMAGE, "command": harness.SLEEPER}
    pool = concurrent.futures.ThreadPoolExecutor(count)
    barrier = threading.Barrier(count)

    def post(i: int) -> requests.Response | requests.RequestException:
        barrier.wait()
        try:
            return api.post("/v1/containers?run=true", dict(body, name="kill9-%d" % i))
        except requests.RequestException as exc:
            return exc  # the process serving the API was killed
    futures = [pool.submit(post, i) for i in range(count)]
    # kill while creates are under way: once a few runtime containers exist
    harness.wait_until(lambda: len(runtime_of(engine, dep.host)) >= 3
                       or all(f.done() for f in futures), timeout=60, interval=0.01,
                       what="the first creates to reach the engine")
    dep.kill_service(agent, signal.SIGKILL)
    at_kill = runtime_of(engine, dep.host)
    flying = in_flight(dep)
    responses = [f.result() for f in futures]
    pool.shutdown()
    answered = [r for r in responses if isinstance(r, requests.Response)]
    accepted = {r.json()["uuid"] for r in answered if r.status_code == 202}
    refused = [(r.status_code, _detail(r)) for r in answered if r.status_code != 202]

    fault_end = time.monotonic()
    log_offset = len(dep.log_text(agent))
    restart_agent(dep)
    waited = settle(dep, admin)
    figs = figures(dep, engine, accepted)
    rows = figs["_rows"]
    running = {u for u in accepted if rows.get(u, {}).get("status") == "Running"}
    return {
        "figs": figs, "accepted": accepted, "refused": refused,
        "unanswered": count - len(answered),
        # rows written for requests whose answer was lost with the process
        "unanswered_rows": {u: (r["status"], r["status_reason"]) for u, r in rows.items()
                            if u not in accepted},
        "runtime_at_kill": len(at_kill), "in_flight": flying,
        "running": running,
        "not_running": sorted((u, rows.get(u, {}).get("status"),
                               rows.get(u, {}).get("status_reason"))
                              for u in accepted - running),
        "recovered": recovered_counts(dep.log_text(agent)[log_offset:]),
        "drained_s": "%.1f" % waited,
        "converged_s": "%.1f" % (time.monotonic() - fault_end),
    }


def in_flight(dep: harness.ZunProcesses) -> set[str]:
    """Rows with a task, read from the DB (the API may be down with the agent)."""
    return {u for (u,) in dep.db_rows(
        "SELECT uuid FROM container WHERE task_state IS NOT NULL")}


def recovered_counts(log: str) -> dict[str, int]:
    """The agent's "Recovered interrupted operations: {...}" lines, summed."""
    total: dict[str, int] = {}
    for found in re.finditer(r"Recovered interrupted operations: (\{[^}]*\})", log):
        for key, value in ast.literal_eval(found.group(1)).items():
            total[key] = total.get(key, 0) + int(value)
    return total


def test_kill9_compute_during_20_creates(deploy, docker_client):
    # Accepted is promised: every 202 run ends Running (issue 13), the
    # interrupted ones resumed by the restarted agent.
    dep = deploy()
    out = kill9_during_runs(dep, docker_client)
    figs = out["figs"]
    report("kill-compute", figs, accepted=len(out["accepted"]),
           refused=len(out["refused"]), runtime_at_kill=out["runtime_at_kill"],
           in_flight_at_kill=len(out["in_flight"]), running=len(out["running"]),
           not_running=len(out["not_running"]), recovered=out["recovered"],
           drained_s=out["drained_s"], converged_s=out["converged_s"])
    assert not out["refused"], out["refused"]
    assert not out["not_running"], out["not_running"]
    assert_zero(figs)


# --- 2. RabbitMQ restart during a burst of actions ---------------------------------
def test_rabbitmq_restart_during_action_burst(deploy, docker_client, faults_rabbit):
    # A cast the broker cannot route is refused at once (503, claim
    # released); stuck_task_timeout (>= 60 s) stays above the API's send
    # retries, so the agent never resolves a claim still being sent.
    dep = deploy()
    api = harness.ApiClient(dep.url)
    admin = harness.ApiClient(dep.url, roles="admin")
    uuids = run_many(api, 10)
    phase = {"now": "before"}
    codes: dict[str, list[tuple[int, str]]] = {"before": [], "outage": [], "after": []}
    stop_burst = threading.Event()

    def next_action(status: str) -> str | None:
        return {"Running": random.choice(["stop", "pause"]), "Stopped": "start",
                "Paused": "unpause", "Error": "start"}.get(status)

    def burst() -> None:
        while not stop_burst.is_set():
            for uuid in uuids:
                shown = api.get("/v1/containers/%s" % uuid)
                if shown.status_code != 200:
                    codes[phase["now"]].append((shown.status_code, _detail(shown)))
                    continue
                row = shown.json()
                action = None if row["task_state"] else next_action(row["status"])
                if action:
                    when = phase["now"]
                    resp = act(api, uuid, action)
                    codes[when].append((resp.status_code, _detail(resp)))
                if stop_burst.is_set():
                    return
    burster = threading.Thread(target=burst, daemon=True)
    burster.start()
    harness.wait_until(lambda: len(codes["before"]) >= 10, timeout=60,
                       what="the burst to get going")
    faults_rabbit.stop()
    phase["now"] = "outage"
    harness.wait_until(lambda: sum(1 for c, _ in codes["outage"] if c == 503) >= 3,
                       timeout=120, what="503 answers while the broker is down")
    # what the outage left: rows with a task no one will run
    pending_in_outage = sum(1 for r in rows_of(admin).values() if r["task_state"])
    faults_rabbit.start()
    fault_end = time.monotonic()
    phase["now"] = "after"
    # new actions must work without restarting any zun process
    harness.wait_until(lambda: any(c == 202 for c, _ in codes["after"]), timeout=120,
                       what="an action accepted after the broker came back")
    recovered_s = time.monotonic() - fault_end
    # a create as soon as the API takes actions again
    extra = api.run(name=_name())["uuid"]
    stop_burst.set()
    burster.join(timeout=120)

    waited = settle(dep, admin)
    figs = figures(dep, docker_client, set(uuids) | {extra})
    extra_row = figs["_rows"].get(extra, {})
    server_errors = [(p, c, d) for p, cs in codes.items() for c, d in cs
                     if c >= 500 and c != 503]
    unexpected = [(p, c, d) for p, cs in codes.items() for c, d in cs
                  if c not in (202, 409, 503) and c < 500]
    outage_503 = [d for c, d in codes["outage"] if c == 503]
    interrupted = [u for u, r in figs["_rows"].items()
                   if "interrupted" in (r["status_reason"] or "")]
    report("rabbitmq-restart", figs, actions=sum(len(v) for v in codes.values()),
           accepted=sum(1 for cs in codes.values() for c, _ in cs if c == 202),
           answered_503=sum(1 for cs in codes.values() for c, _ in cs if c == 503),
           answered_5xx_other=len(server_errors),
           pending_in_outage=pending_in_outage, recovered_s="%.1f" % recovered_s,
           resolved_as_interrupted=len(interrupted),
           create_after=extra_row.get("status"), drained_s="%.1f" % waited)
    print("FAULT rabbitmq-restart 503 message: %s" % (outage_503[:1],))
    print("FAULT rabbitmq-restart create after: %s" % extra_row.get("status_reason"))
    assert not server_errors, server_errors
    assert not unexpected, unexpected
    assert outage_503 and all("could not be reached" in d for d in outage_503), outage_503
    assert_zero(figs)
    # accepted after the broker returned, so it must run (not be lost)
    assert extra_row.get("status") == "Running", extra_row


# --- 3. restart of the Docker engine with running containers ---------------------
def test_docker_engine_restart_with_running_containers(deploy, private_engine):
    dep = deploy(docker_url=private_engine.url)
    engine = docker.DockerClient(base_url=private_engine.url)
    api = harness.ApiClient(dep.url)
    admin = harness.ApiClient(dep.url, roles="admin")
    try:
        uuids = run_many(api, 5)
        private_engine.restart()
        fault_end = time.monotonic()
        engine.close()
        engine = docker.DockerClient(base_url=private_engine.url)
        # dockerd stops containers without a restart policy on its way down
        for uuid in uuids:
            shown = api.wait_status(uuid, "Stopped", timeout=60)
            assert (shown["status_detail"] or "").startswith("Exited("), shown
        seen_s = time.monotonic() - fault_end
        # the agent works on the new engine without a restart of zun
        extra = api.run(name=_name())
        api.wait_status(extra["uuid"], "Running", timeout=60)
        api.post("/v1/containers/%s/start" % uuids[0])
        api.wait_status(uuids[0], "Running", timeout=60)
        waited = settle(dep, admin)
        figs = figures(dep, engine, set(uuids) | {extra["uuid"]})
        log = dep.log_text("zun-compute")
        report("docker-restart", figs, stopped_seen_s="%.1f" % seen_s,
               follower_reconnects=log.count("reconnecting"),
               drained_s="%.1f" % waited)
        assert "reconnecting" in log
        assert_zero(figs)
    finally:
        engine.close()


# --- 4. containers killed or removed behind zun's back --------------------------
def test_container_killed_or_removed_outside_zun(deploy, docker_client):
    dep = deploy()
    api = harness.ApiClient(dep.url)
    admin = harness.ApiClient(dep.url, roles="admin")
    killed, removed = run_many(api, 2)
    healed = run_many(api, 1, auto_heal=True)[0]
    old_heal_id = docker_client.containers.get("zun-%s" % healed).id

    docker_client.containers.get("zun-%s" % killed).kill()
    docker_client.containers.get("zun-%s" % removed).remove(force=True)
    docker_client.containers.get("zun-%s" % healed).remove(force=True)
    fault_end = time.monotonic()

    def converged() -> bool:
        rows = rows_of(admin)
        return (rows[killed]["status"] == "Stopped" and rows[removed]["status"] == "Error"
                and rows[healed]["status"] == "Running" and not rows[healed]["task_state"])
    try:
        harness.wait_until(converged, timeout=30, interval=0.2,
                           what="rows to show the outside changes")
    except AssertionError as exc:
        print("FAULT outside-kill: %s" % exc)
    seen_s = time.monotonic() - fault_end
    waited = settle(dep, admin)
    figs = figures(dep, docker_client, {killed, removed, healed})
    rows = figs["_rows"]
    heal_runtime = figs["_runtime"].get(healed, [{}])[0].get("Id")
    (db_heal_id,), = dep.db_rows("SELECT container_id FROM container WHERE uuid=?",
                                 (healed,))
    report("outside-kill", figs, killed=rows[killed]["status"],
           removed=rows[removed]["status"], healed=rows[healed]["status"],
           seen_s="%.1f" % seen_s, drained_s="%.1f" % waited)
    print("FAULT outside-kill rows: killed %s / removed %s / healed %s"
          % ((rows[killed]["status_detail"],),
             (rows[removed]["status_reason"],), (rows[healed]["status_reason"],)))
    assert_zero(figs)
    assert (rows[killed]["status"], rows[killed]["status_detail"][:10]) == (
        "Stopped", "Exited(137")
    assert (rows[removed]["status"], rows[removed]["status_reason"]) == (
        "Error", "No such container")
    # auto_heal: running again, on a new runtime container that the row records
    assert rows[healed]["status"] == "Running", rows[healed]
    assert heal_runtime not in (None, old_heal_id) and db_heal_id == heal_runtime


# --- 5. concurrent conflicting actions -----------------------------------------
def test_concurrent_conflicting_actions(deploy, docker_client):
    dep = deploy()
    api = harness.ApiClient(dep.url)
    admin = harness.ApiClient(dep.url, roles="admin")
    target, = run_many(api, 1)
    # each of these is allowed only from Running and leaves it: one may win
    actions = ["stop", "pause", "kill"] * 7
    responses = parallel([lambda a=a: act(api, target, a) for a in actions[:20]])
    codes = sorted(r.status_code for r in responses)
    one_202 = codes.count(202)
    conflicts = codes.count(409)

    five = run_many(api, 5)
    mixed = ["start", "stop", "pause", "unpause", "reboot", "kill"]
    rng = random.Random(4)
    picks = [(rng.choice(five), rng.choice(mixed)) for _ in range(20)]
    mixed_responses = parallel([lambda u=u, a=a: act(api, u, a) for u, a in picks])
    mixed_codes = [r.status_code for r in mixed_responses]
    waited = settle(dep, admin)
    figs = figures(dep, docker_client, {target, *five})
    report("concurrent-actions", figs, conflicting=len(responses), accepted=one_202,
           refused_409=conflicts, mixed=len(picks),
           mixed_accepted=mixed_codes.count(202), mixed_409=mixed_codes.count(409),
           mixed_other=len([c for c in mixed_codes if c not in (202, 409)]),
           drained_s="%.1f" % waited)
    assert (one_202, conflicts) == (1, 19), [(r.status_code, _detail(r)) for r in responses]
    assert all(c in (202, 409) for c in mixed_codes), [
        (r.status_code, _detail(r)) for r in mixed_responses]
    assert_zero(figs)


# --- 6. dead host ------------------------------------------------------------------
def test_dead_host_force_delete_then_orphan_cleanup(deploy, docker_client):
    dep = deploy(DEAD_HOST_CONF)
    api = harness.ApiClient(dep.url)
    admin = harness.ApiClient(dep.url, roles="admin")
    uuid, = run_many(api, 1)
    dep.kill_service("zun-compute", signal.SIGTERM)

    harness.wait_until(lambda: compute_state(dep) == "down", timeout=60, interval=0.2,
                       what="zun-compute to be reported down")
    refused = act(api, uuid, "stop")
    deleted = admin.delete("/v1/containers/%s" % uuid, force="True")
    gone = api.get("/v1/containers/%s" % uuid).status_code
    still_in_engine = bool(runtime_of(docker_client, dep.host))

    dep.restart_service("zun-compute")
    restarted = time.monotonic()
    harness.wait_until(lambda: not runtime_of(docker_client, dep.host), timeout=60,
                       interval=0.2, what="the orphan to be removed")
    orphan_s = time.monotonic() - restarted
    figs = figures(dep, docker_client, {uuid}, deleted={uuid})
    report("dead-host", figs, action_on_down=refused.status_code,
           force_delete=deleted.status_code, get_after=gone,
           orphan_left_while_down=int(still_in_engine),
           orphan_removed_s="%.1f" % orphan_s)
    print("FAULT dead-host 409 message: %s" % _detail(refused))
    assert refused.status_code == 409 and "is down" in _detail(refused), refused.text
    assert dep.host not in _detail(refused)   # no infrastructure named to members
    assert deleted.status_code == 204, deleted.text
    assert gone == 404
    assert still_in_engine
    assert_zero(figs)
