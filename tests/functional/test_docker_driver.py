"""DockerDriver against a real Docker engine (nothing faked).

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
                 restart_policy={"Name": "on-failure", "MaximumRetryCount": "2"})
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


def test_created_container_is_not_started(make, driver):
    facts = make(start=False)
    assert facts.state == "created"
    assert driver.inspect(facts.container_id).started_at is None


def test_logs(make, driver, raw):
    facts = make(start=False, command=["sh", "-c", "echo out-line; echo err-line >&2"])
    driver.start(facts.container_id)
    waited = _wait_exited(driver, raw, facts.container_id)
    assert waited.exit_code == 0
    both = driver.logs(facts.container_id)
    assert "out-line" in both and "err-line" in both
    only_out = driver.logs(facts.container_id, stderr=False)
    assert "out-line" in only_out and "err-line" not in only_out
    assert driver.logs(facts.container_id, tail=1).count("\n") == 1
    stamped = driver.logs(facts.container_id, timestamps=True, since=0)
    assert stamped.split(" ", 1)[0].endswith("Z")


def test_execute(make, driver):
    facts = make()
    assert driver.execute(facts.container_id, ["echo", "hello"]) == ("hello\n", 0)
    output, code = driver.execute(facts.container_id,
                                  ["sh", "-c", "echo to-out; echo to-err >&2; exit 3"])
    assert code == 3
    assert "to-out" in output and "to-err" in output
    assert driver.execute(facts.container_id, ["sh", "-c", "exit 42"]) == ("", 42)


def test_execute_in_stopped_container_is_refused(make, driver):
    facts = make()
    driver.stop(facts.container_id, timeout=5)
    with pytest.raises(exception.RuntimeOperationFailed) as info:
        driver.execute(facts.container_id, ["true"])
    assert "not running" in str(info.value)


def test_top(make, driver):
    facts = make()
    top = driver.top(facts.container_id)
    assert "PID" in top["Titles"]
    commands = [" ".join(p) for p in top["Processes"]]
    assert any("sleep 3600" in c for c in commands)
    custom = driver.top(facts.container_id, ps_args="-o pid,comm")
    assert custom["Titles"] == ["PID", "COMMAND"]
    # ps rejecting the arguments is the caller's input error (400), not a 500
    with pytest.raises(exception.Invalid) as info:
        driver.top(facts.container_id, ps_args="--no-such-ps-option")
    assert info.value.code == 400 and "ps_args" in str(info.value)


def test_stats(make, driver):
    facts = make(memory_mib=64)
    stats = driver.stats(facts.container_id)
    assert set(stats) == {"CONTAINER", "CPU %", "MEM USAGE(MiB)", "MEM LIMIT(MiB)",
                          "MEM %", "BLOCK I/O(B)", "NET I/O(B)"}
    assert stats["CONTAINER"] == f"zun-{facts.uuid}"
    assert stats["MEM LIMIT(MiB)"] == 64.0
    assert 0 < stats["MEM USAGE(MiB)"] < 64
    assert 0 < stats["MEM %"] < 100
    assert stats["CPU %"] >= 0
    for key in ("BLOCK I/O(B)", "NET I/O(B)"):
        first, second = stats[key].split("/")
        assert first.isdigit() and second.isdigit()


def test_pause_unpause(make, driver):
    facts = make()
    assert driver.pause(facts.container_id).state == "paused"
    with pytest.raises(exception.RuntimeOperationFailed) as info:
        driver.pause(facts.container_id)
    assert "paused" in str(info.value)
    assert driver.unpause(facts.container_id).state == "running"


def test_stop_with_timeout(make, driver):
    polite = make()
    stopped = driver.stop(polite.container_id, timeout=30)
    assert (stopped.state, stopped.exit_code) == ("exited", 0)  # the TERM trap ran
    assert stopped.finished_at is not None
    # A PID 1 without a TERM handler ignores SIGTERM: the timeout ends in SIGKILL.
    stubborn = make(command=["sleep", "3600"])
    killed = driver.stop(stubborn.container_id, timeout=1)
    assert (killed.state, killed.exit_code) == ("exited", 137)


def test_kill_with_signal(make, driver, raw):
    facts = make()
    signalled = driver.kill(facts.container_id, "SIGUSR1")
    if signalled.state != "exited":  # the kill returns before the trap exits
        signalled = _wait_exited(driver, raw, facts.container_id)
    assert signalled.exit_code == 7
    other = make()
    assert driver.kill(other.container_id).exit_code == 137  # default SIGKILL
    with pytest.raises(exception.RuntimeOperationFailed):
        driver.kill(other.container_id)


def test_reboot(make, driver):
    facts = make()
    first_pid = facts.pid
    rebooted = driver.reboot(facts.container_id, timeout=10)
    assert rebooted.state == "running"
    assert rebooted.pid and rebooted.pid != first_pid
    stopped = driver.stop(facts.container_id, timeout=10)
    assert driver.reboot(stopped.container_id).state == "running"


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


def test_delete(make, driver):
    facts = make()
    with pytest.raises(exception.RuntimeOperationFailed):
        driver.delete(facts.container_id)  # running, no force
    driver.delete(facts.container_id, force=True)
    with pytest.raises(exception.RuntimeContainerNotFound) as info:
        driver.inspect(facts.container_id)
    assert info.value.code == 404
    assert driver.delete(facts.container_id) is None  # vanished: a no-op
    assert driver.delete(facts.container_id, force=True) is None
    with pytest.raises(exception.RuntimeContainerNotFound):
        driver.start(facts.container_id)


def test_concurrent_use_of_one_driver(make, driver):
    """Many compute threads share the driver's one client."""
    errors: list[BaseException] = []
    results: list[str] = []
    lock = threading.Lock()

    def cycle():
        try:
            facts = make()
            assert driver.execute(facts.container_id, ["echo", facts.uuid])[0].strip() == facts.uuid
            driver.delete(facts.container_id, force=True)
            with lock:
                results.append(facts.uuid)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=cycle) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(set(results)) == 8


# --- helpers ---------------------------------------------------------------------
def _wait_exited(driver: DockerDriver, raw, container_id: str) -> base.RuntimeFacts:
    """Block on the engine's own wait until the container has stopped."""
    raw.api.wait(container_id, timeout=EVENT_WAIT)
    return driver.inspect(container_id)


def _await_event(seen: queue.Queue, uuid: str, action: str) -> base.RuntimeEvent:
    while True:
        try:
            event = seen.get(timeout=EVENT_WAIT)
        except queue.Empty:
            pytest.fail(f"no '{action}' event for {uuid} arrived")
        if event.uuid == uuid and event.action == action:
            return event
