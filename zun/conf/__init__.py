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

default.register_opts(CONF)
api.register_opts(CONF)
compute.register_opts(CONF)
docker.register_opts(CONF)
network.register_opts(CONF)
database.register_opts(CONF)
scheduler.register_opts(CONF)
quota.register_opts(CONF)
registry.register_opts(CONF)
websocket_proxy.register_opts(CONF)
