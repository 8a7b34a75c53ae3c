"""DockerDriver logic over a fake SDK client (no engine): image policy,
delete idempotence, argument handling and the event stream's life cycle.
The real engine is exercised in tests/functional/test_docker_driver.py."""
import threading

import docker.errors
import pytest
import requests

from zun.common import exception
from zun.conf import CONF
from zun.container.driver import base, docker_exec, docker_output
from zun.container.driver import docker as docker_driver

UUID = "0b5c6d1e-2f3a-4b5c-8d9e-0f1a2b3c4d5e"
INSPECT = {"Id": "cid", "State": {"Status": "created", "ExitCode": 0},
           "Config": {"Labels": {base.LABEL_UUID: UUID, base.LABEL_PROJECT: "p"}}}


def not_found(cls=docker.errors.NotFound, text="No such container"):
    response = requests.Response()
    response.status_code = 404
    return cls(text, response=response, explanation=text)


class FakeAPI:
    """Records calls; behaviour is set per test through attributes."""

    api_version = "1.41"
    _version = "1.41"

    def __init__(self):
        self.calls = []
        self.local_images = set()
        self.remove_error = None
        self.logs_output = b""
        self.event_stream = None

    def inspect_image(self, ref):
        self.calls.append(("inspect_image", ref))
        if ref not in self.local_images:
            raise not_found(docker.errors.ImageNotFound, "No such image")
        return {"Id": "img"}

    def create_container(self, **args):
        """Docker refuses a create whose image is missing (404 No such image)."""
        self.calls.append(("create", args))
        if args["image"] not in self.local_images:
            raise not_found(docker.errors.ImageNotFound, "No such image")
        return {"Id": "new-id"}

    def remove_container(self, cid, v=False, force=False):
        self.calls.append(("remove", cid, v, force))
        if self.remove_error:
            raise self.remove_error

    def logs(self, cid, **kwargs):
        self.calls.append(("logs", cid, kwargs))
        return self.logs_output

    def events(self, **kwargs):
        self.calls.append(("events", kwargs))
        return self.event_stream


class FakeImages:
    def __init__(self, api, pull_error=None):
        self.api = api
        self.pull_error = pull_error

    def pull(self, ref, auth_config=None):
        self.api.calls.append(("pull", ref))
        self.auth_configs = getattr(self, "auth_configs", []) + [auth_config]
        if self.pull_error:
            raise self.pull_error
        self.api.local_images.add(ref)


class FakeContainers:
    def __init__(self, api):
        self.api = api

    def create(self, **kwargs):
        self.api.calls.append(("create", kwargs))

        class Created:
            attrs = INSPECT
        return Created()


class FakeClient:
    def __init__(self, pull_error=None):
        self.api = FakeAPI()
        self.images = FakeImages(self.api, pull_error)
        self.containers = FakeContainers(self.api)
        self.closed = False

    def close(self):
        self.closed = True


@pytest.fixture
def fake():
    client = FakeClient()
    driver = docker_driver.DockerDriver(api_url="unix:///fake.sock")
    driver._client = client
    return driver, client


def spec(**kw):
    kw.setdefault("image", "busybox")
    return base.ContainerSpec(uuid=UUID, project_id="p", **kw)


def test_identity():
    driver = docker_driver.DockerDriver()
    assert driver.name == "docker"
    assert driver.capabilities == frozenset({
        "create", "start", "stop", "reboot", "pause", "unpause", "kill", "delete",
        "logs", "exec", "top", "stats", "update", "events", "image", "archive",
        "commit", "attach"})
    assert driver.capabilities <= base.ALL_CAPABILITIES


# --- images -------------------------------------------------------------------
def test_present_image_is_not_pulled(fake):
    driver, client = fake
    client.api.local_images.add("busybox:latest")
    facts = driver.create(spec())
    assert facts.uuid == UUID
    assert ("pull", "busybox:latest") not in client.api.calls
    created = [c for c in client.api.calls if c[0] == "create"][0][1]
    assert created["image"] == "busybox:latest"
    assert created["name"] == f"zun-{UUID}"


