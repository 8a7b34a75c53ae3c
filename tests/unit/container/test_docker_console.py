"""docker_console: the demultiplexer, the stream over a socket, exec ownership.

The engine's side of a console is one end of a local socket pair and the SDK
is faked at the low-level calls the module makes (``exec_inspect``, ...);
the driver conformance suite runs the same code against a real engine.
"""
from __future__ import annotations

import functools
import signal
import socket
import struct
import threading
import types

import docker.errors
import pytest

from zun.common import exception
from zun.container.driver import base, docker_console, docker_errors

URL = "unix:///run/docker.sock"
ERRORS = functools.partial(docker_errors.translate, URL)
CID = "c" * 64
EXEC = "e" * 64


def frame(kind: int, payload: bytes) -> bytes:
    return struct.pack(">BxxxI", kind, len(payload)) + payload


# --- the demultiplexer ---------------------------------------------------------------
def test_frames_become_plain_bytes_in_order():
    demux = docker_console.Demultiplexer()
    data = frame(1, b"out\n") + frame(2, b"err\n") + frame(1, b"")
    assert demux.feed(data) == b"out\nerr\n"


@pytest.mark.parametrize("cut", range(1, 20))
def test_a_frame_cut_anywhere_is_joined(cut):
    demux = docker_console.Demultiplexer()
    data = frame(1, b"hello") + frame(2, b"world")
    assert demux.feed(data[:cut]) + demux.feed(data[cut:]) == b"helloworld"


def test_byte_by_byte_and_binary_payloads():
    demux = docker_console.Demultiplexer()
    payload = bytes(range(256)) * 3   # holds bytes that look like headers
    data = frame(1, payload) + frame(2, b"\x01\x00\x00\x00")
    assert b"".join(demux.feed(data[i:i + 1]) for i in range(len(data))) == (
        payload + b"\x01\x00\x00\x00")


# --- the stream ----------------------------------------------------------------------
@pytest.fixture
def pair():
    ours, engine = socket.socketpair()
    yield ours, engine
    for end in (ours, engine):
        end.close()


def test_tty_stream_passes_bytes_both_ways(pair):
    ours, engine = pair
    stream = docker_console.DockerConsoleStream(ours, CID, tty=True)
    assert isinstance(stream, base.ConsoleStream)
    assert stream.fileno() == ours.fileno() and not stream.pending()
    stream.write(b"ls\n")
    assert engine.recv(10) == b"ls\n"
    engine.sendall(b"\x01\x00raw")   # with a tty nothing is framed
    assert stream.read(100) == b"\x01\x00raw"
    engine.shutdown(socket.SHUT_WR)
    assert stream.read(100) == b""
    with pytest.raises(exception.ConsoleClosed) as info:
        stream.write(b"x")   # the other side ended
    assert info.value.code == 409


def test_non_tty_stream_reads_demultiplexed(pair):
    ours, engine = pair
    stream = docker_console.DockerConsoleStream(ours, CID, tty=False)
    engine.sendall(frame(1, b"out\n")[:5])   # a header alone answers nothing yet
    engine.sendall(frame(1, b"out\n")[5:] + frame(2, b"err\n"))
    got = b""
    while len(got) < 8:
        got += stream.read(100)
    assert got == b"out\nerr\n"
    engine.close()
    assert stream.read(100) == b""


def test_read_never_answers_more_than_asked(pair):
    ours, engine = pair
    stream = docker_console.DockerConsoleStream(ours, CID, tty=False)
    engine.sendall(frame(1, b"abcdef"))
    got = b""
    while len(got) < 6:
        chunk = stream.read(3)
        assert 0 < len(chunk) <= 3
        got += chunk
    assert got == b"abcdef"


def test_close_wakes_a_blocked_reader_and_is_idempotent(pair):
    ours, _engine = pair
    closed = []
    stream = docker_console.DockerConsoleStream(ours, CID, tty=True,
                                                on_close=lambda: closed.append(1))
    answers = []
    reader = threading.Thread(target=lambda: answers.append(stream.read(10)))
    reader.start()
    stream.close()
    reader.join(30)
    assert not reader.is_alive() and answers == [b""]
    stream.close()
    assert closed == [1]   # on_close ran once
    with pytest.raises(exception.ConsoleClosed):
        stream.write(b"x")
    assert stream.read(10) == b""


def test_close_never_raises_when_ending_fails(pair):
    ours, _engine = pair

    def broken() -> None:
        raise exception.DockerError(error_msg="engine away")

    docker_console.DockerConsoleStream(ours, CID, tty=True, on_close=broken).close()


def test_bytes_the_sdk_reader_already_holds_come_first(pair):
    ours, engine = pair
    reader = types.SimpleNamespace(read1=lambda size: frame(1, b"prompt$ "))
    response = types.SimpleNamespace(raw=types.SimpleNamespace(
        _fp=types.SimpleNamespace(fp=reader)))
    raw = types.SimpleNamespace(_sock=ours, _response=response, close=lambda: None)
    stream = docker_console.DockerConsoleStream(raw, CID, tty=False)
    assert stream.pending()
    engine.sendall(frame(1, b"later"))
    assert stream.read(100) == b"prompt$ "
    assert not stream.pending()
    assert stream.read(100) == b"later"
    assert ours.gettimeout() is None   # an idle console never times out


