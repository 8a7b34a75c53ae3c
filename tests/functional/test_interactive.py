"""Interactive consoles end to end: `zun run -i`, `zun attach`, `zun exec -it`
and their `openstack appcontainer` twins, typed into a pseudo-terminal.

The bytes take the production path: the real python-zunclient 5.5.0 CLI
(or websocket-client, the library it uses) -> the console proxy (in
zun-all, or zun-wsproxy beside zun-api) -> the container's agent relay ->
the engine's unix socket. The CLIs authenticate as in test_cli.py (the token
stub and --bypass-url, or --os-auth-type none) and so act in the noauth
project. Every wait is on a condition: a pattern on the terminal, a marker
in the bytes, a state in the API or the engine.
"""
from __future__ import annotations

import concurrent.futures
import datetime
import shutil
import tempfile
import uuid as uuidlib
from typing import Any, Iterator
from urllib import parse

import pytest

from tests.functional import harness
from tests.functional import pty_helpers as pty
from tests.functional.test_cli import NOAUTH_PROJECT, _env, osc_argv, zun_argv, zun_cli
from tests.functional.test_topology import second_engine  # noqa: F401  (a fixture)
from tests.functional.token_stub import TokenStub

SHELL = ["sh"]   # an interactive container's command: a shell on its tty
EVIL = "http://evil.example"


def _name(prefix: str) -> str:
    return "%s-%s" % (prefix, uuidlib.uuid4().hex[:8])


def _cleanup(api: harness.ApiClient, ident: str) -> None:
    api.delete("/v1/containers/%s" % ident, stop="True")


def exec_shells(engine_container: Any) -> int:
    """How many plain `sh` processes run in the container: its own command
    is `sh -c ...` (or `sleep`), so these are the shells of execs."""
    top = engine_container.top()
    column = top["Titles"].index("CMD")
    return sum(1 for row in top["Processes"] if row[column].strip() == "sh")


def attach_url(api: harness.ApiClient, uuid: str) -> str:
    resp = api.get("/v1/containers/%s/attach" % uuid)
    assert resp.status_code == 200, resp.text
    url = resp.json()
    assert url.startswith("ws://") and "token=" in url, url
    return url


def exec_session(api: harness.ApiClient, uuid: str) -> dict:
    resp = api.post("/v1/containers/%s/execute" % uuid, command="sh",
                    interactive="True", run="False")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["exec_id"] and body["proxy_url"].startswith("ws://"), body
    assert body["output"] is None and body["exit_code"] is None, body
    return body


def with_uuid(url: str, uuid: str) -> str:
    """``url`` with its token kept and another container's uuid."""
    parts = parse.urlsplit(url)
    query = dict(parse.parse_qsl(parts.query))
    query["uuid"] = uuid
    return parts._replace(query=parse.urlencode(query)).geturl()


def run_interactive(api: harness.ApiClient, **fields: Any) -> str:
    """An interactive shell container on a tty (as zunclient asks at 1.36+:
    tty follows interactive), Running; its uuid."""
    body = api.run(name=_name(fields.pop("prefix", "sh")), command=SHELL,
                   interactive=True, tty=True, **fields)
    api.wait_status(body["uuid"], "Running")
    return body["uuid"]


# --- the CLIs against both deployments ------------------------------------------
class Cli:
    """The CLIs of one deployment, and an observer in their (noauth) project."""

    def __init__(self, deployment: Any, stub: TokenStub) -> None:
        self.deployment = deployment
        self.stub = stub
        self.http = harness.ApiClient(deployment.url, project=NOAUTH_PROJECT,
                                      user="noauth", roles="admin")
        self.sessions: list[pty.PtySession] = []

    def zun(self, *args: str, rows: int = 24, cols: int = 80) -> pty.PtySession:
        return self._spawn(zun_argv(self.stub, self.deployment.url) + list(args),
                           rows, cols)

    def osc(self, *args: str) -> pty.PtySession:
        return self._spawn(osc_argv(self.deployment.url) + list(args), 24, 80)

    def _spawn(self, argv: list[str], rows: int, cols: int) -> pty.PtySession:
        session = pty.PtySession(argv, _env(), rows=rows, cols=cols)
        self.sessions.append(session)
        return session

    def close(self) -> None:
        for session in self.sessions:
            session.close()


