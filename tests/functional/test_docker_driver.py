"""DockerDriver against a real Docker engine (nothing faked): Docker's side.

The driver-neutral contracts (lifecycle, idempotency, errors, concurrency)
are checked for every driver by test_driver_conformance.py; here only what
needs the engine's own view: the settings it received, containers made
outside zun, and Docker's pull wording.

The engine is the one at $DOCKER_HOST (default unix:///var/run/docker.sock);
start it with tools/start-dockerd.sh. Without an engine these tests fail:
a silent skip would hide that the driver was never exercised. Every
container made here is removed again, also when a test fails.
"""
from __future__ import annotations

import os
import queue
import subprocess
import threading
import uuid as uuidlib
from pathlib import Path

import docker
import docker.errors
import pytest

from zun.common import exception
from zun.container.driver import base
from zun.container.driver.docker import DockerDriver

pytestmark = pytest.mark.functional

URL = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
IMAGE = "busybox:local"
REPO = Path(__file__).resolve().parents[2]
# PID 1 that exits at once on SIGTERM, so stops do not wait for the grace period.
SERVE = ["sh", "-c", "trap 'exit 0' TERM; trap 'exit 7' USR1; sleep 3600 & wait"]
EVENT_WAIT = 60  # generous upper bound for an event to arrive; not a measurement


@pytest.fixture(scope="module")
def raw():
    """A plain SDK client to check the driver's work independently."""
    try:
        client = docker.DockerClient(base_url=URL, timeout=60)
        client.ping()
    except Exception as err:  # noqa: BLE001 - any failure means "no engine"
        pytest.fail(f"No Docker engine answers at {URL} ({err}); "
                    f"start one with tools/start-dockerd.sh", pytrace=False)
    try:
        client.images.get(IMAGE)
    except docker.errors.ImageNotFound:
        env = dict(os.environ, DOCKER_HOST=URL)
        subprocess.run([str(REPO / "tools" / "prepare-image.sh")], env=env, check=True)
    yield client
    client.close()


@pytest.fixture(scope="module")
def driver(raw):
    drv = DockerDriver(api_url=URL)
    assert drv.ping() is True
    yield drv
    drv.close()


@pytest.fixture
def make(driver, raw):
    """Create zun containers through the driver; remove them all afterwards."""
    uuids = []

    def _make(start: bool = True, **kw) -> base.RuntimeFacts:
        uuid = str(uuidlib.uuid4())
        uuids.append(uuid)
        kw.setdefault("image", IMAGE)
        kw.setdefault("command", SERVE)
        facts = driver.create(base.ContainerSpec(uuid=uuid, project_id="proj-f", **kw))
        if start:
            facts = driver.start(facts.container_id)
        return facts

    yield _make
    for uuid in uuids:
        try:
            raw.containers.get(f"zun-{uuid}").remove(force=True)
        except docker.errors.NotFound:
            pass


def test_create_start_inspect(make, raw):
    facts = make(cpu=0.5, memory_mib=64, labels={"team": "qa"},
                 environment={"GREETING": "hi"}, workdir="/tmp", hostname="box1",
                 restart_policy={"Name": "on-failure", "MaximumRetryCount": 2})
    assert facts.state == "running"
    assert facts.pid and facts.started_at and facts.finished_at is None
    assert facts.project_id == "proj-f"
    data = raw.api.inspect_container(facts.container_id)
    assert data["Name"] == f"/zun-{facts.uuid}"
    labels = data["Config"]["Labels"]
    assert labels[base.LABEL_UUID] == facts.uuid
    assert labels[base.LABEL_PROJECT] == "proj-f"
    assert labels["team"] == "qa"
    host = data["HostConfig"]
    assert host["NanoCpus"] == 500_000_000
    assert host["Memory"] == 64 * 1024 * 1024
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}
    assert data["Config"]["Image"] == IMAGE
    assert "GREETING=hi" in data["Config"]["Env"]
    assert data["Config"]["WorkingDir"] == "/tmp"
    assert data["Config"]["Hostname"] == "box1"
    addresses = [a["addr"] for nets in facts.addresses.values() for a in nets]
    expected = [n["IPAddress"] for n in data["NetworkSettings"]["Networks"].values()
                if n["IPAddress"]]
    assert addresses == expected


