"""zun-wsproxy: the console proxy of attach and exec -it, beside the API.

It checks each websocket's origin and single-use token (DB) and asks the
container's agent (RPC over the bus) for a relay, like zun-api does for
any other action; zun-all runs the same proxy in-process instead.
"""
from __future__ import annotations

import logging

from zun.cmd import common
from zun.conf import CONF

LOG = logging.getLogger(__name__)


def main() -> None:
    common.prepare()
    from zun.common import rpc
    from zun.compute import api as compute_api

    console = common.start_console_proxy(compute_api.API())
    LOG.info("zun-wsproxy serving %s", CONF.websocket_proxy.base_url)

    def stop() -> None:
        console.stop()
        rpc.cleanup()

    common.wait_for_signal(stop)


if __name__ == "__main__":
    main()
