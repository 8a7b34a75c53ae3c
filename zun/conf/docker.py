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

# Runtime hardening applied to every container zun creates. The capability
# default is Docker's own default set minus NET_RAW, spelled out so that the
# set is the same whatever the engine's (version-dependent) default is.
DEFAULT_CAP_ADD = ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL",
                   "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP",
                   "SETUID", "SYS_CHROOT"]

hardening_opts = [
    cfg.ListOpt("cap_drop", default=["ALL"],
                help="Linux capabilities removed from every container. With "
                     "ALL (the default), a container holds exactly cap_add; an "
                     "empty list keeps the engine's default set (which includes "
                     "NET_RAW: raw sockets, ARP spoofing on the bridge)."),
    cfg.ListOpt("cap_add", default=DEFAULT_CAP_ADD,
                help="Linux capabilities granted after cap_drop (names without "
                     "the CAP_ prefix). The default is Docker's default set "
                     "without NET_RAW, which common images (web servers, "
                     "databases dropping root, package managers) need."),
    cfg.BoolOpt("no_new_privileges", default=True,
                help="Run containers with no-new-privileges: setuid binaries and "
                     "file capabilities cannot raise a process's privileges."),
    cfg.IntOpt("pids_limit", default=1024, min=0,
               help="Most processes and threads a container may hold at once "
                    "(stops a fork bomb); 0 leaves it to the engine (unlimited)."),
    cfg.StrOpt("log_driver", default="json-file",
               help="Log driver for container output. zun's logs API reads "
                    "through the engine, so any driver the engine can read back "
                    "works; empty uses the engine's default driver, uncapped."),
    cfg.StrOpt("log_max_size", default="10m", regex=r"^(\d+[kmg]?)?$",
               help="Size at which a container's log file is rotated (Docker "
                    "units: 10m, 512k, 1g); with json-file or local, applied "
                    "together with log_max_file. Empty: no size cap."),
    cfg.IntOpt("log_max_file", default=3, min=1,
               help="Log files kept per container: its logs take at most "
                    "log_max_size x log_max_file of the host's disk."),
    cfg.BoolOpt("injected_files_read_only", default=True,
                help="Bind-mount injected files (mounts of type bind) read-only. "
                     "The API has no per-mount flag; set False only for images "
                     "that must write to a file injected into them."),
]

opts = opts + hardening_opts

# Exposed ports: where the engine publishes them on the compute host.
publish_opts = [
    cfg.IPOpt("publish_address", default="127.0.0.1",
              help="Host address on which a container's exposed_ports are "
                   "published (the host port is chosen by the engine and shown "
                   "in the container's published_ports). The default, loopback, "
                   "suits a trial on one machine: only the host itself can "
                   "connect. In production set the compute host's public (or "
                   "service network) address, so that clients elsewhere reach "
                   "the ports; 0.0.0.0 publishes on every address of the host."),
    cfg.IntOpt("max_exposed_ports", default=16, min=0,
               help="Most ports one container may expose (each takes a host "
                    "port from the engine's ephemeral range); a request for "
                    "more is refused with a 400 by the API, which reads this option. 0 "
                    "refuses exposed_ports."),
]

opts = opts + publish_opts

# Bounds on what one request may make the agent hold (memory, a worker).
limit_opts: list[cfg.Opt] = [
    cfg.IntOpt("max_log_bytes", default=1024 * 1024, min=1,
               help="Most bytes of container output one logs request returns: "
                    "the agent streams the engine's answer and stops there, "
                    "keeping the first bytes of the requested window and "
                    "ending the answer with a '[zun: output truncated ...]' "
                    "line. Ask for another part with tail (the last lines) or "
                    "since."),
    cfg.IntOpt("max_exec_output_bytes", default=1024 * 1024, min=1,
               help="Most bytes of a command's output an exec returns: the "
                    "first bytes are kept, the rest is read and counted, and "
                    "the answer ends with a '[zun: output truncated ...]' line."),
    cfg.IntOpt("max_stop_timeout", default=300, min=0,
               help="Largest 'timeout' (seconds before SIGKILL) a stop or "
                    "reboot may ask for; a larger one is refused with a 400 by "
                    "the API, which reads this option."),
]

opts = opts + limit_opts


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_group(group)
    conf.register_opts(opts, group=group)


def list_opts() -> dict[str | cfg.OptGroup, list[cfg.Opt]]:
    return {group: opts}
