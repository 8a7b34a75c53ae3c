"""The state table: what each action accepts, and the 409s it produces."""
from __future__ import annotations

import pytest

from zun.common import exception
from zun.common import states

UUID = "6f3c1c9e-2c55-4c8e-9a39-6b8f3f0d0c11"


@pytest.mark.parametrize("action,allowed", [
    ("start", {"Created", "Stopped", "Error"}),
    ("stop", {"Running"}), ("pause", {"Running"}), ("kill", {"Running"}),
    ("execute", {"Running"}), ("top", {"Running"}), ("stats", {"Running"}),
    ("unpause", {"Paused"}),
    ("reboot", {"Created", "Running", "Stopped", "Error"}),
    ("update", {"Created", "Running", "Stopped", "Paused"}),
    ("logs", {"Created", "Error", "Paused", "Running", "Stopped", "Unknown"}),
    ("delete", {"Created", "Error", "Stopped", "Deleted", "Dead"}),
    ("delete_after_stop", {"Created", "Error", "Stopped", "Deleted", "Dead", "Running"}),
])
def test_allowed_statuses_match_the_upstream_table(action, allowed):
    assert set(states.allowed_statuses(action)) == allowed
    for status in states.ALL_STATUSES:
        if status in allowed:
            states.check_action_allowed(action, UUID, status, None)
        else:
            with pytest.raises(exception.InvalidStateException):
                states.check_action_allowed(action, UUID, status, None)


def test_force_delete_allows_everything_but_paused_even_in_flight():
    for status in states.ALL_STATUSES:
        if status == states.PAUSED:
            with pytest.raises(exception.InvalidStateException):
                states.check_action_allowed("delete_force", UUID, status, None)
        else:
            states.check_action_allowed("delete_force", UUID, status,
                                        states.CONTAINER_STOPPING)


def test_disallowed_action_message_and_code():
    with pytest.raises(exception.InvalidStateException) as err:
        states.check_action_allowed("delete", UUID, states.RUNNING, None)
    assert err.value.code == 409
    assert str(err.value) == "Cannot delete container %s in Running state." % UUID


def test_task_in_flight_refuses_any_other_action():
    with pytest.raises(exception.ContainerTaskInFlight) as err:
        states.check_action_allowed("start", UUID, states.STOPPED,
                                    states.CONTAINER_STOPPING)
    assert err.value.code == 409 and "container_stopping" in str(err.value)


def test_every_claiming_action_has_a_task_state():
    for action, task in states.TASK_FOR_ACTION.items():
        assert task in states.ALL_TASK_STATES, action


def test_runtime_states_map_to_known_statuses():
    for runtime, status in states.RUNTIME_TO_STATUS.items():
        assert status in states.ALL_STATUSES, runtime
    assert states.status_from_runtime("something-new") == states.UNKNOWN


def test_status_filter_validation():
    assert states.statuses(["Running", "Error"]) == ("Running", "Error")
    with pytest.raises(exception.InvalidValue):
        states.statuses(["running"])
