"""Pure translations between zun's driver-neutral types and Docker's data.

Kept free of I/O so that every rule (limits, restart policy, state, times,
usage arithmetic) is unit-tested without an engine; ``docker.py`` only moves
data between these functions and the SDK.
"""
from __future__ import annotations

import datetime
import hashlib
import ipaddress
import re
from typing import Any

from zun.common import image_ref
from zun.conf import CONF
from zun.container.driver import base

NAME_PREFIX = "zun-"
MIB = 1024 * 1024
DEFAULT_PULL_POLICY = "ifnotpresent"

# Docker writes this for "never happened" (e.g. FinishedAt of a running container).
_ZERO_TIME_YEAR = 1
_FRACTION = re.compile(r"(\.\d{1,6})\d*")


def container_name(uuid: str) -> str:
    """The runtime name: lets an operator map `docker ps` back to zun."""
    return NAME_PREFIX + uuid


# Labels of the volumes zun makes: whose (LABEL_PROJECT) and, for a named
# one, the name its project knows it by (anonymous ones carry LABEL_UUID).
LABEL_VOLUME = "zun.volume"


def volume_name(project_id: str | None, name: str) -> str:
    """The runtime name of a project's named volume.

    A digest of the project keeps two projects' "data" apart on a shared
    engine (and bounds the length; the API bounds the user's part).
    """
    digest = hashlib.sha1((project_id or "").encode("utf-8")).hexdigest()[:12]
    return "%s%s-%s" % (NAME_PREFIX, digest, name)


def volume_labels(project_id: str | None, name: str) -> dict[str, str]:
    """The labels a project's named volume is made with and found by."""
    return {LABEL_VOLUME: name, base.LABEL_PROJECT: project_id or ""}


def is_own_volume(volume: dict[str, Any], labels: dict[str, str]) -> bool:
    """Whether an inspected volume carries ``labels`` (it is that project's)."""
    found = volume.get("Labels") or {}
    return all(found.get(key) == value for key, value in labels.items())


def volume_kwargs(spec: base.ContainerSpec) -> dict[str, Any]:
    """``mounts`` for the spec's volumes (Docker's Mounts API, not Binds).

    Named volumes already exist (the driver makes them first); an anonymous
    one has no source, so the engine makes it, labelled with the container
    and project, and removes it with the container (``v=True``).
    """
    if not spec.volumes:
        return {}
    mounts = []
    for name, destination in spec.volumes:
        mount: dict[str, Any] = {"Type": "volume", "Target": destination,
                                 "ReadOnly": spec.read_only.get(destination, False)}
        if name:
            mount["Source"] = volume_name(spec.project_id, name)
        else:
            mount["VolumeOptions"] = {"Labels": {
                base.LABEL_UUID: spec.uuid, base.LABEL_PROJECT: spec.project_id or ""}}
        mounts.append(mount)
    return {"mounts": mounts}


def normalize_image(ref: str) -> str:
    """Add ``:latest`` to an untagged reference, as Docker itself assumes
    (digest references are already exact). Read by the one parser of
    references, :func:`zun.common.image_ref.parse`.
    """
    parsed = image_ref.parse(ref)
    if parsed.digest or parsed.tag:
        return ref
    return ref + ":latest"


def pull_policy(value: str | None) -> str:
    """The policy to apply: the spec's, or the default when it has none.

    Validated once, by the API schema (zun.api.schemas.containers); not
    again here.
    """
    return value or DEFAULT_PULL_POLICY


def restart_policy(policy: dict[str, Any] | None) -> dict[str, Any] | None:
    """Docker's RestartPolicy, or None for "never restart".

    Validated and normalised once, by the API (a known Name; an integer
    MaximumRetryCount, non-zero only with on-failure): passed on as given.
    """
    if not policy or policy.get("Name") in (None, "", "no"):
        return None
    return {"Name": policy["Name"],
            "MaximumRetryCount": policy.get("MaximumRetryCount") or 0}


def memory_limits(memory_mib: int | None) -> dict[str, str]:
    """mem_limit plus an equal swap limit.

    Setting memswap equal to the limit makes the limit a hard cap (no escape
    into swap) and lets an update lower the limit: Docker refuses a memory
    limit above the existing memswap limit.
    """
    if not memory_mib:
        return {}
    value = f"{int(memory_mib)}m"
    return {"mem_limit": value, "memswap_limit": value}


