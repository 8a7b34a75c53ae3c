"""A small threaded HTTP server for the API in the single-host commands.

Production deployments put ``zun.wsgi`` behind a real WSGI server; this one
exists so ``zun-api`` and ``zun-all`` run with nothing else installed.
"""
from __future__ import annotations

import logging
import socketserver
from wsgiref import simple_server
from wsgiref.types import WSGIApplication

LOG = logging.getLogger(__name__)


class _ThreadingServer(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class _Handler(simple_server.WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        LOG.info("%s %s", self.address_string(), format % args)

    def address_string(self) -> str:
        return self.client_address[0]


def make_server(host: str, port: int, app: WSGIApplication) -> _ThreadingServer:
    """Bind now (so a taken port fails at once); serve with serve_forever()."""
    server = simple_server.make_server(host, port, app,
                                       server_class=_ThreadingServer,
                                       handler_class=_Handler)
    return server
