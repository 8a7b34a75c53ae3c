"""Request shapes of ``/v1/registries`` (zunclient: ``{"registry": {...}}``).

The password is checked apart (:data:`PASSWORD_MAX`) so that no message
ever quotes it; these schemas see a placeholder in its place.
"""
from __future__ import annotations

from typing import Any

PASSWORD_MAX = 255

_FIELDS: dict[str, Any] = {
    # like a container's name: a name that looks like a uuid would be
    # ambiguous in /v1/registries/<uuid-or-name>
    "name": {"type": ["string", "null"], "minLength": 2, "maxLength": 255,
             "pattern": "^[a-zA-Z0-9][a-zA-Z0-9_.-]+$"},
    "domain": {"type": "string", "minLength": 1, "maxLength": 255},
    "username": {"type": ["string", "null"], "minLength": 1, "maxLength": 255},
    "password": {"type": ["string", "null"]},
}


def _wrapped(required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"registry": {
            "type": "object", "properties": _FIELDS,
            "required": required, "additionalProperties": False}},
        "required": ["registry"],
        "additionalProperties": False,
    }


CREATE: dict[str, Any] = _wrapped(["domain"])
UPDATE: dict[str, Any] = _wrapped([])
