"""Every error zun raises, each carrying what the client sees of it.

This module is the single error-to-HTTP table: the API's error middleware
reads two attributes off the exception and never guesses.

``error_code``
    The client-visible code: the body says ``"code": "container.<error_code>"``.
    Every class declares its own, written out, so renaming a class (or
    oslo.messaging re-creating it on the API side as ``<Name>_Remote``)
    cannot change what clients read. A code, once shipped, never changes;
    a unit test pins them all.
``code``
    The HTTP status. A class deriving directly from :class:`ZunException`
    declares it; deeper classes deliberately inherit it from that
    category root (everything under :class:`NotFound` is a 404, under
    :class:`Conflict` a 409, ...) and never override it, so ``except
    NotFound`` and "answers 404" mean the same thing. A unit test checks
    this too. To answer another status, derive from another root.

5xx messages are hidden from the user by the API (a correlation id is shown
instead), except 503, whose message says which dependency is away. A bad
field of a request is worded once, by :func:`invalid_field`.
Exceptions raised on the compute host travel back over RPC (oslo.messaging
re-creates them from this module, by class name), so remote failures keep
their status and code.
"""
from __future__ import annotations

import json
from typing import Any


class ZunException(Exception):
    """Base class: ``msg_fmt`` is formatted with the keyword arguments."""

    msg_fmt = "An unknown exception occurred."
    code = 500
    error_code = "zun_exception"

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        self.kwargs = kwargs
        if message is None:
            try:
                message = self.msg_fmt % kwargs
            except (KeyError, TypeError):
                message = self.msg_fmt
        self.message = str(message)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


# --- 400 -------------------------------------------------------------------
class Invalid(ZunException):
    msg_fmt = "Unacceptable parameters: %(reason)s"
    code = 400
    error_code = "invalid"


class ValidationError(Invalid):
    msg_fmt = "%(detail)s"
    error_code = "validation_error"


class _NoValue:
    """Marks a bad field whose value is not worth quoting (absent, unknown)."""

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE: Any = _NoValue()


def invalid_field(field: str, value: Any = NO_VALUE, reason: str = "") -> ValidationError:
    """The one wording of a bad field (400), for every layer that checks input.

    ``Invalid input for field '<field>'. Value: '<value>'. <reason>``, or
    without the ``Value`` part when ``value`` is omitted (a missing or an
    unknown field). zunclient prints it verbatim and clients match on it:
    every "Invalid input for field" message comes from here (a unit test
    checks). Returned, not raised: call sites read ``raise invalid_field(...)``.
    The API reaches it as ``zun.api.schemas.validation.invalid_field``.
    """
    parts = ["Invalid input for field '%s'." % field]
    if value is not NO_VALUE:
        shown = value if isinstance(value, str) else json.dumps(value)
        parts.append("Value: '%s'." % shown)
    if reason:
        parts.append(reason)
    return ValidationError(detail=" ".join(parts))


class InvalidParamInVersion(Invalid):
    msg_fmt = ("Parameter '%(param)s' is not allowed in API version %(version)s; "
               "it needs %(min_version)s or newer.")
    error_code = "invalid_param_in_version"


class InvalidValue(Invalid):
    msg_fmt = "Received value '%(value)s' is invalid for %(field)s."
    error_code = "invalid_value"


class UnsupportedOperation(Invalid):
    """The container runtime of the host cannot do what was asked."""

    msg_fmt = ("The '%(driver)s' container driver does not support "
               "'%(operation)s'.")
    error_code = "unsupported_operation"


class ImageNotFound(Invalid):
    """A 400, not a 404: the image is a bad value in the request."""

    msg_fmt = "Image %(image)s could not be found: %(reason)s"
    error_code = "image_not_found"


class RegistryNotAllowed(Invalid):
    """The image's registry is refused by the operator's ``[registry]`` lists.

    A code of its own, so that a client can tell a deployment's policy from
    a typo; the message is an :func:`invalid_field` one naming ``image``
    (see ``zun.common.image_ref.check_registry``).
    """

    msg_fmt = "%(detail)s"
    error_code = "registry_not_allowed"


