"""The compute agent's threads: heartbeat, event follower, reconcile, RPC.

Plain threads with an interruptible wait; no eventlet, no oslo.service loop.
"""
from __future__ import annotations

import datetime
import functools
import logging
import threading
from typing import Any, Callable

import oslo_messaging as messaging

from zun import network as network_drivers
from zun.common import actions, exception, rpc
from zun.common import context as zun_context
from zun.compute import console as console_mod
from zun.compute import images, resources
from zun.compute import manager as manager_mod
from zun.compute import sync as sync_mod
from zun.conf import CONF
from zun.container.driver import base as driver_base
from zun.db import api as db_api
from zun.network import base as network_base
from zun.scheduler.scheduler import COMPUTE_BINARY

LOG = logging.getLogger(__name__)


class ComputeService:
    """Everything one compute host runs, started and stopped together."""

    def __init__(self, driver: driver_base.ContainerDriver,
                 host: str | None = None,
                 network: network_base.NetworkDriver | None = None) -> None:
        self.host = host or CONF.host
        self.driver = driver
        if network is None:
            network = network_drivers.load_driver(host=self.host)
        self.network = network
        # why the host guard is not installed (None: installed, or not tried
        # yet); while set, the host does not offer to create containers
        self.guard_error: str | None = None
        self.sync = sync_mod.StateSync(driver, self.host, network=network)
        # the console proxy's way in (attach, exec -it); listens from start()
        self.console = console_mod.ConsoleRelay(driver)
        # why the relay is not listening (None: it is, or not started yet);
        # while set, the host does not offer attach
        self.console_error: str | None = None
        self.manager = manager_mod.Manager(driver, self.host, self.sync,
                                           network=network, console=self.console)
        self.sync.heal = self.manager.heal
        self.inventory = resources.InventoryReporter(driver, self.host)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._rpc_server: Any = None

    # --- lifecycle ---------------------------------------------------------
    def start(self, with_rpc_server: bool = True) -> None:
        """Listen, register, then run the background threads.

        The RPC server starts before the first heartbeat (the scheduler only
        sends to hosts it has heard from), and nothing slow (the first
        reconcile) runs before either.
        """
        started = datetime.datetime.utcnow()
        self.install_guard()
        self._start_console()
        if with_rpc_server:
            # Listen before announcing the host: a request sent as soon as
            # the scheduler sees the heartbeat must find the queue.
            target = messaging.Target(topic=CONF.compute.topic, server=self.host)
            self._rpc_server = rpc.get_server(target, [self.manager])
            self._rpc_server.start()
        self.heartbeat()
        self._spawn("heartbeat", self._every(CONF.report_interval, self.heartbeat))
        self._spawn("reconcile", self._every(CONF.compute.sync_interval, self._periodic,
                                             first=self.sync.reconcile))
        if CONF.compute.use_events and "events" in self.driver.capabilities:
            self._spawn("events", self._follow_events)
        self._spawn("recovery", lambda: self._recover_after_start(started))
        LOG.info("Compute service started on host %s with driver %s",
                 self.host, self.driver.name)
        self._warn_if_idle()

    def _warn_if_idle(self) -> None:
        """Say at start when this host will never be given a container.

        The service runs and heartbeats either way (an operator sees it in
        ``GET /v1/services``), but a driver without the ``create``
        capability is never chosen by the scheduler, and a runtime that does
        not answer fails whatever it is sent.
        """
        if "create" not in self.driver.capabilities:
            LOG.warning("Driver %s on host %s cannot create containers: the "
                        "host reports capabilities %s and is never scheduled",
                        self.driver.name, self.host,
                        sorted(self.driver.capabilities) or "none")
        elif not self.driver.ping():
            LOG.warning("The %s runtime of host %s does not answer yet",
                        self.driver.name, self.host)

    def install_guard(self) -> bool:
        """Install the network driver's host guard; whether it is in place.

        Without it a container could reach this host's own services, so a
        failure is logged loudly and the host stops offering the ``create``
        capability (the scheduler sends it no new container; existing ones
        keep working) until a later attempt (each reconcile) succeeds.
        The guard is never removed on stop: the containers outlive the agent.
        """
        try:
            self.network.setup_host()
        except Exception as exc:  # noqa: BLE001 - any failure leaves the host unguarded
            if self.guard_error is None:
                LOG.error("Host guard of network driver %s NOT installed on host "
                          "%s: %s. This host creates no container until it is.",
                          self.network.name, self.host, exc)
            self.guard_error = str(exc) or type(exc).__name__
            return False
        if self.guard_error is not None:
            LOG.info("Host guard installed on host %s; it creates containers again",
                     self.host)
        self.guard_error = None
        return True

    def _start_console(self) -> None:
        """Listen for the console proxy. A relay that cannot listen (the
        configured port taken) costs only consoles: logged, and the host
        stops offering ``attach``; everything else runs."""
        if "attach" not in self.driver.capabilities:
            return
        try:
            self.console.start()
        except OSError as exc:
            LOG.error("Console relay of host %s cannot listen on %s port %s: %s. "
                      "This host offers no console (attach, exec -it).", self.host,
                      CONF.compute.console_host, CONF.compute.console_port, exc)
            self.console_error = str(exc) or type(exc).__name__
            return
        self.console_error = None

    def capabilities(self) -> list[str]:
        """What this host offers: its runtime driver's and, for a runtime that
        creates containers, its network driver's; minus create while
        unguarded and attach while the console relay cannot listen."""
        caps = set(self.driver.capabilities)
        if "create" in caps:
            caps |= self.network.capabilities
        if self.guard_error is not None:
            caps.discard("create")
        if self.console_error is not None:
            caps.discard("attach")
        return sorted(caps)

    def stop(self) -> None:
        self._stop.set()
        if self._rpc_server is not None:
            self._rpc_server.stop()
            self._rpc_server.wait()
        self.console.stop()
        for thread in self._threads:
            thread.join(timeout=5)

    def wait(self) -> None:
        self._stop.wait()

    # --- work --------------------------------------------------------------
    def heartbeat(self) -> None:
        """Report this agent alive, with what its driver can do.

        The capabilities are the driver's declared ones (less ``create``
        while the host guard is missing: :meth:`install_guard`), whether or not its
        runtime answers at this moment: a runtime briefly away must not turn
        every action on its containers into "unsupported" (the action fails
        with 503 instead). A driver with no runtime at all (rkt) declares
        none, so its host heartbeats as up yet is never chosen to create.
        """
        db_api.service_heartbeat(
            zun_context.get_admin_context(), self.host, COMPUTE_BINARY,
            {"driver": self.driver.name,
             "capabilities": self.capabilities(),
             "rpc_version": actions.RPC_VERSION,
             "availability_zone": CONF.default_availability_zone})
        self._safe(self.inventory.report, "host inventory report")

    def _recover_after_start(self, started: datetime.datetime) -> None:
        """Resolve what the previous run of this agent left in flight.

        Requests still queued for this host are served first (they hold
        their claims); only rows untouched since before this start and not
        being worked on are resolved.
        """
        if self._stop.wait(CONF.compute.recovery_grace):
            return
        self._safe(lambda: self.manager.recover_interrupted(started),
                   "resume of interrupted operations")

    def _periodic(self) -> None:
        """The safety net: reconcile with the runtime, resume lost requests
        (even when the reconcile fails: a resume's attempts must be counted
        while the engine is away, so that they end)."""
        if self.guard_error is not None and self.install_guard():
            self.heartbeat()  # offer create again at once
        self._safe(self.sync.reconcile, "reconcile")
        self._safe(lambda: images.reconcile(self.driver, zun_context.get_admin_context(),
                                            self.host), "image reconcile")
        cutoff = (datetime.datetime.utcnow()
                  - datetime.timedelta(seconds=CONF.compute.stuck_task_timeout))
        self.manager.recover_interrupted(cutoff)

    def _follow_events(self) -> None:
        """Follow the event stream; on a break, back off, reconnect, reconcile."""
        backoff = 0.5
        while not self._stop.is_set():
            try:
                for event in self.driver.events(self._stop):
                    backoff = 0.5
                    self._safe(functools.partial(self.sync.on_event, event), "event sync")
            except exception.ZunException as exc:
                LOG.warning("Runtime event stream broke (%s); reconnecting", exc)
            except Exception:  # noqa: BLE001 - never let the follower die
                LOG.exception("Runtime event stream failed; reconnecting")
            if self._stop.wait(backoff):
                return
            backoff = min(backoff * 2, 10.0)
            self._safe(self.sync.reconcile, "reconcile after reconnect")

    # --- helpers -------------------------------------------------------------
    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name="zun-%s" % name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _every(self, interval: float, func: Callable[[], Any],
               first: Callable[[], Any] | None = None) -> Callable[[], None]:
        """A loop running ``first`` at once (if given), then ``func`` every interval."""
        def loop() -> None:
            if first is not None:
                self._safe(first, first.__name__)
            while not self._stop.wait(interval):
                self._safe(func, func.__name__)
        return loop

    @staticmethod
    def _safe(func: Callable[[], Any], what: str) -> None:
        try:
            func()
        except Exception:  # noqa: BLE001 - background work logs and goes on
            LOG.exception("%s failed", what)