@pytest.fixture(params=["all", "split"])
def cli(request) -> Iterator[Cli]:
    deployment = request.getfixturevalue("zun_%s" % request.param)
    with TokenStub(deployment.url + "/v1") as stub:
        tool = Cli(deployment, stub)
        try:
            yield tool
        finally:
            tool.close()


def test_run_interactive_detach_reattach_and_stop(cli, docker_client):
    """`zun run -i`: typing, resizing, detaching (the container keeps
    running), `zun attach` again, and the session ends with the container."""
    name = _name("run-i")
    try:
        run = cli.zun("run", "-i", "--name", name, harness.IMAGE, *SHELL)
        run.connected()
        run.round_trip("run")
        run.resize_seen(33, 101)
        run.detach()
        run.wait_exit()
        body = cli.http.show(name)
        assert body["status"] == "Running" and body["interactive"] is True, body
        assert docker_client.containers.get("zun-%s" % body["uuid"]).status == "running"

        attach = cli.zun("attach", name)
        attach.connected()
        attach.round_trip("reattached")
        resp = cli.http.post("/v1/containers/%s/stop" % body["uuid"], timeout="1")
        assert resp.status_code == 202, resp.text
        attach.wait_exit()        # the proxy closes the socket once the tty ends
        cli.http.wait_status(body["uuid"], "Stopped")
    finally:
        _cleanup(cli.http, name)


def test_exec_interactive_ends_its_process(cli, docker_client):
    """`zun exec --interactive`: typing, resizing; both the proxy's escape
    and `exit` end the CLI, and either way the exec's shell is gone."""
    body = cli.http.run(name=_name("exec-it"))
    uuid = body["uuid"]
    try:
        cli.http.wait_status(uuid, "Running")
        engine = docker_client.containers.get("zun-%s" % uuid)
        assert exec_shells(engine) == 0

        session = cli.zun("exec", "--interactive", uuid, "sh")
        session.connected()
        session.round_trip("exec")
        session.resize_seen(33, 101)
        assert exec_shells(engine) == 1
        session.detach()
        session.wait_exit()
        harness.wait_until(lambda: exec_shells(engine) == 0,
                           what="the detached exec's shell to end")

        second = cli.zun("exec", "--interactive", uuid, "sh")
        second.connected()
        second.round_trip("exit")
        second.child.send("exit\r")
        second.wait_exit()
        harness.wait_until(lambda: exec_shells(engine) == 0,
                           what="the exited exec's shell to be gone")
        assert cli.http.show(uuid)["status"] == "Running"
    finally:
        _cleanup(cli.http, uuid)


def test_exec_exit_code_through_the_cli(zun_split):
    """A non-interactive exec answers the command's exact exit code."""
    http = harness.ApiClient(zun_split.url, project=NOAUTH_PROJECT, user="noauth",
                             roles="admin")
    uuid = http.run(name=_name("exit7"))["uuid"]
    try:
        http.wait_status(uuid, "Running")
        with TokenStub(zun_split.url + "/v1") as stub:
            out = zun_cli(stub, zun_split.url, "exec", uuid, "sh", "-c",
                          "echo seven; exit 7", debug=True)
        assert "seven" in out.stdout
        assert '"exit_code": 7' in out.stderr   # zunclient prints it only in --debug
    finally:
        _cleanup(http, uuid)


