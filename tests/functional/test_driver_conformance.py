"""Driver conformance: the contracts of zun/container/driver/base.py, per driver.

Every test runs once per driver ("docker" against the real engine at
$DOCKER_HOST, "rkt" with no runtime at all). The driver's declared
``capabilities`` decide what is asked of it: for a capability it declares,
the contract test of that capability must pass; for one it does not
declare, the method must refuse with UnsupportedOperation (a clean 400
naming the driver), never NotImplementedError or another error. The
probes (inspect, list_containers, ping, host_info) need no capability and
are checked for every driver.

Waiting is always for a condition (the runtime's state), never a sleep.
Docker-only details (the engine's own view of limits, labels and events of
foreign containers) stay in tests/functional/test_docker_driver.py.
"""
from __future__ import annotations

import io
import queue
import tarfile
import threading
import time
import uuid as uuidlib
from typing import Any, Callable

import pytest

from tests.functional import harness
from zun.common import exception
from zun.container import driver as driver_pkg
from zun.container.driver import base

DRIVERS = ["docker", "rkt"]
IMAGE = harness.IMAGE
# PID 1 that exits at once on SIGTERM (0) or SIGUSR1 (7), so stops do not wait
# for the grace period and signals have a visible effect.
SERVE = ["sh", "-c", "trap 'exit 0' TERM; trap 'exit 7' USR1; sleep 3600 & wait"]
WAIT = 60  # upper bound for a condition to come true; not a measurement
MISSING = "0" * 64  # no runtime has a container with this id


# --- fixtures ----------------------------------------------------------------------
@pytest.fixture(scope="module", params=DRIVERS)
def driver(request) -> Any:
    """The driver under test, as the agent loads it."""
    if request.param == "docker":
        request.getfixturevalue("docker_client")  # fails clearly without an engine
        from zun.container.driver.docker import DockerDriver
        drv: base.ContainerDriver = DockerDriver(api_url=harness.docker_url())
    else:
        drv = driver_pkg.load_driver(request.param)
    yield drv
    if hasattr(drv, "close"):
        drv.close()


@pytest.fixture
def make(driver) -> Any:
    """Create containers through the driver; delete them all afterwards."""
    made: list[str] = []

    def _make(start: bool = True, **kw: Any) -> base.RuntimeFacts:
        kw.setdefault("image", IMAGE)
        kw.setdefault("command", SERVE)
        spec = base.ContainerSpec(uuid=str(uuidlib.uuid4()), project_id="proj-c",
                                  host="conformance-host", **kw)
        facts = driver.create(spec)
        made.append(facts.container_id)
        if start:
            facts = driver.start(facts.container_id)
        return facts

    yield _make
    for container_id in made:
        driver.delete(container_id, force=True)  # idempotent by contract


def wait_for(driver: base.ContainerDriver, container_id: str,
             states: set[str]) -> base.RuntimeFacts:
    """Inspect until the container reaches one of ``states`` (or fail at WAIT)."""
    deadline = time.monotonic() + WAIT
    pause = threading.Event()
    while True:
        facts = driver.inspect(container_id)
        if facts.state in states:
            return facts
        if time.monotonic() > deadline:
            pytest.fail(f"{container_id} stayed {facts.state}, never {states}")
        pause.wait(0.05)  # poll interval of a condition wait


def check_facts(facts: base.RuntimeFacts) -> None:
    """What every RuntimeFacts promises, whatever the driver."""
    assert facts.container_id
    assert facts.state in base.RUNTIME_STATES, facts.state


# --- one contract per capability ----------------------------------------------------
def contract_create(driver, make) -> None:
    facts = make(start=False)
    check_facts(facts)
    assert facts.state == "created" and facts.project_id == "proj-c"
    seen = driver.inspect(facts.container_id)
    assert (seen.uuid, seen.project_id, seen.host) == (facts.uuid, "proj-c",
                                                       "conformance-host")
    assert seen.state == "created" and seen.started_at is None and seen.complete
    listed = {f.container_id: f for f in driver.list_containers()}
    assert listed[facts.container_id].uuid == facts.uuid
    # not idempotent: a second container of the same uuid is refused (409)
    again = base.ContainerSpec(uuid=facts.uuid, project_id="proj-c", image=IMAGE,
                               command=SERVE)
    with pytest.raises(exception.ContainerAlreadyExists) as info:
        driver.create(again)
    assert info.value.code == 409
    # a missing image is a 400 saying why
    absent = base.ContainerSpec(uuid=str(uuidlib.uuid4()), project_id="p",
                                image="zun-no-such-image", image_pull_policy="never")
    with pytest.raises(exception.ImageNotFound) as info:
        driver.create(absent)
    assert info.value.code == 400 and "zun-no-such-image" in str(info.value)


