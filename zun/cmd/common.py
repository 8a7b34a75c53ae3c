"""Start-up steps every console script shares: config, logging, signals."""
from __future__ import annotations

import logging
import signal
import sys
import threading
from typing import Any, Callable

from oslo_log import log as oslo_log

from zun.conf import CONF, registry

_QUIET_LOGGERS = ["amqp=WARN", "amqplib=WARN", "kombu=WARN", "oslo.messaging=INFO",
                  "oslo_messaging=INFO", "urllib3.connectionpool=WARN",
                  "docker.utils.config=WARN", "stevedore=WARN", "oslo_policy=WARN",
                  "keystonemiddleware=INFO", "routes.middleware=WARN",
                  # frame-by-frame traces, and a traceback per health probe
                  "websockets=INFO"]


def prepare(argv: list[str] | None = None) -> None:
    """Parse ``--config-file``/``--config-dir`` and set up oslo.log."""
    oslo_log.register_options(CONF)
    oslo_log.set_defaults(default_log_levels=oslo_log.get_default_log_levels()
                          + _QUIET_LOGGERS)
    CONF(sys.argv[1:] if argv is None else argv, project="zun")
    registry.validate(CONF)
    oslo_log.setup(CONF, "zun")
    logging.captureWarnings(True)


def wait_for_signal(on_stop: Callable[[], None]) -> None:
    """Block until SIGTERM/SIGINT, then run ``on_stop`` once."""
    stopping = threading.Event()

    def handler(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    while not stopping.wait(1.0):
        pass
    on_stop()


def start_console_proxy(compute_api: Any) -> Any:
    """The console proxy (attach, exec -it) on ``[websocket_proxy]
    host_ip:port``, serving with ``compute_api``'s token and relay calls;
    SystemExit naming the options when it cannot listen."""
    from zun.console import proxy
    conf = CONF.websocket_proxy
    console = proxy.ConsoleProxy(compute_api.consoles.consume_token,
                                 compute_api.consoles.relay, conf.host_ip, conf.port)
    try:
        console.start()
    except OSError as err:
        raise SystemExit("The console proxy cannot listen on %s:%s ([websocket_proxy] "
                         "host_ip, port): %s" % (conf.host_ip, conf.port, err)) from None
    return console
