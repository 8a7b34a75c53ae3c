"""Sections 1 and 2: one container's lifecycle, then many at once."""
from __future__ import annotations

import statistics

from benchmarks.measure import Figure, interleave
from benchmarks.ops import Raw, Zun


def sequential(zun: Zun, raw: Raw, label: str, n: int) -> list[Figure]:
    """run -> Running and delete -> 404, n times each, interleaved with raw Docker."""
    zun_ids: list[str] = []
    raw_ids: list[str] = []
    posts: list[float] = []
    runs, raw_runs = interleave(n, lambda: zun.timed_run(zun_ids, posts),
                                lambda: raw.timed_run(raw_ids))
    deletes, raw_deletes = interleave(n, lambda: zun.timed_delete(zun_ids),
                                      lambda: raw.timed_delete(raw_ids))
    post = posts[1:]  # the warm-up pair is dropped from every series
    return [
        Figure("run_%s" % label, "POST ?run=true -> GET shows Running (%s)" % label,
               runs, raw_runs, "raw create+start",
               extra={"post_response_median": statistics.median(post)}),
        Figure("delete_%s" % label, "DELETE ?stop=True -> GET 404 (%s)" % label,
               deletes, raw_deletes, "raw stop+remove"),
    ]


def concurrent(zun: Zun, raw: Raw, label: str, n: int, reps: int) -> list[Figure]:
    """n runs at once, then n deletes at once: wall time until all are done."""
    runs, raw_runs, deletes, raw_deletes = [], [], [], []
    for _ in range(reps):
        elapsed, uuids = zun.concurrent_runs(n)
        runs.append(elapsed)
        elapsed, ids = raw.concurrent(lambda _: raw.run(), list(range(n)))
        raw_runs.append(elapsed)
        deletes.append(zun.concurrent_deletes(uuids))
        raw_deletes.append(raw.concurrent(raw.delete, ids)[0])
    return [
        Figure("run%d_%s" % (n, label), "%d concurrent runs, all Running (%s)" % (n, label),
               runs, raw_runs, "raw create+start x%d" % n),
        Figure("delete%d_%s" % (n, label), "%d concurrent deletes, all gone (%s)" % (n, label),
               deletes, raw_deletes, "raw stop+remove x%d" % n),
    ]