def contract_start(driver, make) -> None:
    created = make(start=False)
    started = driver.start(created.container_id)
    check_facts(started)
    assert started.state == "running" and started.pid and started.started_at
    again = driver.start(created.container_id)  # idempotent
    assert (again.state, again.pid) == ("running", started.pid)
    brief = make(start=False, command=["true"])
    assert driver.start(brief.container_id).state in ("running", "exited")
    with pytest.raises(exception.RuntimeContainerNotFound):
        driver.start(MISSING)


def contract_stop(driver, make) -> None:
    polite = make()
    stopped = driver.stop(polite.container_id, timeout=30)
    check_facts(stopped)
    assert (stopped.state, stopped.exit_code) == ("exited", 0)  # the TERM trap ran
    assert stopped.finished_at is not None
    again = driver.stop(polite.container_id, timeout=30)  # idempotent
    assert (again.state, again.finished_at) == ("exited", stopped.finished_at)
    # PID 1 without a TERM handler ignores SIGTERM: the timeout ends in SIGKILL
    stubborn = make(command=["sleep", "3600"])
    assert driver.stop(stubborn.container_id, timeout=1).exit_code == 137
    created = make(start=False)
    assert driver.stop(created.container_id).state == "created"  # nothing to stop
    with pytest.raises(exception.RuntimeContainerNotFound):
        driver.stop(MISSING)


def contract_pause(driver, make) -> None:
    facts = make()
    paused = driver.pause(facts.container_id)
    check_facts(paused)
    assert paused.state == "paused"
    assert driver.pause(facts.container_id).state == "paused"  # idempotent
    assert driver.stop(facts.container_id, timeout=10).state == "exited"  # stops paused too
    with pytest.raises(exception.RuntimeOperationFailed) as info:
        driver.pause(facts.container_id)  # nothing runs
    assert info.value.code == 409
    with pytest.raises(exception.RuntimeContainerNotFound):
        driver.pause(MISSING)


def contract_unpause(driver, make) -> None:
    facts = make()
    driver.pause(facts.container_id)
    thawed = driver.unpause(facts.container_id)
    check_facts(thawed)
    assert thawed.state == "running"
    assert driver.unpause(facts.container_id).state == "running"  # idempotent
    driver.stop(facts.container_id, timeout=10)
    with pytest.raises(exception.RuntimeOperationFailed):
        driver.unpause(facts.container_id)
    with pytest.raises(exception.RuntimeContainerNotFound):
        driver.unpause(MISSING)


def contract_kill(driver, make) -> None:
    facts = make()
    killed = driver.kill(facts.container_id)  # default SIGKILL
    check_facts(killed)
    assert (killed.state, killed.exit_code) == ("exited", 137)
    with pytest.raises(exception.RuntimeOperationFailed):
        driver.kill(facts.container_id)  # not idempotent: no process left
    handled = make()
    signalled = driver.kill(handled.container_id, "SIGUSR1")
    if signalled.state != "exited":  # the kill returns before the trap exits
        signalled = wait_for(driver, handled.container_id, {"exited"})
    assert signalled.exit_code == 7
    with pytest.raises(exception.RuntimeContainerNotFound):
        driver.kill(MISSING)


def contract_reboot(driver, make) -> None:
    facts = make()
    rebooted = driver.reboot(facts.container_id, timeout=10)
    check_facts(rebooted)
    assert rebooted.state == "running"
    assert rebooted.pid and rebooted.pid != facts.pid  # a new main process
    driver.stop(facts.container_id, timeout=10)
    assert driver.reboot(facts.container_id).state == "running"  # from stopped
    created = make(start=False)
    assert driver.reboot(created.container_id).state == "running"  # from created
    with pytest.raises(exception.RuntimeContainerNotFound):
        driver.reboot(MISSING)


