"""Network drivers and how a compute host picks its own (``[network] driver``).

Drivers are found through the ``zun.network.driver`` entry points declared in
setup.cfg, so an out-of-tree driver (a Neutron/kuryr one) can plug in. From a
source tree that was never installed there are no entry points; the driver
is then imported from ``zun.network.<name>`` by convention, like the runtime
drivers (:mod:`zun.common.plugins`).
"""
from __future__ import annotations

from typing import Callable

from zun.common import plugins
from zun.conf import CONF
from zun.network import base

ENTRY_POINT_GROUP = "zun.network.driver"
_FINDER = plugins.DriverFinder("network driver", ENTRY_POINT_GROUP, __name__,
                               base.NetworkDriver)


def available() -> list[str]:
    """Names that load: installed entry points plus in-tree driver modules."""
    return _FINDER.available()


def load_driver(name: str | None = None, host: str | None = None) -> base.NetworkDriver:
    """An instance of the network driver ``name`` (default ``[network] driver``)
    for compute host ``host`` (default ``[DEFAULT] host``).

    An unknown name is a configuration error, reported with the choices.
    """
    factory: Callable[..., base.NetworkDriver] = _FINDER.find(name or CONF.network.driver)
    return factory(host=host or CONF.host)  # network drivers take host=
