"""Driver loading by name, through entry points or the in-tree fallback."""
from importlib import metadata

import pytest

from zun.common import exception, plugins
from zun.conf import CONF
from zun.container import driver as loader
from zun.container.driver import docker as docker_driver
from zun.container.driver import rkt


@pytest.fixture
def no_entry_points(monkeypatch):
    """As if zun ran from a source tree that pip never installed."""
    monkeypatch.setattr(plugins.metadata, "entry_points", lambda **kw: [])


def test_default_comes_from_config():
    CONF.set_override("container_driver", "rkt")
    try:
        assert isinstance(loader.load_driver(), rkt.RktDriver)
    finally:
        CONF.clear_override("container_driver")
    assert isinstance(loader.load_driver(), docker_driver.DockerDriver)


@pytest.mark.parametrize("name,cls", [("docker", docker_driver.DockerDriver),
                                      ("rkt", rkt.RktDriver)])
def test_load_by_name(name, cls):
    driver = loader.load_driver(name)
    assert type(driver) is cls
    assert driver.name == name


@pytest.mark.parametrize("name", ["docker", "rkt"])
def test_fallback_without_entry_points(no_entry_points, name):
    assert loader.load_driver(name).name == name


def test_entry_points_win(monkeypatch):
    class Marker(rkt.RktDriver):
        pass

    class EP:
        name = "rkt"

        def load(self):
            return Marker

    monkeypatch.setattr(plugins.metadata, "entry_points", lambda **kw: [EP()])
    assert type(loader.load_driver("rkt")) is Marker


def test_creating_the_docker_driver_needs_no_engine():
    driver = loader.load_driver("docker")
    assert driver._client is None


@pytest.mark.parametrize("name", ["nope", "base", "docker_facts", "../x", "Docker"])
def test_unknown_name_is_a_clear_400(name):
    with pytest.raises(exception.Invalid) as info:
        loader.load_driver(name)
    assert info.value.code == 400
    message = str(info.value)
    assert f"unknown container driver '{name}'" in message
    assert "docker" in message and "rkt" in message


def test_available_lists_in_tree_drivers(no_entry_points):
    assert loader.available() == ["docker", "rkt"]


def test_installed_entry_points_are_declared():
    names = {ep.name for ep in metadata.entry_points(group=loader.ENTRY_POINT_GROUP)}
    if not names:
        pytest.skip("zun is not pip-installed; entry points exist only then")
    assert {"docker", "rkt"} <= names
