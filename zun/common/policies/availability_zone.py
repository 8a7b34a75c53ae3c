"""Availability-zone rules: administrators only, as upstream defaults them."""
from __future__ import annotations

from oslo_policy import policy

from zun.common.policies import base

rules = [
    policy.DocumentedRuleDefault(
        name="availability_zone:get_all", check_str=base.ADMIN,
        description="List the availability zones of the up compute services.",
        operations=[{"method": "GET", "path": "/v1/availability_zones"}]),
]


def list_rules() -> list[policy.DocumentedRuleDefault]:
    return rules