def contract_update(driver, make) -> None:
    facts = make(cpu=0.5, memory_mib=64)
    assert driver.update(facts.container_id, cpu=1.0, memory_mib=128) is None
    assert driver.update(facts.container_id, cpu=1.0, memory_mib=128) is None  # again
    if "stats" in driver.capabilities:
        assert driver.stats(facts.container_id)["MEM LIMIT(MiB)"] == 128.0
    stopped = make(memory_mib=64)
    driver.stop(stopped.container_id, timeout=10)
    driver.update(stopped.container_id, memory_mib=32)  # any state
    with pytest.raises(exception.RuntimeContainerNotFound):
        driver.update(MISSING, cpu=1.0)


def contract_exec(driver, make) -> None:
    facts = make()
    assert driver.execute(facts.container_id, ["echo", "hello"]) == ("hello\n", 0)
    output, code = driver.execute(facts.container_id,
                                  ["sh", "-c", "echo to-out; echo to-err >&2; exit 3"])
    assert code == 3 and "to-out" in output and "to-err" in output
    driver.stop(facts.container_id, timeout=10)
    with pytest.raises(exception.RuntimeOperationFailed) as info:
        driver.execute(facts.container_id, ["true"])
    assert info.value.code == 409
    with pytest.raises(exception.RuntimeContainerNotFound):
        driver.execute(MISSING, ["true"])


def contract_logs(driver, make) -> None:
    facts = make(command=["sh", "-c", "echo out-line; echo err-line >&2"])
    wait_for(driver, facts.container_id, {"exited"})
    both = driver.logs(facts.container_id)  # also after the container ended
    assert "out-line" in both and "err-line" in both
    only_out = driver.logs(facts.container_id, stderr=False)
    assert "out-line" in only_out and "err-line" not in only_out
    assert driver.logs(facts.container_id, tail=1).count("\n") == 1
    assert driver.logs(facts.container_id, since=0) == both
    assert driver.logs(facts.container_id, timestamps=True) != both
    for bad in ({"tail": "lots"}, {"tail": -1}, {"since": "yesterday"}):
        with pytest.raises(exception.InvalidValue) as info:
            driver.logs(facts.container_id, **bad)
        assert next(iter(bad)) in str(info.value)
    with pytest.raises(exception.RuntimeContainerNotFound):
        driver.logs(MISSING)


def contract_top(driver, make) -> None:
    facts = make()
    top = driver.top(facts.container_id)
    assert "PID" in top["Titles"]
    assert any("sleep 3600" in " ".join(p) for p in top["Processes"])
    assert driver.top(facts.container_id, ps_args="-o pid,comm")["Titles"] == [
        "PID", "COMMAND"]
    with pytest.raises(exception.Invalid) as info:  # ps rejects: the caller's input
        driver.top(facts.container_id, ps_args="--no-such-ps-option")
    assert info.value.code == 400 and "ps_args" in str(info.value)
    driver.stop(facts.container_id, timeout=10)
    with pytest.raises(exception.RuntimeOperationFailed):
        driver.top(facts.container_id)
    with pytest.raises(exception.RuntimeContainerNotFound):
        driver.top(MISSING)


STATS_KEYS = {"CONTAINER", "CPU %", "MEM USAGE(MiB)", "MEM LIMIT(MiB)", "MEM %",
              "BLOCK I/O(B)", "NET I/O(B)"}


def contract_stats(driver, make) -> None:
    facts = make(memory_mib=64)
    stats = driver.stats(facts.container_id)
    assert set(stats) == STATS_KEYS
    assert stats["MEM LIMIT(MiB)"] == 64.0
    assert 0 < stats["MEM USAGE(MiB)"] < 64 and 0 < stats["MEM %"] < 100
    assert stats["CPU %"] >= 0
    for key in ("BLOCK I/O(B)", "NET I/O(B)"):
        first, second = stats[key].split("/")
        assert first.isdigit() and second.isdigit()
    driver.stop(facts.container_id, timeout=10)
    idle = driver.stats(facts.container_id)  # any state: zeros, not an error
    assert set(idle) == STATS_KEYS and idle["MEM USAGE(MiB)"] == 0
    with pytest.raises(exception.RuntimeContainerNotFound):
        driver.stats(MISSING)


