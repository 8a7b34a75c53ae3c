"""cp through the compute API, a JSON message bus and the manager, down to a
fake driver: what crosses the bus, what is checked where, what is recorded."""
from __future__ import annotations

import base64
import io
import json
import tarfile

import pytest

from tests.unit.compute.conftest import HOST, make_row, register_host
from zun.common import actions, archive, exception, states
from zun.compute import api as compute_api
from zun.container.driver import base
from zun.db import api as db_api


def up_to_date_host(admin, **kw):
    register_host(admin, **kw)
    db_api.service_update(admin, HOST, "zun-compute",
                          {"rpc_version": actions.RPC_VERSION})


def tar_of(name: str = "f.txt", content: bytes = b"hello",
           kind: bytes = tarfile.REGTYPE) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.size = len(content) if kind == tarfile.REGTYPE else 0
        tar.addfile(info, io.BytesIO(content) if kind == tarfile.REGTYPE else None)
    return out.getvalue()


class JsonBus:
    """Calls the manager as oslo.messaging would: arguments and answer
    through JSON (no bytes, tuples become lists), errors re-raised."""

    def __init__(self, manager):
        self.manager = manager
        self.sent: list[tuple[str, str, dict]] = []

    def call(self, context, host, method, version, **kwargs):
        assert host == HOST
        self.sent.append((method, version, kwargs))
        kwargs = json.loads(json.dumps(kwargs))
        return json.loads(json.dumps(getattr(self.manager, method)(context, **kwargs)))

    cast = call


@pytest.fixture
def setup(db, ctx, admin, manager, driver):
    up_to_date_host(admin)
    facts = driver.create(base.ContainerSpec(uuid="u", project_id="p1", image="i",
                                             host=HOST))
    row = make_row(ctx, status=states.RUNNING, container_id=facts.container_id)
    bus = JsonBus(manager)
    return compute_api.API(bus), row, bus


def test_put_then_get_round_trip_through_the_bus(setup, ctx, driver):
    api, row, bus = setup
    tar = tar_of()
    api.container_put_archive(ctx, row, "/tmp", archive.encode(tar))
    assert driver.archives[(row.container_id, "/tmp")] == tar   # decoded once, bytes
    data, stat = api.container_get_archive(ctx, row, "/tmp", 1 << 20)
    assert base64.b64decode(data) == tar and stat["size"] == len(tar)
    assert [(m, v) for m, v, _ in bus.sent] == [
        ("container_put_archive", "1.2"), ("container_get_archive", "1.2")]
    assert bus.sent[1][2]["max_bytes"] == 1 << 20   # the API's bound travels


def test_put_is_recorded_as_an_action_with_its_event(setup, ctx):
    api, row, _ = setup
    api.container_put_archive(ctx, row, "/tmp", archive.encode(tar_of()))
    recorded = db_api.actions_get(ctx, row.uuid)
    assert [a.action for a in recorded] == ["put_archive"]
    assert recorded[0].message is None and recorded[0].finish_time is not None


@pytest.mark.parametrize("data,why", [
    (archive.encode(b"garbage" * 100), "not an uncompressed tar"),
    (archive.encode(b""), "empty"),
    (archive.encode(tar_of("dev", kind=tarfile.CHRTYPE)), "character device"),
    ("@@@@", "not valid base64"),
])
def test_bad_archives_are_400_before_the_runtime_sees_them(setup, ctx, driver, data, why):
    api, row, _ = setup
    with pytest.raises(exception.ValidationError) as info:
        api.container_put_archive(ctx, row, "/tmp", data)
    assert info.value.code == 400 and "'data'" in str(info.value) and why in str(info.value)
    assert ("put_archive", row.container_id) not in driver.calls
    assert db_api.actions_get(ctx, row.uuid)[0].message == "Error"


def test_get_past_the_bound_is_413(setup, ctx, driver):
    api, row, _ = setup
    driver.put_archive(row.container_id, "/big", b"x" * 100)
    with pytest.raises(exception.ArchiveTooLarge) as info:
        api.container_get_archive(ctx, row, "/big", 99)
    assert info.value.code == 413


def test_missing_path_is_404(setup, ctx):
    api, row, _ = setup
    with pytest.raises(exception.ArchivePathNotFound) as info:
        api.container_get_archive(ctx, row, "/nope", 100)
    assert info.value.code == 404 and "/nope" in str(info.value)


@pytest.mark.parametrize("status", [states.CREATED, states.PAUSED, states.STOPPED])
def test_allowed_statuses_reach_the_agent(db, ctx, admin, manager, driver, status):
    up_to_date_host(admin)
    row = make_row(ctx, status=status, container_id="cid-x")
    api = compute_api.API(JsonBus(manager))
    # the container is unknown to the runtime: the agent was reached and said so
    with pytest.raises(exception.RuntimeContainerNotFound):
        api.container_get_archive(ctx, row, "/", 10)


@pytest.mark.parametrize("status", [states.ERROR, states.CREATING, states.DEAD,
                                    states.RESTARTING, states.UNKNOWN])
def test_other_statuses_are_409_before_anything_is_sent(db, ctx, admin, manager,
                                                        status):
    up_to_date_host(admin)
    row = make_row(ctx, status=status, container_id="c")
    bus = JsonBus(manager)
    for call in (lambda: compute_api.API(bus).container_get_archive(ctx, row, "/", 1),
                 lambda: compute_api.API(bus).container_put_archive(ctx, row, "/", "")):
        with pytest.raises(exception.InvalidStateException):
            call()
    assert bus.sent == []


def test_no_runtime_container_yet_is_409(db, ctx, admin, manager):
    up_to_date_host(admin)
    row = make_row(ctx, status=states.CREATED, container_id=None)
    with pytest.raises(exception.Conflict):
        compute_api.API(JsonBus(manager)).container_get_archive(ctx, row, "/", 1)


def test_a_host_without_the_capability_refuses_with_400(db, ctx, admin, manager):
    up_to_date_host(admin, capabilities=sorted(actions.ALL_CAPABILITIES - {"archive"}))
    row = make_row(ctx, status=states.RUNNING, container_id="c")
    with pytest.raises(exception.UnsupportedOperation):
        compute_api.API(JsonBus(manager)).container_get_archive(ctx, row, "/", 1)
