"""Container drivers and how a compute host picks its own.

Drivers are found through the ``zun.container.driver`` entry points declared
in setup.cfg, so an out-of-tree driver can plug in. When zun runs from a
source tree that was never installed, there are no entry points; the driver
is then imported from ``zun.container.driver.<name>`` by convention
(:mod:`zun.common.plugins`).
"""
from __future__ import annotations

from zun.common import plugins
from zun.conf import CONF
from zun.container.driver import base

ENTRY_POINT_GROUP = "zun.container.driver"
_FINDER = plugins.DriverFinder("container driver", ENTRY_POINT_GROUP, __name__,
                               base.ContainerDriver)


def available() -> list[str]:
    """Names that load: installed entry points plus in-tree driver modules."""
    return _FINDER.available()


def load_driver(name: str | None = None) -> base.ContainerDriver:
    """An instance of the driver ``name`` (default ``[DEFAULT] container_driver``).

    An unknown name is a configuration error, reported with the choices.
    """
    driver: base.ContainerDriver = _FINDER.find(name or CONF.container_driver)()
    return driver
