"""[scheduler]: how much of a host the scheduler may hand out."""
from oslo_config import cfg

group = cfg.OptGroup("scheduler", title="Scheduler")

opts = [
    cfg.FloatOpt("cpu_allocation_ratio", default=16.0, min=0,
                 help="Virtual CPUs per host CPU the scheduler may allocate."),
    cfg.FloatOpt("ram_allocation_ratio", default=1.5, min=0,
                 help="Memory allocatable per MiB of host memory."),
    cfg.FloatOpt("disk_allocation_ratio", default=1.0, min=0,
                 help="Disk allocatable per GiB of host disk."),
    cfg.FloatOpt("reserved_host_cpus", default=0.0, min=0,
                 help="CPUs kept for the host itself."),
    cfg.IntOpt("reserved_host_memory_mb", default=512, min=0,
               help="Memory (MiB) kept for the host itself."),
    cfg.IntOpt("reserved_host_disk_gb", default=0, min=0,
               help="Disk (GiB) kept for the host itself."),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_group(group)
    conf.register_opts(opts, group=group)


def list_opts() -> dict[str | cfg.OptGroup, list[cfg.Opt]]:
    return {group: opts}
