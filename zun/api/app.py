"""The WSGI application of zun-api.

Middleware order, outermost first: request id (so every answer, errors
included, carries ``x-openstack-request-id``, and every log line its id),
error body (so even auth and
version failures come back in the upstream JSON shape), auth, request limits
(body size and nesting, before Pecan parses a JSON body), microversion,
healthcheck, then the Pecan controllers.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

import pecan
from oslo_middleware import healthcheck, request_id

from zun.api import hooks
from zun.api.controllers import root
from zun.api.middleware import auth, errors, microversion, request_limits
from zun.common.context import RequestContext
from zun.conf import CONF

if TYPE_CHECKING:
    from zun.compute.api import API

HEALTHCHECK_PATH = "/healthcheck"


class _HealthcheckRoute:
    """Answer ``GET /healthcheck`` with oslo.middleware, the rest with Pecan.

    oslo.middleware's Healthcheck answers every request it sees (it expects
    a paste URL map in front), so the path is matched here.
    """

    def __init__(self, app: WSGIApplication, check: WSGIApplication) -> None:
        self.app = app
        self.check = check

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTHCHECK_PATH:
            return self.check(environ, start_response)
        return self.app(environ, start_response)


class _LogContext:
    """Give the thread a context holding the request id before anything logs.

    The full context (user, project, roles) replaces it in the Pecan hook;
    this one covers what is answered earlier (a 401, a bad version, an
    unknown route), so those log lines carry the request id too.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        RequestContext(request_id=environ.get(request_id.ENV_REQUEST_ID))
        return self.app(environ, start_response)


def _default_compute_api() -> API:
    from zun.compute import api as compute_api
    return compute_api.API()


def setup_app(compute_api: API | None = None) -> WSGIApplication:
    """Build the API; ``compute_api`` replaces the real compute API (tests).

    Without one, ``zun.compute.api.API()`` is built on the first request
    that needs it.
    """
    app = pecan.make_app(
        root.RootController(),
        hooks=[hooks.ContextHook(),
               hooks.ComputeHook(compute_api, _default_compute_api)],
        debug=False,
        force_canonical=False,
        # Container names may contain dots: never read "x.json" as a format.
        guess_content_type_from_ext=False,
    )
    app = _HealthcheckRoute(app, healthcheck.Healthcheck(None, CONF))
    app = microversion.MicroversionMiddleware(app)
    app = request_limits.RequestLimitsMiddleware(app)
    app = auth.wrap(app)
    app = errors.ErrorBodyMiddleware(app)
    app = _LogContext(app)
    app = request_id.RequestId(app)
    return app
