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
    """
    if target is None:
        target = {"project_id": context.project_id, "user_id": context.user_id}
    # A plain dict: oslo.context's view warns whenever is_admin is read, but
    # the admin_or_owner rule is defined on it.
    creds = dict(context.to_policy_values())
    creds["is_admin"] = bool(context.is_admin)
    return get_enforcer().authorize(
        rule, dict(target), creds, do_raise=do_raise,
        exc=exception.PolicyNotAuthorized, action=rule)
