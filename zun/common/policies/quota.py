"""Quota rules: a project's readers may read its own limits; only administrators
change anyone's, since raising a quota hands out shared capacity."""
from __future__ import annotations

from oslo_policy import policy

from zun.common.policies import base

_ONE = "/v1/quotas/{project_id}"
_CLASS = "/v1/quota_classes/{quota_class_name}"

rules = [
    policy.DocumentedRuleDefault(
        name="quota:get", check_str=base.PROJECT_READER,
        description="Show a project's quota, optionally with its usage.",
        operations=[{"method": "GET", "path": _ONE}]),
    policy.DocumentedRuleDefault(
        name="quota:get_default", check_str=base.PROJECT_READER,
        description="Show the default quota a project falls back to.",
        operations=[{"method": "GET", "path": _ONE + "/defaults"}]),
    policy.DocumentedRuleDefault(
        name="quota:update", check_str=base.ADMIN,
        description="Set a project's own quota limits.",
        operations=[{"method": "PUT", "path": _ONE}]),
    policy.DocumentedRuleDefault(
        name="quota:delete", check_str=base.ADMIN,
        description="Drop a project's own limits, back to the defaults.",
        operations=[{"method": "DELETE", "path": _ONE}]),
    policy.DocumentedRuleDefault(
        name="quota_class:get", check_str=base.ADMIN,
        description="Show the limits of a quota class.",
        operations=[{"method": "GET", "path": _CLASS}]),
    policy.DocumentedRuleDefault(
        name="quota_class:update", check_str=base.ADMIN,
        description="Set limits of a quota class ('default' changes every "
                    "project without limits of its own).",
        operations=[{"method": "PUT", "path": _CLASS}]),
]


def list_rules() -> list[policy.DocumentedRuleDefault]:
    return rules