def contract_events(driver, make) -> None:
    stop = threading.Event()
    seen: queue.Queue = queue.Queue()
    failure: list[BaseException] = []

    def follow() -> None:
        try:
            for event in driver.events(stop):
                seen.put(event)
        except BaseException as err:  # reported below
            failure.append(err)

    worker = threading.Thread(target=follow, daemon=True)
    worker.start()
    try:
        # the stream may connect after the first containers: retry with new ones
        event = None
        for _ in range(WAIT):
            probe = make(start=False)
            event = _next_event_of(seen, probe.uuid, timeout=1)
            if event is not None:
                break
        assert event is not None, "no event for a container made by the driver"
        assert isinstance(event, base.RuntimeEvent)
        assert event.container_id == probe.container_id and event.time > 0
        assert event.host == "conformance-host"
    finally:
        stop.set()
        worker.join(WAIT)
    assert not worker.is_alive(), "events() did not return after stop was set"
    assert not failure, failure


def contract_delete(driver, make) -> None:
    facts = make()
    with pytest.raises(exception.RuntimeOperationFailed):
        driver.delete(facts.container_id)  # running, no force
    paused = make()
    if "pause" in driver.capabilities:
        driver.pause(paused.container_id)
        with pytest.raises(exception.RuntimeOperationFailed):
            driver.delete(paused.container_id)
    for container_id in (facts.container_id, paused.container_id):
        assert driver.delete(container_id, force=True) is None
        with pytest.raises(exception.RuntimeContainerNotFound) as info:
            driver.inspect(container_id)
        assert info.value.code == 404
        assert driver.delete(container_id) is None  # gone: a no-op
        assert driver.delete(container_id, force=True) is None
    assert facts.container_id not in {f.container_id for f in driver.list_containers()}
    assert driver.delete(MISSING) is None


def contract_archive(driver, make) -> None:
    def tar_of(name: str, content: bytes) -> bytes:
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w") as tar:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        return out.getvalue()

    for facts in (make(), make(start=False)):   # running, and created
        cid = facts.container_id
        tar = tar_of("conf.txt", b"copied\n")
        assert driver.put_archive(cid, "/tmp", tar) is None
        assert driver.put_archive(cid, "/tmp", tar) is None   # idempotent in effect
        data, stat = driver.get_archive(cid, "/tmp/conf.txt", 1 << 20)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as got:
            assert got.extractfile("conf.txt").read() == b"copied\n"
        assert set(stat) == {"name", "size", "mode", "mtime", "linkTarget"}
        assert (stat["name"], stat["size"]) == ("conf.txt", 7)
        # the bound: never more than max_bytes held
        with pytest.raises(exception.ArchiveTooLarge) as info:
            driver.get_archive(cid, "/tmp/conf.txt", 100)
        assert info.value.code == 413
        with pytest.raises(exception.ArchivePathNotFound) as info:
            driver.get_archive(cid, "/no/such/path", 1 << 20)
        assert info.value.code == 404
        with pytest.raises(exception.ArchivePathNotFound):
            driver.put_archive(cid, "/no/such/dir", tar)
    with pytest.raises(exception.RuntimeContainerNotFound):
        driver.get_archive(MISSING, "/", 1 << 20)


def contract_commit(driver, make) -> None:
    repository = "zun-conformance/commit-%s" % uuidlib.uuid4().hex[:8]
    try:
        for facts in (make(), make(start=False)):   # running, and created
            image_id = driver.commit(facts.container_id, repository, "1")
            assert image_id
            if "image" in driver.capabilities:
                assert driver.inspect_image("%s:1" % repository).image_id == image_id
            # the name moves to the newest snapshot: not idempotent
            assert driver.commit(facts.container_id, repository, "1") != image_id
        with pytest.raises(exception.RuntimeContainerNotFound):
            driver.commit(MISSING, repository, "1")
    finally:
        if "image" in driver.capabilities:
            driver.delete_image("%s:1" % repository)


