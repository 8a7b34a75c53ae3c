"""The production topology, for real, once on MariaDB and once on PostgreSQL.

zun-api runs under gunicorn with two worker processes through ``zun.wsgi``;
two zun-compute agents, each with its own ``[DEFAULT] host``, run on two
Docker engines (the machine's shared one, and a private second engine of
this module); all share one database on a real SQL server and one RabbitMQ.
Nothing is faked: the `zun` CLI is python-zunclient's (through the token stub
of token_stub.py), and placements are checked on the engines themselves.

Host names carry a random suffix, as do the database and the private
engine's directory, so runs on the same machine never see each other.
"""
from __future__ import annotations

import concurrent.futures
import os
import subprocess
import sys
import tempfile
import uuid as uuidlib
from pathlib import Path

import docker
import pytest
from sqlalchemy.engine import make_url

from tests.functional import engines, harness
from tests.functional.test_cli import zun_cli
from tests.functional.test_reason_exposure import admin_event_details
from tests.functional.token_stub import TokenStub

BINARY = "zun-compute"
# Agents heartbeat every 2 s (harness); a killed one is down 6 s later.
TOPOLOGY_CONF = """
[DEFAULT]
service_down_time = 6
"""


HOST_B_LABELS = "disk:ssd,rack:r2"


@pytest.fixture(scope="module")
def second_engine(docker_client):
    engine = engines.PrivateEngine(tempfile.mkdtemp(prefix="zun-topo-dockerd-"))
    try:
        engine.start()
        engine.prepare_image()
        yield engine
    finally:
        engine.destroy()


@pytest.fixture(scope="module", params=["mariadb", "postgresql"])
def topology(request, docker_client, transport_url, second_engine):
    database = engines.Database(request.param).create()
    suffix = uuidlib.uuid4().hex[:6]
    topo = harness.ZunTopology(
        database.url, transport_url,
        {"topo-a-%s" % suffix: harness.docker_url(),
         "topo-b-%s" % suffix: second_engine.url},
        api_workers=2, extra_conf=TOPOLOGY_CONF,
        host_conf={"topo-b-%s" % suffix: "[compute]\nhost_labels = %s\n" % HOST_B_LABELS})
    try:
        with harness.started(request, topo):
            yield topo
    finally:
        database.drop()


@pytest.fixture(scope="module")
def host_a(topology):
    return topology.hosts[0]


@pytest.fixture(scope="module")
def host_b(topology):
    return topology.hosts[1]


@pytest.fixture(scope="module")
def admin(topology):
    return harness.ApiClient(topology.url, project="topo-admin", user="root",
                             roles="admin")


@pytest.fixture(scope="module")
def stub(topology):
    with TokenStub(topology.url + "/v1") as token_stub:
        yield token_stub


@pytest.fixture(scope="module")
def runtimes(topology):
    """host -> a docker client of the engine that host's agent drives."""
    clients = {host: docker.DockerClient(base_url=url)
               for host, url in topology.engines.items()}
    yield clients
    for client in clients.values():
        client.close()


# --- helpers ---------------------------------------------------------------------
def runtime_state(client: docker.DockerClient, uuid: str) -> str | None:
    """The engine's state of zun's container ``uuid`` (None: not there)."""
    try:
        return client.containers.get("zun-%s" % uuid).status
    except docker.errors.NotFound:
        return None


def assert_on(runtimes: dict, host: str, uuid: str, state: str) -> None:
    """``uuid`` is in ``state`` on ``host``'s engine and on no other engine."""
    for name, client in runtimes.items():
        expected = state if name == host else None
        assert runtime_state(client, uuid) == expected, (name, uuid)


def assert_gone(runtimes: dict, uuid: str) -> None:
    for name, client in runtimes.items():
        assert runtime_state(client, uuid) is None, (name, uuid)


def services(admin: harness.ApiClient) -> dict[str, dict]:
    resp = admin.get("/v1/services")
    assert resp.status_code == 200, resp.text
    return {s["host"]: s for s in resp.json()["services"] if s["binary"] == BINARY}


