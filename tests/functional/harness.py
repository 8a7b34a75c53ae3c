"""Start real zun processes for functional tests and talk to them over HTTP.

Every service runs as its own OS process from the installed console scripts,
with a private config file, SQLite DB and log under a temp directory. Nothing
here is faked: the engine is the real Docker daemon, the bus a real RabbitMQ.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid as uuidlib
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import requests

BIN = Path(sys.executable).parent
IMAGE = os.environ.get("ZUN_TEST_IMAGE", "busybox:local")
# A command that exits at once on SIGTERM, so stops do not wait for SIGKILL.
SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]


def docker_url() -> str:
    return os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")


_default_docker_url = docker_url  # ZunProcesses' parameter shadows the name


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:``port``."""
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def console_conf(port: int) -> list[str]:
    """Config lines of a deployment's own console proxy port and URL."""
    return ["[websocket_proxy]", "port = %d" % port,
            "base_url = ws://127.0.0.1:%d/" % port]


def poll(predicate: Callable[[], Any], timeout: float = 30.0,
         interval: float = 0.05) -> tuple[bool, Any]:
    """Poll ``predicate`` until truthy or ``timeout``: (whether it was, its last value).

    For a caller that reports what is left at the bound instead of failing.
    """
    deadline = time.monotonic() + timeout
    while True:
        last = predicate()
        if last:
            return True, last
        if time.monotonic() >= deadline:
            return False, last
        time.sleep(interval)


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05,
               what: str = "condition") -> Any:
    """Poll ``predicate`` until truthy; fail with ``what`` after ``timeout``."""
    done, last = poll(predicate, timeout, interval)
    if not done:
        raise AssertionError("timed out after %.0fs waiting for %s (last: %r)"
                             % (timeout, what, last))
    return last


def tail_logs(directory: Path, chars: int = 6000) -> str:
    """The end of every log file of a deployment, for a failure report."""
    out = []
    for path in sorted(directory.glob("*.log")):
        out.append("==== %s\n%s" % (path.name, path.read_text(errors="replace")[-chars:]))
    return "\n".join(out)


def stop_processes(procs: list[subprocess.Popen]) -> None:
    """SIGTERM every process we started, then SIGKILL what outlives 20 s."""
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def api_ready(url: str, procs: list[subprocess.Popen], logs) -> bool:
    """True once the API answers ``GET /``; fail at once if a process died."""
    for proc in procs:
        if proc.poll() is not None:
            raise AssertionError("%s exited with %s; logs:\n%s" % (
                proc.args[0], proc.returncode, logs()))
    try:
        return requests.get(url + "/", timeout=1).status_code == 200
    except requests.RequestException:
        return False