def test_missing_image_is_pulled(fake):
    driver, client = fake
    driver.create(spec())
    assert ("pull", "busybox:latest") in client.api.calls


def test_a_pull_uses_the_specs_credentials_only(fake):
    driver, client = fake
    creds = base.RegistryCredentials(registry="reg.example.com:5000",
                                     username="u", password="pw-secret")
    driver.create(spec(image="reg.example.com:5000/app", credentials=creds))
    driver.create(spec(image="busybox:other"))
    assert client.images.auth_configs == [
        {"username": "u", "password": "pw-secret",
         "serveraddress": "reg.example.com:5000"}, None]
    # never shown: not in the spec's repr, nor the credentials'
    assert "pw-secret" not in repr(spec(credentials=creds))
    assert "pw-secret" not in repr(creds)


def test_always_pulls_even_when_present(fake):
    driver, client = fake
    client.api.local_images.add("busybox:latest")
    driver.create(spec(image_pull_policy="always"))
    assert ("pull", "busybox:latest") in client.api.calls


def test_never_refuses_a_missing_image(fake):
    driver, client = fake
    with pytest.raises(exception.ImageNotFound) as info:
        driver.create(spec(image_pull_policy="never"))
    assert "not present on this host" in str(info.value)
    assert not [c for c in client.api.calls if c[0] == "pull"]


def test_create_with_the_image_present_is_one_engine_call(fake):
    driver, client = fake
    client.api.local_images.add("busybox:latest")
    facts = driver.create(spec(host="h1"))
    assert [c[0] for c in client.api.calls] == ["create"]
    assert (facts.container_id, facts.state, facts.host) == ("new-id", "created", "h1")


def test_failed_pull_is_image_not_found_with_short_reason(fake):
    driver, client = fake
    response = requests.Response()
    response.status_code = 500
    client.images.pull_error = docker.errors.APIError(
        "500 Server Error", response=response,
        explanation='Get "https://registry-1.docker.io/v2/": dial tcp: no such host')
    with pytest.raises(exception.ImageNotFound) as info:
        driver.create(spec(image="nosuch"))
    message = str(info.value)
    assert message.startswith("Image nosuch:latest could not be found: ")
    assert "not present on this host and the pull failed: " in message
    assert "no such host" in message


def test_unreachable_engine_while_pulling_is_503(fake):
    driver, client = fake
    client.images.pull_error = requests.exceptions.ConnectionError("refused")
    with pytest.raises(exception.ServiceUnavailable):
        driver.create(spec())


# --- delete ---------------------------------------------------------------------
def test_delete_removes_with_volumes(fake):
    driver, client = fake
    driver.delete("cid", force=True)
    assert ("remove", "cid", True, True) in client.api.calls


def test_delete_of_vanished_container_is_a_no_op(fake):
    driver, client = fake
    client.api.remove_error = not_found()
    assert driver.delete("cid") is None


def _removal_in_progress():
    response = requests.Response()
    response.status_code = 409
    text = "removal of container cid is already in progress"
    return docker.errors.APIError(text, response=response, explanation=text)


def test_delete_already_in_progress_returns_once_the_container_is_gone(fake):
    # the name must be free on return: rebuild and auto_heal recreate at once
    driver, client = fake
    client.api.remove_error = _removal_in_progress()
    looks = []

    def inspect_container(cid):
        looks.append(cid)
        if len(looks) < 3:
            return dict(INSPECT, State={"Status": "removing"})
        raise not_found()
    client.api.inspect_container = inspect_container
    assert driver.delete("cid") is None
    assert looks == ["cid"] * 3


