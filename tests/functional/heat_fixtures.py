"""Fixtures for tests that drive zun through a real OpenStack Heat.

Star-imported by conftest.py next to the Keystone fixtures:

* ``heat``: the running heat-api + heat-engine (tools/start-heat.sh, which
  installs Heat into its own venv, starts it when it does not answer and
  registers it in the same Keystone as ``keystone``). Heat that cannot be
  installed or started fails the tests; it never skips them.
* ``heat_client_for``: ``heat_client_for("demo")`` -> a python-heatclient
  ``Client`` on that account's keystoneauth1 session, finding heat-api
  through the catalog (``orchestration``), as an operator's client would.
* ``wait_stack``: poll a stack until its action settles.
"""
from __future__ import annotations

import subprocess
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest
from heatclient import client as heat_client
from heatclient import exc as heat_exc

from tests.functional import harness
from tests.functional.keystone_fixtures import Keystone

REPO = Path(__file__).resolve().parents[2]
START_HEAT = REPO / "tools" / "start-heat.sh"
# install (warm: ~2 s, cold: minutes) + MariaDB + db_sync + both servers
START_GUARD_SECONDS = 1800
# Heat polls zun every 1-2 s; a stack here settles in seconds, this only
# bounds a hang (the failure test waits out Heat's create retries)
STACK_GUARD_SECONDS = 600


@dataclass
class Heat:
    """heat-api's base URL and where its logs are (for a failure report)."""

    url: str
    log_dir: Path = Path("/tmp/zun-heat/log")


def start_heat(keystone: Keystone) -> Heat:
    """Run tools/start-heat.sh against ``keystone``'s port; raise with its log."""
    env = keystone.script_env()
    port = urllib.parse.urlsplit(keystone.auth_url).port
    if port:
        env["KEYSTONE_PORT"] = str(port)
    # the script never repoints the 'container' endpoint; make sure of it
    env.pop("ZUN_ENDPOINT", None)
    proc = subprocess.run([str(START_HEAT), "start"], env=env, capture_output=True,
                          text=True, timeout=START_GUARD_SECONDS)
    if proc.returncode != 0:
        raise RuntimeError("tools/start-heat.sh failed (rc %s):\n%s"
                           % (proc.returncode, proc.stderr[-6000:]))
    return Heat(url=proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def heat(keystone: Keystone) -> Heat:
    try:
        return start_heat(keystone)
    except Exception as exc:  # noqa: BLE001 - any cause is a failed prerequisite
        pytest.fail("No usable Heat: %s" % exc)


@pytest.fixture(scope="session")
def heat_client_for(heat: Heat, keystone: Keystone) -> Callable[[str], Any]:
    """``heat_client_for(username)`` -> heatclient v1 Client (catalog lookup)."""
    def make(username: str) -> Any:
        return heat_client.Client("1", session=keystone.session(username),
                                  service_type="orchestration", interface="public",
                                  region_name=keystone.region_name)
    return make


def stack_settled(client: Any, stack_id: str) -> Any:
    """The stack once no action is in progress; None while one is.

    A stack deleted and purged reads as 404: that is settled too, reported
    as ``"GONE"`` so callers can assert on one value.
    """
    try:
        stack = client.stacks.get(stack_id, resolve_outputs=False)
    except heat_exc.HTTPNotFound:
        return "GONE"
    return None if stack.stack_status.endswith("_IN_PROGRESS") else stack


@pytest.fixture(scope="session")
def wait_stack() -> Callable[..., Any]:
    """``wait_stack(client, stack_id)`` -> the settled stack (or ``"GONE"``)."""
    def wait(client: Any, stack_id: str, timeout: float = STACK_GUARD_SECONDS) -> Any:
        return harness.wait_until(lambda: stack_settled(client, stack_id),
                                  timeout=timeout, interval=1.0,
                                  what="stack %s to settle" % stack_id)
    return wait
