"""[quota]: what a project may hold when neither it nor a quota class says.

The option names are the quota resources themselves, so this module is the
one list of them.
"""
from oslo_config import cfg

group = cfg.OptGroup("quota", title="Per-project quotas")

opts: list[cfg.Opt] = [
    cfg.IntOpt("containers", default=40, min=-1,
               help="Containers a project may have; -1 means unlimited."),
    cfg.IntOpt("cpu", default=20, min=-1,
               help="Sum of the cpu of a project's containers; -1 means "
                    "unlimited."),
    cfg.IntOpt("memory", default=51200, min=-1,
               help="Sum of the memory (MiB) of a project's containers; -1 "
                    "means unlimited."),
    cfg.IntOpt("disk", default=100, min=-1,
               help="Sum of the disk (GiB) of a project's containers; -1 "
                    "means unlimited."),
]

# The quota resources, in the order the API shows them.
RESOURCES: tuple[str, ...] = tuple(o.name for o in opts)
UNLIMITED = -1


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_group(group)
    conf.register_opts(opts, group=group)


def list_opts() -> dict[str | cfg.OptGroup, list[cfg.Opt]]:
    return {group: opts}
