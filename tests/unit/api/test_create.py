"""POST /v1/containers: per-version shapes, validation, policy, normalisation."""
from __future__ import annotations

import pytest

from tests.unit.api.conftest import ADMIN, ALICE, v
from zun.conf import CONF


def _create(app, body, headers=None, status=202, query=""):
    return app.post_json("/v1/containers" + query, body,
                         headers=headers or ALICE, status=status)


def _values(compute):
    (ctx, values), kwargs = compute.last("container_create")
    return values, kwargs


def _title(response) -> str:
    return response.json["errors"][0]["title"]


def test_create_at_1_1_splits_the_quoted_command(app, compute):
    response = _create(app, {"image": "busybox", "name": "web1",
                             "command": '"echo" "a b"'})
    values, kwargs = _values(compute)
    assert values["command"] == ["echo", "a b"]
    assert kwargs == {"run": False}
    body = response.json
    assert response.status_int == 202
    assert response.headers["Location"] == "http://localhost/v1/containers/%s" % body["uuid"]
    assert body["name"] == "web1"
    assert body["command"] == ["echo", "a b"]
    assert body["status"] == "Creating"
    # fields newer than 1.1 are not shown
    assert "entrypoint" not in body and "tty" not in body and "auto_remove" not in body


def test_run_query_flag(app, compute):
    for flag in ("true", "True"):
        _create(app, {"image": "busybox"}, query="?run=" + flag)
        assert _values(compute)[1] == {"run": True}


def test_bad_run_flag_is_400_naming_it(app, compute):
    response = _create(app, {"image": "busybox"}, query="?run=maybe", status=400)
    assert "run" in _title(response)
    assert compute.calls == []


def test_create_at_1_20_takes_a_list(app, compute):
    _create(app, {"image": "busybox", "command": ["sh", "-c", "echo hi"]},
            headers=v("1.20"))
    assert _values(compute)[0]["command"] == ["sh", "-c", "echo hi"]


def test_list_command_below_1_20_is_400(app, compute):
    response = _create(app, {"image": "busybox", "command": ["ls"]},
                       headers=v("1.19"), status=400)
    assert "'command'" in _title(response)


def test_string_command_from_1_20_is_400(app):
    response = _create(app, {"image": "busybox", "command": "ls"},
                       headers=v("1.20"), status=400)
    assert "'command'" in _title(response)


