"""Rules in code and the authorize() entry point."""
from __future__ import annotations

import pytest
from oslo_policy.policy import PolicyNotRegistered

from zun.common import exception, policies, policy
from zun.common.context import RequestContext

MEMBER = RequestContext(user_id="u", project_id="p1", roles=["member"])
ADMIN = RequestContext(user_id="a", project_id="p0", roles=["admin"])


@pytest.fixture(autouse=True)
def fresh_enforcer(_parsed_conf):
    policy.reset()
    yield
    policy.reset()


def test_every_named_rule_is_registered_once():
    names = [rule.name for rule in policies.list_rules()]
    assert len(names) == len(set(names))
    expected = {
        "context_is_admin", "admin_or_owner", "admin_api", "deny_everybody",
        "container:create", "container:get_one", "container:get_all",
        "container:get_all_all_projects", "container:update", "container:delete",
        "container:delete_force", "container:start", "container:stop",
        "container:reboot", "container:pause", "container:unpause",
        "container:kill", "container:logs", "container:execute", "container:top",
        "container:stats", "container:rename", "container:create:runtime",
        "container:create:privileged", "container:create:requested_destination",
        "container:create:image_pull_policy", "container:get_one:host",
        "container:get_one:runtime", "container:get_one:privileged",
        "container:get_one:image_pull_policy", "container:actions",
        "container:actions:events",
    }
    assert expected <= set(names)


def test_owner_may_act_on_own_project_only():
    assert policy.authorize(MEMBER, "container:start", {"project_id": "p1"})
    with pytest.raises(exception.PolicyNotAuthorized) as info:
        policy.authorize(MEMBER, "container:start", {"project_id": "p2"})
    assert info.value.code == 403
    assert "container:start" in str(info.value)


def test_admin_may_act_anywhere():
    assert policy.authorize(ADMIN, "container:start", {"project_id": "p2"})
    assert policy.authorize(ADMIN, "container:delete_force", {"project_id": "p2"})


@pytest.mark.parametrize("rule", ["container:get_all_all_projects",
                                  "container:create:runtime",
                                  "container:get_one:host",
                                  "container:actions:events"])
def test_admin_only_rules(rule):
    assert policy.authorize(MEMBER, rule, do_raise=False) is False
    assert policy.authorize(ADMIN, rule)


def test_privileged_denied_even_to_admin():
    assert policy.authorize(ADMIN, "container:create:privileged", do_raise=False) is False


def test_policy_file_overrides_defaults(tmp_path):
    from zun.conf import CONF
    path = tmp_path / "policy.yaml"
    path.write_text('"container:create:privileged": "role:admin"\n')
    CONF.set_override("policy_file", str(path), "oslo_policy")
    try:
        policy.reset()
        assert policy.authorize(ADMIN, "container:create:privileged")
    finally:
        CONF.clear_override("policy_file", "oslo_policy")


def test_unknown_rule_is_a_bug_not_a_pass():
    with pytest.raises(PolicyNotRegistered):
        policy.authorize(ADMIN, "container:no_such_rule")


# --- callers whose token carries no project (system scope, unscoped) -------------
SYSTEM_ADMIN = RequestContext(user_id="s", project_id=None, roles=["admin", "member"],
                              system_scope="all")
UNSCOPED = RequestContext(user_id="u2", project_id=None, roles=[])


@pytest.mark.parametrize("ctx", [SYSTEM_ADMIN, UNSCOPED], ids=["system-admin", "unscoped"])
@pytest.mark.parametrize("rule", ["container:create", "container:get_all",
                                  "container:get_one", "container:delete",
                                  "container:delete_force", "container:start",
                                  "container:get_all_all_projects",
                                  "container:actions", "container:actions:events",
                                  "quota:get", "quota:get_default", "quota:update"])
def test_no_project_is_refused_project_owned_rules(ctx, rule):
    # the target a row of no project would have: the owner rule must not match
    for target in (None, {"project_id": None}, {"project_id": "p1"}):
        assert policy.authorize(ctx, rule, target, do_raise=False) is False
    with pytest.raises(exception.PolicyNotAuthorized) as info:
        policy.authorize(ctx, rule, {"project_id": None})
    assert info.value.code == 403 and rule in str(info.value)


@pytest.mark.parametrize("rule", ["zun-service:get_all", "zun-service:update",
                                  "host:get_all", "host:get",
                                  "availability_zone:get_all", "quota_class:get"])
def test_system_admin_keeps_the_deployment_apis(rule):
    assert policy.authorize(SYSTEM_ADMIN, rule)
    assert policy.authorize(UNSCOPED, rule, do_raise=False) is False


def test_owner_rule_never_matches_a_missing_project(tmp_path):
    """Even an operator's own rule on a deployment API: no project is no owner."""
    from zun.conf import CONF
    path = tmp_path / "policy.yaml"
    path.write_text('"host:get_all": "project_id:%(project_id)s"\n')
    CONF.set_override("policy_file", str(path), "oslo_policy")
    try:
        policy.reset()
        assert policy.authorize(UNSCOPED, "host:get_all", {"project_id": None},
                                do_raise=False) is False
        assert policy.authorize(MEMBER, "host:get_all", {"project_id": "p1"})
    finally:
        CONF.clear_override("policy_file", "oslo_policy")
