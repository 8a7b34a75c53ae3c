"""The operations being timed: one through zun's REST API, one straight to Docker.

Both sides run the same container: image, command and limits (cpu 0.5 ->
NanoCpus, memory 64 MiB with an equal swap limit), zun's runtime hardening
(capabilities, no-new-privileges, pids and log limits, from zun's own
``hardening_kwargs``) and a user-defined bridge network of its own, as
zun's project networks are (joining one costs the engine about 40 ms more
than the default bridge). So the difference is what zun adds. The raw
side is the docker SDK's low-level client: the fewest engine calls that can
do the job.
"""
from __future__ import annotations

import concurrent.futures
import sys
import threading
import time
import uuid as uuidlib
from typing import Any

import docker

from benchmarks.measure import poll
from tests.functional.harness import IMAGE, SLEEPER, ApiClient, network_removed
from zun.container.driver import docker_facts

CPU = 0.5
MEMORY_MIB = 64
RAW_PREFIX = "zunbench-raw-"
RAW_NETWORK = RAW_PREFIX + "net"


class Raw:
    """Raw docker SDK operations on the same engine zun uses."""

    def __init__(self, url: str, pool: int = 128) -> None:
        self.client = docker.DockerClient(base_url=url, max_pool_size=pool)
        self.api = self.client.api
        if not self.api.networks(names=[RAW_NETWORK]):
            self.api.create_network(RAW_NETWORK, driver="bridge")
        hardening = docker_facts.hardening_kwargs()
        log = hardening.pop("log_config", None)
        self._host_config = self.api.create_host_config(
            nano_cpus=int(CPU * 1e9), mem_limit="%dm" % MEMORY_MIB,
            memswap_limit="%dm" % MEMORY_MIB, network_mode=RAW_NETWORK,
            log_config=(docker.types.LogConfig(type=log["type"], config=log["config"])
                        if log else None),
            **hardening)

    def run(self) -> str:
        """create + start; returns the container id."""
        cid = self.api.create_container(
            IMAGE, SLEEPER, name=RAW_PREFIX + uuidlib.uuid4().hex[:12],
            host_config=self._host_config)["Id"]
        self.api.start(cid)
        return cid

    def delete(self, cid: str) -> None:
        """stop + remove, as zun's DELETE ?stop=True does."""
        self.api.stop(cid, timeout=10)
        self.api.remove_container(cid, v=True)

    def timed_run(self, out: list[str]) -> float:
        start = time.perf_counter()
        out.append(self.run())
        return time.perf_counter() - start

    def timed_delete(self, ids: list[str]) -> float:
        cid = ids.pop()
        start = time.perf_counter()
        self.delete(cid)
        return time.perf_counter() - start

    def concurrent(self, func: Any, args: list[Any]) -> tuple[float, list[Any]]:
        """Wall time until every ``func(arg)`` has returned, all started together."""
        start, results = _all_at_once(func, args)
        return time.perf_counter() - start, results

    def cleanup(self) -> None:
        """Remove every raw container this benchmark left (by name prefix),
        then its network."""
        for summary in self.api.containers(all=True, filters={"name": RAW_PREFIX}):
            try:
                self.api.remove_container(summary["Id"], force=True, v=True)
            except docker.errors.NotFound:
                pass
        for net in self.api.networks(names=[RAW_NETWORK]):
            # an endpoint outlives its container briefly ("active endpoints");
            # one the engine never drops (its leak) leaves the network behind
            try:
                poll(lambda net=net: network_removed(
                    lambda: self.api.remove_network(net["Id"])), timeout=30,
                    interval=0.05, what="network %s to lose its endpoints" % RAW_NETWORK)
            except RuntimeError as gave_up:
                print("cleanup: %s; left in place" % gave_up, file=sys.stderr)


