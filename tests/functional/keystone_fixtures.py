"""Fixtures for tests that need a real Keystone and real tokens.

Star-imported by conftest.py, so these names are a contract other suites
(the tempest runner) build on:

* ``keystone``: the running Keystone (``auth_url``, ``accounts``,
  ``set_endpoint``), started by tools/start-keystone.sh when it does not
  answer. ``$ZUN_TEST_KEYSTONE_URL``, if set, is its auth URL.
* ``zun_keystone``: zun-api + zun-compute over RabbitMQ with
  ``auth_strategy = keystone``, registered in the catalog as the
  ``container`` endpoint while it runs.
* ``token_for``: ``token_for("demo")`` -> a keystoneauth1 Session of that
  account (cached per account for the test session).
* ``keystone_api_as``: ``keystone_api_as("demo")`` -> a ``KeystoneApiClient``
  on ``zun_keystone`` sending that account's token.

A Keystone that cannot be reached or started fails the tests; it never
skips them.
"""
from __future__ import annotations

import json
import os
import subprocess
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest
import requests
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from tests.functional import harness

REPO = Path(__file__).resolve().parents[2]
START_SCRIPT = REPO / "tools" / "start-keystone.sh"
KEYSTONE_DIR = Path(os.environ.get("KEYSTONE_DIR", "/tmp/zun-keystone"))
# What the catalog says when no zun_keystone deployment owns it.
DEFAULT_ZUN_ENDPOINT = os.environ.get("ZUN_ENDPOINT", "http://127.0.0.1:9517/v1")


# The account the script added last: accounts.json without it predates it.
_NEWEST_ACCOUNT = "demo_reader"


def _default_auth_url() -> str:
    return os.environ.get("ZUN_TEST_KEYSTONE_URL") or \
        "http://127.0.0.1:%s/v3" % os.environ.get("KEYSTONE_PORT", "15000")


def _answers(auth_url: str) -> bool:
    try:
        return requests.get(auth_url, timeout=3).status_code == 200
    except requests.RequestException:
        return False