def test_openstack_appcontainer_consoles(zun_split):
    """`openstack appcontainer run --interactive`, `attach`, `exec --interactive`."""
    with TokenStub(zun_split.url + "/v1") as stub:
        tool = Cli(zun_split, stub)
        name = _name("osc-i")
        try:
            run = tool.osc("appcontainer", "run", "--interactive", "--name", name,
                           harness.IMAGE, *SHELL)
            run.connected()
            run.round_trip("osc-run")
            run.detach()
            run.wait_exit()
            assert tool.http.show(name)["status"] == "Running"

            attach = tool.osc("appcontainer", "attach", name)
            attach.connected()
            attach.round_trip("osc-attach")
            attach.detach()
            attach.wait_exit()

            execed = tool.osc("appcontainer", "exec", "--interactive", name, "sh")
            execed.connected()
            execed.round_trip("osc-exec")
            execed.child.send("exit\r")
            execed.wait_exit()
            assert tool.http.show(name)["status"] == "Running"
        finally:
            tool.close()
            _cleanup(tool.http, name)


# --- the token rules, with a raw websocket ------------------------------------------
def test_console_tokens_are_single_use_and_bound(zun_all):
    """A token opens one session, of its own container, of its own project,
    from an allowed origin; every refusal is an HTTP 403 on the handshake,
    so a refused client never holds a socket it could type into."""
    a = harness.ApiClient(zun_all.url, project="console-a", user="ua")
    b = harness.ApiClient(zun_all.url, project="console-b", user="ub")
    mine = run_interactive(a, prefix="tok-a1")
    other = run_interactive(a, prefix="tok-a2")
    theirs = run_interactive(b, prefix="tok-b")
    try:
        url = attach_url(a, mine)
        ws = pty.ws_connect(url)
        assert ws.getsubprotocol() == "binary"
        pty.ws_round_trip(ws, "first")
        assert pty.ws_refusal(url) == 403                 # used once already
        pty.ws_round_trip(ws, "still-open")               # the first session is unharmed
        ws.close()

        url = attach_url(a, mine)
        assert pty.ws_refusal(with_uuid(url, other)) == 403   # another container
        assert pty.ws_refusal(with_uuid(url, theirs)) == 403  # another project's container
        ws = pty.ws_connect(url)       # the refusals did not use the token up
        pty.ws_round_trip(ws, "own-uuid")
        ws.close()

        # another project cannot even get a token for the container
        assert b.get("/v1/containers/%s/attach" % mine).status_code == 404
        assert b.post("/v1/containers/%s/execute" % mine, command="sh",
                      interactive="True", run="False").status_code == 404

        url = attach_url(a, mine)
        assert pty.ws_refusal(url, origin=EVIL) == 403
        for turn in range(5):   # accepted origins never widen the list
            ws = pty.ws_connect(attach_url(a, mine))
            pty.ws_round_trip(ws, "origin-%d" % turn)
            ws.close()
        assert pty.ws_refusal(attach_url(a, mine), origin=EVIL) == 403
        ws = pty.ws_connect(url)   # the bad origin was refused before the token was used
        pty.ws_round_trip(ws, "after-evil")
        ws.close()

        # an exec's token is bound to its exec and container too
        session = exec_session(a, mine)
        assert pty.ws_refusal(with_uuid(session["proxy_url"], other)) == 403
        ws = pty.ws_connect(session["proxy_url"])
        pty.ws_round_trip(ws, "exec-token")
        ws.close()
        assert pty.ws_refusal(session["proxy_url"]) == 403
    finally:
        for api, uuid in ((a, mine), (a, other), (b, theirs)):
            _cleanup(api, uuid)


def test_expired_token_is_refused(request, docker_client):
    """With [websocket_proxy] token_ttl = 1 a token unused past its expiry
    (read from the DB row, not guessed) is refused."""
    conf = "[websocket_proxy]\ntoken_ttl = 1\n"
    with harness.running(request, mode="all", extra_conf=conf) as zun:
        api = harness.ApiClient(zun.url, project="console-ttl", user="ut")
        uuid = run_interactive(api, prefix="ttl")
        url = attach_url(api, uuid)
        ((expires,),) = zun.db_rows("SELECT expires_at FROM console_token "
                                    "WHERE container_uuid = ?", (uuid,))
        expires_at = datetime.datetime.fromisoformat(str(expires))
        harness.wait_until(
            lambda: datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
            > expires_at, timeout=30, what="the token's expiry %s (UTC)" % expires_at)
        assert pty.ws_refusal(url) == 403
        _cleanup(api, uuid)