def contract_image(driver, make, registry: str | None = None) -> None:
    listed = {tag for facts in driver.list_images() for tag in facts.tags}
    assert IMAGE in listed
    local = driver.inspect_image(IMAGE)
    assert local.image_id and local.size > 0 and IMAGE in local.tags
    with pytest.raises(exception.ImageNotFound):
        driver.inspect_image("zun-conformance/none:missing")
    assert driver.delete_image("zun-conformance/none:missing") is None   # gone: a no-op
    if registry is None:
        return
    repository = "zun-conformance/pull-%s" % uuidlib.uuid4().hex[:8]
    ref = harness.push_to_registry(_engine(), registry, repository, "1")
    try:
        pulled = driver.pull_image(ref)
        assert ref in pulled.tags and pulled.image_id == local.image_id
        assert driver.pull_image(ref).image_id == pulled.image_id   # idempotent
        with pytest.raises(exception.ImageNotFound):
            driver.pull_image("%s/%s:no-such-tag" % (registry, repository))
        used = make(image=ref)
        with pytest.raises(exception.RuntimeOperationFailed):
            # the name is the running container's image: the runtime refuses
            driver.delete_image(pulled.image_id)
        driver.delete(used.container_id, force=True)
    finally:
        driver.delete_image(ref)
    with pytest.raises(exception.ImageNotFound):
        driver.inspect_image(ref)
    assert driver.delete_image(ref) is None


def _read_until(stream: base.ConsoleStream, marker: bytes) -> bytes:
    """Read ``stream`` until ``marker`` shows (the stream closed by a watchdog
    after WAIT seconds, so a missing marker fails instead of hanging)."""
    watchdog = threading.Timer(WAIT, stream.close)
    watchdog.start()
    seen = b""
    try:
        while marker not in seen:
            chunk = stream.read(4096)
            assert chunk, f"stream ended before {marker!r}; got {seen[-300:]!r}"
            seen += chunk
    finally:
        watchdog.cancel()
    return seen


def _read_all(stream: base.ConsoleStream) -> bytes:
    watchdog = threading.Timer(WAIT, stream.close)
    watchdog.start()
    seen = b""
    try:
        while chunk := stream.read(4096):
            seen += chunk
    finally:
        watchdog.cancel()
    return seen


def _shells(driver, container_id: str) -> list[str]:
    """The commands of the container's shells and marker sleeps (by top)."""
    rows = driver.top(container_id)["Processes"]
    commands = [str(row[-1]) for row in rows]
    return [c for c in commands if c.split()[:1] == ["sh"] or "sleep 4242" in c]


