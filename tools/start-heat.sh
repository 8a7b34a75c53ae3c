#!/bin/bash
# A private Heat (heat-api + heat-engine) on loopback for zun's tests (idempotent; run as root).
#   tools/start-heat.sh [start]   install/start/reuse; last stdout line: the heat-api base URL
#   tools/start-heat.sh stop      stop heat-api, heat-engine and Heat's MariaDB (pid files only)
#
# What it uses, all started or reused through their own scripts:
#   * a MariaDB of its own (tools/start-mariadb.sh with MARIADB_DIR=$HEAT_DIR/mariadb, port 3307):
#     Heat's convergence engine stalls on SQLite, and a private instance keeps Heat's DB out of
#     the way of zun's DB tests (which reuse, and `make stop-test-servers` stops, zun's instance);
#   * zun's RabbitMQ (tools/start-rabbitmq.sh) on its default vhost "/", not zun's vhost;
#   * zun's Keystone (tools/start-keystone.sh), where it registers user heat (admin on project
#     service), roles heat_stack_owner/heat_stack_user (demo and alt_demo get the owner role),
#     the orchestration service and endpoints, and domain heat with user heat_domain_admin.
#     The 'container' endpoints are never touched: a zun test deployment owns them.
# Env: HEAT_DIR (/tmp/zun-heat), HEAT_VENV ($HEAT_DIR/venv), HEAT_PORT (18004),
#      HEAT_DB_PORT (3307), KEYSTONE_PORT (15000), HEAT_ACTION_RETRY_LIMIT (2; Heat's default 5
#      backs off 2+4+8+16+32 s, so a failing create took 81 s instead of ~12)
set -euo pipefail

TOOLS=$(cd "$(dirname "$0")" && pwd)
D=${HEAT_DIR:-/tmp/zun-heat}
VENV=${HEAT_VENV:-$D/venv}
PORT=${HEAT_PORT:-18004}
DB_PORT=${HEAT_DB_PORT:-3307}
RETRY_LIMIT=${HEAT_ACTION_RETRY_LIMIT:-2}
AUTH_URL="http://127.0.0.1:${KEYSTONE_PORT:-15000}/v3"
API_URL="http://127.0.0.1:$PORT"
CONF="$D/heat.conf"
API_PID="$D/heat-api.pid"
ENGINE_PID="$D/heat-engine.pid"
# service passwords of this private lab, like the Keystone accounts'
HEAT_PASS=heatpass
DOMAIN_ADMIN_PASS=heatdomainpass
DB_PASS=heatdbpass
# startup_sanity_check refuses any length but 32
AUTH_KEY=zun-heat-test-key-0123456789abcd

LAUNCHED_api="" LAUNCHED_engine=""