def test_delete_already_in_progress_that_never_ends_is_refused(fake, monkeypatch):
    driver, client = fake
    client.api.remove_error = _removal_in_progress()
    client.api.inspect_container = lambda cid: dict(INSPECT, State={"Status": "removing"})
    monkeypatch.setattr(driver, "_timeout", 0.2)
    with pytest.raises(exception.RuntimeOperationFailed, match="did not finish"):
        driver.delete("cid")


def test_delete_of_running_container_without_force_is_refused(fake):
    driver, client = fake
    response = requests.Response()
    response.status_code = 409
    text = "You cannot remove a running container cid. Stop the container first"
    client.api.remove_error = docker.errors.APIError(text, response=response, explanation=text)
    with pytest.raises(exception.RuntimeOperationFailed):
        driver.delete("cid")


# --- idempotent state changes -----------------------------------------------------
class StatefulAPI(FakeAPI):
    """One container whose state the engine refuses to change twice (409)."""

    def __init__(self, state):
        super().__init__()
        self.state = state

    def _refuse(self, text):
        response = requests.Response()
        response.status_code = 409
        raise docker.errors.APIError(text, response=response, explanation=text)

    def inspect_container(self, cid):
        return {"Id": cid, "State": {"Status": self.state},
                "Config": {"Labels": {base.LABEL_UUID: UUID}}}

    def pause(self, cid):
        if self.state == "paused":
            self._refuse(f"Container {cid} is already paused")
        if self.state != "running":
            self._refuse(f"Container {cid} is not running")
        self.state = "paused"

    def unpause(self, cid):
        if self.state != "paused":
            self._refuse(f"Container {cid} is not paused")
        self.state = "running"


@pytest.mark.parametrize("method,state", [("pause", "paused"), ("unpause", "running")])
def test_repeating_a_state_change_is_a_no_op(fake, method, state):
    driver, client = fake
    client.api = StatefulAPI(state)
    assert getattr(driver, method)("cid").state == state


@pytest.mark.parametrize("method,state", [("pause", "exited"), ("unpause", "exited")])
def test_a_refusal_in_another_state_is_raised(fake, method, state):
    driver, client = fake
    client.api = StatefulAPI(state)
    with pytest.raises(exception.RuntimeOperationFailed) as info:
        getattr(driver, method)("cid")
    assert "cid" in str(info.value)


# --- logs -----------------------------------------------------------------------
@pytest.mark.parametrize("since,expected", [
    (None, None), (1700000000, 1700000000), ("1700000000", 1700000000),
    ("2023-11-14T22:13:20Z", 1700000000), ("2023-11-14T22:13:20", 1700000000),
    ("2023-11-15T00:13:20+02:00", 1700000000),
])
def test_logs_arguments(fake, since, expected):
    driver, client = fake
    client.api.logs_output = b"ok \xff\n"
    assert driver.logs("cid", tail="5", since=since) == "ok \ufffd\n"
    kwargs = client.api.calls[-1][2]
    assert kwargs["tail"] == 5
    assert kwargs.get("since") == expected


@pytest.mark.parametrize("kw", [{"tail": "ten"}, {"tail": -1}, {"since": "yesterday"}])
def test_bad_logs_arguments_are_400(fake, kw):
    driver, _ = fake
    with pytest.raises(exception.InvalidValue):
        driver.logs("cid", **kw)


def test_logs_tail_all(fake):
    driver, client = fake
    driver.logs("cid")
    assert client.api.calls[-1][2]["tail"] == "all"


# --- events ---------------------------------------------------------------------
class BlockingStream:
    """Yields the given records, then blocks like a live stream until closed."""

    def __init__(self, records, end_with=None):
        self.records = list(records)
        self.end_with = end_with
        self.closed = threading.Event()

    def __iter__(self):
        yield from self.records
        if self.end_with is not None:
            raise self.end_with
        self.closed.wait()

    def close(self):
        self.closed.set()


