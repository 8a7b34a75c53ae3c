"""The named building blocks every resource policy is written with.

Defaults follow OpenStack's default roles: ``reader`` reads its project's
resources, ``member`` acts on them, ``admin`` acts anywhere. Resource rules
refer to ``project_reader`` and ``project_member`` only, so an operator
changes the meaning of every one of them by overriding those two (e.g. back
to the legacy "any role on the project acts": ``rule:admin_or_owner``, see
docs/keystone.rst).
"""
from __future__ import annotations

from oslo_policy import policy

ADMIN_OR_OWNER = "rule:admin_or_owner"
PROJECT_READER = "rule:project_reader"
PROJECT_MEMBER = "rule:project_member"
ADMIN = "rule:admin_api"
DENY_EVERYBODY = "rule:deny_everybody"

# Keystone's bootstrap makes admin imply member and member imply reader, so
# a token carries all three; noauth callers and deployments without those
# implied roles send only the role they hold. Each rule therefore names
# every role that grants it instead of relying on implication.
_ON_PROJECT = "project_id:%(project_id)s"

rules = [
    policy.RuleDefault("context_is_admin", "role:admin",
                       description="Who counts as an administrator."),
    policy.RuleDefault("admin_or_owner",
                       "is_admin:True or " + _ON_PROJECT,
                       description="An administrator or anybody with any role "
                                   "on the resource's project (the legacy "
                                   "default; no longer used by the defaults, "
                                   "kept for policy files that refer to it)."),
    policy.RuleDefault("project_reader",
                       "rule:context_is_admin or (%s and (role:reader or "
                       "role:member))" % _ON_PROJECT,
                       description="Read a project's resources: an "
                                   "administrator, or a reader or member of "
                                   "the resource's project."),
    policy.RuleDefault("project_member",
                       "rule:context_is_admin or (%s and role:member)"
                       % _ON_PROJECT,
                       description="Act on a project's resources: an "
                                   "administrator, or a member of the "
                                   "resource's project."),
    policy.RuleDefault("admin_api", "rule:context_is_admin",
                       description="Administrators only."),
    policy.RuleDefault("deny_everybody", "!",
                       description="Nobody, administrators included."),
]


def list_rules() -> list[policy.RuleDefault]:
    return rules
