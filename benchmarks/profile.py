"""Where a run or delete spends its time: py-spy on a live zun-all.

    .venv/bin/python benchmarks/profile.py [--cycles 30] [--rate 250]

Starts a zun-all (production defaults), attaches ``py-spy record --idle``
(py-spy from PyPI: `.venv/bin/pip install py-spy`) and drives sequential
run -> Running and delete -> 404 cycles as run.py does. --idle keeps samples
of threads blocked on Docker or the disk, since latency is mostly waiting.
Prints, for the API request threads and the agent's operation threads, the
inclusive share of samples per zun function and per engine/DB call, and
keeps the raw collapsed stacks in benchmarks/results/ (not in git).
"""
from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.ops import Zun  # noqa: E402
from benchmarks.run import PRODUCTION_DEFAULTS, _tool  # noqa: E402
from tests.functional.harness import BIN, ZunProcesses  # noqa: E402

FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^()]*):(?P<line>\d+)\)$")
# Which samples belong to which side, by a frame that only that side runs.
SIDES = {"API request": "controllers/containers.py",
         "agent operation": "compute/manager.py"}
INTERESTING = ("zun/", "docker/api/", "sqlalchemy/engine/base.py",
               "sqlite3", "oslo_db", "requests/", "http/client.py")


def summarize(collapsed: str, top: int = 25) -> str:
    per_side: dict[str, collections.Counter] = {s: collections.Counter() for s in SIDES}
    totals = collections.Counter()
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        frames = stack.split(";")
        for side, marker in SIDES.items():
            if not any(marker in f for f in frames):
                continue
            totals[side] += int(count)
            seen = set()
            for frame in frames:
                match = FRAME.match(frame)
                if not match or not any(k in match["file"] for k in INTERESTING):
                    continue
                name = "%s (%s)" % (match["func"], _short(match["file"]))
                if name not in seen:
                    seen.add(name)
                    per_side[side][name] += int(count)
    out = []
    for side, counter in per_side.items():
        out.append("== %s threads: %d samples (inclusive %% of them)" % (side, totals[side]))
        for name, count in counter.most_common(top):
            out.append("%5.1f%%  %s" % (100.0 * count / max(totals[side], 1), name))
    return "\n".join(out)


def _short(path: str) -> str:
    for marker in ("site-packages/", "/lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=30)
    parser.add_argument("--rate", type=int, default=250)
    args = parser.parse_args()
    os.environ["DOCKER_HOST"] = _tool("start-dockerd.sh")
    dep = ZunProcesses(mode="all", extra_conf=PRODUCTION_DEFAULTS).start()
    out = ROOT / "benchmarks" / "results" / "profile-lifecycle.txt"
    out.parent.mkdir(exist_ok=True)
    spy = None
    try:
        zun = Zun(dep.url, "bench-profile")
        uuid, _ = zun.run()  # warm up before sampling
        zun.delete(uuid)
        zun.wait_gone(uuid)
        spy = subprocess.Popen([str(BIN / "py-spy"), "record", "--idle", "--format", "raw",
                                "--rate", str(args.rate), "--pid", str(dep.procs[0].pid),
                                "--output", str(out), "--nonblocking"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(1)
        for _ in range(args.cycles):
            uuid, _ = zun.run()
            zun.delete(uuid)
            zun.wait_gone(uuid)
    finally:
        if spy is not None:
            spy.send_signal(2)  # py-spy writes its output on SIGINT
            spy.wait(timeout=60)
        dep.stop()
    print(summarize(out.read_text()))
    print("\ncollapsed stacks: %s" % out)


if __name__ == "__main__":
    main()
