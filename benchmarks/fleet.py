"""Fleet scale: scheduling and the big page with 1,000 hosts and 50,000 containers.

    .venv/bin/python -m benchmarks.fleet [--db sqlite|mariadb|postgresql]
        [--hosts 1000] [--containers 50000] [--decisions 200] [--reads 30]
        [--json PATH]

A benchmark, not a test: it reports figures and asserts only correctness
(no host overcommitted, every page full). The fleet lives in a throwaway
database (a temporary SQLite file, or a private database on the shared
MariaDB/PostgreSQL server, dropped at the end), seeded with multi-row
INSERTs because creating 50,000 containers through the API would measure
the creates, not the fleet.

* **Scheduling decision**: ``zun.compute.api.API._place`` in this process,
  the code path of every create (filters over the whole fleet, then the
  atomic claim with quota), alternating no hint / availability zone / label
  hint. A quarter of the hosts are seeded exactly full, so some claims fail
  and the next candidate is tried. Baseline: the raw SQL read of the two
  tables the decision must see (services and inventories).
* **Read path**: ``GET /v1/containers?limit=1000`` (admin with
  ``all_projects``, and a member of the largest project) and ``GET`` of one
  container through a real ``zun-api`` process on the same database, against
  the same page read with raw SQL. DB statements per request are counted on
  the real API app in this process (a server process cannot be instrumented
  from outside).
"""
from __future__ import annotations

import argparse
import cProfile
import dataclasses
import datetime
import gc
import io
import json
import os
import platform
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid as uuidlib
from pathlib import Path
from typing import Any, Callable

import sqlalchemy as sa

import zun  # noqa: F401  (selects oslo.service's threading backend, no eventlet)
from benchmarks import report, scale
from benchmarks.measure import Figure, interleave
from tests.functional import harness

ROOT = Path(__file__).resolve().parent.parent
PROJECT_PREFIX = "fleet-project-"
USER = "fleet-user"
ZONES = ("az-1", "az-2", "az-3", "az-4")
#: (cpus, MiB, GiB) of the host kinds, in equal shares
HOST_KINDS = ((16, 65536, 500), (32, 131072, 1000), (48, 196608, 1000), (64, 262144, 2000))
#: what each decision asks for, as a client would send it
REQUEST = {"image": "busybox:local", "command": ["sleep", "3600"],
           "cpu": 0.5, "memory": "512"}
#: name -> (availability zone, scheduler hints) of the interleaved variants
VARIANTS: dict[str, tuple[str | None, dict[str, str] | None]] = {
    "no hint": (None, None),
    "zone": ("az-2", None),
    "label hint": (None, {"ssd": "true"}),
}
#: refresh the seeded heartbeats this often, well inside service_down_time
HEARTBEAT_EVERY_S = 15.0
PROFILE_ABOVE_S = 0.020


# --- the fleet ------------------------------------------------------------------
@dataclasses.dataclass
class Fleet:
    """The rows to insert, and what the report should say about them."""

    services: list[dict]
    nodes: list[dict]
    containers: list[dict]
    quotas: list[dict]
    locks: list[dict]
    projects: list[str]
    #: hosts whose agent heartbeats (disabled ones included)
    alive: list[str]
    #: alive and enabled: the hosts a create may land on
    up_hosts: list[str]
    full_hosts: list[str]
    container_count: int = 0
    largest_project_count: int = 0

    def summary(self) -> dict[str, Any]:
        full = set(self.full_hosts)
        return {"hosts": len(self.services), "up_and_enabled": len(self.up_hosts),
                "full": len(full),
                "up_enabled_and_full": sum(1 for h in self.up_hosts if h in full),
                "disabled": sum(1 for s in self.services if s["disabled"]),
                "down": len(self.services) - len(self.alive),
                "containers": self.container_count, "projects": len(self.projects),
                "largest_project_containers": self.largest_project_count,
                "labelled_ssd": sum(1 for n in self.nodes if "ssd" in n["labels"])}


def _memory_limit(mem_total: int) -> int:
    """The host's allocatable memory, from the scheduler's own formula."""
    from zun.scheduler import scheduler
    node = type("Node", (), {"cpus": 0, "mem_total": mem_total, "disk_total": 0})
    return int(scheduler.limits_of(node)["memory"])


