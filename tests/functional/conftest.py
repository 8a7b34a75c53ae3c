"""Fixtures that start real deployments of zun for the functional tests.

Prerequisites are started by ``make test`` (tools/start-*.sh): a Docker
engine at $DOCKER_HOST with the image busybox:local, and a RabbitMQ whose
URL is in $ZUN_TEST_TRANSPORT_URL. A missing prerequisite fails the tests
with a message; it never skips them.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.functional import harness

REPO = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.functional)


@pytest.fixture(scope="session")
def docker_client():
    import docker
    try:
        client = docker.DockerClient(base_url=harness.docker_url())
        client.ping()
    except Exception as exc:  # noqa: BLE001
        pytest.fail("No Docker engine at %s (%s); run tools/start-dockerd.sh "
                    "or `make test`" % (harness.docker_url(), exc))
    try:
        client.images.get(harness.IMAGE)
    except Exception:  # noqa: BLE001
        pytest.fail("Image %s missing; run tools/prepare-image.sh" % harness.IMAGE)
    yield client
    client.close()


@pytest.fixture(scope="session")
def registry() -> str:
    """host:port of the test registry (Debian's docker-registry, no auth):
    $ZUN_TEST_REGISTRY from make, else started here by its script."""
    url = os.environ.get("ZUN_TEST_REGISTRY")
    if not url:
        done = subprocess.run([str(REPO / "tools" / "start-registry.sh")],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, "tools/start-registry.sh failed:\n" + done.stderr
        url = done.stdout.strip().splitlines()[-1]
    return url


@pytest.fixture(scope="session")
def transport_url():
    url = os.environ.get("ZUN_TEST_TRANSPORT_URL")
    if not url:
        pytest.fail("ZUN_TEST_TRANSPORT_URL is not set; run tools/start-rabbitmq.sh "
                    "or `make test`")
    return url


def _deploy(request, **kwargs):
    with harness.running(request, **kwargs) as deployment:
        yield deployment


@pytest.fixture(scope="session")
def zun_all(request, docker_client):
    """API + agent in one process (the embedded default)."""
    yield from _deploy(request, mode="all")


@pytest.fixture(scope="session")
def zun_split(request, docker_client, transport_url):
    """zun-api and zun-compute as two processes over RabbitMQ."""
    yield from _deploy(request, mode="split", transport_url=transport_url)


@pytest.fixture(params=["all", "split"])
def zun(request):
    """Run a test against both deployments."""
    return request.getfixturevalue("zun_%s" % request.param)


@pytest.fixture
def api(zun):
    return harness.ApiClient(zun.url)


# Keystone-backed fixtures (real Keystone, real tokens) live in their own module.
from tests.functional.heat_fixtures import *  # noqa: E402,F401,F403
from tests.functional.keystone_fixtures import *  # noqa: E402,F401,F403