log() { echo "start-heat: $*" >&2; }
port_open() { (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
# heat-api answers its version document (300) without a token
api_answers() {
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$API_URL/") || return 1
    [ "$code" = 300 ] || [ "$code" = 200 ]
}

# pid from a pid file if that process is still the one we started (cmdline holds $2)
live_pid() {
    local pid
    [ -s "$1" ] || return 1
    pid=$(cat "$1")
    kill -0 "$pid" 2>/dev/null || return 1
    grep -qa -- "$2" "/proc/$pid/cmdline" 2>/dev/null || return 1
    echo "$pid"
}
api_pid() { live_pid "$API_PID" heat_wsgi; }
engine_pid() { live_pid "$ENGINE_PID" heat-engine; }

stop_pid() {
    local pid=$1 what=$2
    kill -TERM "$pid"
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        log "$what (pid $pid) ignored SIGTERM for 30 s; SIGKILL"
        kill -KILL "$pid"
    fi
    log "$what stopped (pid $pid)"
}

refuse_foreign_port() {
    if ! api_pid >/dev/null && port_open "$PORT"; then
        log "port $PORT is taken by a process that is not ours; set HEAT_PORT to move zun's Heat"
        exit 1
    fi
}

# A URL of one of our helper scripts: its last stdout line; its log on failure.
helper_url() {
    local out
    if ! out=$("$@" 2>"$D/$(basename "${!#}").err"); then
        log "$* failed:"; tail -n 20 "$D/$(basename "${!#}").err" >&2; exit 1
    fi
    out=$(tail -n 1 <<<"$out")
    [ -n "$out" ] || { log "$* printed no URL"; exit 1; }
    echo "$out"
}

ensure_keystone() {
    curl -sf -o /dev/null --max-time 3 "$AUTH_URL" && [ -s "${KEYSTONE_DIR:-/tmp/zun-keystone}/accounts.json" ] \
        && return 0
    log "Keystone does not answer $AUTH_URL; starting it (tools/start-keystone.sh)"
    # without ZUN_ENDPOINT the script never repoints the 'container' endpoints
    env -u ZUN_ENDPOINT "$TOOLS/start-keystone.sh" >/dev/null 2>"$D/start-keystone.err" || {
        log "tools/start-keystone.sh failed:"; tail -n 20 "$D/start-keystone.err" >&2; exit 1; }
}

# Users, roles, domain and catalog entries Heat needs (REST, admin token). Idempotent.
register() {
    AUTH_URL="$AUTH_URL" ORCH_URL="$API_URL/v1/%(tenant_id)s" HEAT_PASS="$HEAT_PASS" \
        DOMAIN_ADMIN_PASS="$DOMAIN_ADMIN_PASS" "$VENV/bin/python" - <<'PY'
import os, sys
from keystoneauth1 import exceptions, session
from keystoneauth1.identity import v3

AUTH_URL = os.environ["AUTH_URL"]
REGION = "RegionOne"
admin = session.Session(auth=v3.Password(
    auth_url=AUTH_URL, username="admin", password="adminpass", project_name="admin",
    user_domain_id="default", project_domain_id="default"))


def call(method, path, body=None, ok=(200, 201, 204)):
    resp = admin.request(AUTH_URL + path, method, json=body, raise_exc=False)
    if resp.status_code not in ok:
        sys.exit("keystone %s %s -> %s %s" % (method, path, resp.status_code, resp.text))
    return resp.json() if resp.content else {}


def ensure(collection, key, body, **filters):
    query = "&".join("%s=%s" % kv for kv in filters.items())
    found = call("GET", "/%s?%s" % (collection, query))[collection]
    return found[0] if found else call("POST", "/" + collection, {key: body})[key]


def ensure_user(name, password, domain_id, project=None):
    body = {"name": name, "password": password, "domain_id": domain_id, "enabled": True}
    user = ensure("users", "user", body, name=name, domain_id=domain_id)
    try:  # a leftover user with another password would break Heat's start
        session.Session(auth=v3.Password(
            auth_url=AUTH_URL, username=name, password=password, user_domain_id=domain_id,
            **({"project_id": project["id"]} if project else {}))).get_token()
    except exceptions.Unauthorized:
        call("PATCH", "/users/" + user["id"], {"user": {"password": password}})
    return user


roles = {name: ensure("roles", "role", {"name": name}, name=name)
         for name in ("admin", "member", "heat_stack_owner", "heat_stack_user")}
service_project = ensure("projects", "project", {"name": "service", "domain_id": "default"},
                         name="service", domain_id="default")
heat_user = ensure_user("heat", os.environ["HEAT_PASS"], "default")
call("PUT", "/projects/%s/users/%s/roles/%s" % (service_project["id"], heat_user["id"],
                                               roles["admin"]["id"]))
# the stack owner role some Heat policies still look for
for name in ("demo", "alt_demo"):
    for user in call("GET", "/users?name=%s&domain_id=default" % name)["users"]:
        project = call("GET", "/projects?name=%s&domain_id=default" % name)["projects"]
        if project:
            call("PUT", "/projects/%s/users/%s/roles/%s" % (
                project[0]["id"], user["id"], roles["heat_stack_owner"]["id"]))

# the domain for users Heat creates itself (wait conditions, software deployments)
domain = ensure("domains", "domain", {"name": "heat", "enabled": True,
                                      "description": "Owns users and projects created by heat"},
                name="heat")
domain_admin = ensure_user("heat_domain_admin", os.environ["DOMAIN_ADMIN_PASS"], domain["id"])
call("PUT", "/domains/%s/users/%s/roles/%s" % (domain["id"], domain_admin["id"],
                                              roles["admin"]["id"]))

orch = ensure("services", "service", {"type": "orchestration", "name": "heat",
                                      "description": "Orchestration", "enabled": True},
              type="orchestration")
url = os.environ["ORCH_URL"]
for iface in ("public", "internal", "admin"):
    eps = [e for e in call("GET", "/endpoints?service_id=%s&interface=%s"
                                  % (orch["id"], iface))["endpoints"]
           if e.get("region_id") == REGION]
    for extra in eps[1:]:
        call("DELETE", "/endpoints/" + extra["id"])
    if not eps:
        call("POST", "/endpoints", {"endpoint": {"service_id": orch["id"], "interface": iface,
                                                 "url": url, "region_id": REGION,
                                                 "enabled": True}})
    elif eps[0]["url"] != url:
        call("PATCH", "/endpoints/" + eps[0]["id"], {"endpoint": {"url": url}})
PY
}

# heat.conf as it should be, into $CONF.new; the WSGI wrapper next to it
write_conf() {
    local db_url=$1 transport_url=$2
    cat > "$CONF.new" <<CONF
[DEFAULT]
debug = true
host = zun-heat
transport_url = $transport_url
num_engine_workers = 1
auth_encryption_key = $AUTH_KEY
# Heat makes a trust (trustor: the stack's user, trustee: heat) at stack
# create, and with reauthentication through it every later engine call to zun
# carries a trust-scoped token instead of the user's own
deferred_auth_method = trusts
reauthentication_auth_method = trusts
# a failed create is deleted and retried this many times (Heat's default 5, with
# exponential backoff: 81 s to CREATE_FAILED instead of ~12 s with 2)
action_retry_limit = $RETRY_LIMIT
stack_user_domain_name = heat
stack_domain_admin = heat_domain_admin
stack_domain_admin_password = $DOMAIN_ADMIN_PASS
region_name_for_services = RegionOne
# no heat-api-cfn here; placeholders keep the engine from looking them up
heat_metadata_server_url = http://127.0.0.1:$PORT
heat_waitcondition_server_url = http://127.0.0.1:$PORT/v1/waitcondition
[database]
connection = $db_url
[oslo_messaging_notifications]
driver = noop
[keystone_authtoken]
www_authenticate_uri = $AUTH_URL
auth_url = $AUTH_URL
auth_type = password
username = heat
password = $HEAT_PASS
project_name = service
user_domain_name = Default
project_domain_name = Default
region_name = RegionOne
[trustee]
auth_type = password
auth_url = $AUTH_URL
username = heat
password = $HEAT_PASS
user_domain_name = Default
[clients_keystone]
auth_uri = ${AUTH_URL%/v3}
[clients]
endpoint_type = public
[paste_deploy]
api_paste_config = $VENV/etc/heat/api-paste.ini
CONF
    # heat's WSGI app parses sys.argv (oslo.config): gunicorn's own argv would kill each worker
    printf 'import sys\nsys.argv = ["heat-api", "--config-file", %s, "--log-file", %s]\nfrom heat.wsgi.api import application  # noqa\n' \
        "'$CONF'" "'$D/log/heat-api.log'" > "$D/heat_wsgi.py"
}

start_engine() {
    engine_pid >/dev/null && return 0
    rm -f "$ENGINE_PID"
    setsid nohup "$VENV/bin/heat-engine" --config-file "$CONF" --log-file "$D/log/heat-engine.log" \
        >>"$D/heat-engine.out" 2>&1 </dev/null &
    echo $! > "$ENGINE_PID"
    LAUNCHED_engine=$!
    log "heat-engine started (pid $!), log $D/log/heat-engine.log"
}

start_api() {
    api_pid >/dev/null && return 0
    local opts=(--chdir "$D" -b "127.0.0.1:$PORT" -w 1 --threads 4 --pid "$API_PID"
                --timeout 120 --keep-alive 75)
    # gunicorn >= 23 otherwise shares ~/.gunicorn/gunicorn.ctl with every root gunicorn
    if "$VENV/bin/gunicorn" --help 2>/dev/null | grep -q -- --no-control-socket; then
        opts+=(--no-control-socket)
    fi
    rm -f "$API_PID"
    setsid nohup "$VENV/bin/gunicorn" "${opts[@]}" heat_wsgi:application \
        >>"$D/heat-api.out" 2>&1 </dev/null &
    LAUNCHED_api=$!
    log "heat-api (gunicorn) started (pid $!), log $D/log/heat-api.log"
}

# heat-api answers and reaches an engine over RPC (build_info asks the engine its revision)
engine_reachable() {
    AUTH_URL="$AUTH_URL" API_URL="$API_URL" "$VENV/bin/python" - <<'PY' 2>/dev/null
import os, sys
from keystoneauth1 import session
from keystoneauth1.identity import v3
sess = session.Session(auth=v3.Password(
    auth_url=os.environ["AUTH_URL"], username="admin", password="adminpass",
    project_name="admin", user_domain_id="default", project_domain_id="default"))
project = sess.get_project_id()
resp = sess.get("%s/v1/%s/build_info" % (os.environ["API_URL"], project),
                raise_exc=False, timeout=10)
sys.exit(0 if resp.status_code == 200 and "engine" in resp.json() else 1)
PY
}

wait_ready() {
    local what
    for _ in $(seq 240); do   # x 0.5 s
        for what in engine api; do
            # a process we just launched may not have written its pid file yet
            local launched="LAUNCHED_$what"
            if ! "${what}_pid" >/dev/null && ! kill -0 "${!launched:-0}" 2>/dev/null; then
                log "heat-$what exited; last lines of its logs:"
                tail -n 30 "$D/heat-$what.out" "$D/log/heat-$what.log" 2>/dev/null >&2 || true
                exit 1
            fi
        done
        api_answers && engine_reachable && return 0
        sleep 0.5
    done
    log "Heat did not answer $API_URL (API + engine) within 120 s; see $D/log and $D/*.out"
    tail -n 30 "$D/log/heat-engine.log" "$D/log/heat-api.log" >&2 || true
    exit 1
}

start() {
    mkdir -p "$D/log"
    refuse_foreign_port
    "$TOOLS/install-heat.sh" >/dev/null
    local db_url transport_url pid
    db_url=$(helper_url env MARIADB_DIR="$D/mariadb" MARIADB_PORT="$DB_PORT" MARIADB_DB=heat \
             MARIADB_USER=heat MARIADB_PASS="$DB_PASS" "$TOOLS/start-mariadb.sh")
    # the broker's default vhost "/": Heat's RPC stays out of zun's vhost
    transport_url=$(helper_url "$TOOLS/start-rabbitmq.sh")
    transport_url="${transport_url%/*}/"
    ensure_keystone
    register
    write_conf "$db_url" "$transport_url"
    if api_pid >/dev/null && engine_pid >/dev/null && cmp -s "$CONF.new" "$CONF"; then
        rm -f "$CONF.new"
        wait_ready
        log "reusing heat-api (pid $(api_pid)) and heat-engine (pid $(engine_pid))"
        echo "$API_URL"
        return 0
    fi
    # a half-started Heat, or one running an older heat.conf, starts over
    if pid=$(api_pid); then stop_pid "$pid" heat-api; fi
    if pid=$(engine_pid); then stop_pid "$pid" heat-engine; fi
    mv "$CONF.new" "$CONF"
    log "heat-manage db_sync (log $D/db_sync.log)"
    "$VENV/bin/heat-manage" --config-file "$CONF" db_sync >>"$D/db_sync.log" 2>&1 || {
        log "db_sync failed:"; tail -n 20 "$D/db_sync.log" >&2; exit 1; }
    start_engine
    start_api
    wait_ready
    log "stop: $0 stop"
    echo "$API_URL"
}

stop() {
    local pid
    if pid=$(api_pid); then stop_pid "$pid" heat-api; else log "heat-api: nothing of ours runs"; fi
    if pid=$(engine_pid); then stop_pid "$pid" heat-engine; else log "heat-engine: nothing of ours runs"; fi
    MARIADB_DIR="$D/mariadb" MARIADB_PORT="$DB_PORT" "$TOOLS/start-mariadb.sh" stop
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
*) log "usage: $0 [start|stop]"; exit 2 ;;
esac