def build_fleet(hosts: int, containers: int, full_fraction: float,
                seed: int = 5) -> Fleet:
    """A varied fleet: zones, host kinds, labels, some hosts down or disabled,
    ``full_fraction`` of them filled to the last MiB, and projects of uneven
    size (the first holds 5 %, so one member sees a full 1,000-row page)."""
    from zun.container.driver.docker import DockerDriver
    rng = random.Random(seed)
    now = datetime.datetime.utcnow()
    capabilities = sorted(DockerDriver.capabilities)
    services, nodes, names, alive, up = [], [], [], [], []
    for i in range(hosts):
        name = "fleet-host-%04d" % i
        names.append(name)
        disabled = i % 50 == 7
        down = i % 40 == 13
        if not down:
            alive.append(name)
            if not disabled:
                up.append(name)
        services.append({
            "host": name, "binary": "zun-compute", "disabled": disabled,
            "disabled_reason": "maintenance" if disabled else None, "forced_down": False,
            "last_seen_up": now - datetime.timedelta(hours=1) if down else now,
            "report_count": 100, "availability_zone": ZONES[i % len(ZONES)],
            "driver": "docker", "capabilities": capabilities, "created_at": now})
        cpus, mem, disk = HOST_KINDS[i % len(HOST_KINDS)]
        labels = {"rack": "r%02d" % (i % 20)}
        if i % 5 == 0:
            labels["ssd"] = "true"
        if i % 25 == 0:
            labels["gpu"] = "true"
        nodes.append({"uuid": str(uuidlib.uuid4()), "hostname": name, "cpus": cpus,
                      "mem_total": mem, "disk_total": disk, "labels": labels,
                      "runtimes": ["runc"], "architecture": "x86_64", "os_type": "linux",
                      "enable_cpu_pinning": False, "created_at": now})
    full = set(rng.sample(names, int(hosts * full_fraction)))
    projects = ["%s%03d" % (PROJECT_PREFIX, p) for p in range(100)]
    weights = [0.05 * 99 / 0.95] + [1.0] * 99  # project 0: 5 % of the rows
    owners = rng.choices(projects, weights=weights, k=containers)
    placed = rng.choices(names, k=containers)
    failed = set(rng.sample(range(containers), containers // 100))
    by_host: dict[str, list[dict]] = {n: [] for n in names}
    rows = []
    for i, (owner, host) in enumerate(zip(owners, placed, strict=True)):
        row = scale._row(host)
        row.update(project_id=owner, user_id=USER, name="fleet-%d" % i,
                   cpu=rng.choice((0.25, 0.5, 1.0, 2.0)),
                   memory=str(rng.choice((128, 256, 512, 1024, 2048))),
                   disk=rng.choice((0,) * 9 + (5,)),
                   status=rng.choices(("Running", "Stopped", "Created", "Paused"),
                                      weights=(80, 15, 4, 1))[0])
        if i in failed:  # a failed schedule: no host, holds nothing
            row.update(status="Error", host=None, container_id=None, cpu=0.5,
                       memory="512", disk=0, status_reason="No valid host was found.")
        else:
            by_host[host].append(row)
        rows.append(row)
    for node in nodes:
        on_host = by_host[node["hostname"]]
        if not on_host:
            continue
        limit = _memory_limit(node["mem_total"])
        if node["hostname"] in full:
            share, rest = divmod(limit, len(on_host))
            for j, row in enumerate(on_host):
                row["memory"] = str(share + (rest if j == 0 else 0))
            continue
        used = sum(int(r["memory"]) for r in on_host)
        if used > 0.8 * limit:  # leave room on every host that is not full
            for row in on_host:
                row["memory"] = str(max(64, int(int(row["memory"]) * 0.8 * limit / used)))
    generous = {"containers": 5000, "cpu": 5000, "memory": 50_000_000, "disk": 50_000}
    quotas = [{"project_id": p, "resource": r, "hard_limit": v, "created_at": now}
              for p in projects for r, v in generous.items()]
    return Fleet(services, nodes, rows, quotas, [{"project_id": p} for p in projects],
                 projects, alive, up, sorted(full), len(rows), owners.count(projects[0]))


def seed(url: str, fleet: Fleet) -> dict[str, float]:
    """Insert the fleet; seconds spent on the hosts and on the containers."""
    from zun.db import models
    times = {}
    engine = sa.create_engine(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        for model, rows in ((models.ZunService, fleet.services),
                            (models.ComputeNode, fleet.nodes),
                            (models.Quota, fleet.quotas),
                            (models.ProjectLock, fleet.locks)):
            conn.execute(model.__table__.insert(), rows)
    engine.dispose()
    times["hosts_s"] = time.perf_counter() - started
    started = time.perf_counter()
    scale.insert_rows(url, fleet.containers)
    # 50,000 dicts kept alive here would make every garbage collection in
    # this process slower, and be charged to the decisions measured next
    fleet.containers.clear()
    gc.collect()
    times["containers_s"] = time.perf_counter() - started
    return times


def refresh_heartbeats(engine: sa.engine.Engine, hosts: list[str]) -> None:
    """What 1,000 agents would have done meanwhile: one bulk heartbeat."""
    from zun.db import models
    table = models.ZunService.__table__
    with engine.begin() as conn:
        conn.execute(table.update().where(table.c.host.in_(hosts))
                     .values(last_seen_up=models.utcnow()))


# --- the database ---------------------------------------------------------------
class ThrowawayDB:
    """A migrated, empty database that disappears after the run."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._dir: str | None = None
        self._server: Any = None
        if kind == "sqlite":
            self._dir = tempfile.mkdtemp(prefix="zun-fleet-")
            self.url = "sqlite:///%s/zun.sqlite" % self._dir
        else:
            from tests.functional import engines
            self._server = engines.Database(kind, "zun_fleet_%s" % uuidlib.uuid4().hex[:8])
            self.url = self._server.create().url
        from zun.db import migration
        migration.upgrade(connection=self.url)

    @property
    def directory(self) -> str:
        if self._dir is None:
            self._dir = tempfile.mkdtemp(prefix="zun-fleet-")
        return self._dir

    def drop(self) -> None:
        if self._server is not None:
            self._server.drop()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)


def write_conf(db: ThrowawayDB, port: int) -> Path:
    """The API's config: production logging, noauth, the fleet's database."""
    path = Path(db.directory) / "zun.conf"
    path.write_text("[DEFAULT]\ndebug = false\nstate_path = %s\n"
                    "[api]\nauth_strategy = noauth\nhost_ip = 127.0.0.1\nport = %d\n"
                    "[database]\nconnection = %s\n" % (db.directory, port, db.url))
    return path


# --- section 1: the scheduling decision ------------------------------------------
def p90(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=10)[-1] if len(samples) > 1 else samples[0]


class _CountingCreate:
    """Wraps db_api.container_create to count the claims one decision tries."""

    def __init__(self, real: Callable) -> None:
        self.real = real
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.real(*args, **kwargs)


def schedule(db: ThrowawayDB, fleet: Fleet, n: int) -> tuple[list[Figure], dict, list[str]]:
    """n placements through the real code path; returns figures, details and
    the uuids created (to remove before the read path)."""
    from zun.api import versions
    from zun.api.schemas import containers as schemas
    from zun.common.context import RequestContext
    from zun.compute import api as compute_api
    from zun.db import api as db_api
    from zun.db import session as db_session

    base = schemas.parse_create(dict(REQUEST), versions.MAX_VERSION)
    heartbeat_engine = sa.create_engine(db.url)
    raw_engine = sa.create_engine(db.url)
    counter = scale.StatementCounter(db_session.get_engine())
    counting = _CountingCreate(db_api.container_create)
    created: list[str] = []
    records: list[dict] = []
    names = list(VARIANTS)
    last_beat = [0.0]

    def decide() -> float:
        if time.monotonic() - last_beat[0] > HEARTBEAT_EVERY_S:
            refresh_heartbeats(heartbeat_engine, fleet.alive)
            last_beat[0] = time.monotonic()
        i = len(records)
        variant = names[i % len(names)]
        zone, hints = VARIANTS[variant]
        project = fleet.projects[i % len(fleet.projects)]
        ctx = RequestContext(user_id=USER, project_id=project, roles=["member"])
        values = dict(base, uuid=str(uuidlib.uuid4()), user_id=USER, project_id=project)
        values["name"] = "zun-%s" % values["uuid"]
        quota = db_api.quota_get(ctx, project)
        counter.take()
        counting.calls = 0
        start = time.perf_counter()
        row = compute_api.API._place(ctx, values, None, zone, hints, quota)
        elapsed = time.perf_counter() - start
        created.append(row.uuid)
        records.append({"variant": variant, "s": elapsed, "attempts": counting.calls,
                        "statements": len(counter.take()), "host": row.host})
        return elapsed

    with raw_engine.connect() as conn:
        def raw_read() -> float:
            start = time.perf_counter()
            conn.execute(sa.text("SELECT * FROM zun_service WHERE %s = 'zun-compute'"
                                 % conn.dialect.identifier_preparer.quote("binary"))).all()
            conn.execute(sa.text("SELECT * FROM compute_node")).all()
            return time.perf_counter() - start

        # counts the claims; restored below (nothing else creates rows meanwhile)
        compute_api.db_api.container_create = counting
        try:
            decisions, raws = interleave(n, decide, raw_read)
            timed = records[1:]  # interleave's warm-up decision is dropped
            profile = None
            if statistics.median(decisions) > PROFILE_ABOVE_S:
                profile = _profile(decide, min(30, n))
        finally:
            compute_api.db_api.container_create = counting.real
            counter.close()
    raw_engine.dispose()
    heartbeat_engine.dispose()
    full = set(fleet.full_hosts)
    full_hit = sum(1 for r in records if r["host"] in full)
    if full_hit:
        raise AssertionError("%d decisions landed on a host seeded full" % full_hit)
    figures = [Figure("fleet_decision", "one scheduling decision (all variants)",
                      decisions, raws, "raw SQL read of services + inventories",
                      extra=_decision_extra(timed))]
    for variant in names:
        mine = [r for r in timed if r["variant"] == variant]
        figures.append(Figure("fleet_decision_%s" % variant.replace(" ", "_"),
                              "one scheduling decision (%s)" % variant,
                              [r["s"] for r in mine], extra=_decision_extra(mine)))
    return figures, {"profile": profile}, created


def _decision_extra(records: list[dict]) -> dict[str, Any]:
    attempts = [r["attempts"] for r in records]
    return {"p90": p90([r["s"] for r in records]),
            "attempts_median": statistics.median(attempts),
            "attempts_mean": statistics.mean(attempts), "attempts_max": max(attempts),
            "decisions_with_a_full_host_tried": sum(1 for a in attempts if a > 1),
            "statements_median": statistics.median(r["statements"] for r in records),
            "statements_max": max(r["statements"] for r in records)}


def _profile(decide: Callable[[], float], n: int) -> str:
    """cProfile of n more decisions: the top of the cumulative table."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        decide()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
    return out.getvalue()


def check_no_overcommit() -> dict[str, Any]:
    """Every host's usage within its limits, summed by the DB API's own rules.

    Raises AssertionError naming each overcommitted host and resource.
    """
    from zun.common.context import get_admin_context
    from zun.db import api as db_api
    from zun.scheduler import scheduler
    ctx = get_admin_context()
    over, at_limit = [], 0
    for node in db_api.compute_node_list(ctx):
        limits = scheduler.limits_of(node) or {}
        used = db_api.host_usage(ctx, node.hostname)
        for resource, limit in limits.items():
            if used[resource] > limit + 1e-9:
                over.append("%s: %s %.3f > limit %.3f" % (
                    node.hostname, resource, used[resource], limit))
        if limits.get("memory") is not None and used["memory"] >= limits["memory"] - 1e-9:
            at_limit += 1
    if over:
        raise AssertionError("OVERCOMMITTED HOSTS (%d):\n  %s" % (len(over), "\n  ".join(over)))
    return {"hosts_checked": len(db_api.compute_node_list(ctx)),
            "hosts_overcommitted": 0, "hosts_at_memory_limit": at_limit}


def forget(url: str, uuids: list[str]) -> None:
    """Remove the decisions' rows, so the read path sees the seeded fleet."""
    from zun.db import models
    table = models.Container.__table__
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for i in range(0, len(uuids), 500):
            conn.execute(table.delete().where(table.c.uuid.in_(uuids[i:i + 500])))
    engine.dispose()


# --- section 2: the read path ----------------------------------------------------
def _headers(project: str, admin: bool) -> dict[str, str]:
    return dict(scale.HEADERS, **{"X-Project-Id": project,
                                  "X-Roles": "admin" if admin else "member"})


def read_path(api_url: str, db_url: str, fleet: Fleet, n: int) -> list[Figure]:
    """GET the big page (admin across projects, then a member) and one row,
    each interleaved with the same read in raw SQL."""
    member = fleet.projects[0]
    engine = sa.create_engine(db_url)
    figures = []
    with engine.connect() as conn:
        mine = fleet.largest_project_count
        one = conn.execute(sa.text("SELECT uuid FROM container WHERE project_id = :p "
                                   "ORDER BY id LIMIT 1 OFFSET %d" % (mine // 2)),
                           {"p": member}).scalar()
        cases = [
            ("admin", harness.ApiClient(api_url, project="fleet-admin", roles="admin"),
             {"all_projects": "1"}, "SELECT * FROM container ORDER BY id LIMIT 1000", {},
             min(1000, fleet.container_count)),
            ("member", harness.ApiClient(api_url, project=member),
             {}, "SELECT * FROM container WHERE project_id = :p ORDER BY id LIMIT 1000",
             {"p": member}, min(1000, mine)),
        ]
        for who, client, params, sql, args, rows_ in cases:
            # bound now: each case's functions run within its own iteration
            def api_list(client: harness.ApiClient = client, params: dict = params,
                         rows_: int = rows_) -> float:
                start = time.perf_counter()
                resp = client.get("/v1/containers", limit="1000", **params)
                elapsed = time.perf_counter() - start
                assert resp.status_code == 200, resp.text[:300]
                got = len(resp.json()["containers"])
                assert got == rows_, "a page of %d rows, not %d" % (got, rows_)
                return elapsed

            def sql_list(sql: str = sql, args: dict = args, rows_: int = rows_) -> float:
                start = time.perf_counter()
                rows = conn.execute(sa.text(sql), args).all()
                elapsed = time.perf_counter() - start
                assert len(rows) == rows_
                return elapsed
            api, raw = interleave(n, api_list, sql_list)
            figures.append(Figure("fleet_list1000_%s" % who,
                                  "GET ?limit=1000 as %s" % who, api, raw,
                                  "raw SQL of the page", extra={"p90": p90(api)}))
        client = cases[1][1]

        def api_one() -> float:
            start = time.perf_counter()
            resp = client.get("/v1/containers/%s" % one)
            elapsed = time.perf_counter() - start
            assert resp.status_code == 200, resp.text[:300]
            return elapsed

        def sql_one() -> float:
            start = time.perf_counter()
            conn.execute(sa.text("SELECT * FROM container WHERE uuid = :u"), {"u": one}).all()
            return time.perf_counter() - start
        api, raw = interleave(n, api_one, sql_one)
        figures.append(Figure("fleet_get1", "GET one container", api, raw,
                              "raw SQL of the row", extra={"p90": p90(api)}))
    engine.dispose()
    return figures


def statements_per_request(fleet: Fleet) -> dict[str, list[str]]:
    """DB statements of each GET, on the real API app in this process."""
    import webtest

    from tests.unit.api.fakes import FakeComputeAPI
    from zun.api import app as api_app
    from zun.common import policy
    from zun.db import session as db_session

    policy.reset()
    app = webtest.TestApp(api_app.setup_app(compute_api=FakeComputeAPI()))
    admin = _headers("fleet-admin", admin=True)
    member = _headers(fleet.projects[0], admin=False)
    counter = scale.StatementCounter(db_session.get_engine())
    out = {}
    try:
        page = app.get("/v1/containers", {"limit": "1000"}, headers=member).json
        one = page["containers"][len(page["containers"]) // 2]["uuid"]
        requests_ = {
            "list1000_admin": lambda: app.get(
                "/v1/containers", {"limit": "1000", "all_projects": "1"}, headers=admin),
            "list1000_member": lambda: app.get("/v1/containers", {"limit": "1000"},
                                               headers=member),
            "get1": lambda: app.get("/v1/containers/%s" % one, headers=member),
        }
        for name, call in requests_.items():
            call()  # warm-up
            counter.take()
            call()
            out[name] = counter.take()
    finally:
        counter.close()
    return out


class ApiProcess:
    """A real zun-api (the console script) on the fleet's database."""

    def __init__(self, conf: Path, port: int) -> None:
        self.url = "http://127.0.0.1:%d" % port
        self.log = conf.parent / "zun-api.log"
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([str(harness.BIN / "zun-api"), "--config-file",
                                          str(conf)], stdout=log, stderr=subprocess.STDOUT)
        harness.wait_until(lambda: harness.api_ready(self.url, [self.proc], self.logs),
                           timeout=60, what="zun-api on %s" % self.url)

    def logs(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        harness.stop_processes([self.proc])


# --- report ----------------------------------------------------------------------
def machine() -> dict[str, Any]:
    mem = next((line.split()[1] for line in open("/proc/meminfo")
                if line.startswith("MemTotal:")), "0")
    return {"nproc": len(os.sched_getaffinity(0)), "ram_mib": int(mem) // 1024,
            "kernel": platform.release(), "python": platform.python_version(),
            "sqlalchemy": sa.__version__}


def table(figures: list[Figure]) -> list[list[str]]:
    out = [["what", "median", "p90", "baseline", "ratio", "n", "attempts", "statements"]]
    for fig in figures:
        e = fig.extra
        out.append([
            fig.what, "%.4f s" % fig.zun_median, "%.4f s" % e["p90"] if "p90" in e else "-",
            "%.4f s (%s)" % (fig.baseline_median, fig.baseline_what) if fig.baseline else "-",
            "%.1fx" % fig.ratio if fig.ratio else "-", str(len(fig.zun)),
            "%g median, %g max" % (e["attempts_median"], e["attempts_max"])
            if "attempts_median" in e else "-",
            "%g" % e["statements_median"] if "statements_median" in e
            else str(e.get("statements", "-"))])
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "mariadb", "postgresql"), default="sqlite")
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--containers", type=int, default=50_000)
    parser.add_argument("--decisions", type=int, default=200)
    parser.add_argument("--reads", type=int, default=30)
    parser.add_argument("--full-fraction", type=float, default=0.25,
                        help="share of hosts seeded exactly full")
    parser.add_argument("--json", type=Path, default=None,
                        help="default: benchmarks/results/fleet-<db>.json")
    args = parser.parse_args(argv)
    out = args.json or ROOT / "benchmarks" / "results" / ("fleet-%s.json" % args.db)
    started = time.monotonic()

    def step(what: str) -> None:
        print("[%6.1f s] %s" % (time.monotonic() - started, what), flush=True)

    step("migrating a throwaway %s database" % args.db)
    db = ThrowawayDB(args.db)
    api = None
    try:
        port = harness.free_port()
        conf = write_conf(db, port)
        scale.configure_in_process(str(conf), db.url)
        fleet = build_fleet(args.hosts, args.containers, args.full_fraction)
        step("seeding %d hosts and %d containers" % (args.hosts, args.containers))
        seeding = seed(db.url, fleet)
        step("seeded in %.1f s; %d scheduling decisions" % (
            sum(seeding.values()), args.decisions))
        figures, sched, created = schedule(db, fleet, args.decisions)
        step("checking that no host is overcommitted")
        overcommit = check_no_overcommit()
        forget(db.url, created)
        step("starting zun-api; %d reads of each kind" % args.reads)
        api = ApiProcess(conf, port)
        figures += read_path(api.url, db.url, fleet, args.reads)
        step("DB statements per request (in-process API app)")
        statements = statements_per_request(fleet)
        for fig in figures:
            key = fig.key.replace("fleet_", "")
            if key in statements:
                fig.extra["statements"] = len(statements[key])
    finally:
        if api is not None:
            api.stop()
        db.drop()
    duration = time.monotonic() - started

    print()
    print(report.text_table(table(figures)))
    print("\nfleet: %s" % json.dumps(fleet.summary()))
    print("seeding: hosts %.1f s, containers %.1f s" % (seeding["hosts_s"],
                                                       seeding["containers_s"]))
    print("overcommit check: %s" % json.dumps(overcommit))
    for name, stmts in statements.items():
        print("DB statements, %s: %d %s" % (name, len(stmts), stmts))
    if sched["profile"]:
        print("\nprofile of %s (median above %.0f ms):\n%s" % (
            "decisions", PROFILE_ABOVE_S * 1000, sched["profile"]))
    print("duration: %.0f s (%s)" % (duration, args.db))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "db": args.db, "duration_s": duration, "machine": machine(),
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "fleet": fleet.summary(), "seeding_s": seeding, "overcommit": overcommit,
        "statements_per_request": statements, "decision_profile": sched["profile"],
        "figures": [f.as_dict() for f in figures],
        "rst_table": report.rst_table(table(figures))}, indent=1, default=str) + "\n")
    print("results: %s" % out)


if __name__ == "__main__":
    sys.exit(main())
