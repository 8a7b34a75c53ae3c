"""Pure mappings of the docker driver: spec -> create kwargs, inspect ->
facts, events, stats. No engine involved."""
import datetime

import pytest

from zun.container.driver import base
from zun.container.driver import docker_facts as facts

UUID = "0b5c6d1e-2f3a-4b5c-8d9e-0f1a2b3c4d5e"


def spec(**kw):
    values = dict(uuid=UUID, project_id="proj", image="busybox")
    values.update(kw)
    return base.ContainerSpec(**values)


# --- create -------------------------------------------------------------------
def test_minimal_spec():
    kwargs = facts.create_kwargs(spec())
    for key in facts.hardening_kwargs():  # the same for every container: tested below
        kwargs.pop(key)
    assert kwargs == {
        "image": "busybox:latest",
        "name": f"zun-{UUID}",
        "labels": {base.LABEL_UUID: UUID, base.LABEL_PROJECT: "proj"},
        "environment": {},
        "auto_remove": False,
        "stdin_open": False,
        "tty": False,
    }


def test_full_spec():
    kwargs = facts.create_kwargs(spec(
        command=["sh", "-c", "echo hi"], entrypoint=["/bin/env"],
        environment={"A": "1"}, workdir="/tmp", labels={"team": "x"},
        hostname="h1", memory_mib=64, cpu=0.5,
        restart_policy={"Name": "on-failure", "MaximumRetryCount": 3},
        auto_remove=True, interactive=True, tty=True))
    assert kwargs["command"] == ["sh", "-c", "echo hi"]
    assert kwargs["entrypoint"] == ["/bin/env"]
    assert kwargs["environment"] == {"A": "1"}
    assert kwargs["working_dir"] == "/tmp"
    assert kwargs["hostname"] == "h1"
    assert kwargs["labels"] == {"team": "x", base.LABEL_UUID: UUID,
                                base.LABEL_PROJECT: "proj"}
    assert kwargs["mem_limit"] == "64m"
    assert kwargs["memswap_limit"] == "64m"
    assert kwargs["nano_cpus"] == 500_000_000
    assert kwargs["restart_policy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert kwargs["auto_remove"] is True
    assert kwargs["stdin_open"] is True
    assert kwargs["tty"] is True


def test_user_labels_cannot_forge_ownership():
    kwargs = facts.create_kwargs(spec(labels={base.LABEL_UUID: "other"}))
    assert kwargs["labels"][base.LABEL_UUID] == UUID


def test_creating_host_and_injected_files_reach_docker():
    kwargs = facts.create_kwargs(spec(host="compute-1",
                                      binds=[("/var/lib/zun/mounts/u/0", "/data/f")]))
    assert kwargs["labels"][base.LABEL_HOST] == "compute-1"
    assert kwargs["volumes"] == {"/var/lib/zun/mounts/u/0": {"bind": "/data/f",
                                                             "mode": "ro"}}
    got = facts.facts_from_inspect({"Id": "x", "State": {"Status": "running"},
                                    "Config": {"Labels": kwargs["labels"]}})
    assert got.host == "compute-1"


@pytest.mark.parametrize("cpu,nanos", [(0.5, 500_000_000), (1, 1_000_000_000),
                                       (0.1, 100_000_000), (2.25, 2_250_000_000)])
def test_cpu_is_a_hard_cap(cpu, nanos):
    assert facts.create_kwargs(spec(cpu=cpu))["nano_cpus"] == nanos


# The API validated and normalised the policy (zun.api.schemas.containers):
# the driver only maps "no" to Docker's absence of a policy.
@pytest.mark.parametrize("policy,expected", [
    (None, None),
    ({}, None),
    ({"Name": "no"}, None),
    ({"Name": "no", "MaximumRetryCount": 0}, None),
    ({"Name": "on-failure", "MaximumRetryCount": 2},
     {"Name": "on-failure", "MaximumRetryCount": 2}),
    ({"Name": "on-failure"}, {"Name": "on-failure", "MaximumRetryCount": 0}),
    ({"Name": "always", "MaximumRetryCount": 0}, {"Name": "always", "MaximumRetryCount": 0}),
    ({"Name": "unless-stopped"}, {"Name": "unless-stopped", "MaximumRetryCount": 0}),
])
def test_restart_policy(policy, expected):
    assert facts.restart_policy(policy) == expected
    kwargs = facts.create_kwargs(spec(restart_policy=policy))
    assert kwargs.get("restart_policy") == expected


def test_the_driver_trusts_the_validated_spec():
    """Validation is the API schema's job alone: the driver never re-checks."""
    assert facts.restart_policy({"Name": "sometimes"}) == {"Name": "sometimes",
                                                           "MaximumRetryCount": 0}
    assert facts.pull_policy("sometimes") == "sometimes"


@pytest.mark.parametrize("ref,expected", [
    ("busybox", "busybox:latest"),
    ("busybox:local", "busybox:local"),
    ("library/busybox", "library/busybox:latest"),
    ("localhost:5000/busybox", "localhost:5000/busybox:latest"),
    ("localhost:5000/busybox:1.36", "localhost:5000/busybox:1.36"),
    ("busybox@sha256:" + "a" * 64, "busybox@sha256:" + "a" * 64),
])
def test_untagged_image_means_latest(ref, expected):
    assert facts.normalize_image(ref) == expected


@pytest.mark.parametrize("value,expected", [(None, "ifnotpresent"), ("", "ifnotpresent"),
                                            ("always", "always"), ("never", "never"),
                                            ("ifnotpresent", "ifnotpresent")])
def test_pull_policy(value, expected):
    assert facts.pull_policy(value) == expected


def test_update_body():
    assert facts.update_body(None, None) == {}
    assert facts.update_body(0.5, None) == {"NanoCpus": 500_000_000}
    assert facts.update_body(None, 32) == {"Memory": 32 * 2**20, "MemorySwap": 32 * 2**20}


# --- inspect ------------------------------------------------------------------
INSPECT = {
    "Id": "abc123",
    "RestartCount": 2,
    "State": {"Status": "running", "Running": True, "Paused": False, "Pid": 4242,
              "ExitCode": 0, "Error": "", "OOMKilled": False,
              "StartedAt": "2024-05-01T10:11:12.123456789Z",
              "FinishedAt": "0001-01-01T00:00:00Z"},
    "Config": {"Labels": {base.LABEL_UUID: UUID, base.LABEL_PROJECT: "proj", "x": "y"},
               "ExposedPorts": {"80/tcp": {}, "53/udp": {}, "53/tcp": {}}},
    "NetworkSettings": {"Networks": {
        "bridge": {"IPAddress": "172.17.0.2", "GlobalIPv6Address": ""},
        "none": {"IPAddress": ""},
        "v6net": {"IPAddress": "10.0.0.5", "GlobalIPv6Address": "fd00::5"}}},
}


def test_facts_from_running_container():
    got = facts.facts_from_inspect(INSPECT)
    assert got.container_id == "abc123"
    assert got.uuid == UUID
    assert got.project_id == "proj"
    assert got.state == "running"
    assert got.exit_code == 0
    assert got.started_at == "2024-05-01T10:11:12.123456+00:00"
    assert got.finished_at is None
    assert got.pid == 4242
    assert got.restart_count == 2
    assert got.error is None
    assert got.oom_killed is False
    assert got.ports == [53, 80]
    entry = {"addr": "172.17.0.2", "version": 4, "port": None, "subnet_id": None,
             "preserve_on_delete": False}
    assert got.addresses["bridge"] == [entry]
    assert "none" not in got.addresses
    assert [a["version"] for a in got.addresses["v6net"]] == [4, 6]


def test_facts_from_oom_killed_container():
    data = {"Id": "d", "State": {"Status": "exited", "ExitCode": 137, "OOMKilled": True,
                                 "Pid": 0, "Error": "boom",
                                 "StartedAt": "2024-05-01T10:00:00Z",
                                 "FinishedAt": "2024-05-01T10:00:05.5Z"},
            "Config": {"Labels": None}}
    got = facts.facts_from_inspect(data)
    assert (got.state, got.exit_code, got.oom_killed, got.pid) == ("exited", 137, True, None)
    assert got.error == "boom"
    assert got.uuid is None and got.project_id is None
    assert got.finished_at == "2024-05-01T10:00:05.500000+00:00"
    assert got.addresses == {} and got.ports == []


@pytest.mark.parametrize("status", ["created", "running", "paused", "restarting",
                                    "exited", "dead", "removing"])
def test_every_docker_status_passes_through(status):
    assert facts.facts_from_inspect({"Id": "x", "State": {"Status": status}}).state == status


def test_docker_states_map_onto_the_neutral_ones():
    assert set(facts.STATES.values()) <= base.RUNTIME_STATES
    assert set(facts.STATES.values()) | {"unknown"} == base.RUNTIME_STATES
    for odd in ("hibernating", "", None):
        assert facts.runtime_state(odd) == "unknown"
        summary = facts.facts_from_summary({"Id": "x", "State": odd})
        inspected = facts.facts_from_inspect({"Id": "x", "State": {"Status": odd}})
        assert summary.state == inspected.state == "unknown"
    assert facts.runtime_state("Running") == "running"


@pytest.mark.parametrize("value,expected", [
    (None, None), ("", None), ("0001-01-01T00:00:00Z", None),
    ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05+00:00"),
    ("2024-01-02T03:04:05.987654321Z", "2024-01-02T03:04:05.987654+00:00"),
    ("2024-01-02T05:04:05+02:00", "2024-01-02T03:04:05+00:00"),
    ("garbage", None),
])
def test_iso_time(value, expected):
    assert facts.iso_time(value) == expected


def test_iso_time_reads_back():
    out = facts.iso_time("2024-01-02T03:04:05.1Z")
    assert datetime.datetime.fromisoformat(out).tzinfo is not None


# --- events -------------------------------------------------------------------
def test_event_of_ours():
    raw = {"Type": "container", "Action": "die", "id": "c1",
           "Actor": {"ID": "c1", "Attributes": {base.LABEL_UUID: UUID, "exitCode": "0"}},
           "time": 1700000000, "timeNano": 1700000000500000000}
    event = facts.event_from_docker(raw)
    assert event == base.RuntimeEvent(uuid=UUID, container_id="c1", action="die",
                                      time=1700000000.5)


def test_exec_event_verb_is_trimmed():
    raw = {"Type": "container", "Action": "exec_start: sh -c ls",
           "Actor": {"ID": "c1", "Attributes": {base.LABEL_UUID: UUID}}, "time": 5}
    event = facts.event_from_docker(raw)
    assert (event.action, event.time) == ("exec_start", 5.0)


@pytest.mark.parametrize("raw", [
    {"Type": "container", "Action": "die", "Actor": {"ID": "c", "Attributes": {}}},
    {"Type": "network", "Action": "connect",
     "Actor": {"ID": "n", "Attributes": {base.LABEL_UUID: UUID}}},
])
def test_foreign_events_are_dropped(raw):
    assert facts.event_from_docker(raw) is None


# --- stats --------------------------------------------------------------------
SAMPLE = {
    "name": f"/zun-{UUID}", "id": "abc",
    "cpu_stats": {"cpu_usage": {"total_usage": 300_000_000}, "system_cpu_usage": 4_000_000_000,
                  "online_cpus": 2},
    "precpu_stats": {"cpu_usage": {"total_usage": 100_000_000}, "system_cpu_usage": 2_000_000_000},
    "memory_stats": {"usage": 10 * 2**20, "limit": 64 * 2**20,
                     "stats": {"total_inactive_file": 2 * 2**20}},
    "blkio_stats": {"io_service_bytes_recursive": [
        {"major": 8, "minor": 0, "op": "Read", "value": 100},
        {"major": 8, "minor": 0, "op": "Write", "value": 40},
        {"major": 8, "minor": 16, "op": "read", "value": 1},
        {"major": 8, "minor": 0, "op": "Total", "value": 140}]},
    "networks": {"eth0": {"rx_bytes": 486, "tx_bytes": 10},
                 "eth1": {"rx_bytes": 14, "tx_bytes": 0}},
}


def test_stats_summary():
    out = facts.stats_summary(SAMPLE)
    assert set(out) == set(facts.STATS_KEYS)
    assert out["CONTAINER"] == f"zun-{UUID}"
    # 0.2 s of CPU over 2 s of host time on 2 CPUs = 20 % of one core
    assert out["CPU %"] == 20.0
    assert out["MEM USAGE(MiB)"] == 8.0
    assert out["MEM LIMIT(MiB)"] == 64.0
    assert out["MEM %"] == 12.5
    assert out["BLOCK I/O(B)"] == "101/40"
    assert out["NET I/O(B)"] == "500/10"


def test_stats_rounding_and_cgroup_v2():
    sample = {"memory_stats": {"usage": 1_000_000, "limit": 3 * 2**20,
                               "stats": {"inactive_file": 1}}}
    out = facts.stats_summary(sample, container="c")
    assert out["MEM USAGE(MiB)"] == round(999_999 / 2**20, 3)
    assert out["MEM %"] == round(999_999 / (3 * 2**20) * 100, 3)
    assert out["CONTAINER"] == "c"


def test_stats_of_a_stopped_container_are_zeros():
    out = facts.stats_summary({"name": "/x", "cpu_stats": {}, "precpu_stats": {},
                               "memory_stats": {}, "blkio_stats": {}})
    assert out == {"CONTAINER": "x", "CPU %": 0.0, "MEM USAGE(MiB)": 0.0,
                   "MEM LIMIT(MiB)": 0.0, "MEM %": 0.0, "BLOCK I/O(B)": "0/0",
                   "NET I/O(B)": "0/0"}


def test_cpu_percent_counts_percpu_when_online_missing():
    sample = {"cpu_stats": {"cpu_usage": {"total_usage": 20, "percpu_usage": [1, 1, 1, 1]},
                            "system_cpu_usage": 200},
              "precpu_stats": {"cpu_usage": {"total_usage": 10}, "system_cpu_usage": 100}}
    assert facts.cpu_percent(sample) == 40.0


@pytest.mark.parametrize("status,state,code", [
    ("Exited (3) 2 minutes ago", "exited", 3), ("Up 5 seconds", "running", None),
    ("Exited (137) Less than a second ago", "exited", 137), ("Created", "created", None)])
def test_facts_from_a_listing_summary(status, state, code):
    got = facts.facts_from_summary({
        "Id": "abc", "State": state, "Status": status,
        "Labels": {base.LABEL_UUID: UUID, base.LABEL_HOST: "h1",
                   base.LABEL_PROJECT: "p"}})
    assert (got.container_id, got.uuid, got.host, got.project_id) == ("abc", UUID, "h1", "p")
    assert (got.state, got.exit_code, got.complete) == (state, code, False)


# --- runtime and health check ---------------------------------------------------
def test_runtime_reaches_docker_only_when_asked():
    assert facts.create_kwargs(spec(runtime="runc"))["runtime"] == "runc"
    assert "runtime" not in facts.create_kwargs(spec())  # the engine's default


@pytest.mark.parametrize("check,expected", [
    # seconds in, nanoseconds out; a string runs in the container's shell
    ({"test": "test -f /tmp/ok", "interval": 2, "timeout": 3, "retries": 4},
     {"test": ["CMD-SHELL", "test -f /tmp/ok"], "interval": 2_000_000_000,
      "timeout": 3_000_000_000, "retries": 4}),
    ({"test": ["cat", "/tmp/ok"]}, {"test": ["CMD", "cat", "/tmp/ok"]}),
    ({"test": ["CMD-SHELL", "true"]}, {"test": ["CMD-SHELL", "true"]}),
    ({"test": ["NONE"]}, {"test": ["NONE"]}),
    ({"interval": 10, "retries": 0}, {"interval": 10_000_000_000}),  # image's probe
    ({}, None), (None, None),
])
def test_healthcheck_mapping(check, expected):
    assert facts.healthcheck(check) == expected
    kwargs = facts.create_kwargs(spec(healthcheck=check))
    assert kwargs.get("healthcheck") == expected


def test_healthcheck_survives_the_sdk_argument_mapping():
    import docker.models.containers as sdk
    kwargs = facts.create_kwargs(spec(runtime="runc", healthcheck={"test": "true",
                                                                   "interval": 1}))
    args = sdk._create_container_args(dict(kwargs, version="1.41", command=None))
    assert args["host_config"]["Runtime"] == "runc"
    assert args["healthcheck"] == {"test": ["CMD-SHELL", "true"],
                                   "interval": 1_000_000_000}


@pytest.mark.parametrize("health,expected", [
    ({"Status": "starting"}, "starting"), ({"Status": "healthy"}, "healthy"),
    ({"Status": "unhealthy", "FailingStreak": 3}, "unhealthy"),
    ({"Status": "none"}, None), (None, None)])
def test_health_from_inspect(health, expected):
    state = {"Status": "running"}
    if health is not None:
        state["Health"] = health
    assert facts.facts_from_inspect({"Id": "x", "State": state}).health == expected


@pytest.mark.parametrize("status,expected", [
    ("Up 3 seconds (health: starting)", "starting"), ("Up 5 minutes (healthy)", "healthy"),
    ("Up About a minute (unhealthy)", "unhealthy"), ("Up 5 minutes", None),
    ("Exited (0) 2 minutes ago", None)])
def test_health_from_a_listing_summary(status, expected):
    got = facts.facts_from_summary({"Id": "abc", "State": "running", "Status": status,
                                    "Labels": {base.LABEL_UUID: UUID}})
    assert got.health == expected


def test_health_status_event_is_ours():
    event = facts.event_from_docker({
        "Type": "container", "Action": "health_status: unhealthy",
        "Actor": {"ID": "abc", "Attributes": {base.LABEL_UUID: UUID}}, "time": 1})
    assert event.action == "health_status"


# --- runtime hardening ([docker] options, the same for every container) ------------
@pytest.fixture
def docker_opts():
    """Override [docker] options for one test; cleared afterwards."""
    from zun.conf import CONF
    changed: list[str] = []

    def _set(**values):
        for name, value in values.items():
            CONF.set_override(name, value, group="docker")
            changed.append(name)
    yield _set
    for name in changed:
        CONF.clear_override(name, group="docker")


def test_hardening_defaults_reach_every_create():
    kwargs = facts.create_kwargs(spec())
    assert kwargs["cap_drop"] == ["ALL"]
    assert "NET_RAW" not in kwargs["cap_add"]
    # Docker's default set minus NET_RAW, so common images keep working
    assert set(kwargs["cap_add"]) == {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
        "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
    assert kwargs["security_opt"] == ["no-new-privileges:true"]
    assert kwargs["pids_limit"] == 1024
    assert kwargs["log_config"] == {"type": "json-file",
                                    "config": {"max-size": "10m", "max-file": "3"}}


def test_hardening_options_can_be_loosened(docker_opts):
    docker_opts(cap_drop=[], cap_add=[], no_new_privileges=False, pids_limit=0,
                log_driver="")
    assert facts.hardening_kwargs() == {}
    kwargs = facts.create_kwargs(spec())
    for key in ("cap_drop", "cap_add", "security_opt", "pids_limit", "log_config"):
        assert key not in kwargs


def test_hardening_options_are_read_at_each_create(docker_opts):
    docker_opts(cap_drop=["NET_RAW"], cap_add=[], pids_limit=64, log_max_size="1m",
                log_max_file=5)
    kwargs = facts.create_kwargs(spec())
    assert kwargs["cap_drop"] == ["NET_RAW"] and "cap_add" not in kwargs
    assert kwargs["pids_limit"] == 64
    assert kwargs["log_config"]["config"] == {"max-size": "1m", "max-file": "5"}


@pytest.mark.parametrize("driver,config", [
    ("local", {"max-size": "10m", "max-file": "3"}),
    ("journald", {}),  # no rotation options: the engine would refuse them
])
def test_log_cap_only_for_drivers_that_rotate(docker_opts, driver, config):
    docker_opts(log_driver=driver)
    assert facts.hardening_kwargs()["log_config"] == {"type": driver, "config": config}


def test_log_size_cap_can_be_turned_off(docker_opts):
    docker_opts(log_max_size="")
    assert facts.hardening_kwargs()["log_config"] == {"type": "json-file", "config": {}}


@pytest.mark.parametrize("value", ["10M", "ten", "10 m", "-1m"])
def test_log_max_size_is_validated_by_the_option(docker_opts, value):
    with pytest.raises(ValueError):
        docker_opts(log_max_size=value)


def test_injected_files_can_be_made_writable(docker_opts):
    docker_opts(injected_files_read_only=False)
    kwargs = facts.create_kwargs(spec(binds=[("/h/0", "/data/f")]))
    assert kwargs["volumes"] == {"/h/0": {"bind": "/data/f", "mode": "rw"}}


def test_hardening_survives_the_sdk_argument_mapping():
    """What the engine receives: HostConfig fields, injected files read-only."""
    import docker.models.containers as sdk
    kwargs = facts.create_kwargs(spec(binds=[("/h/0", "/data/f")]))
    args = sdk._create_container_args(dict(kwargs, version="1.41", command=None))
    host = args["host_config"]
    assert host["CapDrop"] == ["ALL"] and "NET_RAW" not in host["CapAdd"]
    assert host["SecurityOpt"] == ["no-new-privileges:true"]
    assert host["PidsLimit"] == 1024
    assert host["LogConfig"] == {"Type": "json-file",
                                 "Config": {"max-size": "10m", "max-file": "3"}}
    assert host["Binds"] == ["/h/0:/data/f:ro"]


# --- volumes (issue 11) ----------------------------------------------------------
def test_volume_names_are_scoped_by_project():
    name = facts.volume_name("proj", "data")
    assert name.startswith("zun-") and name.endswith("-data")
    assert name == facts.volume_name("proj", "data")  # found again on retry
    assert name != facts.volume_name("other", "data")
    assert len(name) == len("zun-") + 12 + len("-data")


def test_volume_labels_say_whose_and_which():
    labels = facts.volume_labels("proj", "data")
    assert labels == {facts.LABEL_VOLUME: "data", base.LABEL_PROJECT: "proj"}
    assert facts.is_own_volume({"Labels": dict(labels, extra="x")}, labels)
    assert not facts.is_own_volume({"Labels": None}, labels)
    assert not facts.is_own_volume(
        {"Labels": facts.volume_labels("other", "data")}, labels)


def test_volumes_become_mounts_beside_the_injected_binds():
    kwargs = facts.create_kwargs(spec(
        volumes=[("data", "/data"), ("", "/scratch")],
        binds=[("/var/lib/zun/mounts/u/0", "/etc/f")]))
    assert kwargs["mounts"] == [
        {"Type": "volume", "Target": "/data", "ReadOnly": False,
         "Source": facts.volume_name("proj", "data")},
        {"Type": "volume", "Target": "/scratch", "ReadOnly": False,
         "VolumeOptions": {"Labels": {base.LABEL_UUID: UUID,
                                      base.LABEL_PROJECT: "proj"}}}]
    assert list(kwargs["volumes"]) == ["/var/lib/zun/mounts/u/0"]
    assert "mounts" not in facts.create_kwargs(spec())


def test_mounts_reach_the_host_config():
    import docker.models.containers as sdk
    args = dict(facts.create_kwargs(spec(volumes=[("data", "/data")])),
                version="1.41", command=None)
    host_config = sdk._create_container_args(args)["host_config"]
    assert host_config["Mounts"][0]["Source"] == facts.volume_name("proj", "data")


# --- exposed ports and addresses ---------------------------------------------
def test_exposed_ports_are_published_on_the_configured_address():
    from zun.conf import CONF
    assert "ports" not in facts.create_kwargs(spec())
    kwargs = facts.create_kwargs(spec(exposed_ports=[(53, "udp"), (8080, "tcp")]))
    # None: the engine picks the host port
    assert kwargs["ports"] == {"53/udp": ("127.0.0.1", None),
                               "8080/tcp": ("127.0.0.1", None)}
    CONF.set_override("publish_address", "192.0.2.7", group="docker")
    try:
        kwargs = facts.create_kwargs(spec(exposed_ports=[(80, "tcp")]))
    finally:
        CONF.clear_override("publish_address", group="docker")
    assert kwargs["ports"] == {"80/tcp": ("192.0.2.7", None)}


def test_published_ports_survive_the_sdk_argument_mapping():
    import docker.models.containers as sdk
    kwargs = facts.create_kwargs(spec(exposed_ports=[(8080, "tcp")]))
    args = sdk._create_container_args(dict(kwargs, version="1.41"))
    assert args["ports"] == [("8080", "tcp")]
    assert args["host_config"]["PortBindings"] == {
        "8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]}


def test_published_ports_from_inspect():
    data = dict(INSPECT, NetworkSettings={
        "Networks": {},
        "Ports": {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "32768"}],
                  "53/udp": [{"HostIp": "0.0.0.0", "HostPort": "32770"},
                             {"HostIp": "::", "HostPort": "32770"}],
                  "80/tcp": None,                       # exposed by the image only
                  "81/tcp": [{"HostIp": "", "HostPort": ""}]}})
    got = facts.facts_from_inspect(data)
    assert got.published_ports == [
        {"port": 53, "protocol": "udp", "host_ip": "0.0.0.0", "host_port": 32770},
        {"port": 53, "protocol": "udp", "host_ip": "::", "host_port": 32770},
        {"port": 8080, "protocol": "tcp", "host_ip": "127.0.0.1", "host_port": 32768},
    ]


def test_a_stopped_container_publishes_nothing():
    data = dict(INSPECT, NetworkSettings={"Networks": {}, "Ports": {}})
    assert facts.facts_from_inspect(data).published_ports == []
    assert facts.facts_from_inspect({"Id": "x"}).published_ports == []


def test_addresses_in_upstream_shape_with_the_subnet_cidr():
    data = dict(INSPECT, NetworkSettings={"Networks": {
        "zun-1a2b3c": {"IPAddress": "172.18.0.5", "IPPrefixLen": 16,
                       "GlobalIPv6Address": "fd00:1::5", "GlobalIPv6PrefixLen": 64},
        "bridge": {"IPAddress": "172.17.0.2", "IPPrefixLen": 0},
        "created": {"IPAddress": "", "IPPrefixLen": 0}}})
    got = facts.facts_from_inspect(data).addresses
    assert got == {
        "zun-1a2b3c": [
            {"addr": "172.18.0.5", "version": 4, "port": None,
             "subnet_id": "172.18.0.0/16", "preserve_on_delete": False},
            {"addr": "fd00:1::5", "version": 6, "port": None,
             "subnet_id": "fd00:1::/64", "preserve_on_delete": False}],
        # no prefix length reported: the subnet is unknown
        "bridge": [{"addr": "172.17.0.2", "version": 4, "port": None,
                    "subnet_id": None, "preserve_on_delete": False}],
    }


def test_a_request_chooses_read_only_per_mount(docker_opts):
    docker_opts(injected_files_read_only=True)
    kwargs = facts.create_kwargs(spec(
        binds=[("/h/0", "/etc/a"), ("/h/1", "/etc/b")],
        volumes=[("data", "/data"), ("logs", "/logs")],
        read_only={"/etc/b": False, "/data": True}))
    assert kwargs["volumes"] == {"/h/0": {"bind": "/etc/a", "mode": "ro"},
                                 "/h/1": {"bind": "/etc/b", "mode": "rw"}}
    assert [(m["Target"], m["ReadOnly"]) for m in kwargs["mounts"]] == [
        ("/data", True), ("/logs", False)]
