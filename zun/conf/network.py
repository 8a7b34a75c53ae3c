"""[network]: how a compute host connects and isolates tenants' containers."""
from oslo_config import cfg

group = cfg.OptGroup("network", title="Container networks",
                     help="Per-project networks and the host guard; see "
                          "docs/networking.rst.")

opts = [
    cfg.StrOpt("driver", default="docker",
               help="Network driver (entry point in group zun.network.driver). "
                    "'docker': one Docker bridge network per project per host."),
    cfg.BoolOpt("allow_egress", default=True,
                help="Whether containers may open connections to destinations "
                     "other than this host and other projects' networks "
                     "(other machines, the internet). False: a container "
                     "reaches only its own project's network (and answers "
                     "on its published ports). Applies to the whole host: "
                     "the rule matches every zun bridge."),
    cfg.StrOpt("subnet_pool", default="10.128.0.0/12",
               help="IPv4 range from which each project network gets its own "
                    "subnet (of subnet_prefixlen). zun picks subnets itself, "
                    "skipping those of every existing Docker network, because "
                    "Docker's default pools hand out /16s and run out after "
                    "about 30 networks. The default (10.128.0.0 - "
                    "10.143.255.255) must not overlap the networks this host "
                    "or its containers need to reach: change it if it does."),
    cfg.IntOpt("subnet_prefixlen", default=24, min=8, max=29,
               help="Prefix length of each project network's subnet (24: 253 "
                    "containers per project per host; 4096 projects per host "
                    "with the default pool)."),
    cfg.StrOpt("bridge_prefix", default="zbr", regex=r"^[a-z][a-z0-9]{0,3}$",
               help="Start of the Linux bridge name of every project network "
                    "(1-4 characters; the rest is a hash of host and project, "
                    "15 characters in all). The host guard matches every zun "
                    "bridge by it (iptables '-i <prefix>+'), so no other "
                    "interface of the host may start with it."),
    cfg.IntOpt("release_after", default=60, min=0,
               help="Seconds a project network with no container left on this "
                    "host is kept before the reconcile removes it. Deletes "
                    "never wait for the network, and a project that runs and "
                    "deletes containers in turn does not pay for a new network "
                    "each time. 0: removed at the first reconcile after its "
                    "last container."),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_group(group)
    conf.register_opts(opts, group=group)


def list_opts() -> dict[str | cfg.OptGroup, list[cfg.Opt]]:
    return {group: opts}
