"""`make bench`: zun against the raw Docker engine, every figure in one run.

    .venv/bin/python benchmarks/run.py [--quick] [--out FILE]

Starts what it needs (Docker engine, busybox:local, RabbitMQ, a zun-all and
a zun-api + zun-compute deployment), runs each section with zun and its
baseline interleaved A B A B, prints the table and writes
benchmarks/results/latest.json. Reports; asserts nothing about speed.
"""
from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import zun  # noqa: E402,F401  (selects oslo.service's threading backend)
from benchmarks import (  # noqa: E402
    archive,
    console,
    convergence,
    images,
    lifecycle,
    registries,
    report,
    scale,
)
from benchmarks.measure import Figure, rss_mib  # noqa: E402
from benchmarks.ops import Raw, Zun  # noqa: E402
from tests.functional.harness import ZunProcesses  # noqa: E402

# The harness tunes its deployments for fast tests; measure the defaults.
# Production defaults, except capacity: the 100-container burst at cpu 0.5
# asks for 50 CPUs of a 2-core machine (16x by default) and more than the
# default project quota (40 containers, 20 cpu); quotas are not measured here.
PRODUCTION_DEFAULTS = ("[DEFAULT]\ndebug = false\nreport_interval = 10\n"
                       "[compute]\nsync_interval = 30\n"
                       "[scheduler]\ncpu_allocation_ratio = 64\n"
                       "[quota]\ncontainers = -1\ncpu = -1\n")
ROWS = 10_000


class Plan:
    """How many repetitions each section gets."""

    def __init__(self, quick: bool) -> None:
        self.sequential = 3 if quick else 20
        self.concurrency = {20: 1, 100: 1} if quick else {20: 5, 100: 3}
        self.split_concurrency = {20: 1} if quick else {20: 3, 100: 2}
        self.convergence = 2 if quick else 8
        self.reads = 5 if quick else 30
        self.reconcile_rows = 100 if quick else 1000
        self.reconcile_reps = 2 if quick else 5
        self.archive = 3 if quick else 20
        self.console = 3 if quick else 20
        self.images = 3 if quick else 20


def _tool(script: str, env: dict[str, str] | None = None) -> str:
    """Run an idempotent tools/ script; its last stdout line is the answer."""
    out = subprocess.run([str(ROOT / "tools" / script)], check=True, text=True,
                         stdout=subprocess.PIPE, env=env)
    return out.stdout.strip().splitlines()[-1]


def _rss(deployments: dict[str, ZunProcesses], phase: str,
         into: dict[str, dict[str, float]]) -> None:
    for label, dep in deployments.items():
        for proc in dep.procs:
            name = "%s (%s)" % (Path(proc.args[0]).name, label)
            into.setdefault(name, {})[phase] = rss_mib(proc.pid)


def run_alone(description: str,
              section: Callable[[Raw, int], list[Figure]]) -> None:
    """``python benchmarks/<module>.py [--quick]``: one section by itself,
    with the engine and image it needs, its table printed (nothing saved)."""
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    docker_url = _tool("start-dockerd.sh")
    os.environ["DOCKER_HOST"] = docker_url
    _tool("prepare-image.sh", dict(os.environ))
    raw = Raw(docker_url)
    try:
        figures = section(raw, 3 if args.quick else 20)
    finally:
        raw.cleanup()
    print(report.text_table(report.rows(figures)))


Measure = Callable[[Zun, Raw, str, int], list[Figure]]


def run_alone_on_both(description: str, measure: Measure, project: str) -> None:
    """``run_alone`` of a section measured on a zun-all and on zun-api +
    zun-compute over RabbitMQ, both started here (``make bench`` measures
    on its own); ``project`` prefixes each side's project name."""
    run_alone(description, lambda raw, n: _on_both(measure, project, raw, n))


def _on_both(measure: Measure, project: str, raw: Raw, n: int) -> list[Figure]:
    deployments = {
        "zun-all": ZunProcesses(mode="all", extra_conf=PRODUCTION_DEFAULTS),
        "split": ZunProcesses(mode="split", transport_url=_tool("start-rabbitmq.sh"),
                              extra_conf=PRODUCTION_DEFAULTS),
    }
    figures: list[Figure] = []
    try:
        for dep in deployments.values():
            dep.start()
        for label, dep in deployments.items():
            figures += measure(Zun(dep.url, "%s-%s" % (project, label)), raw, label, n)
    except BaseException:
        for label, dep in deployments.items():
            print("==== logs of %s\n%s" % (label, dep.logs()), file=sys.stderr)
        raise
    finally:
        for dep in deployments.values():
            dep.stop()
    return figures


def _step(what: str, started: float) -> None:
    print("[%6.1f s] %s" % (time.monotonic() - started, what), flush=True)