@dataclass
class Keystone:
    """A running Keystone and the test accounts tools/start-keystone.sh made."""

    auth_url: str
    #: username -> {username, password, user_id, project_name, project_id, roles}
    accounts: dict[str, dict[str, Any]]
    #: accounts.json as parsed (auth_url, region_name, domain names, accounts)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def region_name(self) -> str:
        return self.info.get("region_name", "RegionOne")

    def script_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["KEYSTONE_DIR"] = str(KEYSTONE_DIR)
        port = urllib.parse.urlsplit(self.auth_url).port
        if port:
            env["KEYSTONE_PORT"] = str(port)
        return env

    def set_endpoint(self, url: str) -> None:
        """Point the catalog's ``container`` endpoints at ``url`` (ends in /v1)."""
        proc = subprocess.run([str(START_SCRIPT), "set-endpoint", url],
                              env=self.script_env(), capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0, "set-endpoint %s failed:\n%s" % (url, proc.stderr)

    def session(self, username: str) -> ks_session.Session:
        """A fresh password Session scoped to the account's project."""
        account = self.accounts[username]
        auth = v3.Password(auth_url=self.auth_url, username=username,
                           password=account["password"],
                           project_name=account["project_name"],
                           user_domain_name="Default",
                           project_domain_name="Default")
        return ks_session.Session(auth=auth)

    def system_session(self, username: str = "admin") -> ks_session.Session:
        """A password Session scoped to the system (a token with no project);
        the account needs a system role (``system_roles`` in accounts.json)."""
        account = self.accounts[username]
        auth = v3.Password(auth_url=self.auth_url, username=username,
                           password=account["password"], system_scope="all",
                           user_domain_name="Default")
        return ks_session.Session(auth=auth)

    def authtoken_conf(self, username: str = "zun") -> str:
        """``[keystone_authtoken]`` for zun's service user, memcached unset
        so the middleware caches tokens in process."""
        account = self.accounts[username]
        return "\n".join([
            "[keystone_authtoken]",
            "www_authenticate_uri = %s" % self.auth_url,
            "auth_url = %s" % self.auth_url,
            "auth_type = password",
            "username = %s" % username,
            "password = %s" % account["password"],
            "project_name = %s" % account["project_name"],
            "user_domain_name = Default",
            "project_domain_name = Default",
            "region_name = %s" % self.region_name,
            "interface = public",
            "service_token_roles = service",
            "service_token_roles_required = true",
            "delay_auth_decision = false",
        ]) + "\n"


def _load(auth_url: str) -> Keystone | None:
    path = KEYSTONE_DIR / "accounts.json"
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if info.get("auth_url") != auth_url:
        return None
    return Keystone(auth_url=auth_url, accounts=info["accounts"], info=info)


def ensure_keystone() -> Keystone:
    """Reuse the Keystone that answers, or start one; raise with a reason."""
    auth_url = _default_auth_url()
    found = _load(auth_url) if _answers(auth_url) else None
    if found is not None and _NEWEST_ACCOUNT not in found.accounts:
        found = None   # made by an older script: running it again adds the rest
    if found is None:
        probe = Keystone(auth_url=auth_url, accounts={})
        proc = subprocess.run([str(START_SCRIPT), "start"], env=probe.script_env(),
                              capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            raise RuntimeError("tools/start-keystone.sh failed (rc %s):\n%s"
                               % (proc.returncode, proc.stderr[-4000:]))
        started = proc.stdout.strip().splitlines()[-1]
        if started != auth_url:
            raise RuntimeError("tools/start-keystone.sh started %s, expected %s "
                               "(ZUN_TEST_KEYSTONE_URL/KEYSTONE_PORT disagree)"
                               % (started, auth_url))
        found = _load(auth_url)
        if found is None:
            raise RuntimeError("%s has no accounts for %s"
                               % (KEYSTONE_DIR / "accounts.json", auth_url))
    # the accounts must really work, not just be on file
    found.session("demo").get_token()
    return found


@pytest.fixture(scope="session")
def keystone() -> Keystone:
    try:
        return ensure_keystone()
    except Exception as exc:  # noqa: BLE001 - any cause is a failed prerequisite
        pytest.fail("No usable Keystone at %s: %s\nStart it with "
                    "tools/start-keystone.sh (or set ZUN_TEST_KEYSTONE_URL)."
                    % (_default_auth_url(), exc))


@pytest.fixture(scope="session")
def token_for(keystone: Keystone) -> Callable[[str], ks_session.Session]:
    """``token_for(username)`` -> that account's Session (one per account)."""
    sessions: dict[str, ks_session.Session] = {}

    def get(username: str) -> ks_session.Session:
        if username not in sessions:
            sessions[username] = keystone.session(username)
        return sessions[username]
    return get


@pytest.fixture(scope="session")
def zun_keystone(request, docker_client, transport_url, keystone):
    """zun-api + zun-compute with keystonemiddleware, found through the catalog."""
    deployment = harness.ZunProcesses(mode="split", transport_url=transport_url,
                                      auth_strategy="keystone",
                                      extra_conf=keystone.authtoken_conf())
    try:
        deployment.start()
        keystone.set_endpoint(deployment.url + "/v1")
    except BaseException:
        print(deployment.logs())
        deployment.stop()
        raise
    yield deployment
    if request.session.testsfailed:
        print(deployment.logs())
    try:
        keystone.set_endpoint(DEFAULT_ZUN_ENDPOINT)
    finally:
        deployment.stop()


class KeystoneApiClient(harness.ApiClient):
    """``harness.ApiClient`` that proves identity with a real token.

    It sends no X-Project-Id/X-User-Id/X-Roles: in keystone mode zun must
    take identity from the token alone (tests add forged ones on purpose).
    """

    def __init__(self, base: str, session: ks_session.Session | None,
                 version: str | None = "1.40") -> None:
        super().__init__(base, version=version)
        for name in ("X-Project-Id", "X-User-Id", "X-Roles"):
            self.headers.pop(name)
        self.session = session

    def request(self, method: str, path: str, body: Any = None,
                version: str | None = None, headers: dict | None = None,
                **params: Any) -> requests.Response:
        merged = dict(self.headers)
        if self.session is not None:
            merged["X-Auth-Token"] = self.session.get_token()
        if version:
            merged["OpenStack-API-Version"] = "container %s" % version
        merged.update(headers or {})
        data = json.dumps(body) if body is not None else None
        return requests.request(method, self.base + path, headers=merged, data=data,
                                params=params or None, timeout=60)


@pytest.fixture(scope="session")
def keystone_api_as(zun_keystone, token_for) -> Callable[[str], KeystoneApiClient]:
    """``keystone_api_as("demo")`` -> a client on zun_keystone with demo's token."""
    def make(username: str, version: str | None = "1.40") -> KeystoneApiClient:
        return KeystoneApiClient(zun_keystone.url, token_for(username), version=version)
    return make
