"""Image rules, as upstream: the images of hosts are for administrators;
searching the configured registries is for any project member."""
from __future__ import annotations

from oslo_policy import policy

from zun.common.policies import base

_ROOT = "/v1/images"

rules = [
    policy.DocumentedRuleDefault(
        name="image:pull", check_str=base.ADMIN,
        description="Pull an image onto a compute host.",
        operations=[{"method": "POST", "path": _ROOT}]),
    policy.DocumentedRuleDefault(
        name="image:get_all", check_str=base.ADMIN,
        description="List the images of the compute hosts.",
        operations=[{"method": "GET", "path": _ROOT}]),
    policy.DocumentedRuleDefault(
        name="image:get_one", check_str=base.ADMIN,
        description="Show one image of a compute host.",
        operations=[{"method": "GET", "path": _ROOT + "/{image_id}"}]),
    policy.DocumentedRuleDefault(
        name="image:delete", check_str=base.ADMIN,
        description="Remove an image from its compute host.",
        operations=[{"method": "DELETE", "path": _ROOT + "/{image_id}"}]),
    policy.DocumentedRuleDefault(
        name="image:search", check_str=base.PROJECT_MEMBER,
        description="Search the configured registries for an image.",
        operations=[{"method": "GET", "path": _ROOT + "/search"},
                    {"method": "GET", "path": _ROOT + "/{image}/search"}]),
]


def list_rules() -> list[policy.DocumentedRuleDefault]:
    return rules
