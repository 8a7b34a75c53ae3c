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
    cfg.IntOpt("max_limit", default=1000, min=1,
               help="Largest page a list request may return."),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_group(group)
    conf.register_opts(opts, group=group)


def list_opts() -> dict[str | cfg.OptGroup, list[cfg.Opt]]:
    return {group: opts}
