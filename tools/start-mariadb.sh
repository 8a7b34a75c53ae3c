#!/usr/bin/env bash
# Start (or reuse) a private MariaDB for zun on 127.0.0.1; `stop` stops it.
# State lives in $MARIADB_DIR so it never touches Debian's /etc/mysql setup.
# The last line of stdout is the SQLAlchemy URL, printed only once the zun
# user can log in over TCP; any failure exits non-zero with a message.
# Env: MARIADB_DIR (/tmp/zun-mariadb), MARIADB_PORT (3306), MARIADB_DB,
#      MARIADB_USER, MARIADB_PASS (zun/zun/zunpass)
set -euo pipefail

D=${MARIADB_DIR:-/tmp/zun-mariadb}
PORT=${MARIADB_PORT:-3306}
DB=${MARIADB_DB:-zun}
DB_USER=${MARIADB_USER:-zun}
DB_PASS=${MARIADB_PASS:-zunpass}
SOCK=$D/mysqld.sock
PIDFILE=$D/pid

log() { echo "start-mariadb: $*" >&2; }
die() { log "$*"; exit 1; }

our_pid() {
    # The pid of the server this script started, if it is still alive.
    [[ -s $PIDFILE ]] || return 1
    local pid; pid=$(cat "$PIDFILE")
    kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "--datadir=$D/data" || return 1
    echo "$pid"
}

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

stop() {
    local pid
    if pid=$(our_pid); then
        kill -TERM "$pid"
        for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && die "server (pid $pid) did not exit within 60 s"
        log "stopped pid $pid"
    else
        log "no server of ours is running in $D"
    fi
}

install_server() {
    command -v mariadbd >/dev/null && return
    log "installing mariadb-server"
    local made_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        # Keep apt from starting Debian's own service.
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        made_policy=1
    fi
    apt-get install -y --no-install-recommends mariadb-server mariadb-client >&2
    [[ $made_policy == 1 ]] && rm -f /usr/sbin/policy-rc.d
    return 0
}

root_sql() { mariadb --no-defaults --socket="$SOCK" -uroot "$@"; }

start() {
    [[ $PORT =~ ^[0-9]+$ ]] && (( PORT >= 1 && PORT <= 65535 )) \
        || die "MARIADB_PORT=$PORT is not a TCP port"
    install_server
    mkdir -p "$D"
    if our_pid >/dev/null; then
        # the URL must name the port the server really listens on
        PORT=$(root_sql -N -B -e 'SELECT @@port') || die "the running server in $D does not answer"
        log "reusing the running server in $D (port $PORT)"
    else
        if port_taken "$PORT"; then
            log "127.0.0.1:$PORT is already in use by another process; set MARIADB_PORT to a free port"
            exit 1
        fi
        if [[ ! -d $D/data/mysql ]]; then
            mariadb-install-db --no-defaults --user=mysql --datadir="$D/data" \
                --auth-root-authentication-method=socket --skip-test-db >"$D/install.log" 2>&1
        fi
        chown -R mysql:mysql "$D"
        # utf8mb4: with --no-defaults the server would default to latin1.
        setsid nohup mariadbd --no-defaults --user=mysql --datadir="$D/data" \
            --bind-address=127.0.0.1 --port="$PORT" --socket="$SOCK" \
            --pid-file="$PIDFILE" --log-error="$D/error.log" \
            --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
            --skip-name-resolve --innodb-buffer-pool-size=128M --max-connections=500 \
            >/dev/null 2>&1 </dev/null &
        local launched=$! tries=0
        until mariadb-admin --no-defaults --socket="$SOCK" -uroot ping >/dev/null 2>&1; do
            kill -0 "$launched" 2>/dev/null \
                || die "mariadbd exited during start-up; see $D/error.log"
            tries=$((tries + 1))
            (( tries <= 600 )) || die "server did not answer within 60 s; see $D/error.log"
            sleep 0.1
        done
        log "server started (pid $(cat "$PIDFILE"), port $PORT)"
    fi
    # '%' is safe: the server listens on 127.0.0.1 only, and with
    # --skip-name-resolve a 'localhost' user would not match TCP clients.
    root_sql <<SQL
CREATE DATABASE IF NOT EXISTS \`$DB\` CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS '$DB_USER'@'%' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON \`$DB\`.* TO '$DB_USER'@'%';
FLUSH PRIVILEGES;
SQL
    # what the tests will do: log in as the zun user over TCP
    MYSQL_PWD=$DB_PASS mariadb --no-defaults --protocol=tcp -h 127.0.0.1 -P "$PORT" \
        -u"$DB_USER" -N -B -e 'SELECT 1' "$DB" >/dev/null \
        || die "user $DB_USER cannot reach database $DB on 127.0.0.1:$PORT"
    echo "mysql+pymysql://$DB_USER:$DB_PASS@127.0.0.1:$PORT/$DB?charset=utf8mb4"
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac
