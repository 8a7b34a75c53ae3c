"""Host inventory: parsers, usage from rows, the reporter, and the
compute_node DB functions it writes through."""
from __future__ import annotations

import types

import pytest

from tests.unit.compute.conftest import HOST, FakeDriver, make_row
from zun.common import exception
from zun.compute import resources
from zun.compute import service as service_mod
from zun.container.driver import docker as docker_driver
from zun.container.driver import rkt
from zun.db import api as db_api

MEMINFO = """MemTotal:       16314312 kB
MemFree:         1023880 kB
MemAvailable:    9123456 kB
Buffers:          123456 kB
HugePages_Total:       0
"""


class InfoDriver(FakeDriver):
    """FakeDriver whose host_info answers from ``info`` or raises ``error``."""

    def __init__(self, info=None, error=None):
        super().__init__()
        self.info = info if info is not None else {"runtimes": ["runc", "kata"]}
        self.error = error
        self.info_calls = 0

    def host_info(self):
        self.info_calls += 1
        if self.error:
            raise self.error
        return dict(self.info)


# --- parsers -------------------------------------------------------------------------
def test_parse_meminfo_in_mib():
    assert resources.parse_meminfo(MEMINFO) == {
        "mem_total": 16314312 // 1024, "mem_free": 1023880 // 1024,
        "mem_available": 9123456 // 1024}


def test_parse_meminfo_old_kernel_and_garbage():
    assert resources.parse_meminfo("MemTotal: 2048 kB\nMemFree: x kB\n") == {
        "mem_total": 2}
    assert resources.parse_meminfo("") == {}


def test_parse_os_release():
    text = 'NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'
    assert resources.parse_os_release(text) == "Debian GNU/Linux 12 (bookworm)"
    assert resources.parse_os_release("NAME=x\n") is None


def test_node_uuid_is_stable_per_host():
    assert resources.node_uuid("a") == resources.node_uuid("a")
    assert resources.node_uuid("a") != resources.node_uuid("b")


# --- usage from rows ---------------------------------------------------------------------
def _row(status, cpu=None, memory=None):
    return types.SimpleNamespace(status=status, cpu=cpu, memory=memory)


def test_usage_counts_and_sums():
    rows = [_row("Running", 1.5, "512"), _row("Paused", 0.5, "128"),
            _row("Stopped", 1.0, "256"), _row("Created", None, None),
            _row("Restarting", 0.25, "64"), _row("Deleted", 4.0, "4096")]
    assert resources.container_usage(rows) == {
        "total_containers": 5, "running_containers": 2, "paused_containers": 1,
        "stopped_containers": 2, "cpu_used": 3.25, "mem_used": 960}


def test_usage_of_no_rows_is_zero():
    usage = resources.container_usage([])
    assert usage["total_containers"] == 0 and usage["mem_used"] == 0
    assert usage["cpu_used"] == 0.0


# --- host facts ----------------------------------------------------------------------------
def test_host_facts_measure_the_host(tmp_path, monkeypatch):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text(MEMINFO)
    monkeypatch.setattr(resources, "MEMINFO_PATH", str(meminfo))
    facts = resources.host_facts({"runtimes": ["runc"], "data_dir": str(tmp_path)})
    assert facts["cpus"] >= 1
    assert facts["mem_total"] == 16314312 // 1024
    assert facts["runtimes"] == ["runc"] and facts["labels"] == {}
    assert facts["enable_cpu_pinning"] is False
    assert facts["disk_total"] >= facts["disk_used"] >= 0
    assert facts["architecture"] and facts["kernel_version"]


def test_driver_facts_fill_what_the_host_cannot_say(tmp_path, monkeypatch):
    monkeypatch.setattr(resources, "MEMINFO_PATH", str(tmp_path / "none"))
    monkeypatch.setattr(resources, "OS_RELEASE_PATH", str(tmp_path / "none"))
    facts = resources.host_facts({"mem_total": 4096, "os": "Engine OS " * 20,
                                  "os_type": "linux"})
    assert facts["mem_total"] == 4096
    assert facts["os"].startswith("Engine OS") and len(facts["os"]) == 64
    assert facts["runtimes"] == []


def test_disk_of_a_missing_directory_is_its_parent_filesystem(tmp_path):
    usage = resources.disk_usage(str(tmp_path / "not" / "yet"))
    assert usage is not None and usage == resources.disk_usage(str(tmp_path))


# --- the reporter ---------------------------------------------------------------------------
def test_report_upserts_one_row_with_usage(db, ctx):
    make_row(ctx, status="Running", cpu=1.0, memory="256")
    make_row(ctx, status="Stopped", cpu=0.5, memory="128")
    make_row(ctx, status="Running", host="elsewhere")
    reporter = resources.InventoryReporter(InfoDriver(), HOST)
    first = reporter.report()
    second = reporter.report()
    assert first.uuid == second.uuid == resources.node_uuid(HOST)
    assert len(db_api.compute_node_list(ctx)) == 1
    assert second.total_containers == 2 and second.running_containers == 1
    assert second.cpu_used == 1.5 and second.mem_used == 384
    assert second.runtimes == ["runc", "kata"] and second.cpus >= 1


def test_runtime_facts_are_cached_between_reports(db, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(resources.time, "monotonic", lambda: clock[0])
    driver = InfoDriver()
    reporter = resources.InventoryReporter(driver, HOST)
    reporter.report()
    reporter.report()
    assert driver.info_calls == 1
    clock[0] += resources.DRIVER_FACTS_TTL
    reporter.report()
    assert driver.info_calls == 2


def test_a_silent_runtime_does_not_stop_the_report(db):
    driver = InfoDriver(error=exception.DockerError(error_msg="engine away"))
    row = resources.InventoryReporter(driver, HOST).report()
    assert row.hostname == HOST and row.runtimes == [] and row.cpus >= 1


def test_heartbeat_writes_service_and_inventory(db, admin):
    svc = service_mod.ComputeService(InfoDriver(), host=HOST)
    svc.heartbeat()
    assert db_api.service_get(admin, HOST, "zun-compute").report_count == 1
    assert db_api.compute_node_get(admin, HOST).runtimes == ["runc", "kata"]


def test_a_failing_inventory_never_breaks_the_heartbeat(db, admin, monkeypatch):
    svc = service_mod.ComputeService(InfoDriver(), host=HOST)

    def boom():
        raise RuntimeError("no inventory")
    monkeypatch.setattr(svc.inventory, "report", boom)
    svc.heartbeat()
    assert db_api.service_get(admin, HOST, "zun-compute").report_count == 1


# --- drivers ------------------------------------------------------------------------------
def test_docker_host_info_maps_docker_info(monkeypatch):
    driver = docker_driver.DockerDriver(api_url="unix:///nonexistent.sock")
    info = {"NCPU": 8, "MemTotal": 16 * 1024 ** 3, "OperatingSystem": "Debian 12",
            "OSType": "linux", "KernelVersion": "6.1.0", "Architecture": "x86_64",
            "Runtimes": {"runc": {}, "io.containerd.runc.v2": {}},
            "DockerRootDir": "/var/lib/docker"}
    fake_api = types.SimpleNamespace(info=lambda: info)
    monkeypatch.setattr(docker_driver.DockerDriver, "_api", property(lambda self: fake_api))
    assert driver.host_info() == {
        "cpus": 8, "mem_total": 16384, "os": "Debian 12", "os_type": "linux",
        "kernel_version": "6.1.0", "architecture": "x86_64",
        "runtimes": ["io.containerd.runc.v2", "runc"],
        "data_dir": "/var/lib/docker"}


def test_rkt_offers_no_runtime_and_base_defaults_to_nothing():
    assert rkt.RktDriver().host_info() == {"runtimes": []}
    assert FakeDriver().host_info() == {}


# --- compute_node DB functions ------------------------------------------------------------
def test_upsert_keeps_the_first_uuid(db, admin):
    first = db_api.compute_node_upsert(admin, "h1", {"uuid": "u-1", "cpus": 2})
    again = db_api.compute_node_upsert(admin, "h1", {"uuid": "u-2", "cpus": 4})
    assert first.uuid == again.uuid == "u-1" and again.cpus == 4
    assert again.updated_at is not None


def test_upsert_rejects_unknown_columns(db, admin):
    with pytest.raises(exception.Invalid):
        db_api.compute_node_upsert(admin, "h1", {"gpus": 2})


def test_get_by_uuid_or_hostname(db, admin):
    row = db_api.compute_node_upsert(admin, "h1", {})
    assert db_api.compute_node_get(admin, row.uuid).hostname == "h1"
    assert db_api.compute_node_get(admin, "h1").uuid == row.uuid
    with pytest.raises(exception.ComputeNodeNotFound) as info:
        db_api.compute_node_get(admin, "h2")
    assert info.value.code == 404


def test_list_pages_with_nulls_first(db, admin):
    for name, cpus in (("a", 4), ("b", None), ("c", 2), ("d", 4)):
        db_api.compute_node_upsert(admin, name, {"cpus": cpus})
    order = [r.hostname for r in db_api.compute_node_list(admin, sort_key="cpus")]
    assert order == ["b", "c", "a", "d"]
    pages, marker = [], None
    while True:
        page = db_api.compute_node_list(admin, limit=1, marker=marker,
                                        sort_key="cpus", sort_dir="desc")
        if not page:
            break
        pages.append(page[0].hostname)
        marker = page[0].uuid
    assert pages == ["d", "a", "c", "b"]


def test_destroy_forgets_the_host(db, admin):
    db_api.compute_node_upsert(admin, "h1", {})
    db_api.compute_node_destroy(admin, "h1")
    db_api.compute_node_destroy(admin, "h1")
    assert db_api.compute_node_list(admin) == []