def nano_cpus(cpu: float | None) -> int | None:
    """A real CPU cap (0.5 = half a core), unlike relative cpu_shares."""
    if not cpu:
        return None
    return int(round(cpu * 1e9))


_NANOS = 1_000_000_000
# Docker's own probe forms; any other argv list is an exec-form command.
_PROBE_FORMS = ("CMD", "CMD-SHELL", "NONE")


def healthcheck(check: dict[str, Any] | None) -> dict[str, Any] | None:
    """Docker's Healthcheck from zun's (seconds, a shell string or an argv).

    Docker counts in nanoseconds and wants the probe's form spelled out: a
    string runs through the container's shell (CMD-SHELL). A timing of 0 or
    a missing one means the engine's default; a missing probe keeps the
    image's own.
    """
    if not check:
        return None
    out: dict[str, Any] = {}
    probe = check.get("test")
    if isinstance(probe, str):
        out["test"] = ["CMD-SHELL", probe]
    elif probe:
        probe = [str(word) for word in probe]
        out["test"] = probe if probe[0] in _PROBE_FORMS else ["CMD", *probe]
    for key in ("interval", "timeout"):
        if check.get(key):
            out[key] = int(check[key]) * _NANOS
    if check.get("retries"):
        out["retries"] = int(check["retries"])
    return out or None


def create_kwargs(spec: base.ContainerSpec) -> dict[str, Any]:
    """Keyword arguments for ``DockerClient.containers.create``."""
    labels = dict(spec.labels or {})
    labels[base.LABEL_UUID] = spec.uuid
    labels[base.LABEL_PROJECT] = spec.project_id or ""
    if spec.host:
        labels[base.LABEL_HOST] = spec.host
    kwargs: dict[str, Any] = {
        "image": normalize_image(spec.image),
        "name": container_name(spec.uuid),
        "labels": labels,
        "environment": dict(spec.environment or {}),
        "auto_remove": bool(spec.auto_remove),
        "stdin_open": bool(spec.interactive),
        "tty": bool(spec.tty),
    }
    optional = {
        "command": spec.command or None,
        "entrypoint": spec.entrypoint or None,
        "working_dir": spec.workdir or None,
        "hostname": spec.hostname or None,
        "nano_cpus": nano_cpus(spec.cpu),
        "restart_policy": restart_policy(spec.restart_policy),
        "volumes": ({host: {"bind": dest, "mode": injected_mode(spec.read_only.get(dest))}
                     for host, dest in spec.binds} if spec.binds else None),
        "runtime": spec.runtime or None,
        "healthcheck": healthcheck(spec.healthcheck),
    }
    kwargs.update({k: v for k, v in optional.items() if v is not None})
    kwargs.update(memory_limits(spec.memory_mib))
    kwargs.update(published_ports_kwargs(spec))
    kwargs.update(hardening_kwargs())
    kwargs.update(volume_kwargs(spec))
    kwargs.update(network_kwargs(spec))
    return kwargs


def network_kwargs(spec: base.ContainerSpec) -> dict[str, Any]:
    """The network the container joins at create, instead of Docker's default bridge.

    The SDK's ``network`` sets the network mode and the only endpoint, so
    the container is on that network alone. Docker API 1.41 joins one
    network at create; further ``spec.networks`` are connected after create
    (not yet done: the compute manager gives one, the project's).
    """
    return {"network": spec.networks[0]} if spec.networks else {}


# Log drivers that rotate on max-size / max-file; others refuse those options.
ROTATING_LOG_DRIVERS = ("json-file", "local")
NO_NEW_PRIVILEGES = "no-new-privileges:true"


