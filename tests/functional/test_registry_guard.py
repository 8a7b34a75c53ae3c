"""The registry guard against a real zun-all and a real Docker engine.

An image naming a registry on the host's loopback (or link-local) network
is a 400 naming ``image`` and leaves no row; the same kind of image is
accepted once ``[registry] allow`` lists its registry, and then fails the
ordinary way (Error, from the engine's failed pull: nothing listens on
127.0.0.1:1).
"""
from __future__ import annotations

import pytest

from tests.functional import harness

# nothing listens on port 1: the engine's pull is refused at once
ALLOWED = "127.0.0.1:1"


@pytest.fixture(scope="module")
def deployment(request, docker_client):
    zun = harness.ZunProcesses(mode="all",
                               extra_conf="[registry]\nallow = %s\n" % ALLOWED)
    try:
        zun.start()
        yield zun
        if request.session.testsfailed:
            print(zun.logs())
    finally:
        zun.stop()


def _rows(zun: harness.ZunProcesses) -> int:
    return zun.db_rows("SELECT count(*) FROM container")[0][0]


@pytest.mark.parametrize("image", [
    "127.0.0.1:5000/x",
    "127.1:5000/x",             # resolved by the API: 127.0.0.1
    "localhost:5000/x",
    "[::1]:5000/x",
    "169.254.169.254/latest",
    "127.0.0.1:2/zun-guard/missing:latest",   # allow names port 1 only
])
def test_a_denied_registry_is_400_naming_image_and_writes_nothing(deployment, image):
    api = harness.ApiClient(deployment.url)
    before = _rows(deployment)
    response = api.post("/v1/containers", {"image": image})
    assert response.status_code == 400, response.text
    (error,) = response.json()["errors"]
    assert error["code"] == "container.registry_not_allowed"
    assert error["title"].startswith("Invalid input for field 'image'. Value: '%s'." % image)
    assert "[registry] allow" in error["title"]
    assert _rows(deployment) == before


def test_a_malformed_reference_is_400_naming_image(deployment):
    api = harness.ApiClient(deployment.url)
    before = _rows(deployment)
    response = api.post("/v1/containers", {"image": "UPPER/Case"})
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["title"].startswith(
        "Invalid input for field 'image'.")
    assert _rows(deployment) == before


def test_an_allowed_loopback_registry_is_accepted_and_the_pull_fails(deployment):
    api = harness.ApiClient(deployment.url)
    image = "%s/zun-guard/missing:latest" % ALLOWED
    response = api.post("/v1/containers?run=true", {"image": image})
    assert response.status_code == 202, response.text
    uuid = response.json()["uuid"]
    body = api.wait_status(uuid, "Error")
    assert "pull failed" in body["status_reason"], body["status_reason"]

    # rebuild to a denied registry: refused before anything is sent
    response = api.post("/v1/containers/%s/rebuild" % uuid, {"image": "127.0.0.1:5000/x"})
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["code"] == "container.registry_not_allowed"
    assert api.show(uuid)["image"] == image
    assert api.delete("/v1/containers/%s" % uuid).status_code == 204