def delete_all(admin: harness.ApiClient, uuids: list[str]) -> None:
    for uuid in uuids:
        resp = admin.delete("/v1/containers/%s" % uuid, force="True", stop="True")
        assert resp.status_code in (204, 404), resp.text
    for uuid in uuids:
        admin.wait_gone(uuid)


def run_many(admin: harness.ApiClient, count: int, **fields) -> list[dict]:
    """``count`` creates in parallel, each waited until Running."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=count) as pool:
        made = list(pool.map(lambda _: admin.run(**fields), range(count)))
    return [admin.wait_status(body["uuid"], "Running") for body in made]


# --- the WSGI entry point --------------------------------------------------------
def test_wsgi_import_opens_no_connection(tmp_path):
    """Importing zun.wsgi (as gunicorn's master does with --preload) builds
    the app from ZUN_CONFIG_FILES, never argv, and connects to nothing."""
    conf = tmp_path / "zun.conf"
    conf.write_text("[DEFAULT]\nstate_path = %s\ntransport_url = rabbit://u:p@127.0.0.1:1/\n"
                    "[api]\nauth_strategy = noauth\nallow_insecure_noauth = true\n"
                    % tmp_path)
    probe = (
        "import sys; sys.argv = ['gunicorn', '--workers', '2', 'zun.wsgi:application']\n"
        "import zun.wsgi, webtest\n"
        "from zun.common import rpc\n"
        "from zun.db import session\n"
        "from zun.conf import CONF\n"
        "assert rpc._TRANSPORT is None, 'transport built at import'\n"
        "assert session._manager is None, 'DB engine built at import'\n"
        "assert CONF.api.auth_strategy == 'noauth', CONF.api.auth_strategy\n"
        "print(webtest.TestApp(zun.wsgi.application).get('/').status_int)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=dict(os.environ, ZUN_CONFIG_FILES=str(conf)), timeout=120,
                          cwd=str(Path(__file__).resolve().parents[2]))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "200"


# --- the topology ------------------------------------------------------------------
def test_both_agents_are_up_on_the_sql_server(topology, admin, host_a, host_b):
    listed = services(admin)
    for host in (host_a, host_b):
        assert listed[host]["state"] == "up" and listed[host]["disabled"] is False
    hosts = {h["hostname"]: h for h in admin.get("/v1/hosts").json()["hosts"]}
    assert host_a in hosts and host_b in hosts
    assert all(hosts[h]["cpus"] > 0 and "runc" in hosts[h]["runtimes"]
               for h in (host_a, host_b))
    # the rows really live on the SQL server of this run
    assert make_url(topology.db_url).get_backend_name() in ("mysql", "postgresql")
    rows = topology.db_rows("SELECT host FROM zun_service")
    assert {host_a, host_b} <= {r[0] for r in rows}


def test_zun_cli_service_host_and_zone_commands(topology, stub, host_a, host_b):
    url = topology.url
    service_list = zun_cli(stub, url, "service-list").stdout
    for host in (host_a, host_b):
        line = next(ln for ln in service_list.splitlines() if host in ln)
        assert BINARY in line and "up" in line
    host_list = zun_cli(stub, url, "host-list").stdout
    assert host_a in host_list and host_b in host_list
    shown = zun_cli(stub, url, "host-show", host_b).stdout
    assert host_b in shown and "runc" in shown
    zones = zun_cli(stub, url, "availability-zone-list").stdout
    assert "nova" in zones


def test_zun_cli_pins_a_container_to_a_host(topology, stub, admin, runtimes, host_b):
    url = topology.url
    name = "topo-cli-%s" % uuidlib.uuid4().hex[:6]
    zun_cli(stub, url, "--zun-api-version", "1.39", "run", "--host", host_b,
            "--name", name, harness.IMAGE, *harness.SLEEPER)
    noauth = harness.ApiClient(url, project="noauth", user="noauth", roles="admin")
    shown = noauth.wait_status(name, "Running")
    try:
        assert shown["host"] == host_b
        assert_on(runtimes, host_b, shown["uuid"], "running")
        zun_cli(stub, url, "delete", "--stop", name)
        noauth.wait_gone(shown["uuid"])
        assert_gone(runtimes, shown["uuid"])
    finally:
        delete_all(noauth, [shown["uuid"]])


def test_zun_cli_hints_and_runtime_steer_the_scheduler(topology, stub, runtimes,
                                                      host_a, host_b):
    """Only host b carries the labels (its own config file): hints follow them."""
    url = topology.url
    noauth = harness.ApiClient(url, project="noauth", user="noauth", roles="admin")
    shown = zun_cli(stub, url, "host-show", host_b).stdout
    assert "ssd" in shown and "r2" in shown
    made = []
    try:
        for _ in range(4):  # candidates are shuffled: host a must never win
            name = "topo-hint-%s" % uuidlib.uuid4().hex[:6]
            zun_cli(stub, url, "run", "--hint", "disk=ssd,rack=r2", "--name", name,
                    harness.IMAGE, *harness.SLEEPER)
            body = noauth.wait_status(name, "Running")
            made.append(body["uuid"])
            assert body["host"] == host_b
            assert_on(runtimes, host_b, body["uuid"], "running")

        name = "topo-nohost-%s" % uuidlib.uuid4().hex[:6]
        zun_cli(stub, url, "run", "--hint", "disk=nvme", "--name", name,
                harness.IMAGE, *harness.SLEEPER)
        failed = noauth.wait_status(name, "Error")
        made.append(failed["uuid"])
        # the reason is the member's to read: it names the hints, not the hosts
        reason = failed["status_reason"]
        assert reason == "No valid host was found: no host matches the scheduler hints"
        # admins read which host refused and why in the create action's event
        detail = admin_event_details(noauth, failed["uuid"])
        assert "%s: labels do not match hint(s) disk=nvme" % host_a in detail, detail
        assert "%s: labels do not match hint(s) disk=nvme" % host_b in detail, detail
        assert_gone(runtimes, failed["uuid"])

        # a runtime no up host offers: refused before any row is written
        name = "topo-runtime-%s" % uuidlib.uuid4().hex[:6]
        refused = zun_cli(stub, url, "--zun-api-version", "1.5", "run", "--runtime",
                          "no-such-oci", "--name", name, harness.IMAGE, *harness.SLEEPER,
                          check=False)
        assert refused.returncode != 0 and "(HTTP 400)" in refused.stderr
        assert "Invalid input for field 'runtime'. Value: 'no-such-oci'." in refused.stderr
        assert "runc" in refused.stderr   # the runtimes on offer are named
        assert noauth.get("/v1/containers/%s" % name).status_code == 404
    finally:
        delete_all(noauth, made)


def test_zun_cli_quota_commands_set_and_enforce_limits(topology, stub):
    url = topology.url
    project = "topo-quota-%s" % uuidlib.uuid4().hex[:6]
    member = harness.ApiClient(url, project=project, user="quota-user")

    def table(*args: str) -> dict[str, str]:
        """The CLI's two-column table as a dict (first column -> second)."""
        rows = {}
        for line in zun_cli(stub, url, *args).stdout.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) == 2 and not line.startswith("+"):
                rows[cells[0]] = cells[1]
        return rows

    defaults = table("quota-defaults", project)
    assert set(defaults) >= {"containers", "cpu", "memory", "disk"}
    assert table("quota-get", project) == defaults  # no limits of its own yet

    updated = table("quota-update", "--containers", "1", "--memory", "1024", project)
    assert updated["containers"] == "1" and updated["memory"] == "1024"
    made = []
    try:
        made.append(member.run()["uuid"])
        resp = member.post("/v1/containers?run=true",
                           {"image": harness.IMAGE, "command": harness.SLEEPER})
        assert resp.status_code == 403, resp.text
        message = resp.json()["errors"][0]["detail"]
        assert "containers" in message and "1" in message, message
        usages = zun_cli(stub, url, "quota-get", "--usages", project).stdout
        rows = {cells[0]: cells[1:] for cells in (
            [c.strip() for c in line.strip().strip("|").split("|")]
            for line in usages.splitlines() if line.startswith("|"))}
        assert rows["containers"] == ["1", "1"], usages  # limit, in_use

        zun_cli(stub, url, "quota-delete", project)
        assert table("quota-get", project)["containers"] == defaults["containers"]
        made.append(member.run()["uuid"])  # back on the defaults: allowed again

        # a quota class changes every project that has no limit of its own
        before = table("quota-class-get", "default")
        try:
            changed = table("quota-class-update", "--disk", "7", "default")
            assert changed["disk"] == "7"
            assert table("quota-get", project)["disk"] == "7"
        finally:
            table("quota-class-update", "--disk", before.get("disk", defaults["disk"]),
                  "default")
        assert table("quota-get", project)["disk"] == defaults["disk"]
    finally:
        for uuid in made:
            resp = member.delete("/v1/containers/%s" % uuid, stop="True")
            assert resp.status_code in (204, 404), resp.text
        for uuid in made:
            member.wait_gone(uuid)


def test_pinned_containers_run_on_their_own_engine(admin, runtimes, host_a, host_b):
    made = {host: admin.run(host=host) for host in (host_a, host_b)}
    uuids = [body["uuid"] for body in made.values()]
    try:
        for host, body in made.items():
            shown = admin.wait_status(body["uuid"], "Running")
            assert shown["host"] == host
            assert_on(runtimes, host, body["uuid"], "running")
        for uuid in uuids:
            assert admin.post("/v1/containers/%s/stop" % uuid).status_code == 202
        for host, body in made.items():
            admin.wait_status(body["uuid"], "Stopped")
            assert_on(runtimes, host, body["uuid"], "exited")
        for uuid in uuids:
            assert admin.post("/v1/containers/%s/start" % uuid).status_code == 202
        for host, body in made.items():
            admin.wait_status(body["uuid"], "Running")
            assert_on(runtimes, host, body["uuid"], "running")
        for uuid in uuids:
            resp = admin.delete("/v1/containers/%s" % uuid, stop="True")
            assert resp.status_code == 204, resp.text
        for uuid in uuids:
            admin.wait_gone(uuid)
            assert_gone(runtimes, uuid)
    finally:
        delete_all(admin, uuids)


def test_pinning_to_an_unknown_host_is_an_error(admin):
    body = admin.run(host="no-such-host-%s" % uuidlib.uuid4().hex[:6])
    try:
        shown = admin.wait_status(body["uuid"], "Error")
        assert "not a compute host" in shown["status_reason"]
    finally:
        delete_all(admin, [body["uuid"]])


def test_unpinned_creates_all_succeed_and_use_both_hosts(admin, runtimes,
                                                         host_a, host_b):
    made: list[dict] = []
    try:
        # The scheduler picks at random among fitting hosts: two batches of 8
        # leave both hosts unused with a chance of 2 in 65,536.
        for _ in range(2):
            made += run_many(admin, 8)
            if {c["host"] for c in made} == {host_a, host_b}:
                break
        placed = {c["host"] for c in made}
        print("\nTOPOLOGY unpinned placement: %s" % {
            h: sum(c["host"] == h for c in made) for h in (host_a, host_b)})
        assert placed == {host_a, host_b}
        for body in made:
            assert_on(runtimes, body["host"], body["uuid"], "running")
    finally:
        delete_all(admin, [c["uuid"] for c in made])


def test_a_disabled_host_gets_no_new_container(topology, stub, admin, runtimes,
                                               host_a, host_b):
    url = topology.url
    made: list[dict] = []
    try:
        out = zun_cli(stub, url, "service-disable", "--reason", "topo-maintenance",
                      host_b, BINARY).stdout
        assert "topo-maintenance" in out and "True" in out
        assert services(admin)[host_b]["disabled"] is True
        made = run_many(admin, 6)
        assert {c["host"] for c in made} == {host_a}
        for body in made:
            assert_on(runtimes, host_a, body["uuid"], "running")
    finally:
        out = zun_cli(stub, url, "service-enable", host_b, BINARY).stdout
        delete_all(admin, [c["uuid"] for c in made])
    assert "False" in out
    assert services(admin)[host_b]["disabled"] is False


