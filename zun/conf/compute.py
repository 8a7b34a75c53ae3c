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
    cfg.FloatOpt("recovery_grace", default=3.0, min=0,
                 help="Seconds after start-up before the agent resumes "
                      "operations left in flight by its previous run (requests "
                      "still queued for it are served first)."),
    cfg.IntOpt("stuck_task_timeout", default=120, min=60,
               help="Seconds after which an operation that no agent is "
                    "running (its request was lost) is resumed by the agent of "
                    "its host (see resume_attempts). Must exceed the API's "
                    "worst-case send time (a few seconds of retries when the "
                    "bus is down)."),
    cfg.IntOpt("resume_attempts", default=3, min=1,
               help="How many times an interrupted operation (agent restart, "
                    "lost request, container engine not answering) is resumed "
                    "before its container takes the runtime's state (Error when "
                    "there is no runtime container) with the cause. Each attempt "
                    "is counted on the action record."),
    cfg.IntOpt("orphan_grace", default=120, min=0,
               help="Seconds a runtime container labelled as this host's, "
                    "with no container row, is kept before it is removed."),
    cfg.DictOpt("host_labels", default={},
                help="Labels of this host (key:value,...), reported with its "
                     "inventory; a create's scheduler hints must all match "
                     "them for the host to be chosen, e.g. disk:ssd,zone:rack1."),
    cfg.IntOpt("max_volumes_per_container", default=16, min=0,
               help="Most volume mounts (named or anonymous) one container "
                    "may ask for; the API refuses more with a 400."),
    cfg.BoolOpt("remove_orphans", default=True,
                help="Remove orphaned runtime containers after orphan_grace "
                     "(otherwise they are only reported)."),
    cfg.StrOpt("console_host", default="127.0.0.1",
               help="Address this agent's console relay listens on and tells the "
                    "console proxy to connect to (attach, exec -it): an address of "
                    "the management network, never one tenants reach."),
    cfg.PortOpt("console_port", default=0,
                help="Port of the console relay; 0 picks a free one at start."),
    cfg.IntOpt("console_ticket_ttl", default=10, min=1, max=300,
               help="Seconds the console proxy has to connect with the one-time "
                    "ticket the agent handed it."),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_group(group)
    conf.register_opts(opts, group=group)


def list_opts() -> dict[str | cfg.OptGroup, list[cfg.Opt]]:
    return {group: opts}
