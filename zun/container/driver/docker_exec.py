"""Non-interactive exec in Docker containers (zun exec), within bounds.

The SDK reads an exec's output with no time limit and without any bound on
its size: a tenant's ``yes`` would hold an agent thread and fill its memory.
Here the output is read by a helper thread into a capped buffer while the
caller waits at most ``[docker] execute_timeout``; past it the command is
killed (the engine cannot kill an exec: :func:`kill` signals its process)
and its stream closed, so no reader outlives the request. The exit code is
the engine's own, read once the command ended.
"""
from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from typing import Any, Callable

import docker

from zun.common import exception
from zun.conf import CONF
from zun.container.driver import docker_output

LOG = logging.getLogger(__name__)

Errors = Callable[..., contextlib.AbstractContextManager[None]]
# How long a killed exec's output reader may take to notice its stream closed.
READER_GRACE = 10


def run(api: docker.APIClient, errors: Errors, container_id: str,
        command: list[str]) -> tuple[str, int]:
    """Run ``command``; answer its output (capped) and exit code.

    At most ``[docker] max_exec_output_bytes`` of output are kept (the
    first ones; the rest is read and counted, so the command is not
    blocked on a full pipe) and a marker line says how much was cut.
    A command still running after ``[docker] execute_timeout`` is
    killed (see :func:`kill`); its answer is the output so far,
    a marker line, and exit code -1.
    """
    with errors(container_id):
        exec_id = api.exec_create(container_id, command, stdout=True, stderr=True)["Id"]
        stream = api.exec_start(exec_id, stream=True)
    limit = CONF.docker.max_exec_output_bytes
    capped, timed_out = _collect(api, errors, container_id, exec_id, stream, limit)
    text = docker_output.text(bytes(capped.kept))
    if capped.truncated:
        text += (f"\n[zun: output truncated: {capped.over} bytes over the "
                 f"{limit}-byte limit ([docker] max_exec_output_bytes)]\n")
    if timed_out is not None:
        return text + timed_out, -1
    with errors(container_id):
        code = api.exec_inspect(exec_id).get("ExitCode")
    return text, int(code) if code is not None else -1

def _collect(api: docker.APIClient, errors: Errors, container_id: str, exec_id: str,
             stream: Any, limit: int) -> tuple[docker_output.Capped, str | None]:
    """Read the exec's output until it ends or ``execute_timeout`` passes.

    The SDK reads exec output without any timeout, so a helper thread
    reads while this one waits. At the timeout the command is killed and
    the stream closed, which ends the helper too: no reader outlives the
    request. Returns the output and, on a timeout, the marker line.
    """
    capped = docker_output.Capped(limit)
    lock = threading.Lock()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            for chunk in docker_output.chunks(stream):
                with lock:
                    capped.add(chunk)
        except Exception as err:  # handed to the caller below
            failure.append(err)

    seconds = CONF.docker.execute_timeout
    worker = threading.Thread(target=run, name=f"zun-exec-{exec_id[:12]}", daemon=True)
    worker.start()
    worker.join(seconds)
    marker = None
    if worker.is_alive():
        killed = kill(api, errors, container_id, exec_id)
        docker_output.close_quietly(stream)
        worker.join(READER_GRACE)
        marker = (f"\n[zun: command killed after the {seconds}-second "
                  f"execute_timeout]\n" if killed else
                  f"\n[zun: command did not finish within the {seconds}-second "
                  f"execute_timeout and could not be killed; it may still be "
                  f"running]\n")
    else:
        docker_output.close_quietly(stream)
    if failure and marker is None:
        with errors(container_id):
            raise failure[0]
    with lock:
        result = docker_output.Capped(limit)
        result.kept, result.over = bytearray(capped.kept), capped.over
    return result, marker

def kill(api: docker.APIClient, errors: Errors, container_id: str, exec_id: str,
         sig: int = signal.SIGKILL) -> bool:
    """Send ``sig`` (SIGKILL unless said) to an exec's process; True when
    the signal was delivered.

    The engine cannot kill an exec, so the agent signals its host pid
    (``exec_inspect``'s Pid) itself. That needs the agent on the engine's
    host, seeing its pids: before signalling, the pid's cgroup must name
    the container, so a recycled pid or a remote engine's pid is never
    signalled. An agent not allowed to signal it (not root) asks the
    container instead: ``kill -<sig> <pid in the container>`` as root by
    another exec (needs a ``kill`` in the image).
    """
    try:
        with errors(container_id):
            pid = int(api.exec_inspect(exec_id).get("Pid") or 0)
    except exception.ZunException:
        LOG.warning("Cannot inspect exec %s to kill it", exec_id, exc_info=True)
        return False
    if pid <= 0 or not docker_output.pid_in_container(pid, container_id):
        LOG.warning("Exec %s of container %s: pid %s is not visible here; "
                    "it cannot be killed", exec_id, container_id, pid)
        return False
    try:
        os.kill(pid, sig)
        return True
    except ProcessLookupError:
        return True  # ended meanwhile
    except PermissionError:
        pass
    inner = docker_output.namespace_pid(pid)
    if inner is None:
        return False
    try:
        with errors(container_id):
            killer = api.exec_create(
                container_id, ["kill", f"-{int(sig)}", str(inner)], user="0")["Id"]
            api.exec_start(killer)
    except exception.ZunException:
        LOG.warning("Cannot kill exec %s of container %s", exec_id, container_id,
                    exc_info=True)
        return False
    return True

