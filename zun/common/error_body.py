"""The upstream error body: the one JSON shape every refusal is sent in.

python-zunclient prints ``errors[0].title``; Heat and tempest read ``code``.
The API's error middleware and the console proxy's handshake refusals both
answer through :func:`encode`, so the two can never drift apart.
"""
from __future__ import annotations

import json
from http import HTTPStatus


def reason(status: int) -> str:
    """The HTTP reason phrase of ``status`` ("Error" for an unknown one)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def encode(status: int, code: str, message: str, request_id: str) -> bytes:
    """``{"errors": [...]}`` for one error; ``code`` is the suffix of
    ``container.<code>`` (a ZunException's ``error_code``)."""
    return json.dumps({"errors": [{
        "request_id": request_id,
        "code": "container.%s" % code,
        "status": status,
        "title": message,
        "detail": message,
        "links": [],
    }]}).encode("utf-8")
