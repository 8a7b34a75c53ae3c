"""zun-api: the REST API, sending work to compute agents over the message bus."""
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
    from zun.api import app as api_app
    from zun.common import rpc, wsgi_server
    from zun.compute import api as compute_api

    app = api_app.setup_app(compute_api=compute_api.API())
    server = wsgi_server.make_server(CONF.api.host_ip, CONF.api.port, app)
    LOG.info("zun-api listening on http://%s:%s/v1", CONF.api.host_ip, CONF.api.port)
    threading.Thread(target=server.serve_forever, name="zun-api-http",
                     daemon=True).start()

    def stop() -> None:
        server.shutdown()
        rpc.cleanup()

    common.wait_for_signal(stop)


if __name__ == "__main__":
    main()
