"""A container's mounts on the compute host: injected files and volumes.

The row's ``mounts`` holds one entry per mount, as the API stored it:
``{"type": "bind", "destination", "content"}`` for an injected file (the
content lives in the row, small and capped by the API, so the agent can
write the file again whenever it recreates the runtime container) and
``{"type": "volume", "destination", "name"}`` for a volume ("" for an
anonymous one), which the runtime driver finds or makes on this host.
"""
from __future__ import annotations

import base64
import os
import shutil
from typing import Any

from zun.conf import CONF


def host_dir(uuid: str) -> str:
    return os.path.join(CONF.state_path, "mounts", uuid)


def materialize(uuid: str, mounts: list[dict[str, Any]] | None) -> list[tuple[str, str]]:
    """Write each injected file; return (host path, container path) pairs."""
    files = [(index, mount) for index, mount in enumerate(mounts or [])
             if mount.get("type", "bind") == "bind"]
    if not files:
        return []
    directory = host_dir(uuid)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    binds = []
    for index, mount in files:
        path = os.path.join(directory, str(index))
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(mount.get("content") or ""))
        os.chmod(path, 0o644)
        binds.append((path, mount["destination"]))
    return binds


def volumes(mounts: list[dict[str, Any]] | None) -> list[tuple[str, str]]:
    """(volume name or "", container path) of each volume mount, in order."""
    return [(mount.get("name") or "", mount["destination"])
            for mount in mounts or [] if mount.get("type") == "volume"]


def read_only(mounts: list[dict[str, Any]] | None) -> dict[str, bool]:
    """Container path -> read-only, for each mount whose request said so."""
    return {mount["destination"]: bool(mount["read_only"])
            for mount in mounts or [] if "read_only" in mount}


def remove(uuid: str) -> None:
    shutil.rmtree(host_dir(uuid), ignore_errors=True)
