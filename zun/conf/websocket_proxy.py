"""[websocket_proxy]: the console proxy of attach and exec -it (zun-wsproxy).

Clients reach containers' ttys only through this proxy, with a token the API
hands out (see docs/interactive.rst). The engine stays on its unix socket:
the proxy talks to the container's compute agent, which relays to it.
"""
from __future__ import annotations

from oslo_config import cfg

group = cfg.OptGroup("websocket_proxy", title="The console proxy (attach, exec -it)")

opts: list[cfg.Opt] = [
    cfg.StrOpt("host_ip", default="127.0.0.1",
               help="Address zun-wsproxy (or zun-all) listens on."),
    cfg.PortOpt("port", default=6784, help="Port zun-wsproxy listens on."),
    cfg.StrOpt("base_url", default="ws://127.0.0.1:6784/",
               help="The proxy's URL as clients reach it (ws:// or wss://, behind a "
                    "TLS terminator); the API builds attach and exec URLs from it."),
    cfg.ListOpt("allowed_origins", default=[],
                help="Origins (scheme://host[:port]) a client's websocket may come "
                     "from, besides the origin of base_url itself. Only this list "
                     "decides: it never grows by itself."),
    cfg.IntOpt("token_ttl", default=30, min=1, max=3600,
               help="Seconds a console token stays valid; each is good for one "
                    "connection."),
    cfg.IntOpt("tokens_per_minute", default=60, min=1,
               help="Console tokens (attach and exec -it) one project may obtain per "
                    "minute; more answer 429."),
    cfg.IntOpt("max_sessions", default=256, min=1,
               help="Console sessions one proxy relays at once; more are refused "
                    "(503) rather than slowing every session down."),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_group(group)
    conf.register_opts(opts, group=group)


def list_opts() -> dict[str | cfg.OptGroup, list[cfg.Opt]]:
    return {group: opts}
