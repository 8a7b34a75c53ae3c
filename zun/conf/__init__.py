"""zun's configuration: every option is registered here, on the global CONF.

oslo.messaging registers some of its options only on the global ``cfg.CONF``,
so zun uses that object everywhere rather than a private ConfigOpts.
"""
from oslo_config import cfg

from zun.conf import (
    api,
    compute,
    database,
    default,
    docker,
    network,
    quota,
    registry,
    scheduler,
    websocket_proxy,
)

CONF = cfg.CONF

# Every option module, in the order of the sample config; opts.py lists them.
MODULES = (default, api, compute, docker, network, database, scheduler, quota,
           registry, websocket_proxy)
for _module in MODULES:
    _module.register_opts(CONF)
