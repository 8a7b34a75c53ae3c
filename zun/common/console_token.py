"""Console tokens (attach, exec -it): their one format and their URL.

A token is a random secret handed to one caller inside a websocket URL. The
DB keeps only its SHA-256, so a read of the table (a backup, a log of
queries) gives nobody a usable token. The API builds the URL; the console
proxy parses the same query parameters; this module is where both look.
"""
from __future__ import annotations

import hashlib
import secrets
from urllib import parse

KIND_ATTACH = "attach"
KIND_EXEC = "exec"
# Query parameters of the proxy URL (python-zunclient passes the URL as is).
PARAM_TOKEN = "token"
PARAM_UUID = "uuid"
PARAM_EXEC = "exec_id"


def new() -> str:
    """A fresh token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """What the DB stores and looks up instead of the token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def url(base_url: str, token: str, container_uuid: str,
        exec_id: str | None = None) -> str:
    """``<base_url>?token=..&uuid=..[&exec_id=..]``, the upstream shape."""
    query = {PARAM_TOKEN: token, PARAM_UUID: container_uuid}
    if exec_id is not None:
        query[PARAM_EXEC] = exec_id
    return "%s?%s" % (base_url, parse.urlencode(query))
