"""cp: put_archive and get_archive of a 1 MiB file, zun against raw Docker.

Both sides copy the same tar into, and out of, the same running container
(one zun made): zun's side is the REST call a ``zun cp`` makes (base64 in
JSON, across the bus, decoded and checked on the agent), the baseline the
docker SDK's low-level ``put_archive`` / ``get_archive`` on the container
itself. The difference is what zun adds to a copy.

Alone (a zun-all, and zun-api + zun-compute over RabbitMQ):

    .venv/bin/python benchmarks/archive.py [--quick]
"""
from __future__ import annotations

import base64
import io
import os
import sys
import tarfile
import time
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.measure import Figure, interleave
from benchmarks.ops import Raw, Zun

SIZE = 1024 * 1024
NAME = "bench.bin"
DIRECTORY = "/tmp"


def _tar() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        info = tarfile.TarInfo(NAME)
        info.size = SIZE
        tar.addfile(info, io.BytesIO(os.urandom(SIZE)))
    return out.getvalue()


def measure(zun: Zun, raw: Raw, label: str, n: int) -> list[Figure]:
    """n puts, then n gets, each interleaved with the same on raw Docker."""
    payload = _tar()
    encoded = base64.b64encode(payload).decode()
    uuid, _ = zun.run()
    cid = "zun-%s" % uuid
    base = "/v1/containers/%s" % uuid

    def zun_put() -> float:
        start = time.perf_counter()
        resp = zun.api.post("%s/put_archive?path=%s" % (base, DIRECTORY), {"data": encoded})
        elapsed = time.perf_counter() - start
        if resp.status_code != 200:
            raise RuntimeError("put_archive: %s %s" % (resp.status_code, resp.text))
        return elapsed

    def raw_put() -> float:
        start = time.perf_counter()
        raw.api.put_archive(cid, DIRECTORY, payload)
        return time.perf_counter() - start

    def zun_get() -> float:
        start = time.perf_counter()
        resp = zun.api.get("%s/get_archive?path=%s/%s" % (base, DIRECTORY, NAME))
        data = base64.b64decode(resp.json()["data"]) if resp.status_code == 200 else b""
        elapsed = time.perf_counter() - start
        if len(data) < SIZE:
            raise RuntimeError("get_archive: %s %s" % (resp.status_code, resp.text[:300]))
        return elapsed

    def raw_get() -> float:
        start = time.perf_counter()
        stream, _ = raw.api.get_archive(cid, "%s/%s" % (DIRECTORY, NAME))
        data = b"".join(stream)
        elapsed = time.perf_counter() - start
        if len(data) < SIZE:
            raise RuntimeError("raw get_archive returned %d bytes" % len(data))
        return elapsed

    try:
        puts, raw_puts = interleave(n, zun_put, raw_put)
        gets, raw_gets = interleave(n, zun_get, raw_get)
    finally:
        zun.delete(uuid)
        zun.wait_gone(uuid)
    return [
        Figure("put_archive_%s" % label,
               "put_archive, 1 MiB file -> 200 (%s)" % label,
               puts, raw_puts, "raw put_archive"),
        Figure("get_archive_%s" % label,
               "get_archive, 1 MiB file -> 200 (%s)" % label,
               gets, raw_gets, "raw get_archive"),
    ]


def main() -> None:
    from benchmarks.run import run_alone_on_both
    run_alone_on_both(__doc__ or "", measure, "bench-cp")


if __name__ == "__main__":
    main()
