#!/bin/bash
# A private image registry (Debian's docker-registry, distribution v2) on
# loopback for zun's tests (idempotent).
#   tools/start-registry.sh        start (or reuse) and print host:port last, only
#                                  once /v2/ answers; else exit 1 with a message
#   tools/start-registry.sh stop   stop the registry this script started
# Env: REGISTRY_DIR (/tmp/zun-registry), REGISTRY_PORT (15500)
#
# Plain HTTP: the Docker engine treats loopback registries as insecure
# registries of its own accord, so no TLS is needed to push or pull.
# No authentication yet: auth_config below is the one place an htpasswd
# block goes (the registry reads it from the same config file).
set -euo pipefail
D=${REGISTRY_DIR:-/tmp/zun-registry}
PORT=${REGISTRY_PORT:-15500}
ADDR="127.0.0.1:$PORT"
PIDFILE="$D/pid"

die() { echo "start-registry: $*" >&2; exit 1; }
log() { echo "start-registry: $*" >&2; }
port_open() { (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
answers() { curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://$ADDR/v2/" | grep -q '^[24]'; }

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
        answers && { echo "$ADDR"; exit 0; }
        kill -0 "$alive" 2>/dev/null || die "the registry exited during start-up; see $D/registry.log"
        sleep 0.1
    done
    die "the registry did not answer on $ADDR within 30 s; see $D/registry.log"
}

# The authentication block of the config (none in this round). A later
# htpasswd setup prints "auth:\n  htpasswd:\n    realm: ...\n    path: ..." here.
auth_config() { :; }

write_config() {
    mkdir -p "$D/data"
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
[ "${1:-start}" = start ] || { echo "usage: $0 [start|stop]" >&2; exit 2; }

[[ $PORT =~ ^[0-9]+$ ]] && (( PORT >= 1 && PORT <= 65535 )) \
    || die "REGISTRY_PORT=$PORT is not a TCP port"
if pid=$(our_pid); then
    # ours: report the port it really listens on, never start a second one
    PORT=$(our_port); ADDR="127.0.0.1:$PORT"
    log "reusing the running registry (pid $pid)"
    wait_listening "$pid"
fi
if port_open "$PORT"; then
    die "port $PORT is taken by another process; set REGISTRY_PORT to move zun's registry"
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
