"""The named building blocks every resource policy is written with."""
from __future__ import annotations

from oslo_policy import policy

ADMIN_OR_OWNER = "rule:admin_or_owner"
ADMIN = "rule:admin_api"
DENY_EVERYBODY = "rule:deny_everybody"

rules = [
    policy.RuleDefault("context_is_admin", "role:admin",
                       description="Who counts as an administrator."),
    policy.RuleDefault("admin_or_owner",
                       "is_admin:True or project_id:%(project_id)s",
                       description="An administrator or a member of the "
                                   "resource's project."),
    policy.RuleDefault("admin_api", "rule:context_is_admin",
                       description="Administrators only."),
    policy.RuleDefault("deny_everybody", "!",
                       description="Nobody, administrators included."),
]


def list_rules() -> list[policy.RuleDefault]:
    return rules