def hardening_kwargs() -> dict[str, Any]:
    """The [docker] hardening options as create arguments.

    Deployment policy, not request data: the same for every container, so a
    tenant cannot opt out (privileged mode stays a policy-guarded field).
    Read at each create, so a changed option applies to the next container.
    """
    opts = CONF.docker
    out: dict[str, Any] = {}
    if opts.cap_drop:
        out["cap_drop"] = list(opts.cap_drop)
    if opts.cap_add:
        out["cap_add"] = list(opts.cap_add)
    if opts.no_new_privileges:
        out["security_opt"] = [NO_NEW_PRIVILEGES]
    if opts.pids_limit:
        out["pids_limit"] = int(opts.pids_limit)
    if opts.log_driver:
        config: dict[str, str] = {}
        if opts.log_driver in ROTATING_LOG_DRIVERS and opts.log_max_size:
            config = {"max-size": opts.log_max_size, "max-file": str(opts.log_max_file)}
        out["log_config"] = {"type": opts.log_driver, "config": config}
    return out


def injected_mode(requested: bool | None = None) -> str:
    """Docker's bind mode for an injected file: as its request said
    (``read_only``), else read-only unless configured not to be.

    A file the container cannot rewrite stays what the request injected
    (and what a rebuild injects again).
    """
    read_only = CONF.docker.injected_files_read_only if requested is None else requested
    return "ro" if read_only else "rw"


def published_ports_kwargs(spec: base.ContainerSpec) -> dict[str, Any]:
    """Publish each exposed port on ``[docker] publish_address``.

    The host port is left to the engine (None): it picks a free one at each
    start, so two containers never collide and a restart may move it; the
    facts report where it is (``published_ports``).
    """
    if not spec.exposed_ports:
        return {}
    address = CONF.docker.publish_address
    return {"ports": {"%d/%s" % (port, protocol): (address, None)
                      for port, protocol in spec.exposed_ports}}


def update_body(cpu: float | None, memory_mib: int | None) -> dict[str, Any]:
    """JSON body of POST /containers/{id}/update.

    Raw API fields because the SDK's update_container cannot set NanoCpus,
    and Docker refuses CpuQuota on a container created with NanoCpus.
    """
    body: dict[str, Any] = {}
    nanos = nano_cpus(cpu)
    if nanos:
        body["NanoCpus"] = nanos
    if memory_mib:
        body["Memory"] = int(memory_mib) * MIB
        body["MemorySwap"] = int(memory_mib) * MIB
    return body


def iso_time(value: str | None) -> str | None:
    """Docker's RFC 3339 nanosecond time as an ISO 8601 UTC string, or None.

    Output is ``datetime.isoformat()`` at microsecond precision with
    ``+00:00``, which every Python ``fromisoformat`` can read back.
    """
    if not value:
        return None
    text = _FRACTION.sub(r"\1", value.strip())
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.year <= _ZERO_TIME_YEAR:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return when.astimezone(datetime.timezone.utc).isoformat()


_ADDRESS_KEYS = (("IPAddress", "IPPrefixLen", 4),
                 ("GlobalIPv6Address", "GlobalIPv6PrefixLen", 6))


def _addresses(networks: dict[str, Any] | None) -> dict[str, list[dict[str, Any]]]:
    """Upstream's ``addresses`` from inspect's NetworkSettings.Networks.

    Keyed by the Docker network's name (upstream: the Neutron network id).
    Without Neutron there is no port, so ``port`` is None; ``subnet_id``
    holds the subnet's CIDR (from the endpoint's address and prefix length),
    the nearest thing to a subnet a bare engine has, or None if unknown.
    ``preserve_on_delete`` is False: nothing outlives the container.
    """
    out: dict[str, list[dict[str, Any]]] = {}
    for net_name, net in (networks or {}).items():
        entries = []
        for addr_key, prefix_key, version in _ADDRESS_KEYS:
            addr = (net or {}).get(addr_key)
            if addr:
                entries.append({"addr": addr, "version": version, "port": None,
                                "subnet_id": _subnet(addr, (net or {}).get(prefix_key)),
                                "preserve_on_delete": False})
        if entries:
            out[net_name] = entries
    return out


def _subnet(addr: str, prefix_len: Any) -> str | None:
    """The CIDR of ``addr``'s subnet, e.g. 172.18.0.0/16; None if unknown."""
    if not prefix_len:
        return None
    try:
        return str(ipaddress.ip_interface("%s/%s" % (addr, int(prefix_len))).network)
    except (TypeError, ValueError):
        return None


