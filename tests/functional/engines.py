"""Servers a multi-host deployment needs beside the machine's shared ones.

* :class:`PrivateEngine`: a second Docker engine, so two compute agents can
  each own an engine on one machine.
* :class:`Database`: a fresh database of its own on the shared MariaDB or
  PostgreSQL server (started, or reused, by tools/start-mariadb.sh and
  tools/start-postgres.sh), dropped again at the end.

Only what these classes started is ever stopped, by its own pid; the shared
SQL servers are left running (other suites use them).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import uuid as uuidlib
from pathlib import Path
from typing import Any, Iterator

import docker
import requests
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.functional import harness

REPO = Path(__file__).resolve().parents[2]


class PrivateEngine:
    """A second dockerd: own roots and socket, no bridge, no iptables.

    It runs in its own network namespace as well: a ``--bridge=none`` daemon
    deletes any ``docker0`` it can see at start-up, and the machine's shared
    engine owns the one in the host namespace.
    """

    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory)
        self.sock = self.dir / "docker.sock"
        self.url = "unix://%s" % self.sock
        self.proc: subprocess.Popen | None = None

    def start(self) -> "PrivateEngine":
        self.dir.mkdir(parents=True, exist_ok=True)
        pidfile = self.dir / "pid"
        if pidfile.exists():
            old = pidfile.read_text().strip()
            if old and Path("/proc/%s" % old).exists():
                raise AssertionError("a dockerd (pid %s) already runs from %s; stop it "
                                     "first" % (old, self.dir))
            pidfile.unlink()
        log = open(self.dir / "log", "ab")
        # unshare execs dockerd, so self.proc.pid is the daemon's own pid
        self.proc = subprocess.Popen(
            ["unshare", "--net", "--", "dockerd",
             "--data-root", str(self.dir / "data"), "--exec-root", str(self.dir / "exec"),
             "--host", self.url, "--pidfile", str(pidfile),
             "--bridge=none", "--iptables=false"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        log.close()
        harness.wait_until(self._answers, timeout=60, interval=0.1,
                           what="private dockerd at %s" % self.url)
        return self

    def _answers(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError("private dockerd exited (%s); see %s/log"
                                 % (self.proc.returncode, self.dir))
        try:
            client = docker.DockerClient(base_url=self.url, timeout=2)
        except docker.errors.DockerException:
            return False
        try:
            return bool(client.ping())
        except (docker.errors.DockerException, requests.RequestException):
            return False
        finally:
            client.close()

    def prepare_image(self) -> None:
        subprocess.run([str(REPO / "tools" / "prepare-image.sh")], check=True,
                       env=dict(os.environ, DOCKER_HOST=self.url),
                       capture_output=True, timeout=120)

    def stop(self) -> None:
        """SIGTERM our dockerd by its pid; it stops its containers first."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def destroy(self) -> None:
        """Stop it and remove its whole state directory (a throw-away engine)."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# The start script of each SQL server, and the variable naming its database.
_SERVERS = {
    "mariadb": ("start-mariadb.sh", "MARIADB_DB"),
    "postgresql": ("start-postgres.sh", "PG_DB"),
}


class Database:
    """A database of our own on a shared SQL server, fresh for one deployment.

    The start script creates the database and grants zun's user all rights
    on it; it is then dropped and created again, so that a leftover of an
    interrupted run never leaks into this one.
    """

    def __init__(self, kind: str, name: str | None = None) -> None:
        if kind not in _SERVERS:
            raise ValueError("unknown SQL server %r (one of %s)" % (kind, sorted(_SERVERS)))
        self.kind = kind
        self.name = name or "zun_topo_%s" % uuidlib.uuid4().hex[:8]
        self.url = ""

    def create(self) -> "Database":
        script, db_var = _SERVERS[self.kind]
        done = subprocess.run([str(REPO / "tools" / script)], capture_output=True,
                              text=True, timeout=600,
                              env=dict(os.environ, **{db_var: self.name}))
        if done.returncode != 0 or not done.stdout.strip():
            raise AssertionError("tools/%s failed (%s):\n%s%s" % (
                script, done.returncode, done.stdout, done.stderr))
        self.url = done.stdout.strip().splitlines()[-1]
        self._recreate(create=True)
        return self

    def drop(self) -> None:
        if self.url:
            self._recreate(create=False)

    def _recreate(self, create: bool) -> None:
        # Connected to another database: one cannot drop the one in use.
        url = make_url(self.url)
        if self.kind == "mariadb":
            admin = url.set(database=None)
            drop = "DROP DATABASE IF EXISTS `%s`" % self.name
            make = "CREATE DATABASE `%s` CHARACTER SET utf8mb4" % self.name
        else:
            admin = url.set(database="postgres")
            # FORCE: a process of an interrupted run may still hold a connection
            drop = 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % self.name
            make = 'CREATE DATABASE "%s"' % self.name
        engine = sa.create_engine(admin, poolclass=sa.pool.NullPool,
                                  isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(drop))
                if create:
                    conn.execute(sa.text(make))
        finally:
            engine.dispose()


@contextlib.contextmanager
def zun_all_on(request: Any, backend: str,
               extra_conf: str = "") -> Iterator[tuple[harness.ZunProcesses, str]]:
    """zun-all on a throwaway database of ``backend`` ("sqlite", "mariadb",
    "postgresql"), and that database's URL; the database dropped after."""
    database = Database(backend).create() if backend != "sqlite" else None
    if database:
        extra_conf += "[database]\nconnection = %s\n" % database.url
    try:
        with harness.running(request, mode="all", extra_conf=extra_conf) as zun:
            yield zun, (database.url if database
                        else "sqlite:///%s/zun.sqlite" % zun.dir)
    finally:
        if database:
            database.drop()
