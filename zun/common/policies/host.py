"""Host rules: hardware inventory and usage are for administrators."""
from __future__ import annotations

from oslo_policy import policy

from zun.common.policies import base

_ROOT = "/v1/hosts"

rules = [
    policy.DocumentedRuleDefault(
        name="host:get_all", check_str=base.ADMIN,
        description="List compute hosts with their inventory.",
        operations=[{"method": "GET", "path": _ROOT}]),
    policy.DocumentedRuleDefault(
        name="host:get", check_str=base.ADMIN,
        description="Show one compute host's inventory and usage.",
        operations=[{"method": "GET", "path": _ROOT + "/{host_ident}"}]),
]


def list_rules() -> list[policy.DocumentedRuleDefault]:
    return rules