class ZunProcesses:
    """One zun deployment: either ``zun-all`` or ``zun-api`` + ``zun-compute``."""

    def __init__(self, mode: str = "all", transport_url: str | None = None,
                 driver: str = "docker", host: str | None = None,
                 extra_conf: str = "", auth_strategy: str = "noauth",
                 port: int | None = None, docker_url: str | None = None) -> None:
        self.mode = mode
        # a private engine for tests that restart it; the shared one otherwise
        self.docker_url = docker_url or _default_docker_url()
        self.dir = Path(tempfile.mkdtemp(prefix="zun-func-%s-" % mode))
        self.port = port or free_port()
        self.host = host or "func-%s-%s" % (mode, uuidlib.uuid4().hex[:6])
        self.url = "http://127.0.0.1:%d" % self.port
        self.console_port = free_port()   # the console proxy's (never 6784: shared)
        self.procs: list[subprocess.Popen] = []
        self.by_name: dict[str, subprocess.Popen] = {}  # the live process per script
        conf = [
            "[DEFAULT]",
            "host = %s" % self.host,
            "state_path = %s" % self.dir,
            "container_driver = %s" % driver,
            "report_interval = 2",
            "debug = true",
        ]
        if transport_url:
            conf.append("transport_url = %s" % transport_url)
        conf += ["[api]", "auth_strategy = %s" % auth_strategy, "host_ip = 127.0.0.1",
                 "port = %d" % self.port,
                 "[database]", "connection = sqlite:///%s/zun.sqlite" % self.dir,
                 "[docker]", "api_url = %s" % self.docker_url,
                 "[compute]", "sync_interval = 5"] + console_conf(self.console_port)
        if transport_url:
            # a fresh topic per deployment keeps parallel runs from mixing
            conf.append("topic = zun-compute-%s" % self.host)
        self.conf_file = self.dir / "zun.conf"
        self.conf_file.write_text("\n".join(conf) + "\n" + extra_conf)

    def _spawn(self, name: str) -> subprocess.Popen:
        # append: a restarted service keeps the log of its previous run
        log = open(self.dir / ("%s.log" % name), "ab")
        proc = subprocess.Popen([str(BIN / name), "--config-file", str(self.conf_file)],
                                stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        self.by_name[name] = proc
        return proc

    # --- fault injection: one service process, by its own pid ----------------
    def kill_service(self, name: str, sig: int = signal.SIGKILL,
                     timeout: float = 30) -> int:
        """Signal the live ``name`` process (e.g. ``zun-compute``) and reap it.

        Returns its exit status. Only the pid this harness spawned is touched.
        """
        proc = self.by_name[name]
        if proc.poll() is None:
            os.kill(proc.pid, sig)
        return proc.wait(timeout=timeout)

    def restart_service(self, name: str) -> subprocess.Popen:
        """Start ``name`` again (after :meth:`kill_service`) with the same config."""
        old = self.by_name.get(name)
        if old is not None and old.poll() is None:
            raise AssertionError("%s (pid %d) is still running" % (name, old.pid))
        with open(self.dir / ("%s.log" % name), "ab") as log:
            log.write(b"\n==== restarted by the test harness ====\n")
        return self._spawn(name)

    def db_rows(self, query: str, args: tuple = ()) -> list[tuple]:
        """Read this deployment's SQLite DB directly (the agent may be down)."""
        con = sqlite3.connect(str(self.dir / "zun.sqlite"), timeout=30)
        try:
            return con.execute(query, args).fetchall()
        finally:
            con.close()

    def wait_log(self, name: str, text: str, timeout: float = 60,
                 after: int = 0) -> int:
        """Wait until ``name``'s log holds ``text`` past offset ``after``.

        Returns the offset just past the match, for a later wait.
        """
        def found() -> int:
            at = self.log_text(name).find(text, after)
            return at + len(text) if at >= 0 else 0
        return wait_until(found, timeout=timeout, interval=0.1,
                          what="%r in the log of %s" % (text, name))

    def log_text(self, name: str) -> str:
        path = self.dir / ("%s.log" % name)
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> "ZunProcesses":
        subprocess.run([str(BIN / "zun-db-manage"), "--config-file",
                        str(self.conf_file), "upgrade"], check=True,
                       capture_output=True)
        if self.mode == "all":
            self._spawn("zun-all")
        else:
            self._spawn("zun-compute")
            self._spawn("zun-api")
            self._spawn("zun-wsproxy")
        wait_until(self._ready, timeout=60, what="zun %s on %s" % (self.mode, self.url))
        wait_until(lambda: port_open(self.console_port), timeout=60,
                   what="the console proxy on port %d" % self.console_port)
        if self.mode != "all":
            # the API answers before the agent has registered: wait for it
            wait_until(self._agent_registered, timeout=60,
                       what="zun-compute heartbeat")
        return self

    def _agent_registered(self) -> bool:
        try:
            con = sqlite3.connect(str(self.dir / "zun.sqlite"))
            rows = con.execute("SELECT count(*) FROM zun_service WHERE host=?",
                               (self.host,)).fetchone()
            con.close()
            return bool(rows and rows[0])
        except sqlite3.Error:
            return False

    def _ready(self) -> bool:
        return api_ready(self.url, self.procs, self.logs)

    def logs(self) -> str:
        return tail_logs(self.dir)

    def stop(self) -> None:
        stop_processes(self.procs)
        self._remove_runtime_containers()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _remove_runtime_containers(self) -> None:
        """Remove Docker containers whose uuid is in this deployment's DB,
        and those labelled with its host (orphans of force-deleted rows)."""
        import docker
        try:
            con = sqlite3.connect(str(self.dir / "zun.sqlite"))
            uuids = [r[0] for r in con.execute("SELECT uuid FROM container")]
            con.close()
        except sqlite3.Error:
            uuids = []  # another backend: the host label below still finds them
        try:
            client = docker.DockerClient(base_url=self.docker_url)
        except docker.errors.DockerException:
            return  # a private engine already stopped took its containers along
        for uuid in uuids:
            try:
                client.containers.get("zun-%s" % uuid).remove(force=True)
            except docker.errors.NotFound:
                pass
        remove_host_leftovers(client, self.host)
        client.close()


@contextlib.contextmanager
def running(request: Any, **kwargs: Any) -> Iterator[ZunProcesses]:
    """A started :class:`ZunProcesses` (kwargs as its own); see :func:`started`."""
    with started(request, ZunProcesses(**kwargs)) as deployment:
        yield deployment


_Deployment = TypeVar("_Deployment", "ZunProcesses", "ZunTopology")


@contextlib.contextmanager
def started(request: Any, deployment: _Deployment) -> Iterator[_Deployment]:
    """``deployment`` started, stopped after; its logs printed when it
    fails to start or a test using it failed."""
    failed_before = request.session.testsfailed
    try:
        deployment.start()
    except BaseException:
        print(deployment.logs())
        deployment.stop()
        raise
    try:
        yield deployment
        if request.session.testsfailed > failed_before:
            print(deployment.logs())
    finally:
        deployment.stop()


def push_to_registry(client: Any, registry: str, repository: str, tag: str) -> str:
    """Tag busybox:local as <registry>/<repository>:<tag>, push it with the
    SDK (the engine treats a loopback registry as insecure: plain HTTP) and
    drop the local name, so that a pull must fetch it; the reference."""
    ref = "%s/%s" % (registry, repository)
    client.images.get(IMAGE).tag(ref, tag=tag)
    for line in client.api.push(ref, tag=tag, stream=True, decode=True):
        assert "error" not in line, line
    client.images.remove("%s:%s" % (ref, tag))
    return "%s:%s" % (ref, tag)


def remove_host_leftovers(client: Any, host: str) -> None:
    """Remove the containers, then the project networks, labelled with a
    deployment's host (the agent keeps networks for [network] release_after
    after their last container, and a stopped agent sweeps nothing)."""
    import docker
    label = {"label": "zun.host=%s" % host}
    for leftover in client.containers.list(all=True, filters=label):
        try:
            leftover.remove(force=True)
        except docker.errors.NotFound:
            pass
    for net in client.networks.list(filters=label):
        # An endpoint outlives its container briefly while the engine (or an
        # agent still finishing resumed deletes) tears it down: the network
        # refuses removal ("has active endpoints") until then. The engine
        # can also keep a stale endpoint of a removed container for good
        # (seen after 100 concurrent deletes): that network is left behind,
        # said aloud, rather than failing a test for the engine's leak.
        removed, _ = poll(lambda net=net: network_removed(lambda: _clear_and_remove(net)),
                          timeout=30)
        if not removed:
            print("harness: network %s keeps an endpoint of a removed container; "
                  "left in place" % net.name, file=sys.stderr)


def _clear_and_remove(net: Any) -> None:
    net.reload()
    for attached in net.containers:   # e.g. made outside zun on it
        attached.remove(force=True)
    net.remove()


def network_removed(remove: Callable[[], Any]) -> bool:
    """Run ``remove`` (a network's removal): True once the network is gone,
    False while the engine still counts an endpoint on it."""
    import docker
    try:
        remove()
    except docker.errors.NotFound:
        return True
    except docker.errors.APIError as err:
        if err.status_code == 403 and "active endpoints" in str(err):
            return False
        raise
    return True


class ApiClient:
    """HTTP client for the zun API in noauth mode, as a given user/project."""

    def __init__(self, base: str, project: str = "project-a", user: str = "user-a",
                 roles: str = "member", version: str | None = "1.40") -> None:
        self.base = base.rstrip("/")
        self.headers = {"X-Project-Id": project, "X-User-Id": user, "X-Roles": roles,
                        "Content-Type": "application/json",
                        "Accept": "application/json"}
        if version:
            self.headers["OpenStack-API-Version"] = "container %s" % version

    def request(self, method: str, path: str, body: Any = None,
                version: str | None = None, **params: Any) -> requests.Response:
        headers = dict(self.headers)
        if version:
            headers["OpenStack-API-Version"] = "container %s" % version
        data = json.dumps(body) if body is not None else None
        return requests.request(method, self.base + path, headers=headers, data=data,
                                params=params or None, timeout=60)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.request("POST", path, body, **kw)

    def patch(self, path: str, body: Any, **kw: Any) -> requests.Response:
        return self.request("PATCH", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", path, **kw)

    # --- conveniences ------------------------------------------------------
    def run(self, run: bool = True, **fields: Any) -> dict:
        body = {"image": IMAGE, "command": SLEEPER}
        body.update(fields)
        path = "/v1/containers" + ("?run=true" if run else "")
        resp = self.post(path, body)
        assert resp.status_code == 202, resp.text
        return resp.json()

    def show(self, ident: str) -> dict:
        resp = self.get("/v1/containers/%s" % ident)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def wait_status(self, ident: str, status: str | tuple, timeout: float = 60,
                    settled: bool = True) -> dict:
        wanted = (status,) if isinstance(status, str) else status

        def check():
            body = self.show(ident)
            if body["status"] in wanted and (not settled or body["task_state"] is None):
                return body
            return None
        return wait_until(check, timeout=timeout,
                          what="container %s to reach %s" % (ident, wanted))

    def wait_gone(self, ident: str, timeout: float = 60) -> None:
        wait_until(lambda: self.get("/v1/containers/%s" % ident).status_code == 404,
                   timeout=timeout, what="container %s to be deleted" % ident)


class ZunTopology:
    """The production shape: one zun-api tier and one zun-compute per host.

    zun-api runs under gunicorn with ``api_workers`` worker processes through
    ``zun.wsgi``; each agent has its own ``[DEFAULT] host`` and Docker engine
    (``engines`` maps host name -> Docker URL); all share one SQL database
    (``db_url``: MariaDB or PostgreSQL) and one broker. Each process reads the
    shared ``zun.conf`` plus, for an agent, its own ``<host>.conf``, as an
    operator would lay the files out (``host_conf`` adds text to a host's).
    """

    GUNICORN = "gunicorn"

    def __init__(self, db_url: str, transport_url: str, engines: dict[str, str],
                 api_workers: int = 2, api_threads: int = 8, extra_conf: str = "",
                 auth_strategy: str = "noauth", port: int | None = None,
                 host_conf: dict[str, str] | None = None) -> None:
        self.db_url = db_url
        self.host_extra_conf = dict(host_conf or {})
        self.engines = dict(engines)
        self.hosts = list(engines)
        self.api_workers = api_workers
        self.api_threads = api_threads
        self.dir = Path(tempfile.mkdtemp(prefix="zun-func-topology-"))
        self.port = port or free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.console_port = free_port()
        self.procs: list[subprocess.Popen] = []
        self.by_name: dict[str, subprocess.Popen] = {}
        self.access_log = self.dir / "access.log"
        topic = "zun-compute-topo-%s" % uuidlib.uuid4().hex[:8]
        conf = [
            "[DEFAULT]",
            "state_path = %s" % self.dir,
            "transport_url = %s" % transport_url,
            "report_interval = 2",
            "debug = true",
            "[api]",
            "auth_strategy = %s" % auth_strategy,
            # gunicorn through zun.wsgi: noauth there needs the explicit opt-in
            "allow_insecure_noauth = true",
            "host_ip = 127.0.0.1",
            "port = %d" % self.port,
            "[database]",
            "connection = %s" % db_url,
            "[compute]",
            "sync_interval = 5",
            # a fresh topic per deployment keeps parallel runs from mixing
            "topic = %s" % topic,
        ] + console_conf(self.console_port)
        self.conf_file = self.dir / "zun.conf"
        self.conf_file.write_text("\n".join(conf) + "\n" + extra_conf)
        for host, url in self.engines.items():
            (self.dir / host).mkdir()
            self._host_conf(host).write_text(
                "[DEFAULT]\nhost = %s\nstate_path = %s\n[docker]\napi_url = %s\n"
                % (host, self.dir / host, url) + self.host_extra_conf.get(host, ""))

    def _host_conf(self, host: str) -> Path:
        return self.dir / ("%s.conf" % host)

    @staticmethod
    def compute_name(host: str) -> str:
        """The process name (and log name) of ``host``'s agent."""
        return "zun-compute@%s" % host

    # --- processes -------------------------------------------------------------
    def _spawn(self, name: str, argv: list[str],
               env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(self.dir / ("%s.log" % name), "ab")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env)
        log.close()
        self.procs.append(proc)
        self.by_name[name] = proc
        return proc

    def _spawn_compute(self, host: str) -> subprocess.Popen:
        return self._spawn(self.compute_name(host), [
            str(BIN / "zun-compute"), "--config-file", str(self.conf_file),
            "--config-file", str(self._host_conf(host))])

    def _spawn_api(self) -> subprocess.Popen:
        env = dict(os.environ, ZUN_CONFIG_FILES=str(self.conf_file))
        return self._spawn(self.GUNICORN, [
            str(BIN / "gunicorn"), "--workers", str(self.api_workers),
            "--worker-class", "gthread", "--threads", str(self.api_threads),
            "--bind", "127.0.0.1:%d" % self.port, "--graceful-timeout", "10",
            # gunicorn >= 25.1 opens ~/.gunicorn/gunicorn.ctl unless told: one each
            "--control-socket", str(self.dir / "gunicorn.ctl"),
            # %(p)s: the serving worker's pid, to see requests spread
            "--access-logfile", str(self.access_log),
            "--access-logformat", '%(p)s "%(r)s" %(s)s',
            "zun.wsgi:application"], env=env)

    def start(self) -> "ZunTopology":
        subprocess.run([str(BIN / "zun-db-manage"), "--config-file",
                        str(self.conf_file), "upgrade"], check=True,
                       capture_output=True)
        for host in self.hosts:
            self._spawn_compute(host)
        self._spawn_api()
        self._spawn("zun-wsproxy", [str(BIN / "zun-wsproxy"), "--config-file",
                                    str(self.conf_file)])
        wait_until(self._ready, timeout=90, what="gunicorn zun.wsgi on %s" % self.url)
        wait_until(lambda: port_open(self.console_port), timeout=60,
                   what="zun-wsproxy on port %d" % self.console_port)
        wait_until(lambda: len(self.worker_pids()) == self.api_workers, timeout=60,
                   what="%d gunicorn workers" % self.api_workers)
        for host in self.hosts:
            self.wait_compute_up(host)
        return self

    def _ready(self) -> bool:
        return api_ready(self.url, self.procs, self.logs)

    def wait_compute_up(self, host: str, timeout: float = 60) -> None:
        """Wait for a heartbeat of ``host``'s agent newer than this call."""
        import datetime
        # zun stores naive UTC; whole seconds, as MariaDB's DATETIME keeps them
        since = datetime.datetime.utcnow().replace(microsecond=0)

        def beat() -> bool:
            rows = self.db_rows("SELECT last_seen_up FROM zun_service "
                                "WHERE host = :host", host=host)
            return any(seen is not None and seen >= since for (seen,) in rows)
        wait_until(beat, timeout=timeout, interval=0.2,
                   what="a heartbeat of zun-compute on %s" % host)

    def kill_compute(self, host: str, sig: int = signal.SIGKILL,
                     timeout: float = 30) -> int:
        """Signal ``host``'s agent (this harness's own pid) and reap it."""
        proc = self.by_name[self.compute_name(host)]
        if proc.poll() is None:
            os.kill(proc.pid, sig)
        return proc.wait(timeout=timeout)

    def restart_compute(self, host: str) -> subprocess.Popen:
        old = self.by_name[self.compute_name(host)]
        if old.poll() is None:
            raise AssertionError("the agent of %s (pid %d) is still running"
                                 % (host, old.pid))
        with open(self.dir / ("%s.log" % self.compute_name(host)), "ab") as log:
            log.write(b"\n==== restarted by the test harness ====\n")
        return self._spawn_compute(host)

    def worker_pids(self) -> set[int]:
        """The live gunicorn workers: children of the master we started."""
        master = self.by_name[self.GUNICORN].pid
        try:
            text = Path("/proc/%d/task/%d/children" % (master, master)).read_text()
        except OSError:
            return set()
        return {int(pid) for pid in text.split()}

    def access_pids(self) -> list[int]:
        """Worker pid of every request in the access log, in order."""
        if not self.access_log.exists():
            return []
        pids = []
        for line in self.access_log.read_text(errors="replace").splitlines():
            head = line.split(" ", 1)[0].strip("<>")
            if head.isdigit():
                pids.append(int(head))
        return pids

    # --- the shared database -------------------------------------------------------
    def db_rows(self, query: str, **params: Any) -> list[tuple]:
        """Read the deployment's DB directly (an agent or the API may be down)."""
        import sqlalchemy as sa
        engine = sa.create_engine(self.db_url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(sa.text(query), params)]
        finally:
            engine.dispose()

    # --- logs and teardown ---------------------------------------------------------
    def log_text(self, name: str) -> str:
        path = self.dir / ("%s.log" % name)
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self) -> str:
        return tail_logs(self.dir)

    def stop(self) -> None:
        stop_processes(self.procs)
        self._remove_runtime_containers()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _remove_runtime_containers(self) -> None:
        """Remove every container labelled with one of our hosts, per engine."""
        import docker
        for host, url in self.engines.items():
            try:
                client = docker.DockerClient(base_url=url)
                remove_host_leftovers(client, host)
            except (docker.errors.DockerException, requests.RequestException):
                continue  # a private engine already stopped took its containers along
            client.close()