# --- many sessions at once -------------------------------------------------------------
def test_many_sessions_do_not_block_the_api(zun_all, docker_client):
    """20 exec sessions open at once: the API still answers, and each
    session reads its own output only; closing them ends their shells."""
    api = harness.ApiClient(zun_all.url, project="console-many", user="um")
    uuid = api.run(name=_name("many"))["uuid"]
    count = 20
    try:
        api.wait_status(uuid, "Running")
        engine = docker_client.containers.get("zun-%s" % uuid)
        urls = [exec_session(api, uuid)["proxy_url"] for _ in range(count)]
        with concurrent.futures.ThreadPoolExecutor(count) as pool:
            sockets = list(pool.map(pty.ws_connect, urls))
            try:
                assert api.get("/v1/containers").status_code == 200
                assert api.show(uuid)["status"] == "Running"
                tags = ["m%02d" % i for i in range(count)]
                outputs = list(pool.map(pty.ws_round_trip, sockets, tags))
                for tag, output in zip(tags, outputs, strict=True):
                    foreign = [t for t in tags if t != tag and b"42-" + t.encode() in output]
                    assert not foreign, (tag, foreign)
                assert exec_shells(engine) == count
            finally:
                for ws in sockets:
                    ws.close()
        harness.wait_until(lambda: exec_shells(engine) == 0, timeout=60,
                           what="the closed sessions' shells to end")
    finally:
        _cleanup(api, uuid)


# --- two compute hosts, one console proxy ---------------------------------------------
class SqliteTopology(harness.ZunTopology):
    """ZunTopology on one SQLite file: enough for two agents and one proxy,
    without a SQL server (the heartbeat wait reads the rows SQLite keeps)."""

    def wait_compute_up(self, host: str, timeout: float = 60) -> None:
        harness.wait_until(
            lambda: self.db_rows("SELECT count(*) FROM zun_service WHERE host = :host "
                                 "AND last_seen_up IS NOT NULL", host=host)[0][0],
            timeout=timeout, interval=0.2, what="a heartbeat of zun-compute on %s" % host)


@pytest.fixture(scope="module")
def topology(request, docker_client, transport_url,
             second_engine):  # noqa: F811  (the imported fixture)
    suffix = uuidlib.uuid4().hex[:6]
    db_dir = tempfile.mkdtemp(prefix="zun-func-console-db-")
    topo = SqliteTopology(
        "sqlite:///%s/zun.sqlite" % db_dir, transport_url,
        {"console-a-%s" % suffix: harness.docker_url(),
         "console-b-%s" % suffix: second_engine.url}, api_workers=1)
    try:
        with harness.started(request, topo):
            yield topo
    finally:
        shutil.rmtree(db_dir, ignore_errors=True)


def test_one_proxy_reaches_both_hosts(topology):
    """One zun-wsproxy relays to the agent of whichever host runs the
    container: attach and exec sessions on each of two hosts."""
    admin = harness.ApiClient(topology.url, project="console-topo", user="root",
                              roles="admin")
    made = {}
    try:
        for host in topology.hosts:
            made[host] = admin.run(name=_name("topo-i"), command=SHELL,
                                   interactive=True, tty=True, host=host)["uuid"]
        for host, uuid in made.items():
            shown = admin.wait_status(uuid, "Running")
            assert shown["host"] == host
            url = attach_url(admin, uuid)
            assert parse.urlsplit(url).port == topology.console_port
            ws = pty.ws_connect(url)
            pty.ws_round_trip(ws, "attach-%s" % host)
            ws.close()
            ws = pty.ws_connect(exec_session(admin, uuid)["proxy_url"])
            pty.ws_read_until(ws, b"#")   # the exec's shell prompt
            pty.ws_round_trip(ws, "exec-%s" % host)
            ws.send_binary(b"exit\r")
            pty.ws_wait_closed(ws)
            ws.close()
    finally:
        for uuid in made.values():
            _cleanup(admin, uuid)

