"""Container rules: a project's readers see its containers and its members
act on them; placement, runtime and host details are for administrators;
privileged containers for nobody."""
from __future__ import annotations

from oslo_policy import policy

from zun.common import actions
from zun.common.policies import base

PREFIX = "container:%s"
_ROOT = "/v1/containers"
_ONE = _ROOT + "/{container_ident}"


def _rule(name: str, check: str, description: str, method: str,
          path: str) -> policy.DocumentedRuleDefault:
    return policy.DocumentedRuleDefault(
        name=PREFIX % name, check_str=check, description=description,
        operations=[{"method": method, "path": path}])


rules = [
    _rule("create:runtime", base.ADMIN,
          "Choose the container runtime on create.", "POST", _ROOT),
    _rule("create:privileged", base.DENY_EVERYBODY,
          "Create a privileged container.", "POST", _ROOT),
    _rule("create:requested_destination", base.ADMIN,
          "Choose the host on create.", "POST", _ROOT),
    _rule("create:image_pull_policy", base.ADMIN,
          "Set the image pull policy on create.", "POST", _ROOT),
    _rule("get_one", base.PROJECT_READER, "Show a container.", "GET", _ONE),
    _rule("get_one:host", base.ADMIN,
          "See the host of a container.", "GET", _ONE),
    _rule("get_one:runtime", base.ADMIN,
          "See the runtime of a container.", "GET", _ONE),
    _rule("get_one:privileged", base.ADMIN,
          "See whether a container is privileged.", "GET", _ONE),
    _rule("get_one:image_pull_policy", base.ADMIN,
          "See the image pull policy of a container.", "GET", _ONE),
    _rule("get_all", base.PROJECT_READER,
          "List the containers of the caller's project.", "GET", _ROOT),
    _rule("get_all_all_projects", base.ADMIN,
          "List the containers of every project.", "GET", _ROOT),
    _rule("delete_all_projects", base.ADMIN,
          "Delete a container of another project.", "DELETE", _ONE),
    _rule("get_one_all_projects", base.ADMIN,
          "Show a container of another project.", "GET", _ONE),
]



def _path(action: actions.Action) -> str:
    if action.route:
        return "%s/%s" % (_ONE, action.route)
    return _ROOT if action.route is None and action.variant_of is None else _ONE


# One rule per registered action, with the registry's default and route.
rules += [_rule(a.name, a.policy_default, a.summary, a.method, _path(a))
          for a in actions.ACTIONS.values()]


def list_rules() -> list[policy.DocumentedRuleDefault]:
    return rules
