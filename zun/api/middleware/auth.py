"""Who is calling: keystonemiddleware, or trusted headers in noauth mode.

Both strategies end with the same WSGI headers (X-User-Id, X-Project-Id,
X-Roles) from which the context hook builds the RequestContext, so nothing
downstream knows or cares which strategy ran.
"""
from __future__ import annotations

import ipaddress
import logging
from typing import Iterable
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

import webob.exc
from keystonemiddleware import auth_token

from zun.api.middleware import errors
from zun.conf import CONF

LOG = logging.getLogger(__name__)

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


class _RequireConfirmedIdentity:
    """401 unless auth_token confirmed the caller.

    With ``[keystone_authtoken] delay_auth_decision = true`` auth_token lets
    a request with a missing or invalid token through, marked
    ``X-Identity-Status: Invalid`` and without identity headers; zun has no
    anonymous operation, so such a request ends here rather than reaching
    policy as a caller with no project and no roles.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("HTTP_X_IDENTITY_STATUS") != "Confirmed":
            message = ("The request you have made requires authentication: "
                       "the token is missing, invalid or expired.")
            environ[errors.DETAIL_ENVIRON_KEY] = message
            return webob.exc.HTTPUnauthorized(message)(environ, start_response)
        return self.app(environ, start_response)


class KeystoneAuthMiddleware:
    """keystonemiddleware ``auth_token`` everywhere but the public routes.

    Configured from the ``[keystone_authtoken]`` group of the global CONF.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app
        self.protected: WSGIApplication = auth_token.AuthProtocol(
            _RequireConfirmedIdentity(app), {"oslo_config_config": CONF})

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


class InsecureNoauthError(RuntimeError):
    """The API would serve ``noauth`` to more than this machine."""


def _is_loopback(host: str) -> bool:
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False   # a host name: it may resolve anywhere


def noauth_exposure(auth_strategy: str, bind_host: str | None,
                    allow_insecure: bool) -> str | None:
    """Decide whether the API may start; the warning to log, if any.

    ``bind_host`` is the address zun-api/zun-all listen on, or None under
    ``zun.wsgi``, where the WSGI server (not zun) chooses the address and
    it must be assumed reachable. noauth makes anyone who reaches the port
    admin of every project, so it is served only on loopback unless the
    operator opts in with ``[api] allow_insecure_noauth``. Raises
    InsecureNoauthError when refused; returns None when safe.
    """
    if auth_strategy != "noauth" or (bind_host is not None and _is_loopback(bind_host)):
        return None
    where = ("through zun.wsgi (the WSGI server picks the address)"
             if bind_host is None else "on %s, not a loopback address" % bind_host)
    if not allow_insecure:
        raise InsecureNoauthError(
            "Refusing to start: [api] auth_strategy = noauth trusts the "
            "caller's identity headers, and the API would be served %s. "
            "Use auth_strategy = keystone, bind [api] host_ip to 127.0.0.1, "
            "or set [api] allow_insecure_noauth = true for an isolated test "
            "rig." % where)
    return ("INSECURE: [api] auth_strategy = noauth served %s because [api] "
            "allow_insecure_noauth = true: anyone who reaches this port is "
            "admin of every project." % where)


def check_noauth_exposure(bind_host: str | None) -> None:
    """Apply :func:`noauth_exposure` to the configuration, logging the
    warning of an allowed exposure and the error of a refused one."""
    try:
        warning = noauth_exposure(CONF.api.auth_strategy, bind_host,
                                  CONF.api.allow_insecure_noauth)
    except InsecureNoauthError as refused:
        LOG.critical("%s", refused)
        raise
    if warning:
        LOG.warning("%s", warning)