class ContainerNotInteractive(Invalid):
    """Attach needs a container created with ``interactive`` (stdin kept open)."""

    msg_fmt = ("Container %(container)s is not interactive: it was created "
               "without 'interactive', so it has no console to attach to.")
    error_code = "container_not_interactive"


# --- 403 -------------------------------------------------------------------
class PolicyNotAuthorized(ZunException):
    msg_fmt = "Policy doesn't allow %(action)s to be performed."
    code = 403
    error_code = "policy_not_authorized"


class OverQuota(ZunException):
    """The project would exceed its quota of one resource (nothing created)."""

    msg_fmt = ("Quota exceeded for %(resource)s: requested %(requested)s, but "
               "already used %(used)s of %(limit)s.")
    code = 403
    error_code = "over_quota"


class ConsoleTokenInvalid(ZunException):
    """A console token that is unknown, used, expired or for another
    container, project or kind; one message for all, so a probe learns
    nothing from which it was."""

    msg_fmt = "The console token is invalid, already used or expired."
    code = 403
    error_code = "console_token_invalid"


class ConsoleOriginRefused(ZunException):
    msg_fmt = ("Origin %(origin)s is not allowed to open consoles "
               "([websocket_proxy] allowed_origins).")
    code = 403
    error_code = "console_origin_refused"


# --- 404 -------------------------------------------------------------------
class NotFound(ZunException):
    msg_fmt = "Resource could not be found."
    code = 404
    error_code = "not_found"


class ContainerNotFound(NotFound):
    msg_fmt = "Container %(container)s could not be found."
    error_code = "container_not_found"


class ExecNotFound(NotFound):
    """``container`` is the runtime's id (for logs): members never see it."""

    msg_fmt = "Exec %(exec_id)s could not be found in this container."
    error_code = "exec_not_found"


class ContainerActionNotFound(NotFound):
    msg_fmt = ("Action with request_id %(request_id)s not found for "
               "container %(container)s.")
    error_code = "container_action_not_found"


class ServiceNotFound(NotFound):
    msg_fmt = "Service %(service)s could not be found."
    error_code = "service_not_found"


class ComputeNodeNotFound(NotFound):
    msg_fmt = "Host %(host)s could not be found."
    error_code = "compute_node_not_found"


class RuntimeContainerNotFound(NotFound):
    """The runtime (e.g. Docker) has no container with this id."""

    msg_fmt = "No such container: %(container_id)s"
    error_code = "runtime_container_not_found"


class NetworkNotFound(NotFound):
    """Not a network of the container's project on its host."""

    msg_fmt = ("Network %(network)s is not a network of project %(project)s on "
               "this container's host; use 'default' or a name that "
               "network_list shows.")
    error_code = "network_not_found"


class ImageRecordNotFound(NotFound):
    """No image row (``/v1/images/<uuid>``) of this uuid; not to be confused
    with ImageNotFound, a 400 for a bad image in a request."""

    msg_fmt = "Image %(image)s could not be found."
    error_code = "image_record_not_found"


class RegistryNotFound(NotFound):
    """No registry of this uuid or name in the caller's project."""

    msg_fmt = "Registry %(registry)s could not be found."
    error_code = "registry_not_found"


class ArchivePathNotFound(NotFound):
    """A path to copy out of (or into) a container that does not exist in it."""

    msg_fmt = "Could not find the path '%(path)s' in the container."
    error_code = "archive_path_not_found"


class FeatureNotImplemented(NotFound):
    """A part of the upstream API this zun does not serve yet.

    A 404 (not 501) because the resource really is absent here, zunclient
    prints its title as for any 404, and clients do not retry a 4xx.
    """

    msg_fmt = "%(feature)s is not implemented by this zun yet (issue: %(issue)s)."
    error_code = "feature_not_implemented"