# --- exec ownership and the refusals -----------------------------------------------------
class Api:
    """The engine's answers about execs, per exec id."""

    def __init__(self, execs: dict, containers: dict | None = None) -> None:
        self.execs = execs
        self.containers = containers or {}
        self.calls: list[tuple] = []

    def exec_inspect(self, exec_id):
        self.calls.append(("exec_inspect", exec_id))
        if exec_id not in self.execs:
            raise docker.errors.NotFound(f"No such exec instance: {exec_id}")
        return self.execs[exec_id]

    def inspect_container(self, container_id):
        if container_id not in self.containers:
            raise docker.errors.NotFound(f"No such container: {container_id}")
        return self.containers[container_id]

    def exec_resize(self, exec_id, height, width):
        self.calls.append(("exec_resize", exec_id, height, width))

    def exec_start(self, exec_id, socket, tty):
        self.calls.append(("exec_start", exec_id, tty))
        raise AssertionError("not expected to start")


def exec_info(container=CID, running=False, tty=True, pid=0, exit_code=None):
    return {"ContainerID": container, "Running": running, "Pid": pid,
            "ExitCode": exit_code, "ProcessConfig": {"tty": tty}}


def test_an_exec_of_this_container_is_answered():
    api = Api({EXEC: exec_info()})
    assert docker_console.owned_exec(api, ERRORS, CID, EXEC)["ContainerID"] == CID


def test_a_short_container_id_is_compared_as_the_full_one():
    api = Api({EXEC: exec_info()}, {CID[:12]: {"Id": CID}})
    assert docker_console.owned_exec(api, ERRORS, CID[:12], EXEC)


@pytest.mark.parametrize("execs,containers", [
    ({EXEC: exec_info(container="d" * 64)}, {CID: {"Id": CID}}),   # another's
    ({}, {}),                                                      # unknown
    ({EXEC: exec_info(container="")}, {CID: {"Id": CID}}),
])
def test_another_containers_or_an_unknown_exec_is_not_found(execs, containers):
    api = Api(execs, containers)
    with pytest.raises(exception.ExecNotFound) as info:
        docker_console.owned_exec(api, ERRORS, CID, EXEC)
    assert info.value.code == 404 and EXEC in str(info.value)
    # members read it (the relay's ERR line, execute_resize's 404)
    assert CID not in str(info.value)


@pytest.mark.parametrize("bad", ["", "../../containers/x/json", "e" * 65, "zz", None])
def test_an_id_that_is_no_exec_id_never_reaches_the_engine(bad):
    api = Api({})
    with pytest.raises(exception.ExecNotFound):
        docker_console.owned_exec(api, ERRORS, CID, bad)
    assert api.calls == []


@pytest.mark.parametrize("started", [
    exec_info(running=True, pid=42), exec_info(exit_code=0), exec_info(pid=42)])
def test_a_started_exec_serves_no_second_console(started):
    api = Api({EXEC: started})
    with pytest.raises(exception.RuntimeOperationFailed) as info:
        docker_console.start_exec(api, ERRORS, CID, EXEC, kill=lambda sig: True)
    assert info.value.code == 409
    assert not [c for c in api.calls if c[0] == "exec_start"]


def test_another_containers_exec_is_never_started():
    api = Api({EXEC: exec_info(container="d" * 64)}, {CID: {"Id": CID}})
    with pytest.raises(exception.ExecNotFound):
        docker_console.start_exec(api, ERRORS, CID, EXEC, kill=lambda sig: True)
    assert not [c for c in api.calls if c[0] == "exec_start"]


@pytest.mark.parametrize("info,allowed", [
    (exec_info(running=True), True),
    (exec_info(running=True, tty=False), False),   # no tty to resize
    (exec_info(running=False), False),             # not started, or ended
])
def test_exec_resize_refuses_what_the_engine_would_wait_on(info, allowed):
    api = Api({EXEC: info})
    if allowed:
        docker_console.exec_resize(api, ERRORS, CID, EXEC, 24, 80)
        assert ("exec_resize", EXEC, 24, 80) in api.calls
        return
    with pytest.raises(exception.RuntimeOperationFailed):
        docker_console.exec_resize(api, ERRORS, CID, EXEC, 24, 80)
    assert not [c for c in api.calls if c[0] == "exec_resize"]


# --- ending an exec ------------------------------------------------------------------------
class Process:
    """An exec's process that ends on the signals in ``ends_on``."""

    def __init__(self, ends_on: set[int]) -> None:
        self.ends_on = ends_on
        self.running = True
        self.signals: list[int] = []

    def kill(self, sig: int) -> bool:
        self.signals.append(sig)
        if sig in self.ends_on:
            self.running = False
        return True


def api_of(process: Process) -> Api:
    api = Api({})
    api.exec_inspect = lambda exec_id: exec_info(running=process.running)
    return api


def test_a_hung_up_shell_gets_no_kill():
    process = Process({signal.SIGHUP})
    assert docker_console.end_exec(api_of(process), ERRORS, CID, EXEC, process.kill)
    assert process.signals == [signal.SIGHUP]


def test_an_exec_ignoring_its_hangup_is_killed():
    process = Process({signal.SIGKILL})
    assert docker_console.end_exec(api_of(process), ERRORS, CID, EXEC, process.kill,
                                   grace=0)
    assert process.signals == [signal.SIGHUP, signal.SIGKILL]


def test_an_exec_that_ended_gets_no_signal():
    process = Process(set())
    process.running = False
    assert docker_console.end_exec(api_of(process), ERRORS, CID, EXEC, process.kill)
    assert process.signals == []


def test_an_exec_gone_with_its_container_counts_as_ended():
    process = Process(set())
    api = Api({})   # exec_inspect: 404
    assert docker_console.end_exec(api, ERRORS, CID, EXEC, process.kill)
    assert process.signals == []

