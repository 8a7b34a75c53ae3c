"""Who is calling: keystonemiddleware, or trusted headers in noauth mode.

Both strategies end with the same WSGI headers (X-User-Id, X-Project-Id,
X-Roles) from which the context hook builds the RequestContext, so nothing
downstream knows or cares which strategy ran.
"""
from __future__ import annotations

from typing import Iterable
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from keystonemiddleware import auth_token

from zun.conf import CONF

# Routes anyone may read: version discovery must work before a token exists.
PUBLIC_ROUTES = frozenset(["/", "/v1", "/v1/", "/healthcheck",
                           "/v1/openapi.json"])

# Identity headers a client could forge on a route auth_token does not see.
_IDENTITY_PREFIXES = ("HTTP_X_USER", "HTTP_X_PROJECT", "HTTP_X_TENANT",
                      "HTTP_X_ROLE", "HTTP_X_IDENTITY", "HTTP_X_SERVICE",
                      "HTTP_X_DOMAIN", "HTTP_X_IS_ADMIN")


class NoAuthMiddleware:
    """Trust the caller's X-User-Id, X-Project-Id and X-Roles headers.

    For tests and single-user trials only. A request without X-Project-Id
    (e.g. ``openstack --os-auth-type none``) runs as user ``noauth`` in
    project ``noauth`` with the roles of X-Roles, or ``admin`` when none are
    given: the one local user owns the whole deployment. X-Auth-Token is
    ignored.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        if not environ.get("HTTP_X_PROJECT_ID"):
            environ["HTTP_X_PROJECT_ID"] = "noauth"
            environ["HTTP_X_USER_ID"] = "noauth"
            if not environ.get("HTTP_X_ROLES"):
                environ["HTTP_X_ROLES"] = "admin"
        return self.app(environ, start_response)


class KeystoneAuthMiddleware:
    """keystonemiddleware ``auth_token`` everywhere but the public routes.

    Configured from the ``[keystone_authtoken]`` group of the global CONF.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app
        self.protected: WSGIApplication = auth_token.AuthProtocol(
            app, {"oslo_config_config": CONF})

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "/") in PUBLIC_ROUTES:
            for key in [k for k in environ if k.startswith(_IDENTITY_PREFIXES)]:
                del environ[key]
            return self.app(environ, start_response)
        return self.protected(environ, start_response)


def wrap(app: WSGIApplication) -> WSGIApplication:
    """Wrap ``app`` in the middleware of ``[api]auth_strategy``."""
    if CONF.api.auth_strategy == "noauth":
        return NoAuthMiddleware(app)
    return KeystoneAuthMiddleware(app)
