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


def test_non_empty_nets_are_refused(app):
    title = _title(_create(app, {"image": "x", "nets": [{"network": "n"}]},
                           headers=v("1.40"), status=400))
    assert "not supported" in title and "nets" in title


def test_volume_mounts_are_refused(app):
    body = {"image": "x", "mounts": [{"source": "vol1", "destination": "/data"}]}
    title = _title(_create(app, body, headers=v("1.40"), status=400))
    assert "mounts[0]" in title and "block storage" in title


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


def test_registry_is_refused(app):
    title = _title(_create(app, {"image": "x", "registry": "r"},
                           headers=v("1.40"), status=400))
    assert "'registry'" in title


def test_exposed_ports_are_refused_naming_what_is_missing(app, compute):
    for extra in ({}, {"security_groups": ["default"]}):
        title = _title(_create(app, dict({"image": "x", "exposed_ports": {"80/tcp": {}}},
                                         **extra), headers=v("1.40"), status=400))
        assert title.startswith("Invalid input for field 'exposed_ports'.")
        assert "per-project networks" in title
    assert compute.calls == []


@pytest.mark.parametrize("groups", [["web"], ["default", "web"]])
def test_security_groups_are_refused_naming_what_is_missing(app, compute, groups):
    title = _title(_create(app, {"image": "x", "security_groups": groups},
                           headers=v("1.40"), status=400))
    assert title.startswith("Invalid input for field 'security_groups'.")
    assert "per-project networks" in title
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
