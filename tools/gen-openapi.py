#!/usr/bin/env python3
"""Regenerate docs/openapi.json from the code (zun.api.openapi.document).

The committed file lets readers and client generators use the API
description without running zun; tests/unit/api/test_openapi.py fails when
it no longer matches the code, and this script is how to bring it back.
Usage: tools/gen-openapi.py [--check]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from zun.api import openapi  # noqa: E402

TARGET = ROOT / "docs" / "openapi.json"


def render() -> str:
    """The file's exact text: stable key order, so diffs show real changes."""
    return json.dumps(openapi.document(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = TARGET.read_text() if TARGET.exists() else ""
        if current != text:
            print("%s is stale; run tools/gen-openapi.py" % TARGET, file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    print("wrote %s" % TARGET)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