def test_update_limits(make, driver, raw):
    facts = make(cpu=0.5, memory_mib=64)
    driver.update(facts.container_id, cpu=1.5, memory_mib=128)
    host = raw.api.inspect_container(facts.container_id)["HostConfig"]
    assert (host["NanoCpus"], host["Memory"]) == (1_500_000_000, 128 * 2**20)
    driver.update(facts.container_id, memory_mib=32)  # lowering works too
    host = raw.api.inspect_container(facts.container_id)["HostConfig"]
    assert (host["NanoCpus"], host["Memory"]) == (1_500_000_000, 32 * 2**20)
    assert driver.stats(facts.container_id)["MEM LIMIT(MiB)"] == 32.0


def test_list_containers_sees_ours_only(make, driver, raw):
    ours_running = make()
    ours_created = make(start=False)
    foreign = raw.containers.create(IMAGE, ["true"], name=f"not-zun-{uuidlib.uuid4()}")
    try:
        listed = driver.list_containers()
    finally:
        foreign.remove(force=True)
    ids = {f.container_id: f for f in listed}
    assert foreign.id not in ids
    assert ids[ours_running.container_id].state == "running"
    assert ids[ours_created.container_id].state == "created"
    assert all(f.uuid for f in listed)


def test_events(make, driver, raw):
    stop = threading.Event()
    seen: queue.Queue = queue.Queue()
    failure: list[BaseException] = []
    seen_ids: set[str] = set()

    def follow():
        try:
            for event in driver.events(stop):
                seen_ids.add(event.container_id)
                seen.put(event)
        except BaseException as err:  # reported by the assertion below
            failure.append(err)

    worker = threading.Thread(target=follow, daemon=True)
    worker.start()
    foreign_id = None
    try:
        # The stream may connect after the first actions; wait for a create of
        # a probe container before relying on it.
        probe = make(start=False)
        _await_event(seen, probe.uuid, "create")

        quitter = make(command=["sh", "-c", "exit 3"])
        die = _await_event(seen, quitter.uuid, "die")
        assert die.container_id == quitter.container_id
        assert die.time > 0

        victim = make()
        raw.containers.get(victim.container_id).stop(timeout=10)  # outside zun
        _await_event(seen, victim.uuid, "stop")

        foreign = raw.containers.run(IMAGE, ["true"], detach=True)
        foreign_id = foreign.id
        foreign.wait()
        foreign.remove()
        closing = make(start=False)  # a marker after the foreign container's events
        _await_event(seen, closing.uuid, "create")
    finally:
        stop.set()
        worker.join(EVENT_WAIT)
    assert not worker.is_alive(), "events() did not return after stop was set"
    assert not failure, failure
    assert foreign_id is not None
    assert foreign_id not in seen_ids


def test_missing_image(driver):
    spec = base.ContainerSpec(uuid=str(uuidlib.uuid4()), project_id="p",
                              image="zun-no-such-image")
    with pytest.raises(exception.ImageNotFound) as info:
        driver.create(spec)
    message = str(info.value)
    assert "zun-no-such-image:latest" in message
    assert "not present on this host and the pull failed" in message
    spec.image_pull_policy = "never"
    with pytest.raises(exception.ImageNotFound) as info:
        driver.create(spec)
    assert "image_pull_policy is 'never'" in str(info.value)


# --- helpers ---------------------------------------------------------------------
def _await_event(seen: queue.Queue, uuid: str, action: str) -> base.RuntimeEvent:
    while True:
        try:
            event = seen.get(timeout=EVENT_WAIT)
        except queue.Empty:
            pytest.fail(f"no '{action}' event for {uuid} arrived")
        if event.uuid == uuid and event.action == action:
            return event
