"""Docker SDK failures -> zun exceptions: the docker driver's only error table.

The compute manager and the API understand zun exceptions only (each carries
its HTTP code), so no SDK exception may leave the driver. Wrap every engine
call in :func:`translate`. What each failure becomes is data, in ``RULES``:
one row per kind of failure, read top to bottom by :func:`convert`, the
first row that matches wins.
"""
from __future__ import annotations

import contextlib
import dataclasses
import socket
from typing import Callable, Iterator

import docker.errors
import requests.exceptions
import urllib3.exceptions

from zun.common import exception

_MAX_REASON = 300


def short(text: object) -> str:
    """One line, bounded: engine messages can embed whole HTTP bodies."""
    line = " ".join(str(text).split())
    return line if len(line) <= _MAX_REASON else line[:_MAX_REASON - 3] + "..."


def explanation(err: BaseException) -> str:
    """Docker's own sentence for the failure, without the SDK's URL prefix."""
    return short(getattr(err, "explanation", None) or err)


@dataclasses.dataclass(frozen=True)
class Failure:
    """One failure and where it happened: what a row's ``make`` is given."""

    err: BaseException
    url: str
    container_id: str | None
    image: str | None

    @property
    def text(self) -> str:
        return explanation(self.err)


@dataclasses.dataclass(frozen=True)
class Rule:
    """A row: the failures it matches and the zun exception they become.

    A failure matches when it is an instance of one of ``kinds`` and every
    condition given holds: its HTTP status is in ``status``, Docker's message
    contains one of ``markers`` (lower case), and the block was an image
    block (``in_image_block``).
    """

    kinds: tuple[type[BaseException], ...]
    make: Callable[[Failure], exception.ZunException]
    status: frozenset[int] = frozenset()
    markers: tuple[str, ...] = ()
    in_image_block: bool = False

    def matches(self, failure: Failure) -> bool:
        err = failure.err
        if not isinstance(err, self.kinds):
            return False
        if self.status and getattr(err, "status_code", None) not in self.status:
            return False
        if self.markers and not any(m in failure.text.lower() for m in self.markers):
            return False
        return failure.image is not None or not self.in_image_block


def _image_not_found(f: Failure) -> exception.ZunException:
    return exception.ImageNotFound(image=f.image or "", reason=f.text)


def _refused(f: Failure) -> exception.ZunException:
    return exception.RuntimeOperationFailed(reason=f.text)


def _docker_error(f: Failure) -> exception.ZunException:
    return exception.DockerError(error_msg=f.text or type(f.err).__name__)


# Docker answers these with 500 on some versions, though they are refusals
# the user caused (acting on a container in the wrong state).
REFUSAL_MARKERS = ("is not running", "is paused", "is not paused", "is already",
                   "is restarting", "cannot remove a running container",
                   "cannot remove a paused container", "cannot kill container",
                   "removal of container")

_CONNECTION = (requests.exceptions.ConnectionError, ConnectionError,
               FileNotFoundError, urllib3.exceptions.NewConnectionError)
_TIMEOUT = (requests.exceptions.Timeout, socket.timeout)

RULES: tuple[Rule, ...] = (
    # -- the image -------------------------------------------------------------
    Rule((docker.errors.ImageNotFound,), _image_not_found),
    Rule((docker.errors.NotFound,), _image_not_found, in_image_block=True),
    # -- the container -----------------------------------------------------------
    Rule((docker.errors.NotFound,), lambda f: exception.RuntimeContainerNotFound(
        container_id=f.container_id or f.text)),
    Rule((docker.errors.APIError,), lambda f: exception.ContainerAlreadyExists(
        field="name", value=f.container_id or f.text),
        status=frozenset({409}), markers=("is already in use",)),
    Rule((docker.errors.APIError,), _refused, status=frozenset({304, 409})),
    Rule((docker.errors.APIError,), _refused, markers=REFUSAL_MARKERS),
    # -- the request ---------------------------------------------------------------
    # The engine rejected a parameter (e.g. auto_remove with a restart policy).
    Rule((docker.errors.APIError,), lambda f: exception.Invalid(reason=f.text),
         status=frozenset({400})),
    Rule((docker.errors.APIError,), _docker_error),
    # -- the engine ------------------------------------------------------------------
    Rule(_CONNECTION, lambda f: exception.ServiceUnavailable(
        reason=f"Docker engine unreachable at {f.url}: {short(f.err)}")),
    Rule(_TIMEOUT, lambda f: exception.DockerError(
        error_msg=f"request to {f.url} timed out: {short(f.err)}")),
    Rule((BaseException,), lambda f: exception.DockerError(
        error_msg=short(f.err) or type(f.err).__name__)),
)


def convert(err: BaseException, url: str, container_id: str | None = None,
            image: str | None = None) -> exception.ZunException:
    """The zun exception of the first row of ``RULES`` that matches ``err``."""
    failure = Failure(err, url, container_id, image)
    rule = next(r for r in RULES if r.matches(failure))  # the last row matches all
    return rule.make(failure)


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
