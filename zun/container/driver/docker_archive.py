"""Copying files into and out of Docker containers (zun cp), within bounds.

The engine's ``/containers/<id>/archive`` answers a tar stream of unknown
length: a tenant may ask for ``/``. It is read in chunks and the read stops
(the connection is closed) as soon as the archive passes the caller's bound,
so the agent never holds more than that. The SDK's own ``get_archive``
cannot do this: its generator hides the response (nothing can close it
early) and it lifts the socket's read timeout; so the request goes through
the SDK's low-level helpers, like ``update`` in docker.py.

Docker says "not found" both for a missing container and for a missing path
in it; the two are told apart here (404 either way, but only the second
names the path).
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator

import docker.utils

from zun.common import exception

# Bytes asked of the response per read: small next to any sane bound.
CHUNK = 64 * 1024
# Go's os.ModeDir bit, as Docker's path stat reports a directory's mode.
MODE_DIR = 1 << 31
STAT_HEADER = "X-Docker-Container-Path-Stat"
_STAT_DEFAULTS: dict[str, Any] = {"name": "", "size": 0, "mode": 0, "mtime": "",
                                  "linkTarget": ""}

Errors = Callable[..., contextlib.AbstractContextManager[None]]


def too_large(path: str, limit: int) -> exception.ArchiveTooLarge:
    return exception.ArchiveTooLarge(what="The archive of path '%s'" % path[:256],
                                     limit=limit)


@contextlib.contextmanager
def path_errors(errors: Errors, container_id: str, path: str) -> Iterator[None]:
    """The driver's error table (``errors``), with a missing path told apart
    from a missing container."""
    try:
        with errors(container_id):
            yield
    except exception.RuntimeContainerNotFound as err:
        if "no such container" in _cause(err).lower() or err.__cause__ is None:
            raise
        raise exception.ArchivePathNotFound(path=path[:256]) from err
    except exception.ContainerRuntimeError as err:
        # Docker answers 500 when the extraction point is a file: the
        # caller's path, not an engine fault
        if _NOT_A_DIRECTORY not in _cause(err).lower():
            raise
        raise exception.invalid_field(
            "path", path[:256], "It is not a directory in the container: an "
                                "archive is extracted into a directory.") from err


_NOT_A_DIRECTORY = "not a directory"


def _cause(err: BaseException) -> str:
    """Docker's own sentence behind a translated error."""
    cause = err.__cause__
    return str(getattr(cause, "explanation", None) or cause or "")


def stat_of(header: str | None) -> dict[str, Any]:
    """Docker's path stat (base64 JSON in a header) with every upstream key."""
    decoded: dict[str, Any] = {}
    if header:
        try:
            decoded = dict(docker.utils.decode_json_header(header) or {})
        except (ValueError, TypeError):
            decoded = {}
    return {key: decoded.get(key, default) for key, default in _STAT_DEFAULTS.items()}


def get(api: Any, errors: Errors, container_id: str, path: str,
        max_bytes: int) -> tuple[bytes, dict[str, Any]]:
    """The tar of ``path`` and its stat, at most ``max_bytes`` read.

    A file whose stat already says it is larger is refused before its
    content is read; a directory is read until it passes the bound.
    """
    chunks: list[bytes] = []
    with path_errors(errors, container_id, path):
        response = api._get(api._url("/containers/{0}/archive", container_id),
                            params={"path": path}, stream=True,
                            headers={"Accept-Encoding": "identity"})
        try:
            api._raise_for_status(response)
            stat = stat_of(response.headers.get(STAT_HEADER))
            if not int(stat["mode"] or 0) & MODE_DIR and int(stat["size"] or 0) > max_bytes:
                raise too_large(path, max_bytes)
            held = 0
            for chunk in response.iter_content(CHUNK, False):
                held += len(chunk)
                if held > max_bytes:
                    raise too_large(path, max_bytes)  # the rest is never read
                chunks.append(chunk)
        finally:
            response.close()
    return b"".join(chunks), stat


def put(api: Any, errors: Errors, container_id: str, path: str, data: bytes) -> None:
    """Extract ``data`` (a checked tar) into the directory ``path``."""
    with path_errors(errors, container_id, path):
        api.put_archive(container_id, path, data)
