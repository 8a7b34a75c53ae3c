"""Registry rules: a project's registries are its resources, like its
containers (readers read, members act; upstream: the owner). Listing every
project's registries is an administrator's."""
from __future__ import annotations

from oslo_policy import policy

from zun.common.policies import base

_ROOT = "/v1/registries"
_ONE = _ROOT + "/{registry_ident}"

rules = [
    policy.DocumentedRuleDefault(
        name="registry:create", check_str=base.PROJECT_MEMBER,
        description="Create a private registry (and its account) for the "
                    "project.",
        operations=[{"method": "POST", "path": _ROOT}]),
    policy.DocumentedRuleDefault(
        name="registry:get_all", check_str=base.PROJECT_READER,
        description="List the project's registries.",
        operations=[{"method": "GET", "path": _ROOT}]),
    policy.DocumentedRuleDefault(
        name="registry:get_all_all_projects", check_str=base.ADMIN,
        description="List the registries of every project.",
        operations=[{"method": "GET", "path": _ROOT + "?all_projects=1"}]),
    policy.DocumentedRuleDefault(
        name="registry:get_one", check_str=base.PROJECT_READER,
        description="Show one of the project's registries (never its "
                    "password).",
        operations=[{"method": "GET", "path": _ONE}]),
    policy.DocumentedRuleDefault(
        name="registry:update", check_str=base.PROJECT_MEMBER,
        description="Change a registry's name, domain or account.",
        operations=[{"method": "PATCH", "path": _ONE}]),
    policy.DocumentedRuleDefault(
        name="registry:delete", check_str=base.PROJECT_MEMBER,
        description="Delete a registry no container names.",
        operations=[{"method": "DELETE", "path": _ONE}]),
]


def list_rules() -> list[policy.DocumentedRuleDefault]:
    return rules
