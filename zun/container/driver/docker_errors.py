"""Docker SDK failures -> zun exceptions: the docker driver's only error table.

The compute manager and the API understand zun exceptions only (each carries
its HTTP code), so no SDK exception may leave the driver. Wrap every engine
call in :func:`translate`.
"""
from __future__ import annotations

import contextlib
import socket
from typing import Iterator

import docker.errors
import requests.exceptions
import urllib3.exceptions

from zun.common import exception

# Docker answers these with 500 on some versions, though they are refusals
# the user caused (acting on a container in the wrong state).
_REFUSALS = ("is not running", "is paused", "is not paused", "is already",
             "is restarting", "cannot remove a running container",
             "cannot kill container", "removal of container")
_MAX_REASON = 300


def short(text: object) -> str:
    """One line, bounded: engine messages can embed whole HTTP bodies."""
    line = " ".join(str(text).split())
    return line if len(line) <= _MAX_REASON else line[:_MAX_REASON - 3] + "..."


def explanation(err: docker.errors.APIError) -> str:
    """Docker's own sentence for the failure, without the SDK's URL prefix."""
    return short(err.explanation or err)


def is_refusal(err: docker.errors.APIError) -> bool:
    """True for a conflict with the container's state rather than a fault."""
    code = err.status_code
    if code in (304, 409):
        return True
    text = explanation(err).lower()
    return any(marker in text for marker in _REFUSALS)


def convert(err: Exception, url: str, container_id: str | None = None,
            image: str | None = None) -> exception.ZunException:
    """The zun exception that tells the user what went wrong."""
    if isinstance(err, docker.errors.ImageNotFound) or (
            image and isinstance(err, docker.errors.NotFound)):
        return exception.ImageNotFound(image=image or "", reason=explanation(err))
    if isinstance(err, docker.errors.NotFound):
        return exception.RuntimeContainerNotFound(container_id=container_id or explanation(err))
    if isinstance(err, docker.errors.APIError):
        if is_refusal(err):
            return exception.RuntimeOperationFailed(reason=explanation(err))
        if err.status_code == 400:
            # The engine rejected a parameter (e.g. auto_remove with a restart policy).
            return exception.Invalid(reason=explanation(err))
        return exception.DockerError(error_msg=explanation(err))
    if isinstance(err, (requests.exceptions.ConnectionError, ConnectionError,
                        FileNotFoundError, urllib3.exceptions.NewConnectionError)):
        return exception.ServiceUnavailable(
            reason=f"Docker engine unreachable at {url}: {short(err)}")
    if isinstance(err, (requests.exceptions.Timeout, socket.timeout)):
        return exception.DockerError(error_msg=f"request to {url} timed out: {short(err)}")
    return exception.DockerError(error_msg=short(err) or type(err).__name__)


# Everything the SDK and its transport can raise; zun's own errors pass through.
ENGINE_ERRORS = (docker.errors.DockerException, requests.exceptions.RequestException,
                 urllib3.exceptions.HTTPError, OSError)


@contextlib.contextmanager
def translate(url: str, container_id: str | None = None,
              image: str | None = None) -> Iterator[None]:
    """Re-raise any engine failure inside the block as a zun exception.

    ``image`` marks a block where "not found" means the image, not a container.
    """
    try:
        yield
    except ENGINE_ERRORS as err:
        raise convert(err, url, container_id, image) from err
