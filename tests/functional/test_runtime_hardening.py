"""Runtime hardening, end to end: containers created through zun-all with the
default ``[docker]`` options, checked in the engine's own view
(``docker inspect``) and in behaviour inside the container.

The expected values are the option defaults of zun/conf/docker.py (the
harness's zun.conf sets none of them), so this suite checks what a fresh
deployment does. Waiting is for conditions; timeouts only bound them.
"""
from __future__ import annotations

import base64
import glob
import os
import shlex
from typing import Any

import pytest

from tests.functional import harness
from zun.conf import docker as docker_conf

DEFAULTS = {opt.name: opt.default for opt in docker_conf.hardening_opts}
# linux/capability.h numbers of the capabilities the defaults mention
CAP_BITS = {"CHOWN": 0, "DAC_OVERRIDE": 1, "FOWNER": 3, "FSETID": 4, "KILL": 5,
            "SETGID": 6, "SETUID": 7, "SETPCAP": 8, "NET_BIND_SERVICE": 10,
            "NET_RAW": 13, "SYS_CHROOT": 18, "MKNOD": 27, "AUDIT_WRITE": 29,
            "SETFCAP": 31}
INJECTED = "/etc/zun-injected.conf"
INJECTED_TEXT = b"injected by zun\n"
LOG_WRITE_BYTES = 200 * 1000 * 1000


