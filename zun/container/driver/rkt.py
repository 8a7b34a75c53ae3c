"""The rkt driver: a placeholder that loads and refuses every operation.

rkt is discontinued and no zun host runs it, but ``container_driver = rkt``
is an accepted setting. Such a host reports no capabilities, so the scheduler
never places a container on it and the API refuses actions before sending
them; anything that still reaches this driver fails with a 400 naming the
driver and the operation (UnsupportedOperation), never a traceback.

It answers the probes truthfully for a driver with no runtime: nothing is
listed, nothing can be inspected, no runtime is offered, and ``ping`` says
False because there is nothing to answer. The agent still starts and
heartbeats, so an operator sees the host (up, offering nothing) in
``GET /v1/services`` and ``GET /v1/hosts`` rather than wondering where it went.

Thread-safe: it keeps no state at all.
"""
from __future__ import annotations

import threading
from typing import Any, NoReturn

from zun.common import exception
from zun.container.driver import base


class RktDriver(base.ContainerDriver):
    """Answers the probes (inspect, list, ping, host_info) and refuses the rest."""

    name = "rkt"
    capabilities: frozenset[str] = frozenset()

    def _unsupported(self, operation: str) -> NoReturn:
        raise exception.UnsupportedOperation(driver=self.name, operation=operation)

    def create(self, spec: base.ContainerSpec) -> base.RuntimeFacts:
        self._unsupported("create")

    def start(self, container_id: str) -> base.RuntimeFacts:
        self._unsupported("start")

    def stop(self, container_id: str, timeout: int | None = None) -> base.RuntimeFacts:
        self._unsupported("stop")

    def reboot(self, container_id: str, timeout: int | None = None) -> base.RuntimeFacts:
        self._unsupported("reboot")

    def pause(self, container_id: str) -> base.RuntimeFacts:
        self._unsupported("pause")

    def unpause(self, container_id: str) -> base.RuntimeFacts:
        self._unsupported("unpause")

    def kill(self, container_id: str, signal: str | None = None) -> base.RuntimeFacts:
        self._unsupported("kill")

    def delete(self, container_id: str, force: bool = False) -> None:
        self._unsupported("delete")

    def update(self, container_id: str, cpu: float | None = None,
               memory_mib: int | None = None) -> None:
        self._unsupported("update")

    def inspect(self, container_id: str) -> base.RuntimeFacts:
        # A probe, not a capability: with no runtime, no container exists.
        raise exception.RuntimeContainerNotFound(container_id=container_id)

    def list_containers(self) -> list[base.RuntimeFacts]:
        # Nothing runs under rkt, so the periodic sync finds nothing to do.
        return []

    def logs(self, container_id: str, stdout: bool = True, stderr: bool = True,
             timestamps: bool = False, tail: str | int = "all",
             since: str | int | None = None) -> str:
        self._unsupported("logs")

    def execute(self, container_id: str, command: list[str]) -> tuple[str, int]:
        self._unsupported("exec")

    def top(self, container_id: str, ps_args: str | None = None) -> dict[str, Any]:
        self._unsupported("top")

    def stats(self, container_id: str) -> dict[str, Any]:
        self._unsupported("stats")

    def events(self, stop: threading.Event) -> NoReturn:
        # Refused at the call (not at the first next()): the agent never
        # follows events of a driver without the capability.
        self._unsupported("events")

    # images, cp, commit and the consoles (exec_create, console, resize,
    # exec_resize) are refused by the base class's defaults, naming "rkt".

    def ping(self) -> bool:
        # There is no rkt runtime to answer. Saying True would claim a
        # working runtime; the service heartbeat does not depend on it.
        return False

    # --- host inventory ------------------------------------------------------
    def host_info(self) -> dict[str, Any]:
        # No rkt runtime is ever installed, so none is offered.
        return {"runtimes": []}
