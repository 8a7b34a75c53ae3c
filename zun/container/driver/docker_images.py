"""The Docker driver's image operations: pull, inspect, remove, list, commit.

Kept apart from ``docker.py`` (which only forwards to these functions) so
the lifecycle module stays about containers. Each function takes the SDK's
low-level client and the driver's error translator; the contracts are the
ones of :class:`zun.container.driver.base.ContainerDriver`.
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable

import docker
import docker.errors

from zun.common import exception
from zun.container.driver import base, docker_errors

# the driver's ``_errors``: a context manager translating engine failures
Errors = Callable[..., contextlib.AbstractContextManager[None]]


def facts(data: dict[str, Any]) -> base.ImageFacts:
    """An engine's image description (inspect or list) in neutral terms."""
    return base.ImageFacts(image_id=str(data.get("Id") or ""),
                           size=int(data.get("Size") or 0),
                           tags=sorted(data.get("RepoTags") or []))


def auth_config(credentials: base.RegistryCredentials | None) -> dict[str, str] | None:
    """The SDK's ``auth_config`` of ``credentials``.

    None (anonymous) lets the SDK fall back to the agent user's own
    ``~/.docker/config.json``: a host should keep no login there.
    """
    if credentials is None:
        return None
    return {"username": credentials.username, "password": credentials.password,
            "serveraddress": credentials.registry}


def _split(ref: str) -> tuple[str, str]:
    """``repo[:tag]`` as the engine's pull takes it (tag defaults to latest)."""
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        repo, tag = ref.rsplit(":", 1)
        return repo, tag
    return ref, "latest"


def pull(api: docker.APIClient, errors: Errors, ref: str) -> base.ImageFacts:
    """Pull ``ref`` and describe what the engine then holds.

    The engine reports some failures (a layer that cannot be fetched) inside
    its progress stream rather than as an HTTP error: those are read too, so
    a pull that fails halfway is an ImageNotFound carrying the registry's
    own message, never a silent success.
    """
    repo, tag = _split(ref)
    with errors(image=ref):
        try:
            for line in api.pull(repo, tag=tag, stream=True, decode=True):
                if isinstance(line, dict) and line.get("error"):
                    raise exception.ImageNotFound(
                        image=ref, reason=docker_errors.short(line["error"]))
        except docker.errors.APIError as err:
            raise exception.ImageNotFound(
                image=ref, reason=docker_errors.explanation(err)) from err
        data = api.inspect_image(ref)
    return facts(data)


def inspect(api: docker.APIClient, errors: Errors, ref: str) -> base.ImageFacts:
    with errors(image=ref):
        return facts(api.inspect_image(ref))


def delete(api: docker.APIClient, errors: Errors, ref: str) -> None:
    """Remove the name ``ref`` (the image itself once no name is left)."""
    try:
        with errors(image=ref):
            api.remove_image(ref)
    except exception.ImageNotFound:
        return  # already gone: the contract's idempotency


def list_all(api: docker.APIClient, errors: Errors) -> list[base.ImageFacts]:
    with errors():
        return [facts(item) for item in api.images()]


def commit(api: docker.APIClient, errors: Errors, container_id: str,
           repository: str, tag: str) -> str:
    """Snapshot the container's filesystem as ``repository:tag``; its id."""
    with errors(container_id):
        result = api.commit(container_id, repository=repository, tag=tag)
    return str(result.get("Id") or "")


def push(api: docker.APIClient, errors: Errors, ref: str,
         credentials: base.RegistryCredentials | None) -> None:
    """Push ``ref`` with ``credentials``; the engine reports a refusal
    inside its progress stream, which is read to the end for it."""
    repo, tag = _split(ref)
    with errors(image=ref):
        try:
            for line in api.push(repo, tag=tag, stream=True, decode=True,
                                 auth_config=auth_config(credentials)):
                if isinstance(line, dict) and line.get("error"):
                    raise exception.RuntimeOperationFailed(
                        reason="the push of %s failed: %s"
                               % (ref, docker_errors.short(line["error"])))
        except docker.errors.APIError as err:
            raise exception.RuntimeOperationFailed(
                reason="the push of %s failed: %s"
                       % (ref, docker_errors.explanation(err))) from err