def use_stream(monkeypatch, driver, stream):
    client = FakeClient()
    client.api.event_stream = stream
    monkeypatch.setattr(driver, "_new_client", lambda pool_size=1: client)
    return client


def record(uuid, action):
    return {"Type": "container", "Action": action,
            "Actor": {"ID": "c", "Attributes": {base.LABEL_UUID: uuid} if uuid else {}},
            "time": 1}


def test_events_filter_and_stop(monkeypatch):
    driver = docker_driver.DockerDriver(api_url="unix:///fake.sock")
    stream = BlockingStream([record(UUID, "die"), record(None, "die"), record(UUID, "start")])
    client = use_stream(monkeypatch, driver, stream)
    stop = threading.Event()
    seen = []
    done = threading.Event()

    def follow():
        for event in driver.events(stop):
            seen.append(event.action)
        done.set()

    worker = threading.Thread(target=follow, daemon=True)
    worker.start()
    stop.set()
    worker.join(10)
    assert done.is_set()
    assert seen in (["die", "start"], ["die"], [])  # never the foreign record
    assert stream.closed.is_set()
    assert client.closed
    kwargs = client.api.calls[0][1]
    assert kwargs["filters"] == {"type": "container", "label": [base.LABEL_UUID]}


def test_events_yield_ours_in_order(monkeypatch):
    driver = docker_driver.DockerDriver(api_url="unix:///fake.sock")
    stream = BlockingStream([record(UUID, "die"), record(None, "x"), record(UUID, "start")])
    use_stream(monkeypatch, driver, stream)
    stop = threading.Event()
    events = driver.events(stop)
    assert [next(events).action, next(events).action] == ["die", "start"]
    stop.set()
    assert list(events) == []


def test_events_stream_end_is_docker_error(monkeypatch):
    driver = docker_driver.DockerDriver(api_url="unix:///fake.sock")
    stream = BlockingStream([record(UUID, "die")])
    stream.closed.set()  # the engine hung up
    use_stream(monkeypatch, driver, stream)
    events = driver.events(threading.Event())
    assert next(events).action == "die"
    with pytest.raises(exception.DockerError) as info:
        next(events)
    assert "ended" in str(info.value)


def test_events_broken_connection_is_docker_error(monkeypatch):
    driver = docker_driver.DockerDriver(api_url="unix:///fake.sock")
    stream = BlockingStream([], end_with=requests.exceptions.ChunkedEncodingError("reset"))
    use_stream(monkeypatch, driver, stream)
    with pytest.raises(exception.DockerError) as info:
        list(driver.events(threading.Event()))
    assert "broke" in str(info.value)


def test_events_unreachable_engine_is_docker_error(monkeypatch):
    driver = docker_driver.DockerDriver(api_url="unix:///nonexistent/docker.sock")
    with pytest.raises(exception.DockerError) as info:
        list(driver.events(threading.Event()))
    assert "cannot be reached" in str(info.value)


# --- unreachable engine ------------------------------------------------------------
def test_unreachable_engine():
    driver = docker_driver.DockerDriver(api_url="unix:///nonexistent/docker.sock")
    assert driver.ping() is False
    with pytest.raises(exception.ServiceUnavailable) as info:
        driver.inspect("cid")
    # members read a 503's message: the socket path is logged, never shown
    assert "nonexistent" not in str(info.value)
    assert "container engine" in str(info.value)


def test_execute_timeout_is_reported(monkeypatch, fake):
    """A command the agent cannot kill (its pid is not visible) is reported
    as possibly still running; the reader ends with the closed stream."""
    driver, client = fake
    stream = BlockingStream([b"partial "])
    client.api.exec_create = lambda cid, cmd, stdout, stderr: {"Id": "e1"}
    client.api.exec_start = lambda exec_id, stream=False: stream_
    client.api.exec_inspect = lambda exec_id: {"Pid": 0, "Running": True}
    stream_ = stream
    CONF.set_override("execute_timeout", 1, group="docker")
    try:
        output, code = driver.execute("cid", ["sleep", "100"])
    finally:
        CONF.clear_override("execute_timeout", group="docker")
        stream.close()
    assert code == -1
    assert output.startswith("partial \n[zun: command did not finish within the "
                             "1-second execute_timeout and could not be killed")
    assert stream.closed.is_set()


