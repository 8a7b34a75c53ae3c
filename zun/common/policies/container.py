"""Container rules: owners act on their containers; placement, runtime and
host details are for administrators; privileged containers for nobody."""
from __future__ import annotations

from oslo_policy import policy

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
    _rule("create", base.ADMIN_OR_OWNER, "Create a container.", "POST", _ROOT),
    _rule("create:runtime", base.ADMIN,
          "Choose the container runtime on create.", "POST", _ROOT),
    _rule("create:privileged", base.DENY_EVERYBODY,
          "Create a privileged container.", "POST", _ROOT),
    _rule("create:requested_destination", base.ADMIN,
          "Choose the host on create.", "POST", _ROOT),
    _rule("create:image_pull_policy", base.ADMIN,
          "Set the image pull policy on create.", "POST", _ROOT),
    _rule("get_one", base.ADMIN_OR_OWNER, "Show a container.", "GET", _ONE),
    _rule("get_one:host", base.ADMIN,
          "See the host of a container.", "GET", _ONE),
    _rule("get_one:runtime", base.ADMIN,
          "See the runtime of a container.", "GET", _ONE),
    _rule("get_one:privileged", base.ADMIN,
          "See whether a container is privileged.", "GET", _ONE),
    _rule("get_one:image_pull_policy", base.ADMIN,
          "See the image pull policy of a container.", "GET", _ONE),
    _rule("get_all", base.ADMIN_OR_OWNER,
          "List the containers of the caller's project.", "GET", _ROOT),
    _rule("get_all_all_projects", base.ADMIN,
          "List the containers of every project.", "GET", _ROOT),
    _rule("update", base.ADMIN_OR_OWNER, "Update a container.", "PATCH", _ONE),
    _rule("delete", base.ADMIN_OR_OWNER, "Delete a container.", "DELETE", _ONE),
    _rule("delete_force", base.ADMIN,
          "Delete a container whatever its status.", "DELETE", _ONE),
    _rule("delete_all_projects", base.ADMIN,
          "Delete a container of another project.", "DELETE", _ONE),
    _rule("get_one_all_projects", base.ADMIN,
          "Show a container of another project.", "GET", _ONE),
]

for _action in ("start", "stop", "reboot", "pause", "unpause", "kill",
                "execute", "rename", "rebuild"):
    rules.append(_rule(_action, base.ADMIN_OR_OWNER,
                       "%s a container." % _action.capitalize(),
                       "POST", "%s/%s" % (_ONE, _action)))

for _action, _what in (("logs", "Read the logs of"),
                       ("top", "List the processes of"),
                       ("stats", "Read the resource usage of")):
    rules.append(_rule(_action, base.ADMIN_OR_OWNER,
                       "%s a container." % _what,
                       "GET", "%s/%s" % (_ONE, _action)))


def list_rules() -> list[policy.RuleDefault]:
    return rules
