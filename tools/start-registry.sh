#!/bin/bash
# A private image registry (Debian's docker-registry, distribution v2) on
# loopback for zun's tests (idempotent).
#   tools/start-registry.sh        start (or reuse) and print host:port last, only
#                                  once /v2/ answers; else exit 1 with a message
#   tools/start-registry.sh stop   stop the registry this script started
#   tools/start-registry.sh auth [start|stop]
#                                  the same for a second registry, with
#                                  htpasswd authentication (basic auth, bcrypt
#                                  entries) and one fixed test account; it
#                                  prints user:password@host:port last
# Env: REGISTRY_DIR (/tmp/zun-registry), REGISTRY_PORT (15500); for auth:
# REGISTRY_AUTH_DIR (/tmp/zun-registry-auth), REGISTRY_AUTH_PORT (15501).
#
# Plain HTTP: the Docker engine treats loopback registries as insecure
# registries of its own accord, so no TLS is needed to push or pull (and
# the engine sends basic-auth credentials to an insecure registry too).
# The bcrypt entry comes from htpasswd (apache2-utils) when installed, else
# from Python's bcrypt (the test extra of setup.cfg, in .venv).
set -euo pipefail
AUTH=0
if [ "${1:-}" = auth ]; then AUTH=1; shift; fi
if [ $AUTH = 1 ]; then
    D=${REGISTRY_AUTH_DIR:-/tmp/zun-registry-auth}
    PORT=${REGISTRY_AUTH_PORT:-15501}
else
    D=${REGISTRY_DIR:-/tmp/zun-registry}
    PORT=${REGISTRY_PORT:-15500}
fi
# the test account of the auth registry (a test fixture, not a secret)
AUTH_USER=zuntest
AUTH_PASSWORD=zun-Registry-Pw-4f1c
ADDR="127.0.0.1:$PORT"
PIDFILE="$D/pid"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "start-registry: $*" >&2; exit 1; }
log() { echo "start-registry: $*" >&2; }
port_open() { (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
# any answer of the registry's API (401 from the auth registry) will do
answers() { curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://$ADDR/v2/" | grep -q '^[24]'; }
# what start prints last: host:port, or user:password@host:port for auth
say_url() { if [ $AUTH = 1 ]; then echo "$AUTH_USER:$AUTH_PASSWORD@$ADDR"; else echo "$ADDR"; fi; }

# pid of the registry this script started, if it is still that process
our_pid() {
    [ -s "$PIDFILE" ] || return 1
    local pid; pid=$(cat "$PIDFILE")
    kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$D/config.yml" || return 1
    echo "$pid"
}

# The port our running registry listens on (from its config file).
our_port() { sed -n 's/^  addr: 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$D/config.yml"; }

# Print host:port once /v2/ answers (bounded); $1: the pid that must stay alive.
wait_listening() {
    local alive=$1
    for _ in $(seq 300); do
        answers && { say_url; exit 0; }
        kill -0 "$alive" 2>/dev/null || die "the registry exited during start-up; see $D/registry.log"
        sleep 0.1
    done
    die "the registry did not answer on $ADDR within 30 s; see $D/registry.log"
}

# The htpasswd file of the auth registry: one bcrypt entry (the registry
# accepts bcrypt only).
write_htpasswd() {
    local entry py=python3
    [ -x "$HERE/../.venv/bin/python" ] && py="$HERE/../.venv/bin/python"
    if command -v htpasswd >/dev/null 2>&1; then
        entry=$(htpasswd -nbB "$AUTH_USER" "$AUTH_PASSWORD")
    else
        entry=$(ZUN_U="$AUTH_USER" ZUN_P="$AUTH_PASSWORD" "$py" -c '
import os, bcrypt
print("%s:%s" % (os.environ["ZUN_U"], bcrypt.hashpw(
    os.environ["ZUN_P"].encode(), bcrypt.gensalt()).decode()))') \
            || die "neither htpasswd nor Python's bcrypt ($py) is available: pip install bcrypt"
    fi
    printf '%s\n' "$entry" > "$D/htpasswd"
}

# The authentication block of the config: htpasswd for the auth registry.
auth_config() {
    [ $AUTH = 1 ] || return 0
    printf 'auth:\n  htpasswd:\n    realm: zun-test-registry\n    path: %s\n' "$D/htpasswd"
}

write_config() {
    mkdir -p "$D/data"
    [ $AUTH = 1 ] && write_htpasswd
    cat > "$D/config.yml.new" <<CONF
version: 0.1
log:
  level: info
  fields:
    service: zun-test-registry
storage:
  filesystem:
    rootdirectory: $D/data
  delete:
    enabled: true
http:
  addr: $ADDR
  headers:
    X-Content-Type-Options: [nosniff]
$(auth_config)
CONF
    mv "$D/config.yml.new" "$D/config.yml"
}

if [ "${1:-start}" = stop ]; then
    if pid=$(our_pid); then
        kill -TERM "$pid"
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && die "the registry (pid $pid) did not exit within 10 s"
        echo "registry stopped (pid $pid)"
    else
        echo "registry: nothing of ours is running"
    fi
    exit 0
fi
[ "${1:-start}" = start ] || { echo "usage: $0 [auth] [start|stop]" >&2; exit 2; }

[[ $PORT =~ ^[0-9]+$ ]] && (( PORT >= 1 && PORT <= 65535 )) \
    || die "REGISTRY_PORT=$PORT is not a TCP port"
if pid=$(our_pid); then
    # ours: report the port it really listens on, never start a second one
    PORT=$(our_port); ADDR="127.0.0.1:$PORT"
    log "reusing the running registry (pid $pid)"
    wait_listening "$pid"
fi
if port_open "$PORT"; then
    die "port $PORT is taken by another process; set REGISTRY_PORT (REGISTRY_AUTH_PORT for auth) to move zun's registry"
fi
if ! command -v docker-registry >/dev/null 2>&1; then
    log "installing docker-registry"
    made_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        # keep apt from starting Debian's own service on :5000
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        made_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker-registry >&2 \
      || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker-registry >&2; } \
      || { [ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d; die "cannot install docker-registry"; }
    [ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
fi
command -v docker-registry >/dev/null 2>&1 || die "docker-registry is not installed"
command -v curl >/dev/null 2>&1 || die "curl is needed to check the registry answers"

write_config
setsid nohup docker-registry serve "$D/config.yml" > "$D/registry.log" 2>&1 < /dev/null &
echo $! > "$PIDFILE"
wait_listening "$(cat "$PIDFILE")"