def test_create_at_1_40_with_entrypoint_and_full_body(app, compute):
    body = {"name": "web1", "image": "busybox:local", "memory": "64", "cpu": "0.5",
            "environment": {"FOO": "bar"}, "workdir": "/tmp", "auto_remove": False,
            "labels": {"app": "x"}, "hints": {}, "nets": [], "mounts": [],
            "command": ["sh", "-c", "echo hi; sleep 10"],
            "entrypoint": ["/bin/sh", "-c"], "interactive": True, "tty": True,
            "restart_policy": {"Name": "on-failure", "MaximumRetryCount": "3"},
            "security_groups": ["default"], "healthcheck": {"test": "true", "interval": 5},
            "cpu_policy": "shared", "hostname": "web", "auto_heal": True,
            "availability_zone": "nova", "disk": 5}
    response = _create(app, body, headers=v("1.40"))
    values, _ = _values(compute)
    assert values["cpu"] == 0.5
    assert values["memory"] == "64"
    assert values["disk"] == 5
    assert values["entrypoint"] == ["/bin/sh", "-c"]
    assert values["restart_policy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    for dropped in ("hints", "nets", "mounts"):  # empty: nothing to pass on
        assert dropped not in values
    assert values["availability_zone"] == "nova"  # a scheduling input
    shown = response.json
    assert shown["entrypoint"] == ["/bin/sh", "-c"]
    assert shown["tty"] is True
    assert shown["restart_policy"] == {"Name": "on-failure", "MaximumRetryCount": "3"}
    assert shown["memory"] == "64" and shown["cpu"] == 0.5
    # admin-only fields are hidden from a member
    for hidden in ("host", "runtime", "privileged", "image_pull_policy"):
        assert hidden not in shown


def test_view_field_set_for_admin_at_latest(app):
    shown = _create(app, {"image": "busybox"}, headers=v("latest", ADMIN)).json
    from zun.api.views.containers import FIELDS
    assert set(shown) == set(FIELDS)


def test_defaults(app, compute):
    _create(app, {"image": "busybox"})
    values, _ = _values(compute)
    assert values["cpu"] == CONF.default_cpu
    assert values["memory"] == str(CONF.default_memory)
    assert values["name"].startswith("zun-")
    assert values["uuid"] in values["name"]


@pytest.mark.parametrize("field,version,value", [
    ("host", "1.38", "host1"),
    ("entrypoint", "1.39", ["sh"]),
    ("tty", "1.35", True),
    ("nets", "1.1", [{"network": "n1"}]),
    ("auto_remove", "1.2", True),
    ("privileged", "1.20", False),
])
def test_field_newer_than_version_is_400_naming_version(app, compute, field, version, value):
    response = _create(app, {"image": "busybox", field: value},
                       headers=v(version), status=400)
    title = _title(response)
    assert "'%s'" % field in title
    assert version in title
    assert response.json["errors"][0]["code"] == "container.invalid_param_in_version"
    assert compute.calls == []


@pytest.mark.parametrize("body,field", [
    ({"image": "busybox", "memory": "-1"}, "memory"),
    ({"image": "busybox", "memory": -1}, "memory"),
    ({"image": "busybox", "memory": "999999"}, "memory"),
    ({"image": "busybox", "memory": "1"}, "memory"),
    ({"image": "busybox", "memory": "64M"}, "memory"),
    ({"image": "busybox", "cpu": "-0.5"}, "cpu"),
    ({"image": "busybox", "cpu": 100}, "cpu"),
    ({"image": "busybox", "cpu": "lots"}, "cpu"),
    ({"image": "busybox", "cpu": True}, "cpu"),
    ({"image": "busybox", "disk": 100000}, "disk"),
    ({"image": "busybox", "name": "-bad"}, "name"),
    ({"image": "busybox", "name": "a"}, "name"),
    ({"image": "busybox", "name": "has space"}, "name"),
    ({"image": "busybox", "name": "x" * 256}, "name"),
    ({"image": ""}, "image"),
    ({"image": 5}, "image"),
    ({}, "image"),
    ({"image": "busybox", "bogus": 1}, "bogus"),
    ({"image": "busybox", "environment": {"A": 1}}, "environment.A"),
    ({"image": "busybox", "labels": "x"}, "labels"),
    ({"image": "busybox", "interactive": "yes"}, "interactive"),
    ({"image": "busybox", "restart_policy": {"Name": "sometimes"}}, "restart_policy.Name"),
    ({"image": "busybox", "restart_policy": {"Name": "always",
                                              "MaximumRetryCount": "3"}},
     "restart_policy.MaximumRetryCount"),
    ({"image": "busybox", "restart_policy": {"Name": "on-failure",
                                              "MaximumRetryCount": "-1"}},
     "restart_policy.MaximumRetryCount"),
    ({"image": "busybox", "image_pull_policy": "sometimes"}, "image_pull_policy"),
    ({"image": "busybox", "image_driver": "glance"}, "image_driver"),
    ({"image": "busybox", "security_groups": "default"}, "security_groups"),
    ({"image": "busybox", "hints": {"disk": ["ssd"]}}, "hints.disk"),
    ({"image": "busybox", "hints": "disk=ssd"}, "hints"),
])
def test_validation_rules(app, compute, body, field):
    response = _create(app, body, headers=v("1.12"), status=400)
    title = _title(response)
    assert "Invalid input for field '%s'" % field in title, title
    assert compute.calls == []


def test_memory_message_names_value(app):
    title = _title(_create(app, {"image": "busybox", "memory": "-1"}, status=400))
    assert title.startswith("Invalid input for field 'memory'. Value: '-1'.")


def test_glance_is_not_supported(app):
    title = _title(_create(app, {"image": "x", "image_driver": "glance"}, status=400))
    assert "image driver glance is not supported" in title


def test_nets_may_name_only_the_projects_network(app, compute):
    title = _title(_create(app, {"image": "x", "nets": [{"network": "n"}]},
                           headers=v("1.40"), status=400))
    assert title.startswith("Invalid input for field 'nets[0].network'. Value: 'n'.")
    assert "'default'" in title
    _create(app, {"image": "x", "nets": [{"network": "default"}]},
            headers=v("1.40"), status=202)


@pytest.mark.parametrize("key", ["port", "v4-fixed-ip", "v6-fixed-ip"])
def test_neutron_only_net_fields_are_refused(app, key):
    title = _title(_create(app, {"image": "x", "nets": [{"network": "default",
                                                         key: "x"}]},
                           headers=v("1.40"), status=400))
    assert "nets[0].%s" % key in title and "Neutron" in title


def test_volume_mounts_are_stored_by_the_users_name(app, compute):
    body = {"image": "x", "mounts": [
        {"source": "vol1", "destination": "/data/"},
        {"type": "volume", "destination": "/scratch"},
        {"type": "volume", "source": "", "size": "", "destination": "/tmp//x"}]}
    response = _create(app, body, headers=v("1.40"))
    assert _values(compute)[0]["mounts"] == [
        {"type": "volume", "name": "vol1", "destination": "/data"},
        {"type": "volume", "name": "", "destination": "/scratch"},
        {"type": "volume", "name": "", "destination": "/tmp/x"}]
    assert response.json["mounts"] == [
        {"type": "volume", "source": "vol1", "destination": "/data"},
        {"type": "volume", "source": "", "destination": "/scratch"},
        {"type": "volume", "source": "", "destination": "/tmp/x"}]


def test_mounts_keep_an_explicit_read_only(app, compute):
    body = {"image": "x", "mounts": [
        {"source": "vol1", "destination": "/data", "read_only": True},
        {"type": "bind", "source": "", "destination": "/etc/f", "read_only": False}]}
    response = _create(app, body, headers=v("1.40"))
    stored = _values(compute)[0]["mounts"]
    assert [m.get("read_only") for m in stored] == [True, False]
    assert [m.get("read_only") for m in response.json["mounts"]] == [True, False]
    bad = _create(app, {"image": "x", "mounts": [
        {"source": "v", "destination": "/d", "read_only": "yes"}]},
        headers=v("1.40"), status=400)
    assert "read_only" in _title(bad)


def test_bind_mount_injects_base64_content(app, compute):
    import base64
    content = base64.b64encode(b"hello file\n").decode()
    body = {"image": "x", "mounts": [{"type": "bind", "source": content,
                                      "destination": "/data/testfile"}]}
    _create(app, body, headers=v("1.25"))
    assert _values(compute)[0]["mounts"] == [
        {"type": "bind", "destination": "/data/testfile", "content": content}]


@pytest.mark.parametrize("mount,version,needle", [
    ({"type": "bind", "source": "%%%", "destination": "/f"}, "1.25", "base64"),
    ({"type": "bind", "source": "eA==", "destination": "relative"}, "1.25",
     "destination"),
    ({"type": "bind", "source": "x", "destination": "/f"}, "1.22", "1.23"),
    ({"type": "bind", "source": "eA==", "destination": "/f", "extra": 1}, "1.25",
     "extra"),
])
def test_bad_mounts_are_400(app, compute, mount, version, needle):
    title = _title(_create(app, {"image": "x", "mounts": [mount]},
                           headers=v(version), status=400))
    assert needle in title


def test_oversized_injected_files_are_400(app):
    import base64
    big = base64.b64encode(b"x" * (1024 * 1024 + 1)).decode()
    body = {"image": "x", "mounts": [{"type": "bind", "source": big,
                                      "destination": "/big"}]}
    assert "at most" in _title(_create(app, body, headers=v("1.40"), status=400))


def test_unknown_registry_is_404(app):
    title = _title(_create(app, {"image": "x", "registry": "r"},
                           headers=v("1.40"), status=404))
    assert "Registry r could not be found" in title


@pytest.mark.parametrize("groups", [None, ["default"], []])
def test_exposed_ports_are_stored_in_full(app, compute, groups):
    # what `zun run --expose-port 8080 --expose-port 53/udp` sends; "default"
    # (what Heat and tempest send) asks for nothing, so it goes with them
    body = {"image": "x", "exposed_ports": {"8080": {}, "53/udp": {}, "80/TCP": {}}}
    if groups is not None:
        body["security_groups"] = groups
    _create(app, body, headers=v("1.24"))
    assert _values(compute)[0]["exposed_ports"] == {
        "8080/tcp": {}, "53/udp": {}, "80/tcp": {}}


@pytest.mark.parametrize("groups", [["web"], ["default", "web"]])
def test_security_groups_are_refused_naming_what_is_missing(app, compute, groups):
    title = _title(_create(app, {"image": "x", "security_groups": groups},
                           headers=v("1.40"), status=400))
    assert title.startswith("Invalid input for field 'security_groups'.")
    assert "security groups need Neutron" in title
    assert compute.calls == []


@pytest.mark.parametrize("version,extra", [
    ("1.40", {"security_groups": [], "exposed_ports": {}}),
    ("1.40", {"security_groups": ["default"]}),
    # what Heat (1.12) and zunclient send when nothing is asked for
    ("1.12", {"security_groups": ["default"]}),
    ("1.12", {"security_groups": []}),
    ("1.23", {"exposed_ports": {}}),
])
def test_empty_network_fields_keep_working(app, compute, version, extra):
    _create(app, dict({"image": "x"}, **extra), headers=v(version))
    assert compute.calls


def test_cpu_policy_dedicated_is_refused_shared_accepted(app, compute):
    title = _title(_create(app, {"image": "x", "cpu_policy": "dedicated"},
                           headers=v("1.40"), status=400))
    assert title.startswith("Invalid input for field 'cpu_policy'.")
    assert "cpu pinning" in title and "enable_cpu_pinning" in title
    assert compute.calls == []
    _create(app, {"image": "x", "cpu_policy": "shared"}, headers=v("1.40"))
    assert _values(compute)[0]["cpu_policy"] == "shared"


@pytest.mark.parametrize("sent,stored", [
    # python-zunclient's --healthcheck cmd=...,interval=...
    ({"cmd": "test -f /tmp/ok", "interval": 5, "retries": 2, "timeout": 3},
     {"test": "test -f /tmp/ok", "interval": 5, "retries": 2, "timeout": 3}),
    ({"test": ["cat", "/tmp/ok"]}, {"test": ["cat", "/tmp/ok"]}),
    ({"interval": 10}, {"interval": 10}),  # the image's own probe, retimed
    ({}, None),
])
def test_healthcheck_is_normalised(app, compute, sent, stored):
    _create(app, {"image": "x", "healthcheck": sent}, headers=v("1.40"))
    assert _values(compute)[0]["healthcheck"] == stored


@pytest.mark.parametrize("check,field", [
    ({"cmd": "true", "test": "true"}, "healthcheck"),
    ({"cmd": " "}, "healthcheck.cmd"),
    ({"test": []}, "healthcheck.test"),
    ({"interval": -1}, "healthcheck.interval"),
    ({"interval": 86401}, "healthcheck.interval"),
    ({"start_period": 5}, "healthcheck.start_period"),
])
def test_bad_healthcheck_is_400_naming_the_field(app, compute, check, field):
    title = _title(_create(app, {"image": "x", "healthcheck": check},
                           headers=v("1.40"), status=400))
    assert title.startswith("Invalid input for field '%s'." % field)
    assert compute.calls == []


def test_healthcheck_before_1_22_is_400(app, compute):
    _create(app, {"image": "x", "healthcheck": {"cmd": "true"}},
            headers=v("1.21"), status=400)
    _create(app, {"image": "x", "healthcheck": {}}, headers=v("1.21"))


@pytest.mark.parametrize("field,value,rule", [
    ("runtime", "runc", "container:create:runtime"),
    ("host", "host1", "container:create:requested_destination"),
    ("image_pull_policy", "always", "container:create:image_pull_policy"),
])
def test_admin_only_fields(app, compute, field, value, rule):
    response = _create(app, {"image": "x", field: value}, headers=v("1.40"), status=403)
    assert rule in _title(response)
    assert compute.calls == []
    _create(app, {"image": "x", field: value}, headers=v("1.40", ADMIN))
    assert _values(compute)[0][field] == value


def test_privileged_is_denied_to_everybody(app, compute):
    response = _create(app, {"image": "x", "privileged": True},
                       headers=v("1.40", ADMIN), status=403)
    assert "container:create:privileged" in _title(response)
    _create(app, {"image": "x", "privileged": False}, headers=v("1.40"))


def test_string_retry_count_and_int_retry_count(app, compute):
    shown = _create(app, {"image": "x", "restart_policy": {
        "Name": "on-failure", "MaximumRetryCount": 2}}).json
    assert shown["restart_policy"]["MaximumRetryCount"] == "2"
    _create(app, {"image": "x", "restart_policy": {"Name": "no",
                                                   "MaximumRetryCount": "0"}})
    assert _values(compute)[0]["restart_policy"] == {"Name": "no", "MaximumRetryCount": 0}


def test_unquoted_command_string_unbalanced_quotes_is_400(app):
    title = _title(_create(app, {"image": "x", "command": '"echo'}, status=400))
    assert "'command'" in title


def test_body_must_be_an_object(app):
    _create(app, ["image"], status=400)


def test_hints_go_to_the_scheduler_as_strings(app, compute):
    _create(app, {"image": "busybox", "hints": {"disk": "ssd", "rack": 2}},
            headers=v("1.12"))
    values, _ = _values(compute)
    assert values["hints"] == {"disk": "ssd", "rack": "2"}


def test_empty_fields_newer_than_version_ask_for_nothing(app, compute):
    # python-zunclient 5.5.0 sends "mounts": [] at every version
    _create(app, {"image": "busybox", "mounts": [], "nets": [], "hints": {}},
            headers=v("1.1"))
    values, _ = _values(compute)
    assert "mounts" not in values and "nets" not in values


# --- volumes (issue 11) ----------------------------------------------------------
def test_a_mount_without_type_below_1_23_is_a_volume(app, compute):
    _create(app, {"image": "x", "mounts": [{"source": "v", "destination": "/d"}]},
            headers=v("1.11"))
    assert _values(compute)[0]["mounts"] == [
        {"type": "volume", "name": "v", "destination": "/d"}]


@pytest.mark.parametrize("mounts,field,needle", [
    ([{"source": "v", "destination": "/d", "size": 1}], "mounts[0].size", "quota"),
    ([{"source": "v", "destination": "/d", "size": "10"}], "mounts[0].size", "quota"),
    ([{"type": "bind", "source": "eA==", "destination": "/d", "size": 1}],
     "mounts[0].size", "size"),
    ([{"source": "-bad", "destination": "/d"}], "mounts[0].source", "letter"),
    ([{"source": "a/b", "destination": "/d"}], "mounts[0].source", "letter"),
    ([{"source": "a:b", "destination": "/d"}], "mounts[0].source", "letter"),
    ([{"source": "x" * 129, "destination": "/d"}], "mounts[0].source", "128"),
    # the schema's own checks name the field by its JSON path
    ([{"source": "v", "destination": "d"}], "mounts.0.destination", "'d'"),
    ([{"source": "v", "destination": "//"}], "mounts[0].destination", "root"),
    ([{"source": "v", "destination": "/a/.."}], "mounts[0].destination", "root"),
    ([{"source": "v", "destination": "/d"}, {"destination": "/d/"}],
     "mounts[1].destination", "already"),
    ([{"source": "v", "destination": "/d"},
      {"type": "bind", "source": "eA==", "destination": "/d"}],
     "mounts[1].destination", "already"),
    ([{"type": "tmpfs", "destination": "/d"}], "mounts.0.type", "tmpfs"),
])
def test_bad_volume_mounts_are_400_naming_the_field(app, compute, mounts, field,
                                                    needle):
    title = _title(_create(app, {"image": "x", "mounts": mounts},
                           headers=v("1.40"), status=400))
    assert field in title and needle in title
    assert compute.calls == []


def test_volume_count_is_bounded_by_an_option(app, compute):
    CONF.set_override("max_volumes_per_container", 2, group="compute")
    try:
        mounts = [{"source": "v%d" % i, "destination": "/d%d" % i} for i in range(3)]
        title = _title(_create(app, {"image": "x", "mounts": mounts},
                               headers=v("1.40"), status=400))
        assert "mounts" in title and "at most 2" in title
        _create(app, {"image": "x", "mounts": mounts[:2]}, headers=v("1.40"))
    finally:
        CONF.clear_override("max_volumes_per_container", group="compute")


def test_bind_mounts_stay_injected_files_not_host_paths(app, compute):
    # at 1.25+ a bind source is base64 content: a host path is not valid base64
    body = {"image": "x", "mounts": [{"type": "bind", "source": "/etc/passwd",
                                      "destination": "/p"}]}
    title = _title(_create(app, body, headers=v("1.40"), status=400))
    assert "mounts[0].source" in title and "base64" in title


def test_mounts_are_shown_from_1_11_without_file_content(app, compute):
    import base64
    content = base64.b64encode(b"secret").decode()
    body = {"image": "x", "mounts": [
        {"type": "bind", "source": content, "destination": "/f"}]}
    uuid = _create(app, body, headers=v("1.40")).json["uuid"]
    shown = app.get("/v1/containers/%s" % uuid, headers=v("1.40")).json
    assert shown["mounts"] == [{"type": "bind", "source": "", "destination": "/f"}]
    assert content not in str(shown)
    assert "mounts" not in app.get("/v1/containers/%s" % uuid, headers=v("1.10")).json


# --- exposed_ports ------------------------------------------------------------
@pytest.mark.parametrize("ports,field,words", [
    ({"0/tcp": {}}, "exposed_ports.0/tcp", "between 1 and 65535"),
    ({"65536": {}}, "exposed_ports.65536", "between 1 and 65535"),
    ({"80/sctp": {}}, "exposed_ports.80/sctp", "tcp, udp"),
    ({"http": {}}, "exposed_ports.http", "<port>[/<protocol>]"),
    ({"80/tcp/x": {}}, "exposed_ports.80/tcp/x", "<port>[/<protocol>]"),
    ({"80": {"HostPort": "8080"}}, "exposed_ports.80", "chosen at start"),
    ({"80": {}, "80/tcp": {}}, "exposed_ports.80/tcp", "given twice"),
    ({"80": []}, "exposed_ports.80", "not of type 'object'"),
    (["80/tcp"], "exposed_ports", "not of type 'object'"),
])
def test_bad_exposed_ports_are_400_naming_the_port(app, compute, ports, field, words):
    title = _title(_create(app, {"image": "x", "exposed_ports": ports},
                           headers=v("1.40"), status=400))
    assert title.startswith("Invalid input for field '%s'." % field), title
    assert words in title
    assert compute.calls == []


def test_exposed_ports_count_is_bounded(app, compute):
    CONF.set_override("max_exposed_ports", 2, group="docker")
    try:
        body = {"image": "x", "exposed_ports": {"1": {}, "2": {}, "3": {}}}
        title = _title(_create(app, body, headers=v("1.40"), status=400))
        assert title.startswith("Invalid input for field 'exposed_ports'.")
        assert "at most 2 ports" in title
        body["exposed_ports"].pop("3")
        _create(app, body, headers=v("1.40"))
    finally:
        CONF.clear_override("max_exposed_ports", group="docker")


def test_exposed_ports_need_1_24(app, compute):
    title = _title(_create(app, {"image": "x", "exposed_ports": {"80": {}}},
                           headers=v("1.23"), status=400))
    assert "exposed_ports" in title and "1.24" in title
    assert compute.calls == []


def test_published_ports_are_shown_from_1_24(app, compute):
    shown = _create(app, {"image": "x"}, headers=v("1.24")).json
    assert shown["published_ports"] == []
    assert "published_ports" not in _create(app, {"image": "x"},
                                            headers=v("1.23")).json