def contract_attach(driver, make) -> None:
    facts = make(command=["sh"], interactive=True, tty=True)
    cid = facts.container_id
    # attach: the container's own shell answers
    stream = driver.console(cid)
    try:
        stream.write(b"echo $((6*7))\n")
        _read_until(stream, b"42")   # the echoed command has no "42" in it
        assert driver.resize(cid, 33, 101) is None
        assert driver.resize(cid, 33, 101) is None   # idempotent
        stream.write(b"stty size\n")
        _read_until(stream, b"33 101")
    finally:
        stream.close()
    stream.close()   # idempotent
    with pytest.raises(exception.ConsoleClosed) as info:
        stream.write(b"true\n")
    assert info.value.code == 409
    assert driver.inspect(cid).state == "running"   # detaching leaves it running

    # interactive exec: a second shell with its own tty, ended on close
    exec_id = driver.exec_create(cid, ["sh"], interactive=True)
    assert exec_id
    shell = driver.console(cid, exec_id)
    try:
        shell.write(b"echo $((6*7))\n")
        _read_until(shell, b"42")
        assert driver.exec_resize(cid, exec_id, 20, 77) is None
        shell.write(b"stty size\n")
        _read_until(shell, b"20 77")
        shell.write(b"sleep 4242\n")   # a child in the foreground: ends with it
        _wait_until(lambda: any("sleep 4242" in c for c in _shells(driver, cid)))
        with pytest.raises(exception.RuntimeOperationFailed):
            driver.console(cid, exec_id)   # each exec serves one console
    finally:
        shell.close()
    _wait_until(lambda: _shells(driver, cid) == ["sh"])   # only PID 1's shell left
    assert driver.inspect(cid).state == "running"
    with pytest.raises(exception.RuntimeOperationFailed):
        driver.exec_resize(cid, exec_id, 20, 77)   # it no longer runs

    # an exec belongs to its container: another's id is not found here
    other = make()
    foreign = driver.exec_create(other.container_id, ["sh"], interactive=True)
    for call in (lambda: driver.exec_resize(cid, foreign, 10, 10),
                 lambda: driver.console(cid, foreign),
                 lambda: driver.console(cid, "f" * 64),
                 lambda: driver.console(cid, "../../containers/x")):
        with pytest.raises(exception.ExecNotFound) as info:
            call()
        assert info.value.code == 404

    # without a tty: stdout and stderr arrive as plain bytes (no frame headers)
    plain = driver.exec_create(cid, ["sh", "-c", "echo out; echo err >&2"],
                               interactive=False)
    quiet = driver.console(cid, plain)
    try:
        output = _read_all(quiet)
    finally:
        quiet.close()
    assert sorted(output.splitlines()) == [b"err", b"out"], output

    with pytest.raises(exception.RuntimeContainerNotFound):
        driver.console(MISSING)
    with pytest.raises(exception.RuntimeContainerNotFound):
        driver.resize(MISSING, 10, 10)
    driver.stop(cid, timeout=10)
    with pytest.raises(exception.RuntimeOperationFailed) as info:
        driver.console(cid)   # nothing to attach to
    assert info.value.code == 409
    with pytest.raises(exception.RuntimeOperationFailed):
        driver.exec_create(cid, ["sh"], interactive=True)


def _wait_until(condition: Callable[[], bool]) -> None:
    """Poll ``condition`` until it holds (or fail at WAIT)."""
    deadline = time.monotonic() + WAIT
    pause = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("condition never held")
        pause.wait(0.05)  # poll interval of a condition wait


def _engine() -> Any:
    import docker
    return docker.DockerClient(base_url=harness.docker_url())


#: capability -> (its contract, a call of its method that an undeclaring driver refuses)
CONTRACTS: dict[str, tuple[Callable[..., None], Callable[[Any], Any]]] = {
    "create": (contract_create, lambda d: d.create(
        base.ContainerSpec(uuid=str(uuidlib.uuid4()), project_id="p", image=IMAGE))),
    "start": (contract_start, lambda d: d.start(MISSING)),
    "stop": (contract_stop, lambda d: d.stop(MISSING, timeout=1)),
    "pause": (contract_pause, lambda d: d.pause(MISSING)),
    "unpause": (contract_unpause, lambda d: d.unpause(MISSING)),
    "kill": (contract_kill, lambda d: d.kill(MISSING, "SIGTERM")),
    "reboot": (contract_reboot, lambda d: d.reboot(MISSING)),
    "update": (contract_update, lambda d: d.update(MISSING, cpu=1.0, memory_mib=64)),
    "exec": (contract_exec, lambda d: d.execute(MISSING, ["true"])),
    "logs": (contract_logs, lambda d: d.logs(MISSING)),
    "top": (contract_top, lambda d: d.top(MISSING)),
    "stats": (contract_stats, lambda d: d.stats(MISSING)),
    "events": (contract_events, lambda d: next(iter(d.events(threading.Event())))),
    "delete": (contract_delete, lambda d: d.delete(MISSING, force=True)),
    "archive": (contract_archive, lambda d: d.get_archive(MISSING, "/", 1024)),
    "commit": (contract_commit, lambda d: d.commit(MISSING, "zun/none", "1")),
    "image": (contract_image, lambda d: d.list_images()),
    "attach": (contract_attach, lambda d: d.console(MISSING)),
}


def test_every_capability_has_a_contract():
    """A capability added to the registry without a contract test fails here."""
    assert set(CONTRACTS) == set(base.ALL_CAPABILITIES)


@pytest.mark.parametrize("capability", sorted(CONTRACTS))
def test_capability(request, driver, make, capability):
    contract, refused_call = CONTRACTS[capability]
    if capability in driver.capabilities:
        if capability == "image":   # pulls from the test registry
            contract(driver, make, request.getfixturevalue("registry"))
        else:
            contract(driver, make)
        return
    with pytest.raises(exception.UnsupportedOperation) as info:
        refused_call(driver)
    err = info.value
    assert err.code == 400
    assert f"'{driver.name}'" in str(err)


