"""Image pull through zun against a raw pull, from the local registry.

Both sides pull the same image (busybox:local plus a 4 MiB layer of its own,
pushed to tools/start-registry.sh's registry as zun-test/bench:1) onto the
same engine, the image (and so that layer) removed before every sample:
zun's side is ``POST /v1/images`` until its row says Available
(the API, the cast, the agent's pull and inspect, the row's update, the
client's polling), the baseline the docker SDK's pull of the same reference.

It starts its own zun-all (with ``[registry] allow`` naming the registry,
which is on loopback). Alone:

    .venv/bin/python benchmarks/images.py [--quick]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import docker.errors

from benchmarks.measure import Figure, interleave, poll
from benchmarks.ops import IMAGE, Raw
from tests.functional.harness import ApiClient, ZunProcesses

REPO = "zun-test/bench"
TAG = "1"


def _push(raw: Raw, registry: str, auth: dict[str, str] | None = None) -> str:
    """An image of its own (busybox:local plus a 4 MiB layer, so that removing
    it really removes a layer and each pull downloads it), pushed (with the
    registry's account ``auth``, if it needs one)."""
    ref = "%s/%s" % (registry, REPO)
    maker = raw.client.containers.create(
        IMAGE, ["sh", "-c", "head -c 4194304 /dev/urandom > /bench.bin"])
    try:
        maker.start()
        maker.wait(timeout=60)
        maker.commit(repository=ref, tag=TAG)
    finally:
        maker.remove(force=True)
    for line in raw.api.push(ref, tag=TAG, stream=True, decode=True, auth_config=auth):
        if "error" in line:
            raise RuntimeError("push %s:%s: %s" % (ref, TAG, line["error"]))
    return "%s:%s" % (ref, TAG)


def _remove(raw: Raw, ref: str) -> None:
    try:
        raw.api.remove_image(ref)
    except docker.errors.ImageNotFound:
        pass


def measure(url: str, host: str, raw: Raw, registry: str, n: int) -> list[Figure]:
    """n zun pulls interleaved with n raw pulls of the same image."""
    ref = _push(raw, registry)
    admin = ApiClient(url, project="bench-images", roles="admin")
    rows: list[str] = []

    def zun_pull() -> float:
        _remove(raw, ref)
        start = time.perf_counter()
        resp = admin.post("/v1/images", {"repo": ref, "host": host})
        if resp.status_code != 202:
            raise RuntimeError("POST /v1/images: %s %s" % (resp.status_code, resp.text))
        uuid = resp.json()["uuid"]

        def available() -> bool:
            body = admin.get("/v1/images/%s" % uuid).json()
            if body["status"] == "Error":
                raise RuntimeError("pull failed: %s" % body["status_reason"])
            return body["status"] == "Available"
        poll(available, what="image %s Available" % uuid)
        elapsed = time.perf_counter() - start
        rows.append(uuid)
        return elapsed

    def raw_pull() -> float:
        _remove(raw, ref)
        start = time.perf_counter()
        for line in raw.api.pull("%s/%s" % (registry, REPO), tag=TAG, stream=True,
                                 decode=True):
            if "error" in line:
                raise RuntimeError("raw pull: %s" % line["error"])
        return time.perf_counter() - start

    try:
        pulls, raw_pulls = interleave(n, zun_pull, raw_pull)
    finally:
        for uuid in set(rows):
            admin.delete("/v1/images/%s" % uuid)
        _remove(raw, ref)
    return [Figure("image_pull", "image pull from a local registry -> Available (zun-all)",
                   pulls, raw_pulls, "raw docker pull")]


def section(raw: Raw, registry: str, n: int, extra_conf: str = "") -> list[Figure]:
    """Start a zun-all that may pull from ``registry``, measure, stop it."""
    dep = ZunProcesses(mode="all", extra_conf=extra_conf + "[registry]\nallow = %s\n"
                       % registry)
    try:
        dep.start()
        return measure(dep.url, dep.host, raw, registry, n)
    finally:
        dep.stop()


def main() -> None:
    from benchmarks.run import PRODUCTION_DEFAULTS, _tool, run_alone
    run_alone(__doc__ or "", lambda raw, n: section(raw, _tool("start-registry.sh"), n,
                                                   PRODUCTION_DEFAULTS))


if __name__ == "__main__":
    main()
