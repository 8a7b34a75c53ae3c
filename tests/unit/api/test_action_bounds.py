"""stop/reboot ``timeout`` is bounded by ``[docker] max_stop_timeout``:
a larger one is a 400 naming the field and the limit, and nothing is sent."""
from __future__ import annotations

import pytest

from tests.unit.api.conftest import ALICE, make_container
from zun.conf import CONF


@pytest.fixture
def c1(app):
    return make_container()


@pytest.mark.parametrize("action", ["stop", "reboot"])
def test_timeout_beyond_the_limit_is_400(app, compute, c1, action):
    response = app.post("/v1/containers/c1/%s?timeout=2147483647" % action,
                        headers=ALICE, status=400)
    title = response.json["errors"][0]["title"]
    assert "Invalid input for field 'timeout'" in title
    assert "at most 300 ([docker] max_stop_timeout)" in title
    assert compute.calls == []


def test_the_limit_is_the_operators(app, compute, c1):
    CONF.set_override("max_stop_timeout", 20, group="docker")
    try:
        app.post("/v1/containers/c1/stop?timeout=21", headers=ALICE, status=400)
        app.post("/v1/containers/c1/stop?timeout=20", headers=ALICE, status=202)
    finally:
        CONF.clear_override("max_stop_timeout", group="docker")
    assert compute.last("container_action")[1] == {"timeout": 20}