# --- what every driver answers, whatever it declares ----------------------------------
def test_identity(driver):
    assert driver.capabilities <= base.ALL_CAPABILITIES
    assert type(driver_pkg.load_driver(driver.name)) is type(driver)


def test_inspect_of_a_missing_container_is_404(driver):
    with pytest.raises(exception.RuntimeContainerNotFound) as info:
        driver.inspect(MISSING)
    assert info.value.code == 404


def test_list_containers_reports_neutral_facts_of_ours(driver, make):
    if "create" in driver.capabilities:
        make()
        make(start=False)
    listed = driver.list_containers()
    assert all(isinstance(f, base.RuntimeFacts) for f in listed)
    for facts in listed:
        check_facts(facts)
        assert facts.uuid  # only zun's containers are listed
    if "create" not in driver.capabilities:
        assert listed == []  # nothing can exist where nothing is created


def test_ping_answers_truthfully(driver):
    # with the engine up, docker answers; rkt has no runtime to answer
    assert driver.ping() is {"docker": True, "rkt": False}[driver.name]


def test_host_info_keys_are_the_known_ones(driver):
    info = driver.host_info()
    known = {"cpus", "mem_total", "os", "os_type", "kernel_version", "architecture",
             "runtimes", "data_dir"}
    assert set(info) <= known
    assert isinstance(info.get("runtimes", []), list)
    if "create" not in driver.capabilities:
        assert info.get("runtimes", []) == []  # offers nothing it cannot run


# --- concurrency ------------------------------------------------------------------------
def _refuses_concurrently(driver: Any, call: Callable[[], Any],
                          refusal: type[Exception]) -> None:
    """A driver without the capabilities refuses from many threads at once,
    each time with the same clean error."""
    outcomes: list[BaseException | None] = []

    def one() -> None:
        try:
            call()
            outcomes.append(None)
        except BaseException as err:  # judged below
            outcomes.append(err)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 8
    assert all(isinstance(err, refusal) for err in outcomes), (driver.name, outcomes)


def test_concurrent_calls_on_one_driver(driver, make):
    """Many agent threads share one driver: lifecycles on different containers."""
    needed = {"create", "start", "exec", "delete"}
    if not needed <= driver.capabilities:
        _refuses_concurrently(driver, lambda: CONTRACTS["create"][1](driver),
                              exception.UnsupportedOperation)
        return
    errors: list[BaseException] = []

    def cycle() -> None:
        try:
            facts = make()
            output, _ = driver.execute(facts.container_id, ["echo", facts.uuid])
            assert output.strip() == facts.uuid
            driver.delete(facts.container_id, force=True)
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=cycle) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


def test_reads_overlap_state_changes_of_the_same_container(driver, make):
    """inspect/list/stats while the container starts and stops never fail."""
    needed = {"create", "start", "stop", "stats"}
    if not needed <= driver.capabilities:
        _refuses_concurrently(driver, lambda: driver.inspect(MISSING),
                              exception.RuntimeContainerNotFound)
        return
    facts = make()
    done = threading.Event()
    errors: list[BaseException] = []

    def read() -> None:
        try:
            while not done.is_set():
                check_facts(driver.inspect(facts.container_id))
                assert facts.container_id in {f.container_id
                                              for f in driver.list_containers()}
                driver.stats(facts.container_id)
        except BaseException as err:  # reported below
            errors.append(err)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        for _ in range(3):
            driver.stop(facts.container_id, timeout=10)
            driver.start(facts.container_id)
    finally:
        done.set()
        for reader in readers:
            reader.join()
    assert not errors, errors


# --- helpers ------------------------------------------------------------------------------
def _next_event_of(seen: queue.Queue, uuid: str, timeout: float) -> base.RuntimeEvent | None:
    """The next event of ``uuid`` that arrives within ``timeout``, or None."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            event = seen.get(timeout=left)
        except queue.Empty:
            return None
        if event.uuid == uuid:
            return event
