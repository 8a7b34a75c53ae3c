"""[compute]: the agent's RPC topic and its state-sync cadence."""
from oslo_config import cfg

group = cfg.OptGroup("compute", title="Compute agent")

opts = [
    cfg.StrOpt("topic", default="zun-compute", help="RPC topic of compute agents."),
    cfg.IntOpt("sync_interval", default=30, min=1,
               help="Seconds between two reconciles of this host's containers "
                    "with the runtime (the safety net behind the event stream)."),
    cfg.BoolOpt("use_events", default=True,
                help="Follow the runtime's event stream for immediate state sync."),
    cfg.IntOpt("rpc_response_timeout", default=60, min=1,
               help="Seconds the API waits for a compute agent to answer a call."),
    cfg.IntOpt("workers", default=16, min=1,
               help="Threads that run container operations on this host."),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_group(group)
    conf.register_opts(opts, group=group)


def list_opts() -> dict:
    return {group: opts}
