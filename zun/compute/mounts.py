"""Injected files: written on the compute host, bind-mounted by the driver.

The content lives in the container row (small, capped by the API), so the
agent can write the files again whenever it recreates the runtime container.
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
    if not mounts:
        return []
    directory = host_dir(uuid)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    binds = []
    for index, mount in enumerate(mounts):
        path = os.path.join(directory, str(index))
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(mount.get("content") or ""))
        os.chmod(path, 0o644)
        binds.append((path, mount["destination"]))
    return binds


def remove(uuid: str) -> None:
    shutil.rmtree(host_dir(uuid), ignore_errors=True)
