"""What one tenant's request may make the agent hold, end to end through a
real zun-all and Docker engine: exec output and logs are capped (with a
marker) without the agent's memory following the output's size, and a stop
timeout beyond ``[docker] max_stop_timeout`` is a 400.

Memory is zun-all's VmRSS before and after; the bound is generous (the
unbounded agent grew by 535 MiB for the exec and 288 MiB for the logs).
Waiting is for conditions; timeouts only bound them.
"""
from __future__ import annotations

import pytest

from tests.functional import harness
from zun.conf import docker as docker_conf

CAPS = {opt.name: opt.default for opt in docker_conf.limit_opts}
RSS_GROWTH_BOUND = 100 * 1024 * 1024
EXEC_BYTES = 400 * 1000 * 1000
LOG_BYTES = 300 * 1000 * 1000


@pytest.fixture(scope="module")
def api(zun_all) -> harness.ApiClient:
    return harness.ApiClient(zun_all.url)


def _rss(zun_all: harness.ZunProcesses) -> int:
    """The zun-all process's resident memory, in bytes."""
    pid = zun_all.by_name["zun-all"].pid
    with open("/proc/%d/status" % pid, encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS for pid %d" % pid)


def _cleanup(api: harness.ApiClient, uuid: str) -> None:
    resp = api.delete("/v1/containers/%s" % uuid, stop="True")
    assert resp.status_code in (202, 204), resp.text
    api.wait_gone(uuid)


def test_exec_output_is_capped_and_memory_bounded(api, zun_all):
    uuid = api.run()["uuid"]
    try:
        api.wait_status(uuid, "Running")
        before = _rss(zun_all)
        command = ("sh -c \"head -c %d /dev/zero | tr '\\\\0' a; exit 3\""
                   % EXEC_BYTES)
        resp = api.post("/v1/containers/%s/execute" % uuid, {"command": command})
        assert resp.status_code == 200, resp.text[:500]
        grown = _rss(zun_all) - before
        body = resp.json()
        cap = CAPS["max_exec_output_bytes"]
        output = body["output"]
        assert output[:cap] == "a" * cap
        assert output[cap:] == (
            "\n[zun: output truncated: %d bytes over the %d-byte limit "
            "([docker] max_exec_output_bytes)]\n" % (EXEC_BYTES - cap, cap))
        assert body["exit_code"] == 3  # the command ran to its end
        assert grown < RSS_GROWTH_BOUND, "zun-all grew by %d bytes" % grown
    finally:
        _cleanup(api, uuid)


def test_logs_are_capped_and_memory_bounded(api, zun_all):
    # 8000-byte lines: few log records, so the write is quick; the default
    # log rotation keeps ~30 MB of it, still far over the cap
    script = ('line=$(printf "%%08000d" 0); yes "$line" | head -c %d; echo; '
              'echo wrote-all' % LOG_BYTES)
    uuid = api.run(command=["sh", "-c", script])["uuid"]
    try:
        api.wait_status(uuid, "Stopped", timeout=300)
        before = _rss(zun_all)
        resp = api.get("/v1/containers/%s/logs" % uuid)
        assert resp.status_code == 200, resp.text[:500]
        grown = _rss(zun_all) - before
        text = resp.json()
        cap = CAPS["max_log_bytes"]
        marker = ("\n[zun: output truncated at the %d-byte limit ([docker] "
                  "max_log_bytes); use tail or since to read another part]\n" % cap)
        assert text.endswith(marker)
        assert len(text) == cap + len(marker)  # ASCII output: one char a byte
        assert set(text[:cap]) <= set("0\n")
        assert grown < RSS_GROWTH_BOUND, "zun-all grew by %d bytes" % grown
        # the end stays reachable with tail
        resp = api.get("/v1/containers/%s/logs" % uuid, tail="1")
        assert resp.json().strip() == "wrote-all", resp.text[:500]
    finally:
        _cleanup(api, uuid)


def test_stop_timeout_beyond_the_limit_is_400(api):
    uuid = api.run()["uuid"]
    try:
        api.wait_status(uuid, "Running")
        resp = api.post("/v1/containers/%s/stop?timeout=2147483647" % uuid)
        assert resp.status_code == 400, resp.text
        title = resp.json()["errors"][0]["title"]
        assert "'timeout'" in title and "[docker] max_stop_timeout" in title
        assert api.show(uuid)["task_state"] is None  # nothing was started
    finally:
        _cleanup(api, uuid)