def _bytes(size: str) -> int:
    """Docker's size units (binary: 10m = 10 MiB)."""
    units = {"k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}
    size = size.lower()
    if size[-1] in units:
        return int(size[:-1]) * units[size[-1]]
    return int(size)


def _caps(names: list[str]) -> set[str]:
    """Capability names as given in config, whatever prefix the engine keeps."""
    return {name.upper().removeprefix("CAP_") for name in names or []}


@pytest.fixture(scope="module")
def api(zun_all) -> harness.ApiClient:
    return harness.ApiClient(zun_all.url)


def _run(api: harness.ApiClient, **fields: Any) -> str:
    uuid = api.run(**fields)["uuid"]
    api.wait_status(uuid, "Running")
    return uuid


def _cleanup(api: harness.ApiClient, uuid: str) -> None:
    resp = api.delete("/v1/containers/%s" % uuid, stop="True")
    assert resp.status_code in (202, 204), resp.text
    api.wait_gone(uuid)


def _execute(api: harness.ApiClient, uuid: str, script: str) -> tuple[str, int]:
    resp = api.post("/v1/containers/%s/execute" % uuid,
                    {"command": "sh -c %s" % shlex.quote(script)})
    assert resp.status_code == 200, resp.text
    return resp.json()["output"], resp.json()["exit_code"]


@pytest.fixture(scope="module")
def hardened(api) -> Any:
    """One idle container with an injected file, shared by the checks below."""
    uuid = _run(api, mounts=[{"type": "bind", "destination": INJECTED,
                              "source": base64.b64encode(INJECTED_TEXT).decode()}])
    yield uuid
    _cleanup(api, uuid)


def test_the_engine_holds_every_hardening_option(hardened, docker_client):
    host = docker_client.containers.get("zun-%s" % hardened).attrs["HostConfig"]
    assert _caps(host["CapDrop"]) == _caps(DEFAULTS["cap_drop"]) == {"ALL"}
    assert _caps(host["CapAdd"]) == _caps(DEFAULTS["cap_add"])
    assert "NET_RAW" not in _caps(host["CapAdd"])
    assert any(opt.startswith("no-new-privileges") for opt in host["SecurityOpt"])
    assert host["PidsLimit"] == DEFAULTS["pids_limit"] == 1024
    assert host["LogConfig"] == {"Type": "json-file",
                                 "Config": {"max-size": DEFAULTS["log_max_size"],
                                            "max-file": str(DEFAULTS["log_max_file"])}}
    [bind] = host["Binds"]
    assert bind.endswith(":%s:ro" % INJECTED), bind
    assert not host["Privileged"]


def test_the_process_holds_exactly_the_configured_capabilities(api, hardened):
    output, code = _execute(api, hardened, "grep -E '^(CapEff|CapBnd):' /proc/self/status")
    assert code == 0, output
    expected = sum(1 << CAP_BITS[name] for name in _caps(DEFAULTS["cap_add"]))
    held = {line.split(":")[0]: int(line.split(":")[1], 16)
            for line in output.splitlines()}
    assert held == {"CapEff": expected, "CapBnd": expected}, output
    assert not held["CapBnd"] & (1 << CAP_BITS["NET_RAW"])


def test_raw_and_packet_sockets_are_refused(api, hardened):
    # ARP spoofing needs a packet socket; busybox arping opens one
    output, code = _execute(api, hardened, "arping -c1 -w1 -I eth0 127.0.0.1")
    assert code != 0 and "Operation not permitted" in output, output
    # busybox ping opens a raw ICMP socket
    output, code = _execute(api, hardened, "ping -c1 -W1 127.0.0.1")
    assert code != 0 and "permission denied" in output.lower(), output


def test_no_new_privileges_is_set(api, hardened):
    output, code = _execute(api, hardened, "grep NoNewPrivs /proc/self/status")
    assert code == 0 and output.split() == ["NoNewPrivs:", "1"], output


def test_an_injected_file_cannot_be_written_from_inside(api, hardened):
    output, code = _execute(api, hardened, "echo tampered > %s" % INJECTED)
    assert code != 0 and "Read-only file system" in output, output
    output, code = _execute(api, hardened, "cat %s" % INJECTED)
    assert (output, code) == (INJECTED_TEXT.decode(), 0)


def test_a_fork_bomb_stops_at_the_pids_limit(api, docker_client):
    limit = DEFAULTS["pids_limit"]
    uuid = _run(api)
    try:
        # Each background sleep lets go of the exec's output, so the exec
        # returns as soon as its shell gives up at the first refused fork.
        output, code = _execute(
            api, uuid, "for i in $(seq %d); do sleep 600 >/dev/null 2>&1 & done; "
                       "echo not-reached" % (limit * 3))
        assert code != 0 and "can't fork" in output, output
        assert "not-reached" not in output
        pids = docker_client.containers.get("zun-%s" % uuid).stats(
            stream=False)["pids_stats"]
        assert pids.get("limit") in (None, limit)  # the engine reports it from cgroup v2
        # the bomb filled the container up to the limit, and no further
        assert limit - 10 <= pids["current"] <= limit, pids
        # the container itself is still there and answers
        assert api.show(uuid)["status"] == "Running"
    finally:
        _cleanup(api, uuid)


def test_a_chatty_container_log_stays_within_the_cap(api, docker_client):
    max_size = _bytes(DEFAULTS["log_max_size"])
    max_file = DEFAULTS["log_max_file"]
    # 8000-byte lines: few log records, so 200 MB pass quickly
    # (head cuts the last line short: end it before the marker line)
    script = ('line=$(printf "%%08000d" 0); yes "$line" | head -c %d; echo; echo wrote-all'
              % LOG_WRITE_BYTES)
    uuid = api.run(command=["sh", "-c", script])["uuid"]
    try:
        api.wait_status(uuid, "Stopped", timeout=300)
        state = docker_client.containers.get("zun-%s" % uuid).attrs
        assert state["State"]["ExitCode"] == 0, state["State"]
        log_path = state["LogPath"]
        assert os.path.exists(log_path), (
            "the engine's log file %s is not visible here: the engine must run on "
            "this machine" % log_path)
        files = [log_path] + glob.glob(log_path + ".*")
        sizes = {path: os.path.getsize(path) for path in files}
        # rotated max_file - 1 times at least, and never more files than allowed
        assert len(files) == max_file, sizes
        # a file is rotated once a record takes it past max-size: one record over
        record_slack = 64 * 1024
        assert all(size <= max_size + record_slack for size in sizes.values()), sizes
        assert sum(sizes.values()) <= max_file * (max_size + record_slack), sizes
        # zun's logs API reads the newest lines through the engine
        resp = api.get("/v1/containers/%s/logs" % uuid, tail="1")
        assert resp.status_code == 200 and resp.json().strip() == "wrote-all", resp.text
    finally:
        _cleanup(api, uuid)
