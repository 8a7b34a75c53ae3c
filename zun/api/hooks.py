"""Pecan hooks: give every request its context and the compute API."""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable

from pecan import hooks

from zun.common import context as zun_context

if TYPE_CHECKING:
    from zun.compute.api import API


class ContextHook(hooks.PecanHook):
    """Build the RequestContext from the identity headers auth left behind.

    The auth middleware (keystone or noauth) has already decided who the
    caller is; this only reads the result, so controllers see one context
    type whatever the strategy.
    """

    def before(self, state: Any) -> None:
        state.request.context = zun_context.RequestContext.from_environ(
            state.request.environ)


class ComputeHook(hooks.PecanHook):
    """Hand controllers the compute API: injected in tests, built lazily.

    Lazy, because building the real one sets up the message bus, which a
    process serving only the root document never needs.
    """

    def __init__(self, compute_api: API | None = None,
                 factory: Callable[[], API] | None = None) -> None:
        self._compute_api = compute_api
        self._factory = factory
        self._lock = threading.Lock()

    def _get(self) -> API:
        api = self._compute_api
        if api is None:
            with self._lock:
                api = self._compute_api
                if api is None:
                    if self._factory is None:
                        raise RuntimeError("ComputeHook has neither a compute API "
                                           "nor a factory to build one")
                    api = self._compute_api = self._factory()
        return api

    def before(self, state: Any) -> None:
        # A getter, not the object: requests that never touch a container
        # (root document, validation failures) never build it.
        state.request.compute_api_getter = self._get
