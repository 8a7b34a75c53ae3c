"""zun-all: API and compute agent in one process, the single-host default.

The API reaches the agent by direct in-process dispatch (see
zun.common.rpc.LocalClient): no broker to run, no polling delay.
"""
from __future__ import annotations

import logging
import threading

from zun.cmd import common
from zun.conf import CONF

LOG = logging.getLogger(__name__)


def main() -> None:
    common.prepare()
    from zun.api.middleware import auth
    try:
        auth.check_noauth_exposure(CONF.api.host_ip)
    except auth.InsecureNoauthError as refused:
        raise SystemExit(str(refused)) from None
    from zun import network as networks
    from zun.api import app as api_app
    from zun.common import rpc, wsgi_server
    from zun.compute import api as compute_api
    from zun.compute import service as compute_service
    from zun.container import driver as drivers

    service = compute_service.ComputeService(drivers.load_driver(),
                                             network=networks.load_driver())
    service.start(with_rpc_server=False)
    local = rpc.LocalClient(service.manager, workers=CONF.compute.workers)
    api = compute_api.API(rpc_client=local)
    app = api_app.setup_app(compute_api=api)
    server = wsgi_server.make_server(CONF.api.host_ip, CONF.api.port, app)
    LOG.info("zun-all listening on http://%s:%s/v1 (host %s)",
             CONF.api.host_ip, CONF.api.port, service.host)
    threading.Thread(target=server.serve_forever, name="zun-api-http",
                     daemon=True).start()
    try:
        console = common.start_console_proxy(api)
    except SystemExit:
        server.shutdown()
        local.shutdown()
        service.stop()
        raise

    def stop() -> None:
        server.shutdown()
        console.stop()
        local.shutdown()
        service.stop()

    common.wait_for_signal(stop)


if __name__ == "__main__":
    main()
