#!/bin/bash
# A private Keystone on loopback for zun's tests (idempotent; run as root).
#   tools/start-keystone.sh [start]          install/start/reuse; last stdout line: the auth URL
#   tools/start-keystone.sh stop             stop the gunicorn this script started (pid file)
#   tools/start-keystone.sh set-endpoint URL repoint the 'container' endpoints (no restart)
# Env: KEYSTONE_DIR (/tmp/zun-keystone), KEYSTONE_VENV ($KEYSTONE_DIR/venv), KEYSTONE_PORT (15000),
#      KEYSTONE_PIP_SPEC ('keystone>=30,<31'), KEYSTONE_PYTHON (python3), KEYSTONE_THREADS (8),
#      ZUN_ENDPOINT (http://127.0.0.1:9517/v1)
# Accounts (domain Default; written with ids to $KEYSTONE_DIR/accounts.json):
#   admin/adminpass (project admin, role admin), demo/demopass (demo, member),
#   alt_demo/altpass (alt_demo, member), demo_reader/readerpass (demo, reader),
#   zun/zunpass (service, admin + service); admin also holds admin on the system
#   (a system-scoped token: `system_scope='all'`).
set -euo pipefail

D=${KEYSTONE_DIR:-/tmp/zun-keystone}
VENV=${KEYSTONE_VENV:-$D/venv}
PORT=${KEYSTONE_PORT:-15000}
PIP_SPEC=${KEYSTONE_PIP_SPEC:-keystone>=30,<31}
PYTHON=${KEYSTONE_PYTHON:-python3}
THREADS=${KEYSTONE_THREADS:-8}
# An explicit ZUN_ENDPOINT repoints existing endpoints; the default only fills in
# missing ones, so re-running `start` never yanks the catalog from a test deployment.
ZUN_ENDPOINT_GIVEN=${ZUN_ENDPOINT:+1}
ZUN_ENDPOINT=${ZUN_ENDPOINT:-http://127.0.0.1:9517/v1}
AUTH_URL="http://127.0.0.1:$PORT/v3"
PIDFILE="$D/gunicorn.pid"
CONF="$D/keystone.conf"
# The DB is only trusted once bootstrap finished; a half-made DB is redone.
BOOTSTRAPPED="$D/.bootstrapped"

log() { echo "start-keystone: $*" >&2; }
port_open() { (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
answers() { curl -sf -o /dev/null --max-time 2 "$AUTH_URL"; }

# pid of the gunicorn master this script started, if it is still that process
our_pid() {
    local pid
    [ -s "$PIDFILE" ] || return 1
    pid=$(cat "$PIDFILE")
    kill -0 "$pid" 2>/dev/null || return 1
    grep -qa keystone_wsgi "/proc/$pid/cmdline" 2>/dev/null || return 1
    echo "$pid"
}

ensure_venv() {
    if [ -x "$VENV/bin/keystone-manage" ] && [ -x "$VENV/bin/gunicorn" ] \
        && "$VENV/bin/python" -c 'import keystone, keystoneauth1' 2>/dev/null; then
        return 0
    fi
    log "installing $PIP_SPEC and gunicorn into $VENV (about a minute)"
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "$PIP_SPEC" gunicorn >&2
}

write_conf() {
    mkdir -p "$D"
    cat > "$CONF.new" <<CONF
[DEFAULT]
debug = false
[database]
connection = sqlite:///$D/keystone.db
[token]
provider = fernet
[fernet_tokens]
key_repository = $D/fernet-keys
[fernet_receipts]
key_repository = $D/fernet-keys
[credential]
key_repository = $D/credential-keys
[cache]
enabled = true
backend = dogpile.cache.memory
[identity]
password_hash_rounds = 4
CONF
    mv "$CONF.new" "$CONF"
    # keystone parses sys.argv at import: gunicorn's own argv would kill every worker
    printf 'import sys\nsys.argv = sys.argv[:1]\nfrom keystone.wsgi.api import application  # noqa\n' \
        > "$D/keystone_wsgi.py"
}

ensure_db() {
    [ -f "$BOOTSTRAPPED" ] && [ -s "$D/keystone.db" ] && return 0
    km() {
        "$VENV/bin/keystone-manage" --config-file "$CONF" "$@" >>"$D/keystone-manage.log" 2>&1 \
            || { log "keystone-manage $1 failed; see $D/keystone-manage.log"; exit 1; }
    }
    log "creating the Keystone DB, keys and admin account (log $D/keystone-manage.log)"
    rm -rf "$D/keystone.db" "$D/fernet-keys" "$D/credential-keys"
    km db_sync
    km fernet_setup --keystone-user root --keystone-group root
    km credential_setup --keystone-user root --keystone-group root
    km bootstrap --bootstrap-password adminpass --bootstrap-username admin \
        --bootstrap-project-name admin --bootstrap-role-name admin \
        --bootstrap-service-name keystone --bootstrap-region-id RegionOne \
        --bootstrap-admin-url "$AUTH_URL" --bootstrap-internal-url "$AUTH_URL" \
        --bootstrap-public-url "$AUTH_URL"
    touch "$BOOTSTRAPPED"
}

refuse_foreign_port() {
    if ! our_pid >/dev/null && port_open "$PORT"; then
        log "port $PORT is taken by a process that is not ours; set KEYSTONE_PORT to move zun's Keystone"
        exit 1
    fi
}

ensure_running() {
    local pid launched=""
    refuse_foreign_port
    if pid=$(our_pid); then
        answers && return 0
        log "our gunicorn (pid $pid) is up but does not answer yet; waiting"
    else
        local opts=(--chdir "$D" -b "127.0.0.1:$PORT" -w 1 --threads "$THREADS" --pid "$PIDFILE"
                    --timeout 120)
        # gunicorn >= 23 otherwise shares ~/.gunicorn/gunicorn.ctl with every root gunicorn
        if "$VENV/bin/gunicorn" --help 2>/dev/null | grep -q -- --no-control-socket; then
            opts+=(--no-control-socket)
        fi
        rm -f "$PIDFILE"
        OS_KEYSTONE_CONFIG_DIR="$D" OS_KEYSTONE_CONFIG_FILES=keystone.conf \
            setsid nohup "$VENV/bin/gunicorn" "${opts[@]}" keystone_wsgi:application \
            >>"$D/gunicorn.log" 2>&1 </dev/null &
        launched=$!
        log "gunicorn started (pid $launched), log $D/gunicorn.log"
    fi
    for _ in $(seq 1200); do
        answers && our_pid >/dev/null && return 0
        if [ -n "$launched" ] && ! kill -0 "$launched" 2>/dev/null; then
            log "gunicorn exited; last lines of $D/gunicorn.log:"
            tail -n 30 "$D/gunicorn.log" >&2
            exit 1
        fi
        sleep 0.1
    done
    log "Keystone did not answer $AUTH_URL within 120 s; see $D/gunicorn.log"
    exit 1
}

# Make the accounts, roles, catalog and accounts.json true (REST API, admin token).
# Arg: "all" or "endpoint".
register() {
    MODE="$1" AUTH_URL="$AUTH_URL" ZUN_ENDPOINT="$ZUN_ENDPOINT" ACCOUNTS="$D/accounts.json" \
        REPOINT="${ZUN_ENDPOINT_GIVEN:-}" \
        "$VENV/bin/python" - <<'PY'
import json, os, sys
from keystoneauth1 import exceptions, session
from keystoneauth1.identity import v3

AUTH_URL = os.environ["AUTH_URL"]
REGION = "RegionOne"
DOMAIN = "default"
# username -> (password, project, roles); one place for the test accounts
ACCOUNTS = {
    "admin": ("adminpass", "admin", ["admin"]),
    "demo": ("demopass", "demo", ["member"]),
    "alt_demo": ("altpass", "alt_demo", ["member"]),
    "demo_reader": ("readerpass", "demo", ["reader"]),
    "zun": ("zunpass", "service", ["admin", "service"]),
}
ROLES = ["admin", "member", "reader", "service"]
# username -> roles on the system ("all"): who may get a system-scoped token
SYSTEM_ROLES = {"admin": ["admin"]}


def password_session(user, password, project):
    auth = v3.Password(auth_url=AUTH_URL, username=user, password=password,
                       project_name=project, user_domain_id=DOMAIN,
                       project_domain_id=DOMAIN)
    return session.Session(auth=auth)


admin = password_session("admin", ACCOUNTS["admin"][0], "admin")


def call(method, path, body=None, ok=(200, 201, 204)):
    resp = admin.request(AUTH_URL + path, method, json=body, raise_exc=False)
    if resp.status_code not in ok:
        sys.exit("keystone %s %s -> %s %s" % (method, path, resp.status_code, resp.text))
    return resp.json() if resp.content else {}


def find(collection, **filters):
    query = "&".join("%s=%s" % kv for kv in filters.items())
    items = call("GET", "/%s?%s" % (collection, query))[collection]
    return items[0] if items else None


def ensure(collection, key, body, **filters):
    found = find(collection, **filters)
    return found or call("POST", "/" + collection, {key: body})[key]


def ensure_endpoints(service_id, url, repoint=True):
    # one endpoint per interface in our region, pointing at url (if repoint)
    for iface in ("public", "internal", "admin"):
        eps = call("GET", "/endpoints?service_id=%s&interface=%s" % (service_id, iface))["endpoints"]
        eps = [e for e in eps if e.get("region_id") == REGION]
        for extra in eps[1:]:
            call("DELETE", "/endpoints/" + extra["id"])
        if not eps:
            call("POST", "/endpoints", {"endpoint": {
                "service_id": service_id, "interface": iface, "url": url,
                "region_id": REGION, "enabled": True}})
        elif repoint and eps[0]["url"] != url:
            call("PATCH", "/endpoints/" + eps[0]["id"], {"endpoint": {"url": url}})


zun_service = ensure("services", "service", {"type": "container", "name": "zun",
                                              "description": "Containers", "enabled": True},
                     type="container")
ensure_endpoints(zun_service["id"], os.environ["ZUN_ENDPOINT"],
                 repoint=bool(os.environ["REPOINT"]))
if os.environ["MODE"] == "endpoint":
    sys.exit(0)

# the bootstrap's identity endpoints follow KEYSTONE_PORT if it moved
identity = find("services", type="identity")
if identity:
    ensure_endpoints(identity["id"], AUTH_URL)

roles = {name: ensure("roles", "role", {"name": name}, name=name) for name in ROLES}
out = {"auth_url": AUTH_URL, "region_name": REGION, "user_domain_name": "Default",
       "project_domain_name": "Default", "accounts": {}}
for user, (password, project_name, role_names) in ACCOUNTS.items():
    project = ensure("projects", "project", {"name": project_name, "domain_id": DOMAIN,
                                             "enabled": True},
                     name=project_name, domain_id=DOMAIN)
    found = find("users", name=user, domain_id=DOMAIN)
    if not found:
        found = call("POST", "/users", {"user": {
            "name": user, "password": password, "domain_id": DOMAIN,
            "default_project_id": project["id"], "enabled": True}})["user"]
    for role in role_names:
        call("PUT", "/projects/%s/users/%s/roles/%s" % (project["id"], found["id"],
                                                       roles[role]["id"]))
    for role in SYSTEM_ROLES.get(user, []):
        call("PUT", "/system/users/%s/roles/%s" % (found["id"], roles[role]["id"]))
    try:  # a leftover user with another password would break every test
        password_session(user, password, project_name).get_token()
    except exceptions.Unauthorized:
        call("PATCH", "/users/" + found["id"], {"user": {"password": password}})
        password_session(user, password, project_name).get_token()
    out["accounts"][user] = {"username": user, "password": password, "user_id": found["id"],
                             "project_name": project_name, "project_id": project["id"],
                             "roles": role_names,
                             "system_roles": SYSTEM_ROLES.get(user, [])}
tmp = os.environ["ACCOUNTS"] + ".new"
with open(tmp, "w") as fh:
    json.dump(out, fh, indent=2, sort_keys=True)
os.replace(tmp, os.environ["ACCOUNTS"])
PY
}

case "${1:-start}" in
start)
    refuse_foreign_port
    ensure_venv
    write_conf
    # a running Keystone of ours keeps its DB; never recreate it under it
    our_pid >/dev/null || ensure_db
    ensure_running
    register all
    log "accounts: $D/accounts.json; stop: $0 stop"
    echo "$AUTH_URL"
    ;;
stop)
    if pid=$(our_pid); then
        kill -TERM "$pid"
        for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            log "gunicorn (pid $pid) did not exit within 30 s"
            exit 1
        fi
        echo "keystone stopped (pid $pid)"
    else
        echo "keystone: nothing of ours is running"
    fi
    ;;
set-endpoint)
    [ -n "${2:-}" ] || { log "usage: $0 set-endpoint URL"; exit 2; }
    answers || { log "Keystone does not answer $AUTH_URL; run $0 start first"; exit 1; }
    ZUN_ENDPOINT="$2" ZUN_ENDPOINT_GIVEN=1
    register endpoint
    echo "$ZUN_ENDPOINT"
    ;;
*)
    log "usage: $0 [start|stop|set-endpoint URL]"
    exit 2
    ;;
esac
