"""Policy enforcement: one oslo.policy Enforcer on the global CONF.

Controllers call :func:`authorize` for every operation, whatever the auth
strategy, so moving from noauth to keystone changes who the caller is but
never which checks run.
"""
from __future__ import annotations

import threading
from typing import Any, Mapping

from oslo_policy import policy

from zun.common import exception, policies
from zun.common.context import RequestContext
from zun.conf import CONF

_ENFORCER: policy.Enforcer | None = None
_LOCK = threading.Lock()

# Rules about the deployment itself rather than a project's resources: the
# only ones a caller whose token carries no project (Keystone system scope,
# or an unscoped token) may pass, and still only as their rule says (admin).
# Every other rule, present or future, is refused to such a caller: there
# is no "no project" project to own containers, actions or quotas.
PROJECTLESS_RULE_PREFIXES = ("zun-service:", "host:", "availability_zone:",
                             "quota_class:")


def get_enforcer() -> policy.Enforcer:
    """The process-wide enforcer, with the in-code defaults registered."""
    global _ENFORCER
    with _LOCK:
        if _ENFORCER is None:
            enforcer = policy.Enforcer(CONF)
            enforcer.register_defaults(policies.list_rules())
            _ENFORCER = enforcer
        return _ENFORCER


def reset() -> None:
    """Forget the enforcer (tests changing policy options or files)."""
    global _ENFORCER
    with _LOCK:
        if _ENFORCER is not None:
            _ENFORCER.clear()
        _ENFORCER = None


def authorize(context: RequestContext, rule: str, target: Mapping[str, Any] | None = None,
              do_raise: bool = True) -> bool:
    """Check ``rule`` for ``context`` against ``target``.

    The default target is the caller's own project, which is right for
    operations that create or list rather than touch an existing resource.
    Raises PolicyNotAuthorized (403) when denied and ``do_raise`` is set.
    A caller without a project passes only the deployment rules
    (:data:`PROJECTLESS_RULE_PREFIXES`), whatever its roles or policy.yaml.
    """
    if context.project_id is None and not rule.startswith(PROJECTLESS_RULE_PREFIXES):
        if do_raise:
            raise exception.PolicyNotAuthorized(action=rule)
        return False
    if target is None:
        target = {"project_id": context.project_id, "user_id": context.user_id}
    # A plain dict: oslo.context's view warns whenever is_admin is read, but
    # the admin_or_owner rule is defined on it.
    creds = dict(context.to_policy_values())
    creds["is_admin"] = bool(context.is_admin)
    if creds.get("project_id") is None:
        # Else "project_id:%(project_id)s" compares "None" with "None" and
        # matches every project-less row (an operator's own rules included).
        creds.pop("project_id", None)
    return get_enforcer().authorize(
        rule, dict(target), creds, do_raise=do_raise,
        exc=exception.PolicyNotAuthorized, action=rule)
