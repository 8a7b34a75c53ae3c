"""The container state machine: the one place that says what may happen when.

The API consults :data:`ALLOWED_STATUSES` before accepting an action, and a
container whose ``task_state`` is set accepts no action at all: exactly one
operation runs per container at a time. The task state an action claims is
written with a compare-and-set, so two concurrent requests cannot both win.
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

ALL_TASK_STATES = (IMAGE_PULLING, CONTAINER_CREATING, CONTAINER_STARTING,
                   CONTAINER_STOPPING, CONTAINER_REBOOTING, CONTAINER_PAUSING,
                   CONTAINER_UNPAUSING, CONTAINER_KILLING, CONTAINER_DELETING,
                   CONTAINER_REBUILDING, CONTAINER_UPDATING)

# --- allowed statuses per action (upstream's VALID_STATES) --------------------
_DELETE = (CREATED, ERROR, STOPPED, DELETED, DEAD)

ALLOWED_STATUSES: dict[str, tuple[str, ...]] = {
    "start": (CREATED, STOPPED, ERROR),
    "stop": (RUNNING,),
    "kill": (RUNNING,),
    "pause": (RUNNING,),
    "execute": (RUNNING,),
    "execute_resize": (RUNNING,),
    "attach": (RUNNING,),
    "resize": (RUNNING,),
    "top": (RUNNING,),
    "stats": (RUNNING,),
    "unpause": (PAUSED,),
    "reboot": (CREATED, RUNNING, STOPPED, ERROR),
    "rebuild": (CREATED, RUNNING, STOPPED, ERROR),
    "update": (CREATED, RUNNING, STOPPED, PAUSED),
    "resize_container": (CREATED, RUNNING, STOPPED, PAUSED),
    "commit": (RUNNING, STOPPED, PAUSED),
    "get_archive": (CREATED, PAUSED, RUNNING, STOPPED),
    "put_archive": (CREATED, PAUSED, RUNNING, STOPPED),
    "logs": (CREATED, ERROR, PAUSED, RUNNING, STOPPED, UNKNOWN),
    "delete": _DELETE,
    "delete_after_stop": _DELETE + (RUNNING,),
    "delete_force": tuple(s for s in ALL_STATUSES if s != PAUSED),
}

# The task state each state-changing action claims while it is in flight.
TASK_FOR_ACTION: dict[str, str] = {
    "create": CONTAINER_CREATING,
    "start": CONTAINER_STARTING,
    "stop": CONTAINER_STOPPING,
    "reboot": CONTAINER_REBOOTING,
    "pause": CONTAINER_PAUSING,
    "unpause": CONTAINER_UNPAUSING,
    "kill": CONTAINER_KILLING,
    "delete": CONTAINER_DELETING,
    "delete_after_stop": CONTAINER_DELETING,
    "delete_force": CONTAINER_DELETING,
    "rebuild": CONTAINER_REBUILDING,
    "update": CONTAINER_UPDATING,
}

# The action behind a task state (the first action claiming it).
ACTION_FOR_TASK: dict[str, str] = {}
for _action, _task in TASK_FOR_ACTION.items():
    ACTION_FOR_TASK.setdefault(_task, _action)

def allowed_statuses(action: str) -> tuple[str, ...]:
    """Statuses from which ``action`` may run; unknown actions are a bug."""
    return ALLOWED_STATUSES[action]


def check_action_allowed(action: str, uuid: str, status: str,
                         task_state: str | None) -> None:
    """Raise a 409 unless ``action`` may run now on this container.

    Checked in the API before anything is written or sent. The caller must
    still claim the task state with a compare-and-set: this check alone
    cannot stop two concurrent requests.
    """
    if task_state is not None and action not in ("delete_force",):
        raise exception.ContainerTaskInFlight(
            action=_verb(action), id=uuid, task_state=task_state)
    if status not in ALLOWED_STATUSES[action]:
        raise exception.InvalidStateException(
            action=_verb(action), id=uuid, actual_state=status)


def _verb(action: str) -> str:
    return "delete" if action.startswith("delete") else action


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