# --- volumes (issue 11) ----------------------------------------------------------
class _Volumes:
    """Named volumes of a fake engine, keyed by runtime name."""

    def __init__(self, api):
        self.api = api
        self.known: dict = {}
        api.inspect_volume = self.inspect
        api.create_volume = self.create

    def inspect(self, name):
        self.api.calls.append(("inspect_volume", name))
        if name not in self.known:
            raise not_found(text="no such volume")
        return self.known[name]

    def create(self, name, driver=None, labels=None):
        self.api.calls.append(("create_volume", name, driver, labels))
        self.known[name] = {"Name": name, "Labels": labels}
        return self.known[name]


def test_named_volumes_are_made_once_with_the_projects_labels(fake):
    from zun.container.driver import docker_facts
    driver, client = fake
    client.api.local_images.add("busybox:latest")
    volumes = _Volumes(client.api)
    wanted = spec(volumes=[("data", "/a"), ("data", "/b"), ("", "/tmp/x")])
    driver.create(wanted)
    name = docker_facts.volume_name("p", "data")
    made = [c for c in client.api.calls if c[0] == "create_volume"]
    assert made == [("create_volume", name, "local",
                     docker_facts.volume_labels("p", "data"))]
    created = [c for c in client.api.calls if c[0] == "create"][0][1]
    assert [m.get("Source") for m in created["host_config"]["Mounts"]] == [
        name, name, None]
    client.api.calls.clear()
    driver.create(wanted)  # again (a retry, a rebuild): found, not made
    assert [c[0] for c in client.api.calls if "volume" in c[0]] == ["inspect_volume"]
    assert volumes.known[name]["Labels"][base.LABEL_PROJECT] == "p"


def test_a_volume_not_made_for_the_project_is_refused(fake):
    from zun.container.driver import docker_facts
    driver, client = fake
    client.api.local_images.add("busybox:latest")
    volumes = _Volumes(client.api)
    name = docker_facts.volume_name("p", "data")
    volumes.known[name] = {"Name": name, "Labels": {}}
    with pytest.raises(exception.RuntimeOperationFailed, match="not made by zun"):
        driver.create(spec(volumes=[("data", "/a")]))
    assert not [c for c in client.api.calls if c[0] == "create"]


def test_anonymous_volumes_need_no_volume_call(fake):
    driver, client = fake
    client.api.local_images.add("busybox:latest")
    driver.create(spec(volumes=[("", "/scratch")]))
    assert [c[0] for c in client.api.calls] == ["create"]


# --- output bounds (issue 12) ----------------------------------------------------
class ChunkStream:
    """An SDK stream of ``count`` chunks of ``size`` bytes, counting reads."""

    def __init__(self, count, size=1000, byte=b"a"):
        self.count, self.size, self.byte = count, size, byte
        self.pulled = 0
        self.closed = False

    def __iter__(self):
        for _ in range(self.count):
            self.pulled += 1
            yield self.byte * self.size

    def close(self):
        self.closed = True


@pytest.fixture
def small_caps():
    CONF.set_override("max_log_bytes", 2500, group="docker")
    CONF.set_override("max_exec_output_bytes", 2500, group="docker")
    yield 2500
    CONF.clear_override("max_log_bytes", group="docker")
    CONF.clear_override("max_exec_output_bytes", group="docker")


def test_logs_are_streamed_and_cut_at_the_cap(fake, small_caps):
    driver, client = fake
    stream = ChunkStream(count=100000)
    client.api.logs_output = stream
    text = driver.logs("cid")
    kwargs = client.api.calls[-1][2]
    assert (kwargs["stream"], kwargs["follow"]) == (True, False)
    body, marker = text[:small_caps], text[small_caps:]
    assert body == "a" * small_caps
    assert marker == ("\n[zun: output truncated at the 2500-byte limit ([docker] "
                      "max_log_bytes); use tail or since to read another part]\n")
    assert stream.pulled == 3  # stopped reading at the cap
    assert stream.closed


def test_logs_under_the_cap_are_whole(fake, small_caps):
    driver, client = fake
    stream = ChunkStream(count=2, byte=b"b")
    client.api.logs_output = stream
    assert driver.logs("cid", tail=10) == "b" * 2000
    assert stream.closed
    client.api.logs_output = b"x" * small_caps  # exactly the cap: no marker
    assert driver.logs("cid") == "x" * small_caps


def _exec_api(client, stream, code=0):
    client.api.exec_create = lambda cid, cmd, stdout=True, stderr=True, user=None: {
        "Id": "e1"}
    client.api.exec_start = lambda exec_id, stream=False: stream_
    client.api.exec_inspect = lambda exec_id: {"ExitCode": code, "Pid": 0}
    stream_ = stream


def test_exec_output_is_capped_and_counted(fake, small_caps):
    driver, client = fake
    stream = ChunkStream(count=400)  # 400,000 bytes
    _exec_api(client, stream, code=3)
    output, code = driver.execute("cid", ["yes"])
    assert code == 3  # the command ran to its end: its real exit code
    assert output == "a" * small_caps + (
        "\n[zun: output truncated: 397500 bytes over the 2500-byte limit "
        "([docker] max_exec_output_bytes)]\n")
    assert stream.pulled == 400 and stream.closed


def test_exec_output_under_the_cap(fake, small_caps):
    driver, client = fake
    _exec_api(client, ChunkStream(count=1, size=5, byte=b"z"))
    assert driver.execute("cid", ["echo"]) == ("zzzzz", 0)


def test_exec_timeout_kills_the_command(monkeypatch, fake):
    """At execute_timeout the exec's process (here a real child standing in
    for it) gets SIGKILL; the answer is the output so far and a marker."""
    import subprocess
    driver, client = fake
    victim = subprocess.Popen(["sleep", "600"])
    try:
        stream = BlockingStream([b"so far"])
        _exec_api(client, stream)
        client.api.exec_inspect = lambda exec_id: {"Pid": victim.pid, "Running": True}
        seen = []

        def in_container(pid, cid):
            seen.append((pid, cid))
            return pid == victim.pid and cid == "cid"
        monkeypatch.setattr(docker_output, "pid_in_container", in_container)
        CONF.set_override("execute_timeout", 1, group="docker")
        try:
            output, code = driver.execute("cid", ["sleep", "600"])
        finally:
            CONF.clear_override("execute_timeout", group="docker")
        assert victim.wait(timeout=60) == -9
        assert seen == [(victim.pid, "cid")]
        assert code == -1
        assert output == ("so far\n[zun: command killed after the 1-second "
                          "execute_timeout]\n")
        assert stream.closed.is_set()
    finally:
        if victim.poll() is None:
            victim.kill()
            victim.wait()


def test_a_pid_outside_the_container_is_never_signalled(monkeypatch, fake):
    driver, client = fake
    client.api.exec_inspect = lambda exec_id: {"Pid": 1}
    monkeypatch.setattr(docker_exec.os, "kill",
                        lambda *a: pytest.fail("signalled a foreign pid"))
    assert driver._kill_exec("not-this-container", "e1") is False


def test_capped_counts_what_did_not_fit():
    capped = docker_output.Capped(5)
    assert capped.add(b"abc") and not capped.truncated
    assert not capped.add(b"defg")
    assert not capped.add(b"hi")
    assert (bytes(capped.kept), capped.over) == (b"abcde", 4)
