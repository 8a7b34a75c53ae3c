"""Points in time as the API accepts them and the runtime takes them."""
from __future__ import annotations

import datetime

# 9999-12-31T23:59:59Z: the last second an ISO 8601 time can name
MAX_EPOCH = 253402300799


def epoch_seconds(value: str | int | float) -> int:
    """Epoch seconds from a number, a string of digits, or an ISO 8601 /
    RFC 3339 time (a naive one is UTC; one before 1970 counts as 0). Raises
    ValueError for anything else or a number outside 0..MAX_EPOCH."""
    if isinstance(value, (int, float)):
        seconds = int(value)
    else:
        text = str(value).strip()
        if text.isdigit():
            if len(text) > len(str(MAX_EPOCH)):
                raise ValueError("too many digits")
            seconds = int(text)
        else:
            if len(text) > 64:
                raise ValueError("too long for a time")
            when = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
            if when.tzinfo is None:
                when = when.replace(tzinfo=datetime.timezone.utc)
            seconds = max(0, int(when.timestamp()))  # before 1970: from the start
    if not 0 <= seconds <= MAX_EPOCH:
        raise ValueError("out of range")
    return seconds
