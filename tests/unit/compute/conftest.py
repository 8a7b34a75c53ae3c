"""Fixtures for compute tests: a real SQLite DB and an in-memory driver."""
from __future__ import annotations

import contextlib
import dataclasses
import datetime
import itertools
import threading

import pytest

from zun.common import actions, exception
from zun.common import context as zun_context
from zun.conf import CONF
from zun.container.driver import base
from zun.db import api as db_api
from zun.network import base as network_base

HOST = "host-1"


@pytest.fixture
def ctx():
    return zun_context.RequestContext(user_id="u1", project_id="p1", roles=["member"])


@pytest.fixture
def admin():
    return zun_context.get_admin_context()


class FakeDriver(base.ContainerDriver):
    """Containers in a dict; ``fail`` maps operation name -> exception."""

    name = "fake"
    capabilities = frozenset(base.ALL_CAPABILITIES)

    def __init__(self) -> None:
        self.containers: dict[str, base.RuntimeFacts] = {}
        self.fail: dict[str, Exception] = {}
        self.calls: list[tuple] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def _op(self, name, cid=None):
        self.calls.append((name, cid))
        if name in self.fail:
            raise self.fail[name]
        if cid is not None and cid not in self.containers:
            raise exception.RuntimeContainerNotFound(container_id=cid)
        return self.containers.get(cid)

    def _set(self, cid, state, **kw):
        facts = self.containers[cid]
        facts.state = state
        for key, value in kw.items():
            setattr(facts, key, value)
        return facts

    def create(self, spec):
        self._op("create")
        with self._lock:
            if any(c.uuid == spec.uuid for c in self.containers.values()):
                # the contract: one runtime container per uuid (its name)
                raise exception.ContainerAlreadyExists(field="name", value=spec.uuid)
            cid = "cid-%d" % next(self._ids)
        self.containers[cid] = base.RuntimeFacts(container_id=cid, uuid=spec.uuid,
                                                 state="created",
                                                 project_id=spec.project_id,
                                                 host=spec.host)
        return self.containers[cid]

    def start(self, cid):
        self._op("start", cid)
        return self._set(cid, "running", started_at="2026-11-22T01:00:00Z")

    def stop(self, cid, timeout=None):
        self._op("stop", cid)
        return self._set(cid, "exited", exit_code=0, finished_at="2026-11-22T01:01:00Z")

    def reboot(self, cid, timeout=None):
        self._op("reboot", cid)
        return self._set(cid, "running")

    def pause(self, cid):
        self._op("pause", cid)
        return self._set(cid, "paused")

    def unpause(self, cid):
        self._op("unpause", cid)
        return self._set(cid, "running")

    def kill(self, cid, signal=None):
        self._op("kill", cid)
        return self._set(cid, "exited", exit_code=137)

    def delete(self, cid, force=False):
        self.calls.append(("delete", cid))
        if "delete" in self.fail:
            raise self.fail["delete"]
        self.containers.pop(cid, None)

    def update(self, cid, cpu=None, memory_mib=None):
        self._op("update", cid)

    def inspect(self, cid):
        facts = self._op("inspect", cid)
        return base.RuntimeFacts(**facts.__dict__)

    def list_containers(self):
        return [base.RuntimeFacts(**f.__dict__) for f in self.containers.values()]

    def logs(self, cid, **kw):
        self._op("logs", cid)
        return "log line\n"

    def execute(self, cid, command):
        self._op("execute", cid)
        return " ".join(command), 0

    def top(self, cid, ps_args=None):
        self._op("top", cid)
        return {"Titles": ["PID"], "Processes": [["1"]]}

    def stats(self, cid):
        self._op("stats", cid)
        return {"CONTAINER": cid}

    def events(self, stop):
        stop.wait()
        return iter(())

    # copy in and out: archives kept by (container, path) as put
    def get_archive(self, cid, path, max_bytes):
        self._op("get_archive", cid)
        data = getattr(self, "archives", {}).get((cid, path))
        if data is None:
            raise exception.ArchivePathNotFound(path=path)
        if len(data) > max_bytes:
            raise exception.ArchiveTooLarge(what="The archive of path '%s'" % path,
                                            limit=max_bytes)
        return data, {"name": path.rsplit("/", 1)[-1], "size": len(data),
                      "mode": 420, "mtime": "2026-11-22T01:00:00Z", "linkTarget": ""}

    def put_archive(self, cid, path, data):
        self._op("put_archive", cid)
        if not hasattr(self, "archives"):
            self.archives = {}
        self.archives[(cid, path)] = data

    def ping(self):
        return True


