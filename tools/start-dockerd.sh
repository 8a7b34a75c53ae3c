#!/usr/bin/env bash
# Make a Docker engine answer for zun's docker driver, starting one if needed.
#
# Usage: start-dockerd.sh         reuse or start an engine; last stdout line is its URL
#        start-dockerd.sh stop    stop the engine this script started (pid file only)
#
# Runs as root. There is no systemd here, so dockerd is started by hand in its
# own session. Only one bridge-mode daemon may run per machine (it owns docker0
# and the DOCKER iptables chains), which is why an answering engine is reused.
set -euo pipefail

SOCK=/var/run/docker.sock
DEFAULT_URL="unix://${SOCK}"
PIDFILE=/var/run/zun-dockerd.pid
LOGFILE=/var/log/zun-dockerd.log
READY_TRIES=600   # x 0.1 s

log() { echo "start-dockerd: $*" >&2; }

# True when the engine at a unix:// or tcp:// URL answers /_ping.
answers() {
    local url=$1
    case "$url" in
        unix://*) curl -sf --max-time 2 --unix-socket "${url#unix://}" http://d/_ping >/dev/null 2>&1 ;;
        tcp://*)  curl -sf --max-time 2 "http://${url#tcp://}/_ping" >/dev/null 2>&1 ;;
        *)        return 1 ;;
    esac
}

our_pid() {
    [[ -f $PIDFILE ]] || return 1
    local pid
    pid=$(cat "$PIDFILE")
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
    # Guard against a recycled pid: it must still be a dockerd.
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == dockerd ]] || return 1
    echo "$pid"
}

stop() {
    local pid
    if ! pid=$(our_pid); then
        log "no dockerd started by this script is running"
        rm -f "$PIDFILE"
        return 0
    fi
    log "stopping dockerd (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || { rm -f "$PIDFILE"; log "stopped"; return 0; }
        sleep 0.1
    done
    log "dockerd (pid $pid) did not exit within 30 s"
    return 1
}

install_engine() {
    command -v dockerd >/dev/null 2>&1 && [[ -x /bin/busybox ]] && return 0
    log "installing docker.io and busybox-static"
    # Services must not be started by apt here; keep any existing policy.
    local made_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        made_policy=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends docker.io busybox-static >&2
    [[ $made_policy == 1 ]] && rm -f /usr/sbin/policy-rc.d
    return 0
}

start() {
    if [[ -n ${DOCKER_HOST:-} ]] && answers "$DOCKER_HOST"; then
        log "reusing engine at $DOCKER_HOST"
        echo "$DOCKER_HOST"
        return 0
    fi
    if answers "$DEFAULT_URL"; then
        log "reusing engine at $DEFAULT_URL"
        echo "$DEFAULT_URL"
        return 0
    fi
    if pid=$(our_pid); then
        log "dockerd (pid $pid) is running but does not answer; see $LOGFILE"
        return 1
    fi
    install_engine
    log "starting dockerd on $SOCK (log: $LOGFILE)"
    rm -f "$PIDFILE"
    setsid nohup dockerd --host "$DEFAULT_URL" --pidfile "$PIDFILE" \
        >>"$LOGFILE" 2>&1 </dev/null &
    local launched=$!
    for _ in $(seq 1 "$READY_TRIES"); do
        if answers "$DEFAULT_URL"; then
            log "engine ready at $DEFAULT_URL"
            echo "$DEFAULT_URL"
            return 0
        fi
        if ! kill -0 "$launched" 2>/dev/null; then
            log "dockerd exited during start-up; last log lines:"
            tail -n 20 "$LOGFILE" >&2 || true
            return 1
        fi
        sleep 0.1
    done
    log "dockerd did not answer within 60 s; see $LOGFILE"
    return 1
}

case "${1:-start}" in
    start) start ;;
    stop)  stop ;;
    *)     echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac
