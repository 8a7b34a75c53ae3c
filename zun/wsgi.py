"""The zun API as a WSGI application for a process-based server.

    ZUN_CONFIG_FILES=/etc/zun/zun.conf gunicorn --workers 4 --threads 8 \\
        --bind 0.0.0.0:9517 'zun.wsgi:application'

``[api] auth_strategy = noauth`` is refused here unless ``[api]
allow_insecure_noauth = true`` (the address is the server's to choose).

``zun-api`` serves on threads of one process; a deployment that wants
several processes (or uwsgi, or mod_wsgi) points its server here instead.

Configuration comes from ``ZUN_CONFIG_FILES`` (comma separated) or, when it
is unset, from ``/etc/zun/zun.conf`` if that file exists. The command line
belongs to the WSGI server, so it is never parsed.

Pre-fork safety: importing this module parses the config, sets up oslo.log
and builds the middleware stack, but opens no connection. The message bus
transport (``zun.compute.api.API()``) and the database engine are both
created on the first request that needs them, i.e. inside the worker that
serves it. So each worker owns its own broker and DB connections whether
the server imports the application after the fork (gunicorn's default,
the recommended way) or once before it (``--preload``).
"""
from __future__ import annotations

import os
from typing import Mapping
from wsgiref.types import WSGIApplication

from zun.cmd import common

CONFIG_FILES_ENV = "ZUN_CONFIG_FILES"
DEFAULT_CONFIG_FILE = "/etc/zun/zun.conf"


def config_args(environ: Mapping[str, str] | None = None) -> list[str]:
    """oslo.config arguments naming the config files of this deployment.

    An explicit environment variable, because a WSGI server gives the
    application no arguments of its own.
    """
    env = os.environ if environ is None else environ
    named = env.get(CONFIG_FILES_ENV, "")
    files = [f.strip() for f in named.split(",") if f.strip()]
    if not files and os.path.exists(DEFAULT_CONFIG_FILE):
        files = [DEFAULT_CONFIG_FILE]
    args: list[str] = []
    for path in files:
        args += ["--config-file", path]
    return args


def init_application() -> WSGIApplication:
    """Parse config, set up logging and build the API with the real compute API.

    ``setup_app()`` without an injected compute API builds
    ``zun.compute.api.API()`` (oslo.messaging) lazily, per process.
    """
    common.prepare(config_args())
    from zun.api import app as api_app
    from zun.api.middleware import auth
    # The WSGI server picks the address, so noauth here needs the override;
    # an exception (not SystemExit) makes gunicorn halt instead of respawning.
    auth.check_noauth_exposure(None)
    return api_app.setup_app()


application = init_application()
