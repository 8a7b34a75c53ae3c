"""[docker]: how the docker driver reaches its engine."""
from oslo_config import cfg

group = cfg.OptGroup("docker", title="Docker driver")

opts = [
    cfg.StrOpt("api_url", default="unix:///var/run/docker.sock",
               help="Docker engine endpoint (unix:// or tcp://)."),
    cfg.IntOpt("default_timeout", default=60, min=1,
               help="Seconds before a Docker API request is abandoned."),
    cfg.IntOpt("execute_timeout", default=60, min=1,
               help="Seconds a non-interactive exec may run before it is reported as failed."),
    cfg.IntOpt("stop_timeout", default=10, min=0,
               help="Default seconds between SIGTERM and SIGKILL on stop."),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_group(group)
    conf.register_opts(opts, group=group)


def list_opts() -> dict[str | cfg.OptGroup, list[cfg.Opt]]:
    return {group: opts}
