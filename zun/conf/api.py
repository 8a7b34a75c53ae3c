"""[api]: where the REST API listens and how it authenticates."""
from oslo_config import cfg

group = cfg.OptGroup("api", title="REST API")

opts = [
    cfg.HostAddressOpt("host_ip", default="127.0.0.1",
                       help="Address the API listens on."),
    cfg.PortOpt("port", default=9517, help="Port the API listens on."),
    cfg.StrOpt("auth_strategy", default="keystone", choices=["noauth", "keystone"],
               help="'keystone' validates tokens with keystonemiddleware; "
                    "'noauth' trusts X-User-Id, X-Project-Id and X-Roles "
                    "(tests and single-host trials only)."),
    cfg.BoolOpt("allow_insecure_noauth", default=False,
                help="Start even though auth_strategy is 'noauth' and the API "
                     "is reachable beyond this machine (host_ip not a "
                     "loopback address, or served through zun.wsgi). Anyone "
                     "who reaches the port is then admin of every project: "
                     "only for isolated test rigs. Logged as a warning at "
                     "start."),
    cfg.IntOpt("max_limit", default=1000, min=1,
               help="Largest page a list request may return."),
    # Injected files (1 MiB of content, base64 in the create body: about
    # 1.4 MB) must fit, with room for the rest of a create.
    cfg.IntOpt("max_request_body_size", default=2 * 1024 * 1024, min=1024,
               help="Largest request body, in bytes, the API reads; a larger "
                    "one is refused with 413. The default leaves room for the "
                    "1 MiB of injected files a create may carry (base64)."),
    # The archive travels whole in one RPC message, base64 (4/3 larger):
    # 8 MiB stays under RabbitMQ 4's default 16 MiB max_message_size.
    cfg.IntOpt("max_archive_size", default=8 * 1024 * 1024, min=1024,
               help="Largest tar archive, in bytes, copied into or out of a "
                    "container (put_archive, get_archive: zun cp). A larger "
                    "one is refused with 413 (on a get, before more than "
                    "this much is read from the engine). The request body "
                    "of put_archive may be as large as this archive in "
                    "base64, whatever max_request_body_size says; both the "
                    "archive and its reply cross the message bus in one "
                    "message, so keep it below the broker's message size "
                    "limit."),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_group(group)
    conf.register_opts(opts, group=group)


def list_opts() -> dict[str | cfg.OptGroup, list[cfg.Opt]]:
    return {group: opts}
