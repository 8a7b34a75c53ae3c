"""The API refuses an image whose registry ``[registry]`` refuses: a 400
naming ``image``, before any row, claim or call to the compute API."""
from __future__ import annotations

import pytest

from tests.unit.api.conftest import ALICE, make_container, v
from zun.common.context import RequestContext
from zun.conf import CONF
from zun.db import api as db_api


@pytest.fixture(autouse=True)
def _registry_reset():
    yield
    for name in ("allow", "deny", "allow_only"):
        CONF.clear_override(name, "registry")


def _rows() -> list:
    return db_api.container_list(RequestContext(user_id="alice", project_id="proj-a"))


@pytest.mark.parametrize("image", ["127.0.0.1:5000/x", "localhost:5000/x", "[::1]:5000/x",
                                   "169.254.169.254/latest", "[fe80::1]/x:1"])
def test_create_with_a_denied_registry_is_400_and_writes_nothing(app, compute, image):
    response = app.post_json("/v1/containers", {"image": image},
                             headers=ALICE, status=400)
    (error,) = response.json["errors"]
    assert error["code"] == "container.registry_not_allowed"
    assert error["status"] == 400
    assert error["title"].startswith("Invalid input for field 'image'. Value: '%s'." % image)
    assert "[registry] allow" in error["title"]
    assert compute.calls == [] and _rows() == []


def test_malformed_reference_is_400_naming_image(app, compute):
    response = app.post_json("/v1/containers", {"image": "Not An Image"},
                             headers=ALICE, status=400)
    (error,) = response.json["errors"]
    assert error["code"] == "container.validation_error"
    assert error["title"].startswith("Invalid input for field 'image'.")
    assert "not a valid image reference" in error["title"]
    assert compute.calls == [] and _rows() == []


def test_an_allowed_registry_is_accepted(app, compute):
    CONF.set_override("allow", ["127.0.0.1:5000"], "registry")
    app.post_json("/v1/containers", {"image": "127.0.0.1:5000/x"}, headers=ALICE,
                  status=202)
    app.post_json("/v1/containers", {"image": "127.0.0.1:5001/x"}, headers=ALICE,
                  status=400)
    assert compute.names() == ["container_create"]


def test_allow_only_refuses_docker_hub_unless_listed(app, compute):
    CONF.set_override("allow_only", True, "registry")
    title = app.post_json("/v1/containers", {"image": "busybox"}, headers=ALICE,
                          status=400).json["errors"][0]["title"]
    assert "docker.io" in title and "allow_only" in title
    CONF.set_override("allow", ["docker.io"], "registry")
    app.post_json("/v1/containers", {"image": "busybox"}, headers=ALICE, status=202)


@pytest.mark.parametrize("how", ["body", "query"])
def test_rebuild_with_a_denied_registry_is_400_and_not_sent(app, compute, how):
    make_container()
    if how == "body":
        response = app.post_json("/v1/containers/c1/rebuild",
                                 {"image": "127.0.0.1:5000/x"}, headers=v("1.40"),
                                 status=400)
    else:
        response = app.post("/v1/containers/c1/rebuild?image=127.0.0.1:5000/x",
                            headers=v("1.40"), status=400)
    (error,) = response.json["errors"]
    assert error["code"] == "container.registry_not_allowed"
    assert error["title"].startswith("Invalid input for field 'image'.")
    assert "container_rebuild" not in compute.names()


def test_rebuild_keeping_the_image_is_not_judged_here(app, compute):
    # the agent checks the row's image (with its own lists) before pulling
    make_container(image="busybox")
    app.post("/v1/containers/c1/rebuild", headers=v("1.40"), status=202)
    assert compute.last("container_rebuild")[1] == {"image": None}