class Zun:
    """The same operations through one zun deployment's REST API."""

    def __init__(self, url: str, project: str) -> None:
        self.project = project
        self.api = ApiClient(url, project=project, user="bench")

    def create(self, command: list[str] | None = None) -> dict:
        body = {"image": IMAGE, "command": command or SLEEPER,
                "cpu": CPU, "memory": str(MEMORY_MIB)}
        resp = self.api.post("/v1/containers?run=true", body)
        if resp.status_code != 202:
            raise RuntimeError("POST run: %s %s" % (resp.status_code, resp.text))
        return resp.json()

    def status(self, uuid: str) -> dict:
        resp = self.api.get("/v1/containers/%s" % uuid)
        if resp.status_code != 200:
            raise RuntimeError("GET %s: %s %s" % (uuid, resp.status_code, resp.text))
        return resp.json()

    def wait_running(self, uuid: str, interval: float = 0.005) -> dict:
        def running() -> dict | None:
            body = self.status(uuid)
            if body["status"] == "Error":
                raise RuntimeError("container %s: Error: %s" % (uuid, body["status_reason"]))
            return body if body["status"] == "Running" else None
        return poll(running, interval=interval, what="%s Running" % uuid)

    def run(self, interval: float = 0.005) -> tuple[str, float]:
        """POST ?run=true then GET until Running; returns (uuid, POST time)."""
        start = time.perf_counter()
        uuid = self.create()["uuid"]
        posted = time.perf_counter() - start
        self.wait_running(uuid, interval)
        return uuid, posted

    def delete(self, uuid: str) -> None:
        resp = self.api.delete("/v1/containers/%s" % uuid, stop="True")
        if resp.status_code != 204:
            raise RuntimeError("DELETE %s: %s %s" % (uuid, resp.status_code, resp.text))

    def wait_gone(self, uuid: str, interval: float = 0.005) -> None:
        poll(lambda: self.api.get("/v1/containers/%s" % uuid).status_code == 404,
             interval=interval, what="%s gone" % uuid)

    def timed_run(self, out: list[str], posts: list[float]) -> float:
        start = time.perf_counter()
        uuid, posted = self.run()
        elapsed = time.perf_counter() - start
        out.append(uuid)
        posts.append(posted)
        return elapsed

    def timed_delete(self, uuids: list[str]) -> float:
        uuid = uuids.pop()
        start = time.perf_counter()
        self.delete(uuid)
        self.wait_gone(uuid)
        return time.perf_counter() - start

    def listing(self) -> list[dict]:
        resp = self.api.get("/v1/containers", limit="1000")
        if resp.status_code != 200:
            raise RuntimeError("GET list: %s %s" % (resp.status_code, resp.text))
        return resp.json()["containers"]

    def concurrent_runs(self, n: int, interval: float = 0.05) -> tuple[float, list[str]]:
        """n POSTs at once; wall time until one LIST shows all n Running.

        One list poller instead of n GET pollers, so the measuring does not
        load the API n times over.
        """
        start, bodies = _all_at_once(lambda _: self.create(), list(range(n)))
        uuids = {b["uuid"] for b in bodies}

        def all_running() -> bool:
            rows = [c for c in self.listing() if c["uuid"] in uuids]
            errors = [c for c in rows if c["status"] == "Error"]
            if errors:
                raise RuntimeError("%d containers in Error: %s"
                                   % (len(errors), errors[0]["status_reason"]))
            return len(rows) == n and all(c["status"] == "Running" for c in rows)
        poll(all_running, interval=interval, what="%d Running" % n)
        return time.perf_counter() - start, sorted(uuids)

    def concurrent_deletes(self, uuids: list[str], interval: float = 0.05) -> float:
        """DELETE ?stop=True all at once; wall time until the LIST has none of them."""
        start, _ = _all_at_once(self.delete, uuids)
        wanted = set(uuids)
        poll(lambda: not any(c["uuid"] in wanted for c in self.listing()),
             interval=interval, what="%d deleted" % len(uuids))
        return time.perf_counter() - start

    def cleanup(self) -> None:
        """Force-delete whatever this project still has (after a failure)."""
        for c in self.listing():
            self.api.delete("/v1/containers/%s" % c["uuid"], force="True", stop="True")


def _all_at_once(func: Any, args: list[Any]) -> tuple[float, list[Any]]:
    """Run ``func`` over ``args`` on one thread each, released by one barrier.

    Returns the release time (perf_counter) and the results, so thread
    start-up is not counted as work.
    """
    barrier = threading.Barrier(len(args) + 1)

    def task(arg: Any) -> Any:
        barrier.wait()
        return func(arg)
    with concurrent.futures.ThreadPoolExecutor(len(args)) as pool:
        futures = [pool.submit(task, a) for a in args]
        barrier.wait()
        start = time.perf_counter()
        return start, [f.result() for f in futures]