# --- 406 -------------------------------------------------------------------
class NotAcceptable(ZunException):
    msg_fmt = "Request not acceptable: %(reason)s"
    code = 406
    error_code = "not_acceptable"


# --- 409 -------------------------------------------------------------------
class Conflict(ZunException):
    msg_fmt = "Conflict: %(reason)s"
    code = 409
    error_code = "conflict"


class InvalidStateException(Conflict):
    msg_fmt = "Cannot %(action)s container %(id)s in %(actual_state)s state."
    error_code = "invalid_state_exception"


class ContainerTaskInFlight(Conflict):
    msg_fmt = ("Cannot %(action)s container %(id)s: operation %(task_state)s "
               "is in progress; retry when it has finished.")
    error_code = "container_task_in_flight"


class ContainerNameAmbiguous(Conflict):
    msg_fmt = ("Multiple containers exist with name %(name)s; "
               "use the uuid instead.")
    error_code = "container_name_ambiguous"


class ContainerAlreadyExists(Conflict):
    msg_fmt = "A container with %(field)s %(value)s already exists."
    error_code = "container_already_exists"


class ServiceAlreadyExists(Conflict):
    msg_fmt = "Service %(binary)s on host %(host)s already exists."
    error_code = "service_already_exists"


class ServiceInUse(Conflict):
    msg_fmt = ("Service %(binary)s on host %(host)s still has %(count)d "
               "container(s); delete or move them before deleting the service.")
    error_code = "service_in_use"


class ImageAlreadyExists(Conflict):
    msg_fmt = "Image %(image)s is already being pulled onto host %(host)s."
    error_code = "image_already_exists"


class ImageInUse(Conflict):
    """An image a container of its host still uses (delete them first)."""

    msg_fmt = ("Image %(image)s is used by %(count)s container(s) on host "
               "%(host)s; delete them first.")
    error_code = "image_in_use"


class RegistryNameAmbiguous(Conflict):
    msg_fmt = ("Multiple registries exist with name %(name)s; "
               "use the uuid instead.")
    error_code = "registry_name_ambiguous"


class RegistryInUse(Conflict):
    """A registry still named by containers of its project (delete them first)."""

    msg_fmt = ("Registry %(registry)s is used by %(count)s container(s); "
               "delete them first.")
    error_code = "registry_in_use"


class RegistryKeyMissing(Conflict):
    """A password to store, or to read, and no ``[registry] key``.

    409, not 400: the request is well formed, the deployment cannot honour
    it until an operator configures a key; not a 5xx either, which would
    read as a transient fault worth retrying.
    """

    msg_fmt = ("Registry passwords cannot be stored or used: this deployment "
               "has no [registry] key. An operator must configure one (see "
               "docs/images.rst); a registry without a password needs none.")
    error_code = "registry_key_missing"


class StaleUpdate(Conflict):
    """A compare-and-set write found the row changed underneath it."""

    msg_fmt = ("Container %(uuid)s changed concurrently (expected %(expected)s, "
               "found %(actual)s).")
    error_code = "stale_update"


class ContainerHostNotUp(Conflict):
    """Upstream answers 500 here; the host being down is a state, not a bug.

    The message names no host (members read it); ``host`` stays in
    ``kwargs``, and administrators see it in the container's ``host`` field.
    """

    msg_fmt = ("The compute service of the host of container %(container)s is "
               "down; try again when it is back.")
    error_code = "container_host_not_up"


class HostFull(Conflict):
    """The chosen host has no room left for this container (claim refused).

    The message names neither the host nor its capacity (members read it);
    ``host``, ``used`` and ``limit`` stay in ``kwargs`` for the scheduler's
    admin-only detail.
    """

    msg_fmt = "The host has no room for %(requested)s more %(resource)s."
    error_code = "host_full"


class RuntimeOperationFailed(ZunException):
    """The runtime refused an operation for a reason the user should see."""

    msg_fmt = "%(reason)s"
    code = 409
    error_code = "runtime_operation_failed"


