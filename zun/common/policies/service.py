"""Compute-service rules: seeing and steering the agents is for administrators.

A service row names hosts and their health, which tenants have no business
knowing; disabling or deleting one changes where everybody's containers go.
"""
from __future__ import annotations

from oslo_policy import policy

from zun.common.policies import base

_ROOT = "/v1/services"

rules = [
    policy.DocumentedRuleDefault(
        name="zun-service:get_all", check_str=base.ADMIN,
        description="List the compute services and whether each is up.",
        operations=[{"method": "GET", "path": _ROOT}]),
    policy.DocumentedRuleDefault(
        name="zun-service:update", check_str=base.ADMIN,
        description="Enable, disable or force down a compute service.",
        operations=[{"method": "PUT", "path": _ROOT + "/enable"},
                    {"method": "PUT", "path": _ROOT + "/disable"},
                    {"method": "PUT", "path": _ROOT + "/force_down"}]),
    policy.DocumentedRuleDefault(
        name="zun-service:delete", check_str=base.ADMIN,
        description="Delete a compute service that has no containers.",
        operations=[{"method": "DELETE", "path": _ROOT}]),
]


def list_rules() -> list[policy.DocumentedRuleDefault]:
    return rules
