"""Docker SDK failures -> zun exceptions: the docker driver's only error table.

The compute manager and the API understand zun exceptions only (each carries
its HTTP code), so no SDK exception may leave the driver. Wrap every engine
call in :func:`translate`. What each failure becomes is data, in ``RULES``:
one row per kind of failure, read top to bottom by :func:`convert`, the
first row that matches wins.

What a row makes reaches members (a status_reason, a 4xx or 503 message), so
it names no infrastructure: the engine's URL or socket and zun's host paths
are scrubbed from Docker's sentences (:func:`scrub`), and failures that are
the engine's, not the container's (unreachable, timed out), are worded
generically; the detail goes to this host's log at WARNING. Docker's own
sentence about the container (image not found, bad command) stays: it is
the tenant's problem and useful to them.
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
import socket
from typing import Callable, Iterator

import docker.errors
import requests.exceptions
import urllib3.exceptions

from zun.common import exception
from zun.conf import CONF

LOG = logging.getLogger(__name__)

_MAX_REASON = 300
#: what stands in for a scrubbed engine address or host path
ENGINE = "<engine>"
HOST_PATH = "<host path>"
# the SDK's own URLs for a local engine (http+docker://localhost/v1.41/...);
# other URLs (a registry the tenant named) are the tenant's and stay
_ENGINE_URL = re.compile(r"(?:http\+docker|unix|npipe)://\S+")


def short(text: object) -> str:
    """One line, bounded: engine messages can embed whole HTTP bodies."""
    line = " ".join(str(text).split())
    return line if len(line) <= _MAX_REASON else line[:_MAX_REASON - 3] + "..."


def scrub(text: str, url: str = "") -> str:
    """``text`` without the engine's address or a zun host path in it.

    The engine's URL (and a unix socket's path) become ``<engine>``; paths
    under zun's ``state_path`` (injected files) become ``<host path>``.
    """
    if url:
        scheme, _, rest = url.partition("://")
        # the SDK writes a tcp:// engine as http(s)://, a socket by its path
        forms = [url, rest]
        if scheme != "unix":
            forms[1:1] = ["http://" + rest, "https://" + rest]
        for form in (f.rstrip("/") for f in forms):
            if form:
                text = text.replace(form, ENGINE)
    text = _ENGINE_URL.sub(ENGINE, text)
    state = str(CONF.state_path or "").rstrip("/")
    if state:
        text = re.sub(re.escape(state) + r"(?:/\S*)?", HOST_PATH, text)
    return text


def explanation(err: BaseException, url: str = "") -> str:
    """Docker's own sentence for the failure, without the SDK's URL prefix
    or an infrastructure detail (see :func:`scrub`)."""
    return short(scrub(str(getattr(err, "explanation", None) or err), url))


@dataclasses.dataclass(frozen=True)
class Failure:
    """One failure and where it happened: what a row's ``make`` is given."""

    err: BaseException
    url: str
    container_id: str | None
    image: str | None

    @property
    def text(self) -> str:
        return explanation(self.err, self.url)


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


def _unreachable(f: Failure) -> exception.ZunException:
    LOG.warning("Docker engine unreachable at %s: %s", f.url, short(f.err))
    return exception.engine_unreachable()


def _timed_out(f: Failure) -> exception.ZunException:
    LOG.warning("Request to the Docker engine at %s timed out: %s", f.url, short(f.err))
    return exception.DockerError(error_msg="the container engine did not answer in time")


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
    # 403: the engine forbids it in this state (put_archive into a read-only
    # root filesystem or volume)
    Rule((docker.errors.APIError,), _refused, status=frozenset({304, 403, 409})),
    Rule((docker.errors.APIError,), _refused, markers=REFUSAL_MARKERS),
    # -- the request ---------------------------------------------------------------
    # The engine rejected a parameter (e.g. auto_remove with a restart policy).
    Rule((docker.errors.APIError,), lambda f: exception.Invalid(reason=f.text),
         status=frozenset({400})),
    Rule((docker.errors.APIError,), _docker_error),
    # -- the engine ------------------------------------------------------------------
    Rule(_CONNECTION, _unreachable),
    Rule(_TIMEOUT, _timed_out),
    Rule((BaseException,), _docker_error),
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