class ConsoleClosed(RuntimeOperationFailed):
    """A write to a console stream whose other side already ended."""

    msg_fmt = "The console of container %(container)s is closed."
    error_code = "console_closed"


class NoValidHost(ZunException):
    """No compute host passed the scheduler's filters (upstream: a 500).

    ``reason`` is what members read: which part of the request no host met,
    never a host's name, labels or capacity. ``detail`` (optional) is the
    administrators' account, host by host; zun.scheduler words both.
    """

    msg_fmt = "No valid host was found: %(reason)s"
    code = 409
    error_code = "no_valid_host"

    @property
    def detail(self) -> str:
        """The admin-only text (the member's message when none was given)."""
        detail = self.kwargs.get("detail")
        return "No valid host was found: %s" % detail if detail else self.message


# --- 413 -------------------------------------------------------------------
class RequestEntityTooLarge(ZunException):
    """A body over ``[api] max_request_body_size``: refused before parsing,
    so one request cannot make the API hold an unbounded body in memory."""

    msg_fmt = ("The request body is larger than %(limit)d bytes "
               "([api] max_request_body_size).")
    code = 413
    error_code = "request_entity_too_large"


class ArchiveTooLarge(RequestEntityTooLarge):
    """A tar archive (zun cp) over ``[api] max_archive_size``: one copy
    cannot make the API, the bus or the agent hold an unbounded archive."""

    msg_fmt = ("%(what)s is larger than %(limit)d bytes "
               "([api] max_archive_size).")
    error_code = "archive_too_large"


# --- 415 -------------------------------------------------------------------
class RegistryKeyInvalid(ZunException):
    """A stored registry password that the configured keys cannot open."""

    msg_fmt = "Registry credentials unusable: %(reason)s."
    code = 500
    error_code = "registry_key_invalid"


class UnsupportedMediaType(ZunException):
    msg_fmt = "Unsupported media type: %(content_type)s; use application/json."
    code = 415
    error_code = "unsupported_media_type"


# --- 429 -------------------------------------------------------------------
class ConsoleRateExceeded(ZunException):
    """More console tokens than ``[websocket_proxy] tokens_per_minute``: one
    project cannot fill the token table or flood the agents with sessions."""

    msg_fmt = ("Too many console requests for this project: at most %(limit)d "
               "per minute ([websocket_proxy] tokens_per_minute); try again shortly.")
    code = 429
    error_code = "console_rate_exceeded"


# --- 5xx -------------------------------------------------------------------
class ContainerRuntimeError(ZunException):
    """The container runtime failed in a way the user cannot fix (a fault).

    The driver-neutral "the runtime failed"; a driver may raise a subclass
    that names its runtime (DockerError).
    """

    msg_fmt = "Container runtime error: %(error_msg)s"
    code = 500
    error_code = "container_runtime_error"


class DockerError(ContainerRuntimeError):
    msg_fmt = "Docker error: %(error_msg)s"
    error_code = "docker_error"


class NetworkError(ContainerRuntimeError):
    """The host or the runtime refused a network operation (a fault).

    Raised by network drivers (zun.network): a project network that cannot
    be created, a host guard that cannot be installed.
    """

    msg_fmt = "Network error: %(error_msg)s"
    error_code = "network_error"


class ServiceUnavailable(ZunException):
    """A dependency (message bus, compute agent) cannot be reached.

    Its message is shown to members (503s are not hidden): it says which
    kind of dependency is away, never its host name, URL or socket path
    (the raiser logs those).
    """

    msg_fmt = "%(reason)s"
    code = 503
    error_code = "service_unavailable"


def engine_unreachable() -> ServiceUnavailable:
    """The one wording of "the container engine cannot be reached" (503).

    Raised on the compute host by every driver that talks to the engine; it
    reaches members as a 503 or in a status_reason, so it names no URL or
    socket path: the caller logs where it tried.
    """
    return ServiceUnavailable(reason="The container engine on the compute host "
                                     "cannot be reached; try again later.")
