"""The state vocabulary: statuses, runtime states, list filters."""
from __future__ import annotations

import pytest

from zun.common import exception, states


def test_runtime_states_map_to_known_statuses():
    for runtime, status in states.RUNTIME_TO_STATUS.items():
        assert status in states.ALL_STATUSES, runtime
    assert states.status_from_runtime("something-new") == states.UNKNOWN


def test_status_filter_validation():
    assert states.statuses(["Running", "Error"]) == ("Running", "Error")
    with pytest.raises(exception.InvalidValue):
        states.statuses(["running"])