def run(plan: Plan, docker_url: str, transport_url: str, started: float) -> dict:
    raw = Raw(docker_url)
    deployments = {
        "zun-all": ZunProcesses(mode="all", extra_conf=PRODUCTION_DEFAULTS),
        "split": ZunProcesses(mode="split", transport_url=transport_url,
                              extra_conf=PRODUCTION_DEFAULTS),
    }
    figures: list[Figure] = []
    rss: dict[str, dict[str, float]] = {}
    extra: dict = {}
    try:
        for dep in deployments.values():
            dep.start()
        time.sleep(3)
        _rss(deployments, "idle", rss)
        zuns = {label: Zun(dep.url, "bench-%s" % label)
                for label, dep in deployments.items()}

        for label, zun_ in zuns.items():
            _step("lifecycle, %s" % label, started)
            figures += lifecycle.sequential(zun_, raw, label, plan.sequential)
        for label, reps in (("zun-all", plan.concurrency), ("split", plan.split_concurrency)):
            for n, count in reps.items():
                _step("concurrency %d x%d, %s" % (n, count, label), started)
                figures += lifecycle.concurrent(zuns[label], raw, label, n, count)
        for label, zun_ in zuns.items():
            _step("convergence, %s" % label, started)
            figures += convergence.measure(zun_, raw, label, plan.convergence)
        for label, zun_ in zuns.items():
            _step("cp (put/get_archive), %s" % label, started)
            figures += archive.measure(zun_, raw, label, plan.archive)
        for label, zun_ in zuns.items():
            _step("consoles (attach, exec -it), %s" % label, started)
            figures += console.measure(zun_, raw, label, plan.console)
        _rss(deployments, "after_runs", rss)
        _step("image pull from the local registry (its own zun-all)", started)
        figures += images.section(raw, _tool("start-registry.sh"), plan.images,
                                  PRODUCTION_DEFAULTS)
        _step("run from a private registry with auth (its own zun-all)", started)
        figures += registries.section(raw, plan.images, PRODUCTION_DEFAULTS)

        _step("inserting %d rows into each deployment's DB" % ROWS, started)
        seeded = {}
        for label, dep in deployments.items():
            seeded[label] = scale.fake_host_rows(ROWS)
            scale.insert_rows(_db_url(dep), seeded[label])
        for label, dep in deployments.items():
            _step("read path at %d rows, %s" % (ROWS, label), started)
            figures += scale.read_path(dep.url, str(dep.dir / "zun.sqlite"), label,
                                       plan.reads)
        _rss(deployments, "with_rows", rss)

        _step("statements per request and reconcile pass (in-process)", started)
        main = deployments["zun-all"]
        scale.configure_in_process(str(main.conf_file), _db_url(main))
        extra["statements_per_request"] = scale.queries_per_request()
        figures.append(scale.reconcile(raw, _db_url(main), docker_url, seeded["zun-all"],
                                       plan.reconcile_rows, plan.reconcile_reps))
    except BaseException:
        # keep the services' logs: the deployments' directories go with stop()
        for label, dep in deployments.items():
            path = ROOT / "benchmarks" / "results" / ("failed-%s.log" % label)
            _quietly(lambda path=path, dep=dep: path.write_text(dep.logs()))
            print("logs of %s: %s" % (label, path), file=sys.stderr)
        raise
    finally:
        _step("cleaning up", started)
        for zun_ in locals().get("zuns", {}).values():
            _quietly(zun_.cleanup)
        for dep in deployments.values():
            # the harness looks up a runtime container for every row it finds
            _quietly(lambda dep=dep: scale.forget_rows(dep.dir / "zun.sqlite"))
            _quietly(dep.stop)
        _quietly(lambda: scale.remove_sync_containers(raw))
        _quietly(raw.cleanup)
    return {"figures": figures, "rss": rss, "extra": extra}


def _db_url(dep: ZunProcesses) -> str:
    return "sqlite:///%s/zun.sqlite" % dep.dir


def _quietly(func) -> None:
    try:
        func()
    except Exception as exc:  # noqa: BLE001 - cleanup goes on
        print("cleanup: %s" % exc, file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="few repetitions: a smoke run, not figures to quote")
    parser.add_argument("--out", type=Path,
                        default=ROOT / "benchmarks" / "results" / "latest.json")
    args = parser.parse_args()
    started = time.monotonic()
    docker_url = _tool("start-dockerd.sh")
    env = dict(os.environ, DOCKER_HOST=docker_url)
    os.environ["DOCKER_HOST"] = docker_url  # the harness reads it
    _tool("prepare-image.sh", env)
    transport_url = _tool("start-rabbitmq.sh")

    result = run(Plan(args.quick), docker_url, transport_url, started)
    duration = time.monotonic() - started
    figures = result["figures"]
    print()
    print(report.text_table(report.rows(figures)))
    print()
    print(report.text_table(report.rss_rows(result["rss"])))
    statements = result["extra"].get("statements_per_request", {})
    for name, stmts in statements.items():
        print("DB statements per request, %s: %d" % (name, len(stmts)))
    print("\nduration: %.0f s%s" % (duration, " (--quick)" if args.quick else ""))
    report.save(args.out, figures, result["rss"], {
        "quick": args.quick, "duration_s": duration,
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "machine": report.machine(docker_url), **result["extra"]})
    print("results: %s" % args.out)


if __name__ == "__main__":
    main()
