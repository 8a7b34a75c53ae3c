"""Sections 4 and 5: the read path and one reconcile pass with 10,000 rows.

Rows are inserted with one multi-row INSERT on the deployment's own DB
(creating 10,000 containers through the API would measure the creates).
Rows on a fake host are never touched by any agent; the rows of the
reconcile host belong to real, created (not started) containers labelled
as zun's, so the pass reads a real engine holding them.
"""
from __future__ import annotations

import concurrent.futures
import datetime
import sqlite3
import statistics
import time
import uuid as uuidlib
from typing import Any

import sqlalchemy as sa

from benchmarks.measure import Figure, interleave
from benchmarks.ops import Raw, Zun
from tests.functional.harness import IMAGE, SLEEPER

PROJECT = "bench-scale"
FAKE_HOST = "bench-fake-host"
SYNC_PREFIX = "zunbench-sync-"
HEADERS = {"X-Project-Id": PROJECT, "X-User-Id": "bench", "X-Roles": "member",
           "Accept": "application/json",
           "OpenStack-API-Version": "container 1.40"}


def _row(host: str, status: str = "Running", container_id: str | None = None) -> dict:
    uuid = str(uuidlib.uuid4())
    now = datetime.datetime.utcnow()
    return {"uuid": uuid, "name": "bench-%s" % uuid[:8], "project_id": PROJECT,
            "user_id": "bench", "image": IMAGE, "cpu": 0.5, "memory": "64",
            "command": SLEEPER, "status": status, "task_state": None,
            "host": host, "container_id": container_id or uuid.replace("-", "") * 2,
            "environment": {}, "labels": {}, "addresses": {}, "ports": [],
            "restart_policy": {"Name": "no", "MaximumRetryCount": "0"},
            "image_pull_policy": "ifnotpresent", "image_driver": "docker",
            "runtime": "runc", "security_groups": [], "auto_remove": False,
            "auto_heal": False, "privileged": False, "interactive": False,
            "tty": False, "disk": 0, "version": 1, "created_at": now,
            "updated_at": now, "started_at": now, "status_detail": "Up since bench"}


def insert_rows(db_url: str, rows: list[dict]) -> None:
    from zun.db import models
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(models.Container.__table__.insert(), rows)
    engine.dispose()


def forget_rows(db_file: Any) -> None:
    """Drop the seeded rows (none has a runtime container any more)."""
    con = sqlite3.connect(str(db_file), timeout=30)
    with con:
        con.execute("DELETE FROM container WHERE project_id=?", (PROJECT,))
    con.close()


def fake_host_rows(count: int) -> list[dict]:
    return [_row(FAKE_HOST) for _ in range(count)]


# --- section 4: read path -------------------------------------------------------
def read_path(api_url: str, db_file: str, label: str, n: int) -> list[Figure]:
    """GET ?limit=1000 and GET one, against the same rows read with raw SQL."""
    zun = Zun(api_url, PROJECT)
    con = sqlite3.connect(db_file)
    one = con.execute("SELECT uuid FROM container WHERE project_id=? ORDER BY id "
                      "LIMIT 1 OFFSET 5000", (PROJECT,)).fetchone()[0]

    def api_list() -> float:
        start = time.perf_counter()
        resp = zun.api.get("/v1/containers", limit="1000")
        elapsed = time.perf_counter() - start
        assert resp.status_code == 200 and len(resp.json()["containers"]) == 1000, resp.text[:300]
        return elapsed

    def sql_list() -> float:
        start = time.perf_counter()
        rows = con.execute("SELECT * FROM container WHERE project_id=? ORDER BY id "
                           "LIMIT 1000", (PROJECT,)).fetchall()
        elapsed = time.perf_counter() - start
        assert len(rows) == 1000
        return elapsed

    def api_one() -> float:
        start = time.perf_counter()
        resp = zun.api.get("/v1/containers/%s" % one)
        elapsed = time.perf_counter() - start
        assert resp.status_code == 200, resp.text[:300]
        return elapsed

    def sql_one() -> float:
        start = time.perf_counter()
        con.execute("SELECT * FROM container WHERE uuid=?", (one,)).fetchall()
        return time.perf_counter() - start

    lists, sql_lists = interleave(n, api_list, sql_list)
    ones, sql_ones = interleave(n, api_one, sql_one)
    con.close()
    return [Figure("list1000_%s" % label, "GET ?limit=1000 at 10,000 rows (%s)" % label,
                   lists, sql_lists, "raw SQL SELECT of the page"),
            Figure("get1_%s" % label, "GET one container at 10,000 rows (%s)" % label,
                   ones, sql_ones, "raw SQL SELECT of the row")]


