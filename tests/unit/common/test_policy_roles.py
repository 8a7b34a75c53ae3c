"""The default roles: reader reads, member acts, admin acts anywhere.

Every project-owned rule is checked for each kind of caller, with the role
lists both a Keystone token (implied roles expanded: admin -> member ->
reader) and a noauth caller (only the role it names) carry. The legacy
"any role on the project acts" is one policy.yaml away, as documented in
docs/keystone.rst.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from zun.common import actions, exception, policies, policy
from zun.common.context import RequestContext
from zun.common.policies import base
from zun.conf import CONF

P = "p1"
CALLERS = {
    # name -> (context, may read P's resources, may act on them)
    "reader": (RequestContext(user_id="r", project_id=P, roles=["reader"]), True, False),
    "member-noauth": (RequestContext(user_id="m", project_id=P, roles=["member"]),
                      True, True),
    "member-token": (RequestContext(user_id="m", project_id=P,
                                    roles=["member", "reader"]), True, True),
    "admin-other-project": (RequestContext(user_id="a", project_id="p0",
                                           roles=["admin", "member", "reader"]),
                            True, True),
    "admin-noauth": (RequestContext(user_id="a", project_id="p0", roles=["admin"]),
                     True, True),
    "member-other-project": (RequestContext(user_id="o", project_id="p2",
                                            roles=["member", "reader"]), False, False),
    "reader-other-project": (RequestContext(user_id="o", project_id="p2",
                                            roles=["reader"]), False, False),
    "no-roles": (RequestContext(user_id="n", project_id=P, roles=[]), False, False),
    "other-role": (RequestContext(user_id="h", project_id=P, roles=["heat_stack_owner"]),
                   False, False),
}

# GETs that need a member: get_archive reads any file of the container
# (what exec could read), not just what it shows a reader (docs/images.rst);
# attach hands out a console that types into the container
MEMBER_GETS = {"get_archive", "attach"}
READ_RULES = ["container:get_all", "container:get_one", "container:actions",
              "quota:get", "quota:get_default"] + \
    sorted(a.policy for a in actions.ACTIONS.values()
           if a.method == "GET" and a.name not in MEMBER_GETS)
WRITE_RULES = sorted(a.policy for a in actions.ACTIONS.values()
                     if (a.method != "GET" or a.name in MEMBER_GETS)
                     and a.policy_default != actions.ADMIN)


@pytest.fixture(autouse=True)
def fresh_enforcer():
    # oslo.policy finds policy.yaml through CONF, which must be parsed
    CONF([], project="zun", default_config_files=[], default_config_dirs=[])
    policy.reset()
    yield
    policy.reset()


def _allowed(ctx: RequestContext, rule: str, project: str = P) -> bool:
    return policy.authorize(ctx, rule, {"project_id": project, "user_id": "x"},
                            do_raise=False)


# --- the registry and the base rules agree ------------------------------------
def test_registry_policy_names_are_the_base_rules():
    assert actions.READER == base.PROJECT_READER
    assert actions.MEMBER == base.PROJECT_MEMBER
    assert actions.ADMIN == base.ADMIN
    registered = {r.name for r in policies.list_rules()}
    for const in (actions.READER, actions.MEMBER, actions.ADMIN, base.ADMIN_OR_OWNER):
        assert const.split(":", 1)[1] in registered, const


def test_get_actions_are_for_readers_and_the_rest_for_members():
    for action in actions.ACTIONS.values():
        if action.policy_default == actions.ADMIN:
            continue   # force delete
        expected = (actions.READER if action.method == "GET"
                    and action.name not in MEMBER_GETS else actions.MEMBER)
        assert action.policy_default == expected, action.name


def test_no_default_uses_the_legacy_rule():
    """admin_or_owner stays defined for operators' files, unused by defaults."""
    for rule in policies.list_rules():
        assert "admin_or_owner" not in rule.check_str or rule.name == "admin_or_owner", \
            rule.name


