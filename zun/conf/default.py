"""[DEFAULT]: host identity, state directory, driver and sizing defaults."""
import socket

from oslo_config import cfg

opts = [
    cfg.StrOpt("host", default=socket.gethostname(), sample_default="localhost",
               help="Name of this compute host; containers scheduled here "
                    "carry it and its agent listens on this RPC server name."),
    cfg.StrOpt("state_path", default="/var/lib/zun",
               help="Directory for zun's local state (the SQLite DB by default)."),
    cfg.StrOpt("container_driver", default="docker", choices=["docker", "rkt"],
               help="Container runtime driver of this compute host."),
    cfg.FloatOpt("default_cpu", default=1.0,
                 help="CPUs given to a container that asks for none."),
    cfg.IntOpt("default_memory", default=512,
               help="Memory (MiB) given to a container that asks for none."),
    cfg.FloatOpt("minimum_cpus", default=0.1, help="Smallest cpu a container may ask for."),
    cfg.FloatOpt("maximum_cpus", default=16.0, help="Largest cpu a container may ask for."),
    cfg.IntOpt("minimum_memory", default=4, help="Smallest memory (MiB) a container may ask for."),
    cfg.IntOpt("maximum_memory", default=8192,
               help="Largest memory (MiB) a container may ask for."),
    cfg.IntOpt("minimum_disk", default=1, help="Smallest disk (GiB) a container may ask for."),
    cfg.IntOpt("maximum_disk", default=160, help="Largest disk (GiB) a container may ask for."),
    cfg.IntOpt("service_down_time", default=60,
               help="Seconds without a heartbeat after which a service counts as down."),
    cfg.IntOpt("report_interval", default=10,
               help="Seconds between two heartbeats of a service."),
    cfg.StrOpt("default_availability_zone", default="nova",
               help="Availability zone of services that do not set one."),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(opts)


def list_opts() -> dict[str | cfg.OptGroup, list[cfg.Opt]]:
    return {"DEFAULT": opts}
