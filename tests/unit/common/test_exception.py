"""The error table: every class says its own client-visible code and status.

Clients (zunclient, Heat, scripts) read the body's ``code``; it must not
move when a class is renamed, re-parented, or re-created by oslo.messaging
on the API side of an RPC call.
"""
from __future__ import annotations

import inspect
import sys

import pytest
from oslo_messaging._drivers import common as messaging_common

from zun.common import exception, rpc

# Every exception class: its HTTP status and the code clients see
# (``container.<error_code>``). These are the values shipped before the
# codes were made explicit (then derived from the class names); change a
# row only to add a class, never to alter what a client already reads.
PINNED: dict[str, tuple[int, str]] = {
    "ZunException": (500, "zun_exception"),
    "Invalid": (400, "invalid"),
    "ValidationError": (400, "validation_error"),
    "InvalidParamInVersion": (400, "invalid_param_in_version"),
    "InvalidValue": (400, "invalid_value"),
    "UnsupportedOperation": (400, "unsupported_operation"),
    "ImageNotFound": (400, "image_not_found"),
    "RegistryNotAllowed": (400, "registry_not_allowed"),
    "ContainerNotInteractive": (400, "container_not_interactive"),
    "PolicyNotAuthorized": (403, "policy_not_authorized"),
    "OverQuota": (403, "over_quota"),
    "ConsoleTokenInvalid": (403, "console_token_invalid"),
    "ConsoleOriginRefused": (403, "console_origin_refused"),
    "NotFound": (404, "not_found"),
    "ContainerNotFound": (404, "container_not_found"),
    "ExecNotFound": (404, "exec_not_found"),
    "ContainerActionNotFound": (404, "container_action_not_found"),
    "ServiceNotFound": (404, "service_not_found"),
    "ComputeNodeNotFound": (404, "compute_node_not_found"),
    "RuntimeContainerNotFound": (404, "runtime_container_not_found"),
    "NetworkNotFound": (404, "network_not_found"),
    "ArchivePathNotFound": (404, "archive_path_not_found"),
    "FeatureNotImplemented": (404, "feature_not_implemented"),
    "ImageRecordNotFound": (404, "image_record_not_found"),
    "ImageAlreadyExists": (409, "image_already_exists"),
    "ImageInUse": (409, "image_in_use"),
    "RegistryNotFound": (404, "registry_not_found"),
    "RegistryNameAmbiguous": (409, "registry_name_ambiguous"),
    "RegistryInUse": (409, "registry_in_use"),
    "RegistryKeyMissing": (409, "registry_key_missing"),
    "RegistryKeyInvalid": (500, "registry_key_invalid"),
    "NotAcceptable": (406, "not_acceptable"),
    "Conflict": (409, "conflict"),
    "InvalidStateException": (409, "invalid_state_exception"),
    "ContainerTaskInFlight": (409, "container_task_in_flight"),
    "ContainerNameAmbiguous": (409, "container_name_ambiguous"),
    "ContainerAlreadyExists": (409, "container_already_exists"),
    "ServiceAlreadyExists": (409, "service_already_exists"),
    "ServiceInUse": (409, "service_in_use"),
    "StaleUpdate": (409, "stale_update"),
    "ContainerHostNotUp": (409, "container_host_not_up"),
    "HostFull": (409, "host_full"),
    "RuntimeOperationFailed": (409, "runtime_operation_failed"),
    "ConsoleClosed": (409, "console_closed"),
    "NoValidHost": (409, "no_valid_host"),
    "RequestEntityTooLarge": (413, "request_entity_too_large"),
    "ArchiveTooLarge": (413, "archive_too_large"),
    "UnsupportedMediaType": (415, "unsupported_media_type"),
    "ConsoleRateExceeded": (429, "console_rate_exceeded"),
    "ContainerRuntimeError": (500, "container_runtime_error"),
    "DockerError": (500, "docker_error"),
    "NetworkError": (500, "network_error"),
    "ServiceUnavailable": (503, "service_unavailable"),
}


def _classes() -> dict[str, type[exception.ZunException]]:
    return {name: cls for name, cls in inspect.getmembers(exception, inspect.isclass)
            if issubclass(cls, exception.ZunException)
            and cls.__module__ == exception.__name__}


def test_every_class_declares_its_own_error_code():
    lacking = sorted(name for name, cls in _classes().items()
                     if not isinstance(cls.__dict__.get("error_code"), str))
    assert lacking == [], "declare error_code on these classes (never inherit it)"


def test_codes_and_statuses_are_pinned():
    actual = {name: (cls.code, cls.error_code) for name, cls in _classes().items()}
    # A new class: add its row to PINNED. A changed row: a client-visible change.
    assert actual == PINNED


def test_error_codes_are_unique():
    seen: dict[str, str] = {}
    for name, cls in _classes().items():
        assert cls.error_code not in seen, (name, seen.get(cls.error_code))
        seen[cls.error_code] = name


def test_error_codes_are_snake_case_words():
    for name, cls in _classes().items():
        assert cls.error_code.replace("_", "").isalpha(), name
        assert cls.error_code == cls.error_code.lower(), name


def test_status_is_declared_by_category_roots_and_inherited_below():
    """See the module docstring: roots declare ``code``, subclasses inherit it."""
    for name, cls in _classes().items():
        parent = cls.__mro__[1]
        if cls is exception.ZunException or parent is exception.ZunException:
            assert "code" in cls.__dict__, "%s is a category root: declare code" % name
        else:
            assert "code" not in cls.__dict__, (
                "%s overrides the status of its category %s; derive from another "
                "root instead" % (name, parent.__name__))


def _over_rpc(exc: exception.ZunException) -> Exception:
    """``exc`` as the API side sees it after oslo.messaging carried it back."""
    try:
        raise exc
    except exception.ZunException:
        data = messaging_common.serialize_remote_exception(sys.exc_info())
    return messaging_common.deserialize_remote_exception(data, rpc.ALLOWED_EXMODS)


@pytest.mark.parametrize("exc", [
    exception.ContainerNotFound(container="c1"),
    exception.ContainerHostNotUp(container="c1", host="h1"),
    exception.RuntimeOperationFailed(reason="no such image"),
])
def test_a_remote_copy_keeps_status_and_code(exc):
    remote = _over_rpc(exc)
    assert type(remote).__name__ == type(exc).__name__ + "_Remote"
    assert isinstance(remote, type(exc))
    assert (remote.code, remote.error_code) == (exc.code, exc.error_code)