def test_every_project_owned_rule_is_reader_member_or_admin_only():
    """No default lets a project's resource be touched by 'any role'."""
    owned = [r for r in policies.list_rules()
             if not r.name.startswith(policy.PROJECTLESS_RULE_PREFIXES)
             and ":" in r.name]
    allowed = {base.PROJECT_READER, base.PROJECT_MEMBER, base.ADMIN, base.DENY_EVERYBODY}
    for rule in owned:
        assert rule.check_str in allowed, (rule.name, rule.check_str)
    assert set(READ_RULES) | set(WRITE_RULES) <= {r.name for r in owned}


# --- the matrix ---------------------------------------------------------------------
@pytest.mark.parametrize("caller", sorted(CALLERS))
@pytest.mark.parametrize("rule", READ_RULES)
def test_read_rules(caller, rule):
    ctx, may_read, _ = CALLERS[caller]
    assert _allowed(ctx, rule) is may_read


@pytest.mark.parametrize("caller", sorted(CALLERS))
@pytest.mark.parametrize("rule", WRITE_RULES)
def test_write_rules(caller, rule):
    ctx, _, may_act = CALLERS[caller]
    assert _allowed(ctx, rule) is may_act


@pytest.mark.parametrize("caller", sorted(CALLERS))
@pytest.mark.parametrize("rule", ["container:delete_force", "container:get_all_all_projects",
                                  "container:create:runtime", "container:actions:events",
                                  "quota:update", "quota:delete", "quota_class:get",
                                  "zun-service:get_all", "host:get_all"])
def test_admin_rules_stay_admin_only(caller, rule):
    ctx, _, _ = CALLERS[caller]
    assert _allowed(ctx, rule) is ctx.is_admin


def test_a_readers_write_is_403_naming_the_rule():
    ctx = CALLERS["reader"][0]
    with pytest.raises(exception.PolicyNotAuthorized) as info:
        policy.authorize(ctx, "container:start", {"project_id": P})
    assert info.value.code == 403
    assert "container:start" in str(info.value)


def test_roles_match_case_insensitively():
    ctx = RequestContext(user_id="r", project_id=P, roles=["Reader"])
    assert _allowed(ctx, "container:get_one")
    assert not _allowed(ctx, "container:delete")


# --- the legacy default, through policy.yaml -----------------------------------------
def _documented_legacy_lines() -> str:
    """The policy.yaml lines docs/keystone.rst gives operators, verbatim."""
    doc = (Path(__file__).resolve().parents[3] / "docs" / "keystone.rst").read_text()
    lines = re.findall(r'^\s+("project_(?:reader|member)": "[^"]+")$', doc, re.M)
    assert len(lines) == 2, lines
    return "\n".join(line.strip() for line in lines) + "\n"


def test_legacy_any_role_acts_through_the_documented_policy_yaml(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(_documented_legacy_lines())
    policy.get_enforcer()   # registers [oslo_policy]
    CONF.set_override("policy_file", str(path), "oslo_policy")
    try:
        policy.reset()
        _check_legacy()
    finally:
        CONF.clear_override("policy_file", "oslo_policy")


def _check_legacy() -> None:
    for name in ("reader", "no-roles", "other-role", "member-noauth"):
        ctx = CALLERS[name][0]
        for rule in READ_RULES + WRITE_RULES:
            assert _allowed(ctx, rule), (name, rule)
    for name in ("member-other-project", "reader-other-project"):
        ctx = CALLERS[name][0]
        assert not _allowed(ctx, "container:get_one")
        assert not _allowed(ctx, "container:start")
    # admin-only rules are untouched by the override
    assert not _allowed(CALLERS["reader"][0], "container:delete_force")
    assert not _allowed(CALLERS["member-noauth"][0], "quota:update")
    # and a caller without a project is still refused everything it owns
    unscoped = RequestContext(user_id="u", project_id=None, roles=["member"])
    assert not policy.authorize(unscoped, "container:get_all", do_raise=False)
