"""The request context that travels from the API through RPC to the driver.

It is oslo.context's RequestContext plus the one flag zun adds:
``all_projects``, which only an admin may turn on and which lifts project
scoping in the DB layer.
"""
from __future__ import annotations

from typing import Any

from oslo_context import context as oslo_context


class RequestContext(oslo_context.RequestContext):
    """Who is asking, in which project, for which request id."""

    def __init__(self, all_projects: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("is_admin", False)
        super().__init__(**kwargs)
        roles = [r.lower() for r in (self.roles or [])]
        if "admin" in roles:
            self.is_admin = True
        self.all_projects = bool(all_projects) and self.is_admin

    def to_dict(self) -> dict[str, Any]:
        values = super().to_dict()
        values["all_projects"] = self.all_projects
        values["is_admin"] = self.is_admin
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any], **kwargs: Any) -> "RequestContext":
        kwargs.setdefault("all_projects", values.get("all_projects", False))
        kwargs.setdefault("is_admin", values.get("is_admin", False))
        return super().from_dict(values, **kwargs)

    def elevated(self) -> "RequestContext":
        """A copy with admin rights over every project (for internal tasks)."""
        ctx = self.from_dict(self.to_dict())
        ctx.is_admin = True
        ctx.all_projects = True
        if "admin" not in [r.lower() for r in ctx.roles]:
            ctx.roles = list(ctx.roles) + ["admin"]
        return ctx


def get_admin_context() -> RequestContext:
    """The context of zun's own periodic work: admin, every project."""
    return RequestContext(user_id=None, project_id=None, roles=["admin"],
                          is_admin=True, all_projects=True, overwrite=False)