class StatementCounter:
    """Counts what an engine sends to the DB (one cursor execute = one round trip)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.statements: list[str] = []
        sa.event.listen(engine, "before_cursor_execute", self._on)

    def _on(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append(" ".join(statement.split())[:90])

    def take(self) -> list[str]:
        out, self.statements = self.statements, []
        return out

    def close(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._on)


def configure_in_process(conf_file: str, db_url: str) -> None:
    """Parse the deployment's config here, so the in-process code sees its DB."""
    from zun.conf import CONF
    from zun.db import session as db_session
    CONF(["--config-file", conf_file], project="zun")
    db_session.configure(db_url)


def queries_per_request() -> dict[str, Any]:
    """Statements per GET, counted on the real API app over the deployment's DB.

    In-process (the API process cannot be instrumented from outside) with a
    stand-in compute API: neither GET reaches compute.
    """
    import webtest

    from tests.unit.api.fakes import FakeComputeAPI
    from zun.api import app as api_app
    from zun.common import policy
    from zun.conf import CONF
    from zun.db import session as db_session

    CONF.set_override("auth_strategy", "noauth", "api")
    policy.reset()
    app = webtest.TestApp(api_app.setup_app(compute_api=FakeComputeAPI()))
    counter = StatementCounter(db_session.get_engine())
    try:
        page = app.get("/v1/containers", {"limit": "1000"}, headers=HEADERS)
        one = page.json["containers"][500]["uuid"]
        app.get("/v1/containers/%s" % one, headers=HEADERS)
        counter.take()  # warm-up: first use of the engine and the policy
        app.get("/v1/containers", {"limit": "1000"}, headers=HEADERS)
        list_statements = counter.take()
        app.get("/v1/containers/%s" % one, headers=HEADERS)
        get_statements = counter.take()
    finally:
        counter.close()
    return {"list1000": list_statements, "get1": get_statements}


# --- section 5: one reconcile pass ----------------------------------------------
def reconcile(raw: Raw, db_url: str, docker_url: str, seeded: list[dict],
              host_rows: int, reps: int) -> Figure:
    """CPU and DB statements of StateSync.reconcile() over ``host_rows`` rows.

    ``host_rows`` of the ``seeded`` fake-host rows move to the reconcile
    host, each given a real created (not started) container labelled as
    zun's, so the DB keeps its 10,000 rows and the pass reads a real engine.
    """
    from zun.compute import sync as sync_mod
    from zun.container.driver import base as driver_base
    from zun.container.driver.docker import DockerDriver
    from zun.db import session as db_session

    host = "bench-sync-%s" % uuidlib.uuid4().hex[:6]
    moved = seeded[:host_rows]

    def make(row: dict) -> tuple[str, str]:
        cid = raw.api.create_container(
            IMAGE, SLEEPER, name=SYNC_PREFIX + row["uuid"],
            labels={driver_base.LABEL_UUID: row["uuid"],
                    driver_base.LABEL_PROJECT: PROJECT,
                    driver_base.LABEL_HOST: host})["Id"]
        return cid, row["uuid"]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        pairs = list(pool.map(make, moved))
    con = sqlite3.connect(db_session.sqlite_file_path(db_url), timeout=30)
    with con:
        con.executemany("UPDATE container SET host=?, container_id=?, status='Created' "
                        "WHERE uuid=?", [(host, cid, uuid) for cid, uuid in pairs])

    driver = DockerDriver(api_url=docker_url)
    sync = sync_mod.StateSync(driver, host)
    counter = StatementCounter(db_session.get_engine())
    label = driver_base.LABEL_UUID
    details: list[tuple[float, list[str], dict[str, int]]] = []

    def one_pass() -> float:
        counter.take()
        cpu, wall = time.process_time(), time.perf_counter()
        counts = sync.reconcile()
        spent = time.process_time() - cpu
        details.append((time.perf_counter() - wall, counter.take(), counts))
        return spent

    def floor() -> float:
        cpu = time.process_time()
        con.execute("SELECT * FROM container WHERE host=?", (host,)).fetchall()
        raw.api.containers(all=True, filters={"label": label})
        return time.process_time() - cpu
    try:
        first_cpu = one_pass()  # writes what differs from the runtime's facts
        passes, floors = interleave(reps, one_pass, floor, warmup=0)
    finally:
        counter.close()
        driver.close()
        con.close()
    first, steady = details[0], details[1:]
    return Figure(
        "reconcile", "one reconcile pass, CPU s (%d of 10,000 rows on the host, "
        "each with a real container)" % host_rows,
        passes, floors, "raw SQL of the rows + one engine listing",
        extra={"wall_median": statistics.median(d[0] for d in steady),
               "statements_per_pass": len(steady[-1][1]),
               "statements_sample": steady[-1][1][:6],
               "counts": steady[-1][2],
               "first_pass": {"cpu": first_cpu, "wall": first[0],
                              "statements": len(first[1]), "counts": first[2]}})


def remove_sync_containers(raw: Raw) -> None:
    ids = [s["Id"] for s in raw.api.containers(all=True, filters={"name": SYNC_PREFIX})]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda cid: raw.api.remove_container(cid, force=True), ids))
