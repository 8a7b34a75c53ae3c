"""zun-compute: the agent that runs containers on this host."""
from __future__ import annotations

import logging

from zun.cmd import common

LOG = logging.getLogger(__name__)


def main() -> None:
    common.prepare()
    from zun import network as networks
    from zun.common import rpc
    from zun.compute import service as compute_service
    from zun.container import driver as drivers

    service = compute_service.ComputeService(drivers.load_driver(),
                                             network=networks.load_driver())
    service.start()

    def stop() -> None:
        service.stop()
        rpc.cleanup()

    common.wait_for_signal(stop)


if __name__ == "__main__":
    main()