def _published_ports(bindings: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Host bindings from inspect's NetworkSettings.Ports, one entry each.

    A port the image exposes but nobody published maps to null and is left
    out; a stopped container has no bindings at all.
    """
    out = []
    for key, hosts in (bindings or {}).items():
        number, _, protocol = str(key).partition("/")
        if not number.isdigit():
            continue
        for host in hosts or []:
            host_port = str((host or {}).get("HostPort") or "")
            if not host_port.isdigit():
                continue
            out.append({"port": int(number), "protocol": protocol or "tcp",
                        "host_ip": host.get("HostIp") or None,
                        "host_port": int(host_port)})
    return sorted(out, key=lambda p: (p["port"], p["protocol"], p["host_ip"] or "",
                                      p["host_port"]))


def _ports(exposed: dict[str, Any] | None) -> list[int]:
    ports = set()
    for key in exposed or {}:
        number = str(key).split("/", 1)[0]
        if number.isdigit():
            ports.add(int(number))
    return sorted(ports)


_EXITED = re.compile(r"^Exited \((-?\d+)\)")

# Docker's container states in zun's neutral words (base.RUNTIME_STATES).
# They happen to be spelled alike; the table still says so explicitly, so a
# state a newer engine invents reads as "unknown" instead of leaking through.
STATES = {"created": "created", "running": "running", "paused": "paused",
          "restarting": "restarting", "exited": "exited", "dead": "dead",
          "removing": "removing"}


def runtime_state(docker_state: str | None) -> str:
    """The neutral state of a Docker container state ("unknown" if unmapped)."""
    return STATES.get((docker_state or "").lower(), "unknown")
# `docker ps` appends the probe's verdict to a running container's status
_SUMMARY_HEALTH = re.compile(r"\((healthy|unhealthy|health: starting)\)\s*$")
HEALTH_STATES = ("starting", "healthy", "unhealthy")


def _health(value: str | None) -> str | None:
    """The probe's verdict in zun's words; None without a health check."""
    value = (value or "").strip().lower()
    if value.startswith("health: "):
        value = value[len("health: "):]
    return value if value in HEALTH_STATES else None


def facts_from_summary(summary: dict[str, Any]) -> base.RuntimeFacts:
    """Summary facts from one entry of ``GET /containers/json`` (no inspect)."""
    labels = summary.get("Labels") or {}
    exited = _EXITED.match(summary.get("Status") or "")
    health = _SUMMARY_HEALTH.search(summary.get("Status") or "")
    return base.RuntimeFacts(
        container_id=summary.get("Id", ""),
        uuid=labels.get(base.LABEL_UUID),
        state=runtime_state(summary.get("State")),
        exit_code=int(exited.group(1)) if exited else None,
        health=_health(health.group(1)) if health else None,
        project_id=labels.get(base.LABEL_PROJECT) or None,
        host=labels.get(base.LABEL_HOST) or None,
        complete=False,
    )


def facts_from_inspect(data: dict[str, Any]) -> base.RuntimeFacts:
    """RuntimeFacts from ``docker inspect`` output."""
    state = data.get("State") or {}
    config = data.get("Config") or {}
    labels = config.get("Labels") or {}
    networks = (data.get("NetworkSettings") or {}).get("Networks")
    exit_code = state.get("ExitCode")
    return base.RuntimeFacts(
        container_id=data.get("Id", ""),
        uuid=labels.get(base.LABEL_UUID),
        state=runtime_state(state.get("Status")),
        exit_code=int(exit_code) if exit_code is not None else None,
        started_at=iso_time(state.get("StartedAt")),
        finished_at=iso_time(state.get("FinishedAt")),
        oom_killed=bool(state.get("OOMKilled")),
        restart_count=int(data.get("RestartCount") or 0),
        error=state.get("Error") or None,
        pid=state.get("Pid") or None,
        addresses=_addresses(networks),
        ports=_ports(config.get("ExposedPorts")),
        published_ports=_published_ports((data.get("NetworkSettings") or {}).get("Ports")),
        project_id=labels.get(base.LABEL_PROJECT) or None,
        host=labels.get(base.LABEL_HOST) or None,
        health=_health((state.get("Health") or {}).get("Status")),
    )


def event_from_docker(raw: dict[str, Any]) -> base.RuntimeEvent | None:
    """A RuntimeEvent from one decoded /events record; None if not ours.

    Verbs such as ``exec_start: sh -c ...`` keep only the part before ':'.
    """
    if (raw.get("Type") or "container") != "container":
        return None
    actor = raw.get("Actor") or {}
    attributes = actor.get("Attributes") or {}
    uuid = attributes.get(base.LABEL_UUID)
    if not uuid:
        return None
    action = (raw.get("Action") or raw.get("status") or "").split(":", 1)[0].strip()
    if raw.get("timeNano"):
        when = int(raw["timeNano"]) / 1e9
    else:
        when = float(raw.get("time") or 0)
    return base.RuntimeEvent(uuid=uuid, container_id=actor.get("ID") or raw.get("id", ""),
                             action=action, time=when,
                             host=attributes.get(base.LABEL_HOST) or None)


# --- stats ---------------------------------------------------------------------
STATS_KEYS = ("CONTAINER", "CPU %", "MEM USAGE(MiB)", "MEM LIMIT(MiB)", "MEM %",
              "BLOCK I/O(B)", "NET I/O(B)")


def cpu_percent(sample: dict[str, Any]) -> float:
    """CPU use over the sample window, as `docker stats` computes it.

    100 % is one full core; the host-wide delta is scaled by online CPUs.
    """
    cpu = sample.get("cpu_stats") or {}
    pre = sample.get("precpu_stats") or {}
    usage = (cpu.get("cpu_usage") or {})
    pre_usage = (pre.get("cpu_usage") or {})
    cpu_delta = (usage.get("total_usage") or 0) - (pre_usage.get("total_usage") or 0)
    system_delta = (cpu.get("system_cpu_usage") or 0) - (pre.get("system_cpu_usage") or 0)
    online = cpu.get("online_cpus") or len(usage.get("percpu_usage") or []) or 1
    if cpu_delta <= 0 or system_delta <= 0:
        return 0.0
    return cpu_delta / system_delta * online * 100.0


def memory_usage(sample: dict[str, Any]) -> float:
    """Bytes in use minus reclaimable page cache, as `docker stats` shows."""
    mem = sample.get("memory_stats") or {}
    usage = mem.get("usage") or 0
    detail = mem.get("stats") or {}
    # cgroup v1 reports total_inactive_file, v2 inactive_file.
    for key in ("total_inactive_file", "inactive_file"):
        inactive = detail.get(key)
        if inactive is not None and inactive < usage:
            return float(usage - inactive)
    return float(usage)


def _block_io(sample: dict[str, Any]) -> tuple[int, int]:
    read = write = 0
    entries = (sample.get("blkio_stats") or {}).get("io_service_bytes_recursive") or []
    for entry in entries:
        op = str(entry.get("op", "")).lower()
        if op == "read":
            read += entry.get("value") or 0
        elif op == "write":
            write += entry.get("value") or 0
    return read, write


def _net_io(sample: dict[str, Any]) -> tuple[int, int]:
    rx = tx = 0
    for net in (sample.get("networks") or {}).values():
        rx += net.get("rx_bytes") or 0
        tx += net.get("tx_bytes") or 0
    return rx, tx


def stats_summary(sample: dict[str, Any], container: str | None = None) -> dict[str, Any]:
    """The seven values the zun CLI prints, from one Docker stats sample."""
    usage = memory_usage(sample)
    limit = float((sample.get("memory_stats") or {}).get("limit") or 0)
    read, write = _block_io(sample)
    rx, tx = _net_io(sample)
    name = container or (sample.get("name") or "").lstrip("/") or sample.get("id", "")
    return {
        "CONTAINER": name,
        "CPU %": round(cpu_percent(sample), 3),
        "MEM USAGE(MiB)": round(usage / MIB, 3),
        "MEM LIMIT(MiB)": round(limit / MIB, 3),
        "MEM %": round(usage / limit * 100.0, 3) if limit else 0.0,
        "BLOCK I/O(B)": f"{read}/{write}",
        "NET I/O(B)": f"{rx}/{tx}",
    }
