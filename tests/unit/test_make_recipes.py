"""The Makefile's test recipes fail when a server they need does not start.

Each case runs the real Makefile with the real make and bash in a scratch
directory where the start scripts and pytest are stubs: a start script that
fails, or prints no URL, must fail the target before any test runs, so that
the DB tests can never quietly pass on SQLite instead of the server.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
URL = {"start-mariadb.sh": "mysql+pymysql://zun:zunpass@127.0.0.1:3306/zun",
       "start-postgres.sh": "postgresql+psycopg2://zun:zunpass@127.0.0.1:5432/zun",
       "start-dockerd.sh": "unix:///var/run/docker.sock",
       "start-rabbitmq.sh": "rabbit://zun:zunpass@127.0.0.1:5672/zun",
       "start-keystone.sh": "http://127.0.0.1:15000/v3",
       "start-registry.sh": "127.0.0.1:15500"}
OTHER_TOOLS = ("prepare-image.sh", "install-tempest.sh", "install-heat.sh")

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _script(path: Path, body: str) -> None:
    path.write_text("#!/bin/bash\n" + body + "\n")
    path.chmod(0o755)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the Makefile whose tools and pytest are stubs that work."""
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    for name in ("setup.cfg", "setup.py", "pyproject.toml"):
        (tmp_path / name).write_text("")
    (tmp_path / "tools").mkdir()
    for name, url in URL.items():
        # a log line on stdout first: only the last line is the URL
        _script(tmp_path / "tools" / name, "echo starting; echo %s" % url)
    for name in OTHER_TOOLS:
        _script(tmp_path / "tools" / name, "echo ok")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    # records the DB URL of each run; its exit status comes from the test
    _script(bin_dir / "pytest", 'echo "run ${ZUN_TEST_DB_URL-unset}" >> "%s"\n'
            'exit "${STUB_PYTEST_RC:-0}"' % (tmp_path / "pytest-runs"))
    installed = tmp_path / ".venv" / ".installed"
    installed.write_text("")
    later = os.stat(tmp_path / "setup.cfg").st_mtime + 10
    os.utime(installed, (later, later))   # the venv target is up to date
    return tmp_path


def make(tree: Path, target: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", "-C", str(tree), target],
                          env=dict(os.environ, **env), capture_output=True, text=True,
                          timeout=60)


def runs(tree: Path) -> list[str]:
    path = tree / "pytest-runs"
    return path.read_text().splitlines() if path.exists() else []


def test_db_tests_run_on_both_servers_when_they_start(tree):
    done = make(tree, "db-tests")
    assert done.returncode == 0, done.stderr
    assert runs(tree) == ["run " + URL["start-mariadb.sh"], "run " + URL["start-postgres.sh"]]


@pytest.mark.parametrize("script", ["start-mariadb.sh", "start-postgres.sh"])
@pytest.mark.parametrize("body", ["echo starting; echo 'no server' >&2; exit 1",
                                  "echo 'started, it says' >&2",
                                  "echo"],
                         ids=["exits-1", "prints-nothing", "prints-empty-line"])
def test_db_tests_fail_when_a_server_does_not_start(tree, script, body):
    _script(tree / "tools" / script, body)
    done = make(tree, "db-tests")
    assert done.returncode != 0
    # no run without that server's URL (on SQLite, say); MariaDB's comes first
    before = [] if script == "start-mariadb.sh" else ["run " + URL["start-mariadb.sh"]]
    assert runs(tree) == before


@pytest.mark.parametrize("script", ["start-dockerd.sh", "start-rabbitmq.sh",
                                    "start-keystone.sh", "start-registry.sh"])
def test_functional_fails_when_a_server_does_not_start(tree, script):
    assert make(tree, "functional").returncode == 0
    assert len(runs(tree)) == 1
    _script(tree / "tools" / script, "exit 1")
    done = make(tree, "functional")
    assert done.returncode != 0
    assert len(runs(tree)) == 1   # the suite did not run again


@pytest.mark.parametrize("target", ["unit", "db-tests", "functional"])
def test_no_tests_collected_fails_the_target(tree, target):
    # pytest exits 5 when it collected nothing (a wrong path, a bad -k)
    assert make(tree, target, STUB_PYTEST_RC="5").returncode != 0