@pytest.fixture
def driver():
    return FakeDriver()


class FakeNetwork(network_base.NetworkDriver):
    """Project networks in a dict; a network is in use while the driver's
    containers of its project exist (what the docker driver asks Docker)."""

    name = "fake-network"
    capabilities = frozenset({"network"})

    def __init__(self, driver: FakeDriver | None = None) -> None:
        self.driver = driver
        self.networks: dict[str, network_base.NetworkFacts] = {}
        self.calls: list[tuple[str, str | None]] = []
        self.fail: dict[str, Exception] = {}
        self.guarded = False

    def _op(self, name, project_id=None):
        self.calls.append((name, project_id))
        if name in self.fail:
            raise self.fail[name]

    def setup_host(self):
        self._op("setup_host")
        self.guarded = True

    def teardown_host(self):
        self._op("teardown_host")
        self.guarded = False

    def _users(self, project_id):
        if self.driver is None:
            return []
        return [c.container_id for c in self.driver.containers.values()
                if c.project_id == project_id]

    @contextlib.contextmanager
    def project_network(self, project_id):
        self._op("project_network", project_id)
        net = self.networks.setdefault(project_id, network_base.NetworkFacts(
            network_id="net-" + project_id, name="zun-net-" + project_id,
            project_id=project_id))
        yield net

    def release_project_network(self, project_id):
        self._op("release_project_network", project_id)
        if project_id not in self.networks or self._users(project_id):
            return False
        del self.networks[project_id]
        return True

    def list_networks(self):
        return [dataclasses.replace(n, containers=self._users(p))
                for p, n in self.networks.items()]

    def _named(self, project_id, network):
        own = self.networks.get(project_id)
        if network != "default" and (own is None or network not in (own.name,
                                                                    own.network_id)):
            raise exception.NetworkNotFound(network=network, project=project_id)

    def connect(self, project_id, network, container_id):
        self._op("connect", project_id)
        self._named(project_id, network)
        self.driver.containers[container_id].addresses = {
            "zun-net-" + project_id: [{"addr": "10.128.0.2", "version": 4, "port": None,
                                       "subnet_id": "10.128.0.0/24",
                                       "preserve_on_delete": False}]}

    def disconnect(self, project_id, network, container_id):
        self._op("disconnect", project_id)
        self._named(project_id, network)
        self.driver.containers[container_id].addresses = {}


@pytest.fixture
def network(driver):
    return FakeNetwork(driver)


@pytest.fixture
def manager(driver, network):
    """A manager on HOST with the fake runtime and network (modules may override)."""
    from zun.compute import manager as manager_mod
    from zun.compute import sync as sync_mod
    sync = sync_mod.StateSync(driver, HOST, network=network)
    m = manager_mod.Manager(driver, HOST, sync, network=network)
    sync.heal = m.heal
    return m


def register_host(admin, host=HOST, capabilities=None, driver="fake", age=0):
    db_api.service_heartbeat(admin, host, "zun-compute",
                             {"driver": driver,
                              "capabilities": sorted(capabilities if capabilities
                                                     is not None
                                                     else actions.ALL_CAPABILITIES),
                              "availability_zone": "nova"})
    if age:
        db_api.service_update(admin, host, "zun-compute", {
            "last_seen_up": datetime.datetime.utcnow() - datetime.timedelta(seconds=age)})


def make_row(ctx, **values):
    base_values = {"image": "busybox:local", "command": ["sleep", "1"],
                   "memory": "64", "cpu": 0.5, "host": HOST,
                   "status": "Creating", "task_state": None,
                   "user_id": ctx.user_id, "project_id": ctx.project_id}
    base_values.update(values)
    return db_api.container_create(ctx, base_values)


@pytest.fixture(autouse=True)
def _conf_reset():
    yield
    CONF.clear_override("service_down_time")
