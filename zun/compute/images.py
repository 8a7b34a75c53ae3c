"""The agent's side of the images API: pull, delete, reconcile, commit.

The API writes an image row (status Pulling) and casts ``image_pull`` to the
row's host; this module runs the driver and records the truth on the row:
Available with the engine's id, size and names, or Error with the
registry's own message. The periodic pass (:func:`reconcile`) compares this
host's rows with what the engine holds, so an image removed (or restored)
outside zun is noticed. The manager's RPC methods only forward here.
"""
from __future__ import annotations

import datetime
import logging
import threading

from zun.common import exception, image_ref
from zun.common.context import RequestContext
from zun.compute import registries
from zun.conf import CONF
from zun.container.driver import base as driver_base
from zun.db import api as db_api
from zun.db import models
from zun.db.api import images as image_rows
from zun.db.models import Image

LOG = logging.getLogger(__name__)

# status_reason of a row whose image the engine no longer holds
GONE = "The image is no longer on host %s (removed outside zun); pull it again."
# status_reason of a pull nobody runs any more (agent restarted, cast lost)
INTERRUPTED = ("The pull was interrupted (the agent of host %s restarted or "
               "never received it); pull again.")

# Rows whose pull or commit this agent is running (the reconcile leaves
# them alone, however long they take).
_ACTIVE: set[str] = set()
_ACTIVE_LOCK = threading.Lock()


def _working(uuid: str, on: bool) -> None:
    with _ACTIVE_LOCK:
        if on:
            _ACTIVE.add(uuid)
        else:
            _ACTIVE.discard(uuid)


def _is_working(uuid: str) -> bool:
    with _ACTIVE_LOCK:
        return uuid in _ACTIVE


def ref_of(row: Image) -> str:
    """The name the engine knows the row's image by."""
    return "%s:%s" % (row.repo, row.tag)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, exception.ZunException):
        return exc.message
    return "an internal error occurred (%s); see the compute host's log" % (
        type(exc).__name__)


def pull(driver: driver_base.ContainerDriver, context: RequestContext,
         uuid: str) -> None:
    """Pull the image of row ``uuid`` (status Pulling) and record the outcome.

    The registry is checked again with this host's ``[registry]`` lists. The
    outcome is written only while the row is still Pulling (a delete or a
    newer pull meanwhile wins).
    """
    try:
        row = db_api.image_get(context, uuid)
    except exception.NotFound:
        LOG.info("Image %s vanished before its pull", uuid)
        return
    if row.status != image_rows.PULLING:
        LOG.info("Image %s is %s, not Pulling: pull skipped", uuid, row.status)
        return
    _working(uuid, True)
    try:
        _pull(driver, context, row)
    finally:
        _working(uuid, False)


def _pull(driver: driver_base.ContainerDriver, context: RequestContext,
          row: Image) -> None:
    uuid, ref = row.uuid, ref_of(row)
    values: dict[str, object]
    try:
        image_ref.check_registry(ref)
        found = driver.pull_image(ref)
        values = {"status": image_rows.AVAILABLE, "status_reason": None,
                  "image_id": found.image_id, "size": found.size, "tags": found.tags}
        LOG.info("Pulled image %s onto %s: %s", ref, row.host, found.image_id)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row
        LOG.warning("Pull of image %s onto %s failed: %s", ref, row.host, exc)
        values = {"status": image_rows.ERROR,
                  "status_reason": "Failed to pull %s: %s" % (ref, _reason(exc))}
    try:
        db_api.image_update(context, uuid, values,
                            expected={"status": image_rows.PULLING})
    except (exception.NotFound, exception.StaleUpdate) as exc:
        LOG.info("Outcome of the pull of %s not written: %s", uuid, exc)


def delete(driver: driver_base.ContainerDriver, context: RequestContext,
           uuid: str) -> None:
    """Remove the row's image name from the engine, then the row.

    Raises what the driver raises (RuntimeOperationFailed, 409, when a
    container outside zun's rows still uses it); the row then stays.
    """
    row = db_api.image_get(context, uuid)
    driver.delete_image(ref_of(row))
    LOG.info("Removed image %s from host %s", ref_of(row), row.host)
    db_api.image_destroy(context, uuid)


