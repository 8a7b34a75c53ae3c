"""Every error zun raises, each carrying the HTTP status it maps to.

This module is the single error-to-HTTP table: the API's error middleware
reads ``code`` off the exception and never guesses. Exceptions raised on the
compute host travel back over RPC (oslo.messaging re-creates them by class
name from this module), so the same mapping holds for remote failures.
"""
from __future__ import annotations

from typing import Any


class ZunException(Exception):
    """Base class: ``msg_fmt`` is formatted with the keyword arguments.

    ``code`` is the HTTP status the API answers with. 5xx messages are hidden
    from the user by the API (a correlation id is shown instead).
    """

    msg_fmt = "An unknown exception occurred."
    code = 500

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


class ValidationError(Invalid):
    msg_fmt = "%(detail)s"


class InvalidParamInVersion(Invalid):
    msg_fmt = ("Parameter '%(param)s' is not allowed in API version %(version)s; "
               "it needs %(min_version)s or newer.")


class InvalidValue(Invalid):
    msg_fmt = "Received value '%(value)s' is invalid for %(field)s."


class UnsupportedOperation(Invalid):
    """The container runtime of the host cannot do what was asked."""

    msg_fmt = ("The '%(driver)s' container driver does not support "
               "'%(operation)s'.")


class ImageNotFound(Invalid):
    msg_fmt = "Image %(image)s could not be found: %(reason)s"


# --- 403 -------------------------------------------------------------------
class PolicyNotAuthorized(ZunException):
    msg_fmt = "Policy doesn't allow %(action)s to be performed."
    code = 403


# --- 404 -------------------------------------------------------------------
class NotFound(ZunException):
    msg_fmt = "Resource could not be found."
    code = 404


class ContainerNotFound(NotFound):
    msg_fmt = "Container %(container)s could not be found."


class ContainerActionNotFound(NotFound):
    msg_fmt = ("Action with request_id %(request_id)s not found for "
               "container %(container)s.")


class ServiceNotFound(NotFound):
    msg_fmt = "Service %(service)s could not be found."


class RuntimeContainerNotFound(NotFound):
    """The runtime (e.g. Docker) has no container with this id."""

    msg_fmt = "No such container: %(container_id)s"


# --- 406 -------------------------------------------------------------------
class NotAcceptable(ZunException):
    msg_fmt = "Request not acceptable: %(reason)s"
    code = 406


# --- 409 -------------------------------------------------------------------
class Conflict(ZunException):
    msg_fmt = "Conflict: %(reason)s"
    code = 409


class InvalidStateException(Conflict):
    msg_fmt = "Cannot %(action)s container %(id)s in %(actual_state)s state."


class ContainerTaskInFlight(Conflict):
    msg_fmt = ("Cannot %(action)s container %(id)s: operation %(task_state)s "
               "is in progress; retry when it has finished.")


class ContainerNameAmbiguous(Conflict):
    msg_fmt = ("Multiple containers exist with name %(name)s; "
               "use the uuid instead.")


class ContainerAlreadyExists(Conflict):
    msg_fmt = "A container with %(field)s %(value)s already exists."


class ServiceAlreadyExists(Conflict):
    msg_fmt = "Service %(binary)s on host %(host)s already exists."


class StaleUpdate(Conflict):
    """A compare-and-set write found the row changed underneath it."""

    msg_fmt = ("Container %(uuid)s changed concurrently (expected %(expected)s, "
               "found %(actual)s).")


# --- 415 -------------------------------------------------------------------
class UnsupportedMediaType(ZunException):
    msg_fmt = "Unsupported media type: %(content_type)s; use application/json."
    code = 415


# --- 5xx -------------------------------------------------------------------
class ServiceUnavailable(ZunException):
    """A dependency (message bus, compute agent) cannot be reached."""

    msg_fmt = "%(reason)s"
    code = 503


class DockerError(ZunException):
    msg_fmt = "Docker error: %(error_msg)s"
    code = 500


class RuntimeOperationFailed(ZunException):
    """The runtime refused an operation for a reason the user should see."""

    msg_fmt = "%(reason)s"
    code = 409


class NoValidHost(ZunException):
    """No compute host passed the scheduler's filters."""

    msg_fmt = "No valid host was found: %(reason)s"
    code = 409


class ContainerHostNotUp(Conflict):
    msg_fmt = ("Container %(container)s is on host %(host)s, whose compute "
               "service is down; try again when it is back.")


# --- appended: services and hosts ----------------------------------------------
class ComputeNodeNotFound(NotFound):
    msg_fmt = "Host %(host)s could not be found."


class ServiceInUse(Conflict):
    msg_fmt = ("Service %(binary)s on host %(host)s still has %(count)d "
               "container(s); delete or move them before deleting the service.")


class HostFull(Conflict):
    """The chosen host has no room left for this container (claim refused)."""

    msg_fmt = ("Host %(host)s cannot fit %(requested)s more %(resource)s "
               "(%(used)s used of %(limit)s).")


# --- appended: quotas -----------------------------------------------------------
class OverQuota(ZunException):
    """The project would exceed its quota of one resource (nothing created)."""

    msg_fmt = ("Quota exceeded for %(resource)s: requested %(requested)s, but "
               "already used %(used)s of %(limit)s.")
    code = 403
