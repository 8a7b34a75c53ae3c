"""Request shapes of ``/v1/images``."""
from __future__ import annotations

from typing import Any

_NAME = {"type": "string", "minLength": 1, "maxLength": 255}

# POST /v1/images: zunclient sends {"repo": "busybox:latest", "host": "h"};
# the tag may also come apart (upstream's ``tag``).
PULL: dict[str, Any] = {
    "type": "object",
    "properties": {
        "repo": _NAME,
        "host": _NAME,
        "tag": {"type": ["string", "null"], "minLength": 1, "maxLength": 128},
    },
    "required": ["repo", "host"],
    "additionalProperties": False,
}
