#!/usr/bin/env bash
# Install OpenStack Heat (heat-api + heat-engine) into a venv of its own.
#
# Heat pins its own oslo.*/keystoneauth/SQLAlchemy ranges and pulls in every
# OpenStack client library its resource plugins import (python-zunclient
# among them: OS::Zun::Container builds its client from it), so it lives
# apart from zun's venv. Only what the two servers need is installed: the
# openstack-heat wheel (its requirements already include the clients),
# gunicorn to serve the WSGI API and PyMySQL for its MariaDB. No CLI, no
# python-openstackclient. Idempotent: a venv in which Heat already imports at
# the pinned versions is reused (about a second). Prints the venv path last.
#
# Environment: HEAT_VENV (default /tmp/zun-heat/venv), PYTHON (the
# interpreter that creates the venv; default python3).
set -euo pipefail

VENV=${HEAT_VENV:-/tmp/zun-heat/venv}
PYTHON=${PYTHON:-python3}
HEAT_VERSION=27.0.1
# the version zun's own tests use, so both sides speak the same client
ZUNCLIENT_VERSION=5.5.0

installed() {
    [[ -x $VENV/bin/heat-engine && -x $VENV/bin/heat-manage && -x $VENV/bin/gunicorn ]] \
        || return 1
    "$VENV/bin/python" - "$HEAT_VERSION" "$ZUNCLIENT_VERSION" <<'EOF' 2>/dev/null
import sys
from importlib.metadata import version
import heat.api.openstack.wsgi, heat.engine.service, pymysql, zunclient  # noqa: F401
sys.exit(0 if (version("openstack-heat"), version("python-zunclient")) == tuple(sys.argv[1:])
         else 1)
EOF
}

if installed; then
    echo "install-heat: reusing $VENV" >&2
else
    echo "install-heat: installing openstack-heat $HEAT_VERSION into $VENV" \
         "(about a minute from a warm pip cache, ~11 min from PyPI on 2 cores)" >&2
    # an interrupted earlier install is finished by pip, not started over
    [[ -x $VENV/bin/python ]] || { rm -rf "$VENV"; mkdir -p "$(dirname "$VENV")"; "$PYTHON" -m venv "$VENV"; }
    "$VENV/bin/pip" install -q --disable-pip-version-check \
        "openstack-heat==$HEAT_VERSION" "python-zunclient==$ZUNCLIENT_VERSION" gunicorn PyMySQL >&2
    installed || { echo "install-heat: install in $VENV does not import" >&2; exit 1; }
fi
echo "$VENV"