def commit(driver: driver_base.ContainerDriver, context: RequestContext,
           container_id: str, uuid: str, project_id: str | None = None) -> None:
    """Snapshot ``container_id`` into image row ``uuid`` (status Pulling) and
    record the new image's facts (Available), or Error with the cause;
    re-raises the failure for the caller's action event.

    When the name's registry is the domain of a registry of ``project_id``
    (the container's project), the image is then pushed there with that
    registry's account. A failed push leaves the row Available (the image
    is on the host) with the registry's message in status_reason, and
    raises RuntimeOperationFailed (409) saying so.
    """
    row = db_api.image_get(context, uuid)
    ref = ref_of(row)
    _working(uuid, True)
    try:
        image_id = driver.commit(container_id, row.repo, row.tag)
        found = driver.inspect_image(image_id or ref)
    except Exception as exc:
        db_api.image_update(context, uuid, {
            "status": image_rows.ERROR,
            "status_reason": "Failed to commit %s: %s" % (ref, _reason(exc))})
        _working(uuid, False)
        raise
    pushed: Exception | None = None
    try:
        target = registries.for_push(context, project_id, ref)
        if target is not None:
            driver.push_image(ref, target[1])
            LOG.info("Pushed the commit %s to registry %s", ref, target[0])
    except Exception as exc:  # noqa: BLE001 - recorded on the row, then raised
        pushed = exc
    finally:
        _working(uuid, False)
    db_api.image_update(context, uuid, {
        "status": image_rows.AVAILABLE,
        "status_reason": None if pushed is None else
        "Committed on this host; %s" % _reason(pushed),
        "image_id": found.image_id, "size": found.size, "tags": found.tags})
    if pushed is not None:
        if isinstance(pushed, exception.ZunException):
            raise pushed
        raise exception.RuntimeOperationFailed(
            reason="the push of %s failed: %s" % (ref, _reason(pushed))) from pushed


def reconcile(driver: driver_base.ContainerDriver, context: RequestContext,
              host: str, stuck_after: float | None = None) -> int:
    """Bring this host's image rows in line with the engine; rows changed.

    One engine listing and one DB read. An Available row whose name the
    engine no longer holds becomes Error (GONE); an Error row whose name is
    back (pulled or tagged outside zun) becomes Available again with fresh
    facts. A Pulling row is left to its pull, unless this agent runs no
    pull of it and it has not changed for ``stuck_after`` seconds (default
    ``[compute] stuck_task_timeout``): then it becomes Error (INTERRUPTED).
    A driver without the image capability has no images to compare:
    nothing happens.
    """
    if stuck_after is None:
        stuck_after = CONF.compute.stuck_task_timeout
    cutoff = models.utcnow() - datetime.timedelta(seconds=stuck_after)
    if "image" not in driver.capabilities:
        return 0
    held: dict[str, driver_base.ImageFacts] = {}
    for facts in driver.list_images():
        for tag in facts.tags:
            held[tag] = facts
    changed = 0
    for row in db_api.image_list_by_host(context, host):
        found = held.get(ref_of(row))
        values: dict[str, object] | None = None
        if row.status == image_rows.PULLING:
            if _is_working(row.uuid) or (row.updated_at or row.created_at
                                         or cutoff) > cutoff:
                continue
            values = {"status": image_rows.ERROR, "status_reason": INTERRUPTED % host}
        elif found is None and row.status == image_rows.AVAILABLE:
            values = {"status": image_rows.ERROR, "status_reason": GONE % host}
        elif found is not None and (row.status != image_rows.AVAILABLE
                                    or row.image_id != found.image_id):
            values = {"status": image_rows.AVAILABLE, "status_reason": None,
                      "image_id": found.image_id, "size": found.size,
                      "tags": found.tags}
        if values is None:
            continue
        try:
            db_api.image_update(context, row.uuid, values,
                                expected={"status": row.status})
            changed += 1
            LOG.info("Image %s on %s: now %s", ref_of(row), host, values["status"])
        except (exception.NotFound, exception.StaleUpdate):
            continue
    return changed
