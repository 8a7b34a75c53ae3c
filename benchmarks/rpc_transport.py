"""Why zun-all dispatches in-process instead of using oslo.messaging's fake://.

Measures, in one run on this machine, the latency of a trivial RPC call and
of a cast until its handler runs, for oslo.messaging's ``fake://`` transport
and for zun's LocalClient. Prints medians and the ratio; no thresholds.

    .venv/bin/python benchmarks/rpc_transport.py [--n 100]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time

import oslo_messaging as messaging
from oslo_config import cfg

import zun  # noqa: F401  (selects oslo.service's threading backend)
from zun.common import context as zun_context
from zun.common import rpc


class Endpoint:
    target = messaging.Target(version="1.0")

    def __init__(self) -> None:
        self.done = threading.Event()

    def ping(self, ctxt, value):
        return value

    def poke(self, ctxt):
        self.done.set()


def _measure(client, endpoint: Endpoint, n: int) -> tuple[float, float]:
    ctx = zun_context.get_admin_context()
    calls, casts = [], []
    for i in range(n):
        start = time.perf_counter()
        client.call(ctx, "bench", "ping", value=i)
        calls.append(time.perf_counter() - start)
        endpoint.done.clear()
        start = time.perf_counter()
        client.cast(ctx, "bench", "poke")
        endpoint.done.wait(5)
        casts.append(time.perf_counter() - start)
    return statistics.median(calls), statistics.median(casts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100)
    args = parser.parse_args()
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as conf:
        conf.write("[DEFAULT]\ntransport_url = fake://\n")
    cfg.CONF(["--config-file", conf.name], project="zun")

    fake_endpoint = Endpoint()
    server = rpc.get_server(messaging.Target(topic="bench", server="bench"),
                            [fake_endpoint])
    server.start()
    fake_client = rpc.MessagingClient("bench", timeout=10)
    local_endpoint = Endpoint()
    local_client = rpc.LocalClient(local_endpoint)
    try:
        _measure(fake_client, fake_endpoint, 3)  # warm up
        fake = _measure(fake_client, fake_endpoint, args.n)
        local = _measure(local_client, local_endpoint, args.n)
    finally:
        server.stop()
        server.wait()
        local_client.shutdown()
        rpc.cleanup()
    print("%-22s %12s %12s" % ("transport (n=%d)" % args.n, "call median", "cast median"))
    print("%-22s %10.3f ms %10.3f ms" % ("oslo.messaging fake://", fake[0] * 1e3, fake[1] * 1e3))
    print("%-22s %10.3f ms %10.3f ms" % ("zun LocalClient", local[0] * 1e3, local[1] * 1e3))
    print("%-22s %11.0fx %11.0fx" % ("fake / local", fake[0] / local[0], fake[1] / local[1]))


if __name__ == "__main__":
    main()
