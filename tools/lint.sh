#!/usr/bin/env bash
# The lint and type gate (`make lint`): ruff (pyflakes, pycodestyle, import
# order, bugbear) over the code, its tests and benchmarks, then mypy over zun/. Settings
# live in pyproject.toml. Exits non-zero on any finding; runs both tools
# even when the first one fails, so one run shows everything.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN=${VENV:-.venv}/bin

status=0
echo "== ruff" >&2
"$BIN/ruff" check zun tests benchmarks || status=1
echo "== mypy" >&2
"$BIN/mypy" zun || status=1
exit "$status"
