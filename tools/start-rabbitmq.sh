#!/bin/bash
# Start a private RabbitMQ on loopback for zun's tests (idempotent).
#   tools/start-rabbitmq.sh        start (or reuse) and print the transport URL last,
#                                  only once the broker listens; else exit 1 with a message
#   tools/start-rabbitmq.sh stop   stop the node this script started
# Env: RABBIT_DIR (/tmp/zun-rabbitmq), RABBIT_PORT (5672), RABBIT_DIST_PORT (25672),
#      RABBIT_NODE (zun@localhost), RABBIT_USER/RABBIT_PASS (zun/zunpass), RABBIT_VHOST (zun)
set -euo pipefail
D=${RABBIT_DIR:-/tmp/zun-rabbitmq}
PORT=${RABBIT_PORT:-5672}
DIST_PORT=${RABBIT_DIST_PORT:-25672}
NODE=${RABBIT_NODE:-zun@localhost}
USER_=${RABBIT_USER:-zun}
PASS=${RABBIT_PASS:-zunpass}
VHOST=${RABBIT_VHOST:-zun}
URL="rabbit://$USER_:$PASS@127.0.0.1:$PORT/$VHOST"

port_open() { (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
beam_pid() { [ -s "$D/pid" ] && kill -0 "$(cat "$D/pid")" 2>/dev/null && cat "$D/pid"; }
die() { echo "start-rabbitmq: $*" >&2; exit 1; }

# Print the URL once the port opens (bounded); $1: the pid that must stay alive.
wait_listening() {
    local alive=$1
    for _ in $(seq 600); do
        port_open "$PORT" && { echo "$URL"; exit 0; }
        kill -0 "$alive" 2>/dev/null || die "rabbitmq exited during start-up; see $D/startup.log and $D/log"
        sleep 0.1
    done
    die "rabbitmq did not open port $PORT within 60 s; see $D/startup.log and $D/log"
}

if [ "${1:-}" = stop ]; then
    if pid=$(beam_pid); then
        kill -TERM "$pid"
        for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && die "rabbitmq (pid $pid) did not exit within 30 s"
        echo "rabbitmq stopped (pid $pid)"
    else
        echo "rabbitmq: nothing of ours is running"
    fi
    exit 0
fi

[[ $PORT =~ ^[0-9]+$ ]] && (( PORT >= 1 && PORT <= 65535 )) \
    || die "RABBIT_PORT=$PORT is not a TCP port"
if pid=$(beam_pid); then
    # ours, listening already or still booting: never a second node
    wait_listening "$pid"
fi
if port_open "$PORT"; then
    die "port $PORT is taken by another process; set RABBIT_PORT to move zun's RabbitMQ"
fi
if ! command -v rabbitmq-server >/dev/null 2>&1 && [ ! -x /usr/sbin/rabbitmq-server ]; then
    echo "installing rabbitmq-server" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends rabbitmq-server >&2 \
      || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends rabbitmq-server >&2; }
fi

mkdir -p "$D/mnesia" "$D/log"
cat > "$D/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$PORT
loopback_users = none
load_definitions = $D/definitions.json
CONF
cat > "$D/definitions.json" <<JSON
{"vhosts": [{"name": "/"}, {"name": "$VHOST"}],
 "users": [{"name": "$USER_", "password": "$PASS", "tags": "administrator"}],
 "permissions": [{"user": "$USER_", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"},
                 {"user": "$USER_", "vhost": "$VHOST", "configure": ".*", "write": ".*", "read": ".*"}]}
JSON
echo '[].' > "$D/enabled_plugins"
chown -R rabbitmq:rabbitmq "$D"
env RABBITMQ_NODENAME="$NODE" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$PORT" \
    RABBITMQ_DIST_PORT="$DIST_PORT" ERL_EPMD_ADDRESS=127.0.0.1 \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    RABBITMQ_CONFIG_FILE="$D/rabbitmq" RABBITMQ_ENABLED_PLUGINS_FILE="$D/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$D/mnesia" RABBITMQ_LOG_BASE="$D/log" RABBITMQ_PID_FILE="$D/pid" \
    setsid nohup /usr/sbin/rabbitmq-server > "$D/startup.log" 2>&1 < /dev/null &
wait_listening $!
