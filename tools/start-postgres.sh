#!/usr/bin/env bash
# Start (or reuse) a private PostgreSQL for zun on 127.0.0.1; `stop` stops it.
# It uses its own initdb directory, never Debian's 15/main cluster.
# The last line of stdout is the SQLAlchemy URL, printed only once the zun
# user can log in over TCP; any failure exits non-zero with a message.
# Env: PG_DIR (/tmp/zun-postgres), PG_PORT (5432), PG_DB, PG_USER, PG_PASS
set -euo pipefail

D=${PG_DIR:-/tmp/zun-postgres}
PORT=${PG_PORT:-5432}
DB=${PG_DB:-zun}
DB_USER=${PG_USER:-zun}
DB_PASS=${PG_PASS:-zunpass}
PIDFILE=$D/data/postmaster.pid

log() { echo "start-postgres: $*" >&2; }
die() { log "$*"; exit 1; }

pg_bin() {
    local b
    for b in /usr/lib/postgresql/*/bin; do
        [[ -x $b/pg_ctl ]] && { echo "$b"; return 0; }
    done
    return 1
}

install_server() {
    pg_bin >/dev/null && return
    log "installing postgresql"
    local made_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        # Keep apt from starting Debian's own cluster.
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        made_policy=1
    fi
    apt-get install -y --no-install-recommends postgresql >&2
    [[ $made_policy == 1 ]] && rm -f /usr/sbin/policy-rc.d
    return 0
}

our_pid() {
    # The postmaster this script started, if it is still alive.
    [[ -s $PIDFILE ]] || return 1
    local pid; pid=$(head -n1 "$PIDFILE")
    kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$D/data" || return 1
    echo "$pid"
}

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

as_pg() { runuser -u postgres -- "$@"; }

stop() {
    local pid
    if pid=$(our_pid); then
        as_pg "$(pg_bin)/pg_ctl" -D "$D/data" -m fast -w -t 60 stop >&2 \
            || die "server (pid $pid) did not stop within 60 s"
        log "stopped pid $pid"
    else
        log "no server of ours is running in $D"
    fi
}

start() {
    [[ $PORT =~ ^[0-9]+$ ]] && (( PORT >= 1 && PORT <= 65535 )) \
        || die "PG_PORT=$PORT is not a TCP port"
    install_server
    local B; B=$(pg_bin)
    mkdir -p "$D"
    chown postgres:postgres "$D"
    if our_pid >/dev/null; then
        log "reusing the running server in $D"
        # the URL must name the port the server really listens on
        PORT=$(sed -n 4p "$PIDFILE")
    else
        if port_taken "$PORT"; then
            log "127.0.0.1:$PORT is already in use by another process; set PG_PORT to a free port"
            exit 1
        fi
        if [[ ! -f $D/data/PG_VERSION ]]; then
            as_pg "$B/initdb" -D "$D/data" -U postgres -E UTF8 --locale=C.UTF-8 \
                --auth-local=trust --auth-host=scram-sha-256 >"$D/initdb.log" 2>&1 \
                || die "initdb failed; see $D/initdb.log"
        fi
        # fsync=off: this server holds test data only.
        as_pg "$B/pg_ctl" -D "$D/data" -l "$D/server.log" -w \
            -o "-c listen_addresses=127.0.0.1 -p $PORT -k $D -c max_connections=200 -c fsync=off" \
            -t 60 start >&2 || die "server did not start within 60 s; see $D/server.log"
        log "server started (pid $(head -n1 "$PIDFILE"), port $PORT)"
    fi
    local psql=("$B/psql" -h "$D" -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qtA)
    local found
    # (a failed query must stop here: inside [[ ]] its status would be lost)
    found=$(as_pg "${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname='$DB_USER'")
    if [[ -z $found ]]; then
        as_pg "${psql[@]}" -c "CREATE ROLE \"$DB_USER\" LOGIN CREATEDB PASSWORD '$DB_PASS'" >&2
    fi
    found=$(as_pg "${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname='$DB'")
    if [[ -z $found ]]; then
        as_pg "${psql[@]}" -c "CREATE DATABASE \"$DB\" OWNER \"$DB_USER\"" >&2
    fi
    # what the tests will do: log in as the zun user over TCP
    PGPASSWORD=$DB_PASS "$B/psql" -h 127.0.0.1 -p "$PORT" -U "$DB_USER" -d "$DB" \
        -v ON_ERROR_STOP=1 -qtA -c 'SELECT 1' >/dev/null \
        || die "user $DB_USER cannot reach database $DB on 127.0.0.1:$PORT"
    echo "postgresql+psycopg2://$DB_USER:$DB_PASS@127.0.0.1:$PORT/$DB"
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac
