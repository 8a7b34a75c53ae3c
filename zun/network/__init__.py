"""Network drivers and how a compute host picks its own (``[network] driver``).

Drivers are found through the ``zun.network.driver`` entry points declared in
setup.cfg, so an out-of-tree driver (a Neutron/kuryr one) can plug in. From a
source tree that was never installed there are no entry points; the driver
is then imported from ``zun.network.<name>`` by convention, like the runtime
drivers (zun.container.driver).
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from importlib import metadata
from typing import Callable

from zun.common import exception
from zun.conf import CONF
from zun.network import base

ENTRY_POINT_GROUP = "zun.network.driver"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def available() -> list[str]:
    """Names that load: installed entry points plus in-tree driver modules."""
    names = {ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    for module in pkgutil.iter_modules(__path__):
        if _NAME.match(module.name) and _from_module(module.name) is not None:
            names.add(module.name)
    return sorted(names)


def _from_entry_point(name: str) -> type | None:
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP, name=name):
        loaded = ep.load()
        return loaded if isinstance(loaded, type) else None
    return None


def _from_module(name: str) -> type | None:
    """The concrete driver class named ``name`` in the module of that name."""
    if name == "base":
        return None
    try:
        module = importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as err:
        if err.name == f"{__name__}.{name}":
            return None
        raise
    for _, cls in inspect.getmembers(module, inspect.isclass):
        if (issubclass(cls, base.NetworkDriver) and not inspect.isabstract(cls)
                and cls.name == name):
            return cls
    return None


def load_driver(name: str | None = None, host: str | None = None) -> base.NetworkDriver:
    """An instance of the network driver ``name`` (default ``[network] driver``)
    for compute host ``host`` (default ``[DEFAULT] host``).

    An unknown name is a configuration error, reported with the choices.
    """
    name = name or CONF.network.driver
    cls = None
    if _NAME.match(name or ""):
        cls = _from_entry_point(name) or _from_module(name)
    if cls is None or not issubclass(cls, base.NetworkDriver):
        choices = ", ".join(available())
        raise exception.Invalid(
            reason=f"unknown network driver '{name}' (available: {choices})")
    factory: Callable[..., base.NetworkDriver] = cls  # drivers take host=
    return factory(host=host or CONF.host)
