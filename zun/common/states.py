"""The container state machine's vocabulary: statuses, task states, runtime states.

Which action may run from which status, and which task state it claims, is
declared per action in :mod:`zun.common.actions`. A container whose
``task_state`` is set accepts no state-changing action: exactly one
operation runs per container at a time, claimed with a compare-and-set, so
two concurrent requests cannot both win.
"""
from __future__ import annotations

from typing import Iterable

from zun.common import exception

# --- statuses ---------------------------------------------------------------
CREATING = "Creating"
CREATED = "Created"
RUNNING = "Running"
STOPPED = "Stopped"
PAUSED = "Paused"
RESTARTING = "Restarting"
REBUILDING = "Rebuilding"
DELETING = "Deleting"
DELETED = "Deleted"
ERROR = "Error"
DEAD = "Dead"
UNKNOWN = "Unknown"

ALL_STATUSES = (CREATING, CREATED, RUNNING, STOPPED, PAUSED, RESTARTING,
                REBUILDING, DELETING, DELETED, ERROR, DEAD, UNKNOWN)

# --- task states (the operation in flight) ----------------------------------
IMAGE_PULLING = "image_pulling"
CONTAINER_CREATING = "container_creating"
CONTAINER_STARTING = "container_starting"
CONTAINER_STOPPING = "container_stopping"
CONTAINER_REBOOTING = "container_rebooting"
CONTAINER_PAUSING = "container_pausing"
CONTAINER_UNPAUSING = "container_unpausing"
CONTAINER_KILLING = "container_killing"
CONTAINER_DELETING = "container_deleting"
CONTAINER_REBUILDING = "container_rebuilding"
CONTAINER_UPDATING = "container_updating"
NETWORK_ATTACHING = "network_attaching"
NETWORK_DETACHING = "network_detaching"

ALL_TASK_STATES = (IMAGE_PULLING, CONTAINER_CREATING, CONTAINER_STARTING,
                   CONTAINER_STOPPING, CONTAINER_REBOOTING, CONTAINER_PAUSING,
                   CONTAINER_UNPAUSING, CONTAINER_KILLING, CONTAINER_DELETING,
                   CONTAINER_REBUILDING, CONTAINER_UPDATING, NETWORK_ATTACHING,
                   NETWORK_DETACHING)

# --- runtime facts -> status ---------------------------------------------------
# Driver-neutral runtime states reported by drivers (see
# zun.container.driver.base.RuntimeState).
RUNTIME_TO_STATUS: dict[str, str] = {
    "created": CREATED,
    "running": RUNNING,
    "paused": PAUSED,
    "restarting": RESTARTING,
    "exited": STOPPED,
    "dead": DEAD,
    "removing": DELETING,
}


def status_from_runtime(state: str) -> str:
    """Map a driver-neutral runtime state to the status the API reports."""
    return RUNTIME_TO_STATUS.get(state, UNKNOWN)


def statuses(values: Iterable[str]) -> tuple[str, ...]:
    """Validate a list of status names (used by list filters)."""
    out = tuple(values)
    for value in out:
        if value not in ALL_STATUSES:
            raise exception.InvalidValue(value=value, field="status")
    return out
