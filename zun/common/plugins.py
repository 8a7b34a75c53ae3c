"""Finding a driver class by name: entry points first, then the source tree.

Runtime drivers (``zun.container.driver``) and network drivers
(``zun.network.driver``) plug in the same way: an installed package names
its class in setup.cfg's entry points, so an out-of-tree driver can plug in.
A source tree that was never installed has no entry points; a driver is then
the concrete subclass named ``name`` in the in-tree module of that name.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from importlib import metadata
from typing import TypeVar

from zun.common import exception

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
T = TypeVar("T")


class DriverFinder:
    """The drivers of one kind: an entry point group and an in-tree package."""

    def __init__(self, kind: str, group: str, package: str, base: type) -> None:
        self.kind = kind          # for messages: "container driver"
        self.group = group
        self.package = package
        self.base = base

    def available(self) -> list[str]:
        """Names that load: installed entry points plus in-tree driver modules."""
        names = {ep.name for ep in metadata.entry_points(group=self.group)}
        module = importlib.import_module(self.package)
        for info in pkgutil.iter_modules(module.__path__):
            if _NAME.match(info.name) and self._from_module(info.name) is not None:
                names.add(info.name)
        return sorted(names)

    def find(self, name: str) -> type:
        """The driver class called ``name``; an unknown name is a
        configuration error (Invalid), reported with the choices."""
        cls = None
        if _NAME.match(name or ""):
            cls = self._from_entry_point(name) or self._from_module(name)
        if cls is None or not issubclass(cls, self.base):
            raise exception.Invalid(reason="unknown %s '%s' (available: %s)"
                                    % (self.kind, name, ", ".join(self.available())))
        return cls

    def _from_entry_point(self, name: str) -> type | None:
        for ep in metadata.entry_points(group=self.group, name=name):
            loaded = ep.load()
            # anything but a class is no driver: find() then says which are
            return loaded if isinstance(loaded, type) else None
        return None

    def _from_module(self, name: str) -> type | None:
        """The concrete driver class named ``name`` in the module of that name."""
        if name == "base":
            return None
        try:
            module = importlib.import_module(f"{self.package}.{name}")
        except ModuleNotFoundError as err:
            if err.name == f"{self.package}.{name}":
                return None
            raise
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (issubclass(cls, self.base) and not inspect.isabstract(cls)
                    and getattr(cls, "name", None) == name):
                return cls
        return None
