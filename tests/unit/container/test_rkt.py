"""The rkt placeholder: loads, claims nothing, refuses everything clearly."""
import threading

import pytest

from zun.common import exception
from zun.container.driver import base, rkt

SPEC = base.ContainerSpec(uuid="u1", project_id="p1", image="busybox")

REFUSED = [
    ("create", lambda d: d.create(SPEC)),
    ("start", lambda d: d.start("c")),
    ("stop", lambda d: d.stop("c", timeout=1)),
    ("reboot", lambda d: d.reboot("c")),
    ("pause", lambda d: d.pause("c")),
    ("unpause", lambda d: d.unpause("c")),
    ("kill", lambda d: d.kill("c", "SIGTERM")),
    ("delete", lambda d: d.delete("c", force=True)),
    ("update", lambda d: d.update("c", cpu=1.0, memory_mib=64)),
    ("logs", lambda d: d.logs("c")),
    ("exec", lambda d: d.execute("c", ["ls"])),
    ("top", lambda d: d.top("c")),
    ("stats", lambda d: d.stats("c")),
    ("events", lambda d: d.events(threading.Event())),
]
# consoles: not abstract (inherited refusals), so listed apart
CONSOLE_REFUSED = [
    ("attach", lambda d: d.console("c")),
    ("attach", lambda d: d.console("c", "e1")),
    ("attach", lambda d: d.resize("c", 24, 80)),
    ("attach", lambda d: d.exec_resize("c", "e1", 24, 80)),
    ("attach", lambda d: d.exec_create("c", ["sh"], True)),
    ("exec", lambda d: d.exec_create("c", ["sh"], False)),
]


@pytest.mark.parametrize("operation,call", REFUSED + CONSOLE_REFUSED,
                         ids=[op for op, _ in REFUSED + CONSOLE_REFUSED])
def test_operation_is_refused_with_a_clear_400(operation, call):
    with pytest.raises(exception.UnsupportedOperation) as info:
        call(rkt.RktDriver())
    err = info.value
    assert err.code == 400
    assert "'rkt'" in str(err)
    assert f"'{operation}'" in str(err)


def test_every_abstract_method_is_covered():
    abstract = set(base.ContainerDriver.__abstractmethods__)
    probes = {"inspect", "list_containers", "ping"}
    tested = {op for op, _ in REFUSED} - {"exec"} | {"execute"}
    assert abstract == tested | probes


def test_identity_and_capabilities():
    driver = rkt.RktDriver()
    assert driver.name == "rkt"
    assert driver.capabilities == frozenset()


def test_probes_answer_truthfully_without_a_runtime():
    driver = rkt.RktDriver()
    assert driver.list_containers() == []
    with pytest.raises(exception.RuntimeContainerNotFound):
        driver.inspect("c")  # nothing exists where nothing runs
    # no runtime answers: the heartbeat does not depend on ping (see
    # tests/unit/compute/test_service.py), so the host still shows as up
    assert driver.ping() is False
    assert driver.host_info() == {"runtimes": []}
