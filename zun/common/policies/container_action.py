"""Action-record rules: a project's readers see what happened to its
containers; only administrators see events, which carry host tracebacks."""
from __future__ import annotations

from oslo_policy import policy

from zun.common.policies import base

_PATH = "/v1/containers/{container_ident}/container_actions"

rules = [
    policy.DocumentedRuleDefault(
        name="container:actions", check_str=base.PROJECT_READER,
        description="List or show the actions recorded for a container.",
        operations=[{"method": "GET", "path": _PATH},
                    {"method": "GET", "path": _PATH + "/{request_id}"}]),
    policy.DocumentedRuleDefault(
        name="container:actions:events", check_str=base.ADMIN,
        description="See the events (and tracebacks) of an action.",
        operations=[{"method": "GET", "path": _PATH + "/{request_id}"}]),
]


def list_rules() -> list[policy.DocumentedRuleDefault]:
    return rules