def test_one_hosts_containers_work_while_the_other_agent_is_dead(
        topology, admin, runtimes, host_a, host_b):
    on_a = admin.run(host=host_a)
    on_b = admin.run(host=host_b)
    uuids = [on_a["uuid"], on_b["uuid"]]
    try:
        admin.wait_status(on_a["uuid"], "Running")
        admin.wait_status(on_b["uuid"], "Running")
        topology.kill_compute(host_a)
        harness.wait_until(lambda: services(admin)[host_a]["state"] == "down",
                           timeout=60, interval=0.5, what="%s reported down" % host_a)
        assert services(admin)[host_b]["state"] == "up"

        # host b: every operation still goes through
        assert admin.post("/v1/containers/%s/stop" % on_b["uuid"]).status_code == 202
        admin.wait_status(on_b["uuid"], "Stopped")
        assert_on(runtimes, host_b, on_b["uuid"], "exited")
        assert admin.post("/v1/containers/%s/start" % on_b["uuid"]).status_code == 202
        admin.wait_status(on_b["uuid"], "Running")
        # The short pause dodges Docker's race that can drop the output of a
        # command exiting at once (README, known Docker limitation).
        resp = admin.post("/v1/containers/%s/execute" % on_b["uuid"],
                          {"command": "sh -c 'sleep 0.2; echo alive-on-b'", "run": True})
        assert resp.status_code == 200, resp.text
        assert resp.json()["exit_code"] == 0
        assert "alive-on-b" in resp.json()["output"]
        # new containers avoid the dead host
        fresh = run_many(admin, 4)
        uuids += [c["uuid"] for c in fresh]
        assert {c["host"] for c in fresh} == {host_b}

        # host a: refused with a clear 409, its container untouched on the engine
        resp = admin.post("/v1/containers/%s/stop" % on_a["uuid"])
        assert resp.status_code == 409, resp.text
        # clear, yet naming no infrastructure (docs/security.rst)
        assert "is down" in resp.json()["errors"][0]["detail"]
        assert host_a not in resp.json()["errors"][0]["detail"]
        assert_on(runtimes, host_a, on_a["uuid"], "running")

        # host a's agent returns: its container is reachable again
        topology.restart_compute(host_a)
        topology.wait_compute_up(host_a)
        harness.wait_until(lambda: services(admin)[host_a]["state"] == "up",
                           timeout=60, interval=0.5, what="%s up again" % host_a)
        assert admin.show(on_a["uuid"])["status"] == "Running"
        assert admin.post("/v1/containers/%s/stop" % on_a["uuid"]).status_code == 202
        admin.wait_status(on_a["uuid"], "Stopped")
        assert_on(runtimes, host_a, on_a["uuid"], "exited")
    finally:
        if topology.by_name[topology.compute_name(host_a)].poll() is not None:
            topology.restart_compute(host_a)
            topology.wait_compute_up(host_a)
        delete_all(admin, uuids)


def test_requests_are_served_by_both_gunicorn_workers(topology, admin):
    workers = topology.worker_pids()
    assert len(workers) == 2

    def burst() -> bool:
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            codes = list(pool.map(lambda _: admin.get("/v1/containers").status_code,
                                  range(48)))
        assert codes == [200] * 48
        return workers <= set(topology.access_pids())

    harness.wait_until(burst, timeout=120, interval=0,
                       what="both workers %s in the access log" % sorted(workers))
    seen = topology.access_pids()
    print("\nTOPOLOGY requests per gunicorn worker: %s"
          % {pid: seen.count(pid) for pid in sorted(workers)})
    assert set(seen) <= workers
