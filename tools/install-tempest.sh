#!/usr/bin/env bash
# Install tempest and zun-tempest-plugin into a venv of their own.
#
# Tempest pins its own oslo.* / keystoneauth versions; keeping it out of zun's
# venv means neither side's upgrades break the other. Idempotent: a venv in
# which both packages already import at the pinned versions is reused, so a
# warm call costs about a second. Prints the venv path as its last line.
#
# Environment: TEMPEST_VENV (default /tmp/zun-tempest/venv), PYTHON (the
# interpreter that creates the venv; default python3).
set -euo pipefail

VENV=${TEMPEST_VENV:-/tmp/zun-tempest/venv}
PYTHON=${PYTHON:-python3}
PLUGIN_VERSION=4.14.0
TEMPEST_VERSION=47.0.0

installed() {
    [[ -x $VENV/bin/tempest ]] || return 1
    "$VENV/bin/python" - "$PLUGIN_VERSION" "$TEMPEST_VERSION" <<'EOF' 2>/dev/null
import sys
from importlib.metadata import version
import tempest, zun_tempest_plugin  # noqa: F401  (a broken install fails here)
sys.exit(0 if (version("zun-tempest-plugin"), version("tempest")) == tuple(sys.argv[1:]) else 1)
EOF
}

if installed; then
    echo "install-tempest: reusing $VENV" >&2
else
    echo "install-tempest: installing tempest $TEMPEST_VERSION and" \
         "zun-tempest-plugin $PLUGIN_VERSION into $VENV" >&2
    # an interrupted earlier install is finished by pip, not started over
    [[ -x $VENV/bin/python ]] || { rm -rf "$VENV"; mkdir -p "$(dirname "$VENV")"; "$PYTHON" -m venv "$VENV"; }
    "$VENV/bin/pip" install -q --disable-pip-version-check \
        "zun-tempest-plugin==$PLUGIN_VERSION" "tempest==$TEMPEST_VERSION" >&2
    installed || { echo "install-tempest: install in $VENV does not import" >&2; exit 1; }
fi
echo "$VENV"
