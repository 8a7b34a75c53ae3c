"""A run from a private registry (htpasswd) through zun against the raw engine.

Both sides pull the same image (busybox:local plus a 4 MiB layer of its own,
pushed to ``tools/start-registry.sh auth``'s registry as zun-test/regbench:1)
with the registry's account, then create and start a container of it; the
image is removed before every sample. zun's side is ``POST
/v1/containers?run=true`` with ``registry`` until the container is Running
(the API's registry lookup, the agent's read and decryption of the password,
the pull with it, create, start, the client's polling); the baseline the
docker SDK's pull with the same ``auth_config``, create and start.

It starts its own zun-all (with ``[registry] allow`` naming the registry,
which is on loopback, and a ``[registry] key``). Alone:

    .venv/bin/python benchmarks/registries.py [--quick]
"""
from __future__ import annotations

import subprocess
import sys
import time
import uuid as uuidlib
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import docker.errors
from cryptography.fernet import Fernet

from benchmarks import images
from benchmarks.measure import Figure, interleave, poll
from benchmarks.ops import RAW_PREFIX, SLEEPER, Raw
from tests.functional.harness import ApiClient, ZunProcesses

ROOT = Path(__file__).resolve().parent.parent


def start_auth_registry() -> tuple[str, str, str]:
    """(user, password, host:port) of ``tools/start-registry.sh auth``."""
    out = subprocess.run([str(ROOT / "tools" / "start-registry.sh"), "auth"],
                         check=True, text=True, stdout=subprocess.PIPE)
    account, _, address = out.stdout.strip().splitlines()[-1].rpartition("@")
    user, _, password = account.partition(":")
    return user, password, address


def _remove(raw: Raw, ref: str) -> None:
    try:
        raw.api.remove_image(ref, force=True)
    except docker.errors.ImageNotFound:
        pass


def _delete(member: ApiClient, uuid: str) -> None:
    resp = member.delete("/v1/containers/%s?stop=True" % uuid)
    if resp.status_code != 204:
        raise RuntimeError("DELETE %s: %s %s" % (uuid, resp.status_code, resp.text))
    member.wait_gone(uuid)


def measure(url: str, raw: Raw, registry: tuple[str, str, str], n: int) -> list[Figure]:
    """n zun runs with ``registry`` interleaved with n raw authenticated runs."""
    user, password, address = registry
    auth = {"username": user, "password": password}
    ref = images._push(raw, address, auth)   # as the pull bench's, with the account
    member = ApiClient(url, project="bench-registries")
    resp = member.post("/v1/registries", {"registry": {
        "name": "bench", "domain": address, "username": user, "password": password}})
    if resp.status_code != 201:
        raise RuntimeError("POST /v1/registries: %s %s" % (resp.status_code, resp.text))
    registry_uuid = resp.json()["registry"]["uuid"]
    zun_containers: list[str] = []
    raw_containers: list[str] = []

    def zun_run() -> float:
        for uuid in zun_containers:
            _delete(member, uuid)
        zun_containers.clear()
        _remove(raw, ref)
        start = time.perf_counter()
        body = member.run(image=ref, registry=registry_uuid,
                          name="regbench-%s" % uuidlib.uuid4().hex[:8])
        zun_containers.append(body["uuid"])

        def running() -> bool:
            shown = member.show(body["uuid"])
            if shown["status"] == "Error":
                raise RuntimeError("run failed: %s" % shown["status_reason"])
            return shown["status"] == "Running"
        poll(running, what="container %s Running" % body["uuid"])
        return time.perf_counter() - start

    def raw_run() -> float:
        for cid in raw_containers:
            raw.delete(cid)
        raw_containers.clear()
        _remove(raw, ref)
        start = time.perf_counter()
        for line in raw.api.pull("%s/%s" % (address, images.REPO), tag=images.TAG, stream=True,
                                 decode=True, auth_config=auth):
            if "error" in line:
                raise RuntimeError("raw pull: %s" % line["error"])
        cid = raw.api.create_container(
            ref, SLEEPER, name=RAW_PREFIX + uuidlib.uuid4().hex[:12],
            host_config=raw._host_config)["Id"]
        raw.api.start(cid)
        raw_containers.append(cid)
        return time.perf_counter() - start

    try:
        runs, raw_runs = interleave(n, zun_run, raw_run)
    finally:
        for uuid in zun_containers:
            _delete(member, uuid)
        for cid in raw_containers:
            raw.delete(cid)
        member.delete("/v1/registries/%s" % registry_uuid)
        _remove(raw, ref)
    return [Figure("registry_run", "run from a private registry (auth pull, create, "
                   "start) -> Running (zun-all)", runs, raw_runs,
                   "raw authenticated pull + create + start")]


def section(raw: Raw, n: int, extra_conf: str = "") -> list[Figure]:
    """Start a zun-all that may pull from the auth registry, measure, stop it."""
    registry = start_auth_registry()
    dep = ZunProcesses(mode="all", extra_conf=extra_conf + "[registry]\nallow = %s\n"
                       "key = %s\n" % (registry[2], Fernet.generate_key().decode()))
    try:
        dep.start()
        return measure(dep.url, raw, registry, n)
    finally:
        dep.stop()


def main() -> None:
    from benchmarks.run import PRODUCTION_DEFAULTS, run_alone
    run_alone(__doc__ or "", lambda raw, n: section(raw, n, PRODUCTION_DEFAULTS))


if __name__ == "__main__":
    main()
