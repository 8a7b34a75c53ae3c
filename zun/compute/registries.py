"""The agent's side of private registries: a container's pull account.

The API stores only ``registry_id`` on the container; the agent reads the
registry row itself and decrypts its password with its own ``[registry]
key``, right before the driver pulls, so nothing secret crosses the bus.
"""
from __future__ import annotations

import logging

from zun.common import exception, image_ref, registry_secrets
from zun.common.context import RequestContext
from zun.container.driver import base as driver_base
from zun.db import api as db_api
from zun.db.models import Container

LOG = logging.getLogger(__name__)


def credentials(context: RequestContext,
                row: Container) -> driver_base.RegistryCredentials | None:
    """The account to pull ``row``'s image with, or None (anonymous).

    Only for an image of the registry's own domain: a rebuild onto an image
    of another registry pulls anonymously rather than hand the account to
    that registry. Raises RegistryNotFound when the registry is gone,
    RegistryKeyMissing / RegistryKeyInvalid when this host cannot decrypt
    its password (the messages name the options, never a secret).
    """
    if row.registry_id is None:
        return None
    try:
        registry = db_api.registry_get_by_id(context, row.registry_id, row.project_id)
    except exception.RegistryNotFound:
        raise exception.RegistryNotFound(
            registry="%s (of container %s: deleted)" % (row.registry_id, row.uuid)
        ) from None
    if image_ref.parse(row.image or "").registry != registry.domain:
        LOG.info("Container %s: image %s is not of registry %s (%s); pulling "
                 "anonymously", row.uuid, row.image, registry.uuid, registry.domain)
        return None
    if not registry.username and not registry.password:
        return None
    password = registry_secrets.decrypt(registry.password) if registry.password else ""
    return driver_base.RegistryCredentials(registry=registry.domain,
                                           username=registry.username or "",
                                           password=password)


def for_push(context: RequestContext, project_id: str | None,
             ref: str) -> tuple[str, driver_base.RegistryCredentials | None] | None:
    """Where a commit named ``ref`` is pushed: (the registry, its account or
    None) when ``ref``'s registry is the domain of a registry of
    ``project_id`` (the oldest such), else None (the image stays on the host).

    The registry is checked again with this host's ``[registry]`` lists
    (RegistryNotAllowed); a password this host cannot decrypt raises as in
    :func:`credentials`.
    """
    domain = image_ref.parse(ref).registry
    if domain == image_ref.DOCKER_HUB or project_id is None:
        return None
    rows = db_api.registry_list(context.elevated(), filters={"project_id": project_id,
                                                "domain": domain}, limit=1)
    if not rows:
        return None
    image_ref.check_registry(ref)
    registry = rows[0]
    if not registry.username and not registry.password:
        return domain, None
    password = registry_secrets.decrypt(registry.password) if registry.password else ""
    return domain, driver_base.RegistryCredentials(
        registry=domain, username=registry.username or "", password=password)
