"""A throw-away Keystone v3 token endpoint for driving the `zun` CLI in noauth tests.

python-zunclient's shell always authenticates with a password before its
first API call, even with --bypass-url. Against a zun running with
``auth_strategy = noauth`` any token will do, so this stub answers v3
discovery and issues a token whose catalog points at the zun endpoint. It is
test scaffolding only: real Keystone tests use a real Keystone.
"""
from __future__ import annotations

import datetime
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _token_body(zun_endpoint: str, base: str) -> dict:
    now = datetime.datetime.now(datetime.timezone.utc)
    domain = {"id": "default", "name": "Default"}
    return {"token": {
        "methods": ["password"],
        "issued_at": now.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
        "expires_at": (now + datetime.timedelta(hours=1)).strftime(
            "%Y-%m-%dT%H:%M:%S.000000Z"),
        "user": {"id": "stub-user", "name": "stub", "domain": domain},
        "project": {"id": "stub-project", "name": "stub", "domain": domain},
        "roles": [{"id": "r-admin", "name": "admin"}],
        "catalog": [
            {"type": "container", "name": "zun", "id": "zun-svc", "endpoints": [
                {"id": "zun-%s" % iface, "interface": iface, "region": "RegionOne",
                 "region_id": "RegionOne", "url": zun_endpoint}
                for iface in ("public", "internal", "admin")]},
            {"type": "identity", "name": "keystone", "id": "ks-svc", "endpoints": [
                {"id": "ks-public", "interface": "public", "region": "RegionOne",
                 "region_id": "RegionOne", "url": base + "/v3"}]},
        ]}}


class TokenStub:
    """Serve on 127.0.0.1:<free port>; ``auth_url`` is what the CLI needs."""

    def __init__(self, zun_endpoint: str) -> None:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _json(self, status: int, body: dict, headers: dict | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                version = {"id": "v3.14", "status": "stable",
                           "updated": "2020-01-01T00:00:00Z",
                           "links": [{"rel": "self", "href": stub.base + "/v3/"}],
                           "media-types": [{"base": "application/json",
                                            "type": "application/vnd.openstack.identity-v3+json"}]}
                if self.path.rstrip("/") in ("", "/"):
                    self._json(300, {"versions": {"values": [version]}})
                else:
                    self._json(200, {"version": version})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                stub.issued += 1
                self._json(201, _token_body(stub.zun_endpoint, stub.base),
                           {"X-Subject-Token": "stub-" + uuid.uuid4().hex})

        self.zun_endpoint = zun_endpoint
        self.issued = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = "http://127.0.0.1:%d" % self._server.server_address[1]
        self.auth_url = self.base + "/v3"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "TokenStub":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
