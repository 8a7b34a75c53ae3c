"""Bad input at scale: schemathesis against a running ``zun-all`` on each of
SQLite, MariaDB and PostgreSQL.

Every operation of the served OpenAPI document gets generated requests,
valid-looking (positive) and schema-violating (negative), as a member of a
test project; then schemathesis' state machine follows the document's links
(a create's uuid into every operation on that container, an action list
into its actions) in scenarios that mix both kinds of data. Checks on every
answer: no 5xx, no Python traceback or exception text in a body, every
error in the upstream body shape, status code, content type and body as
documented, and (in scenarios) a container just created is found. Afterwards
the deployment's DB and Docker must still agree.

Path parameters mostly name real containers (recreated when the fuzzer
deletes or renames them) so actions reach the agent and Docker, not only
the 404 path. Images are limited to the local busybox image and a missing
image on a closed loopback registry, so creates are cheap, pulls fail at
once and nothing leaves the machine. The seed is fixed (ZUN_FUZZ_SEED
changes it) so a failure reproduces; ZUN_FUZZ_EXAMPLES sets the examples per
operation and mode, ZUN_FUZZ_SCENARIOS the stateful scenarios per backend.
"""
from __future__ import annotations

import collections
import json
import os
import re
import time
from typing import Any, Callable

import docker
import hypothesis
import pytest
import requests
import schemathesis
import sqlalchemy as sa
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    response_schema_conformance,
    status_code_conformance,
)

from tests.functional import engines, harness
from zun.common import states
from zun.container.driver import base as driver_base

EXAMPLES = int(os.environ.get("ZUN_FUZZ_EXAMPLES", "25"))
SCENARIOS = int(os.environ.get("ZUN_FUZZ_SCENARIOS", "20"))
SEED = int(os.environ.get("ZUN_FUZZ_SEED", "20240604"))
# Per backend: the three together send at least 5,100 requests.
MIN_REQUESTS = 1700
BACKENDS = ("sqlite", "mariadb", "postgresql")
# Docker takes a second or two to sample usage: fewer examples there.
SLOW_SUFFIXES = {"/stats": 5}
PROJECT = "fuzz-project"
MEMBER = {"X-User-Id": "fuzz-user", "X-Project-Id": PROJECT, "X-Roles": "member",
          "Accept": "application/json"}
# Loopback port 1 is closed: a pull of this image fails at once, offline.
MISSING_IMAGE = "127.0.0.1:1/zun-fuzz/missing:latest"
IMAGES = (harness.IMAGE, MISSING_IMAGE)
# The containers path parameters name: (name, run?, then pause?).
KNOWN = (("fz-run-a", True, False), ("fz-run-b", True, False),
         ("fz-created", False, False), ("fz-paused", True, True))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
# use_after_free is not among them: a DELETE answers 204 while the agent is
# still removing the container (as upstream), so a GET right after it rightly
# shows the row, Deleting.
STATEFUL_CHECKS = CHECKS + [ensure_resource_availability]
# Text that only a leaked Python exception puts in a body.
LEAK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+"
                  r"|\b(?:[A-Z][a-zA-Z]*(?:Error|Exception)): |<[a-z_.]+ object at 0x")
ERROR_KEYS = {"request_id", "code", "status", "title", "detail", "links"}


class Findings:
    """Every failed check, kept once per (operation, kind, status) with an example."""

    def __init__(self) -> None:
        self.requests = 0
        # stateful steps that followed a link: [to nothing found, to a resource]
        self.linked = [0, 0]
        self.by_status: collections.Counter = collections.Counter()
        self.seconds: collections.Counter = collections.Counter()
        self.seen: dict[tuple[str, str, int], str] = {}

    def add(self, label: str, kind: str, status: int, example: str) -> None:
        self.seen.setdefault((label, kind, status), example)

    def check(self, label: str, case: Any, response: Any, checks: list[Any],
              recorder: Any = None) -> None:
        """Count one answer and keep what any check finds wrong with it."""
        self.requests += 1
        self.by_status[response.status_code] += 1
        self.seconds[label] += response.elapsed
        try:
            case.validate_response(response, checks=checks, headers=MEMBER, recorder=recorder)
        except FailureGroup as group:
            for failure in group.exceptions:
                self.add(label, failure.title, response.status_code, _describe(case, response))
        for problem in own_checks(response.status_code, _text(response)):
            self.add(label, problem, response.status_code, _describe(case, response))

    def report(self) -> str:
        return "\n\n".join("%s [%s, HTTP %d]\n%s" % (label, kind, status, example)
                           for (label, kind, status), example in sorted(self.seen.items()))


def _text(response: Any) -> str:
    return response.content.decode("utf-8", errors="replace")


def _describe(case: Any, response: Any) -> str:
    body = None if isinstance(case.body, NotSet) else case.body
    return ("%s %s\n  version header: %s\n  body: %s\n  -> %d %s"
            % (case.method, response.request.url, (case.headers or {}).get(
                "OpenStack-API-Version"), json.dumps(body, default=str)[:600],
               response.status_code, _text(response)[:800]))


def own_checks(status: int, text: str) -> list[str]:
    """The checks schemathesis does not have: leaks and the error shape."""
    problems = []
    if LEAK.search(text):
        problems.append("python exception text in body")
    if status >= 400:
        try:
            errors = json.loads(text)["errors"]
            shaped = (isinstance(errors, list) and errors
                      and all(isinstance(e, dict) and set(e) == ERROR_KEYS for e in errors)
                      and errors[0]["status"] == status
                      and str(errors[0]["code"]).startswith("container."))
        except (ValueError, KeyError, TypeError):
            shaped = False
        if not shaped:
            problems.append("error body not in the upstream shape")
    return problems


# --- the deployment side ---------------------------------------------------------
class Containers:
    """The named containers path parameters point at, kept in existence."""

    def __init__(self, api: harness.ApiClient) -> None:
        self.api = api

    def ensure(self) -> None:
        for name, run, pause in KNOWN:
            if self.api.get("/v1/containers/%s" % name).status_code == 200:
                continue
            resp = self.api.post("/v1/containers" + ("?run=true" if run else ""),
                                 {"image": harness.IMAGE, "name": name,
                                  "command": harness.SLEEPER, "memory": "32"})
            if resp.status_code != 202:
                continue   # the name is taken by a fuzzed container: use that one
            uuid = resp.json()["uuid"]
            want = states.RUNNING if run else states.CREATED
            self.api.wait_status(uuid, (want, states.ERROR), timeout=60)
            if pause:
                self.api.post("/v1/containers/%s/pause" % uuid)
                self.api.wait_status(uuid, (states.PAUSED, states.ERROR), timeout=60)

    @staticmethod
    def names() -> list[str]:
        return [name for name, _, _ in KNOWN]


def _constrain(case: Any) -> None:
    """Keep creates and rebuilds on local images (see the module docstring)."""
    body = case.body
    if case.path == "/v1/containers" and case.method == "POST" and isinstance(body, dict):
        if isinstance(body.get("image"), str):
            body["image"] = IMAGES[len(body["image"]) % 2]
            if body.get("image_pull_policy") == "always":
                body["image"] = MISSING_IMAGE   # "always" pulls; only from loopback
        # sub-second health checks of arbitrary commands would only load the machine
        if isinstance(body.get("healthcheck"), dict):
            body.pop("healthcheck")
    if case.path.endswith("/rebuild"):
        if isinstance(body, dict) and isinstance(body.get("image"), str):
            body["image"] = IMAGES[len(body["image"]) % 2]
        if case.query and isinstance(case.query.get("image"), str):
            case.query["image"] = IMAGES[len(case.query["image"]) % 2]


def _strategy(operation: Any, mode: Any) -> Any:
    if "{container_ident}" not in operation.path:
        return operation.as_strategy(generation_mode=mode)
    # Three in four requests name a real container; the rest are generated.
    known = st.sampled_from(Containers.names()).flatmap(
        lambda name: operation.as_strategy(generation_mode=mode,
                                           path_parameters={"container_ident": name}))
    return st.one_of(known, known, known, operation.as_strategy(generation_mode=mode))


def _fuzz_operation(operation: Any, mode: Any, base_url: str, session: requests.Session,
                    findings: Findings) -> None:
    label = "%s %s (%s)" % (operation.method.upper(), operation.path, mode.value)
    examples = next((n for suffix, n in SLOW_SUFFIXES.items()
                     if operation.path.endswith(suffix)), EXAMPLES)

    @hypothesis.seed(SEED)
    @hypothesis.settings(max_examples=examples, deadline=None, database=None,
                         phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
                         suppress_health_check=list(hypothesis.HealthCheck),
                         verbosity=hypothesis.Verbosity.quiet)
    @hypothesis.given(case=_strategy(operation, mode))
    def run(case: Any) -> None:
        _constrain(case)
        response = case.call(base_url=base_url, session=session, headers=MEMBER, timeout=60)
        findings.check(label, case, response, CHECKS)

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        # An operation with nothing to break (no parameter, no body) has no
        # negative cases; anything else is unexpected.
        if mode is not schemathesis.GenerationMode.NEGATIVE:
            raise


def _fuzz_statefully(schema: Any, base_url: str, session: requests.Session,
                     findings: Findings) -> tuple[int, int]:
    """Scenarios along the document's links: (requests sent, scenarios run)."""
    schema.config.generation.update(modes=list(schemathesis.GenerationMode))
    before = findings.requests
    scenarios = [0]
    # the container operations only: the others have no links to follow
    containers = schema.include(path_regex=r"^/v1/containers")

    class Scenario(containers.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Any) -> None:
            _constrain(case)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": base_url, "session": session, "headers": MEMBER,
                    "timeout": 60}

        def validate_response(self, response: Any, case: Any,
                              additional_checks: Any = None, **kwargs: Any) -> None:
            # kept, not raised: one scenario's finding must not end the others
            findings.check("%s %s (stateful)" % (case.method, case.path), case, response,
                           STATEFUL_CHECKS, recorder=self.recorder)
            if self.recorder.find_parent(case_id=case.id) is not None:
                findings.linked[response.status_code != 404] += 1

        def teardown(self) -> None:
            scenarios[0] += 1
            super().teardown()

    seed = SEED
    while scenarios[0] < SCENARIOS and seed < SEED + 10:
        try:
            hypothesis.seed(seed)(Scenario).run(settings=hypothesis.settings(
                max_examples=SCENARIOS - scenarios[0], deadline=None, database=None,
                stateful_step_count=20, phases=[hypothesis.Phase.generate],
                suppress_health_check=list(hypothesis.HealthCheck),
                verbosity=hypothesis.Verbosity.quiet))
        except hypothesis.errors.FlakyStrategyDefinition:
            # Hypothesis replayed a prefix of a scenario and the server's state
            # made it draw differently (as schemathesis' own runner does, go on
            # in a fresh run)
            pass
        seed += 1
    return findings.requests - before, scenarios[0]


# --- consistency afterwards --------------------------------------------------------
def _rows(url: str) -> list[Any]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as con:
            return list(con.execute(sa.text(
                "SELECT uuid, container_id, status, task_state, host FROM container"
            )).mappings())
    finally:
        engine.dispose()


def inconsistencies(deployment: harness.ZunProcesses, url: str,
                    client: docker.DockerClient) -> list[str]:
    """Rows and runtime containers of this deployment that disagree."""
    ours = {c.labels.get(driver_base.LABEL_UUID): c for c in client.containers.list(
        all=True, filters={"label": "%s=%s" % (driver_base.LABEL_HOST, deployment.host)})}
    rows = _rows(url)
    problems = []
    for row in rows:
        if not row["container_id"]:
            continue
        if row["task_state"] is not None:
            problems.append("%s: task %s still in flight" % (row["uuid"], row["task_state"]))
            continue
        runtime = ours.get(row["uuid"])
        if runtime is None:
            if row["status"] not in (states.ERROR, states.DELETED):
                problems.append("%s: row %s but no runtime container labelled with it"
                                % (row["uuid"], row["status"]))
            continue
        runtime.reload()
        expected = states.status_from_runtime(runtime.attrs["State"]["Status"])
        if runtime.id != row["container_id"] and not runtime.id.startswith(row["container_id"]):
            problems.append("%s: row names runtime %s, Docker has %s"
                            % (row["uuid"], row["container_id"], runtime.id))
        if row["status"] != expected:
            problems.append("%s: row %s, Docker %s" % (row["uuid"], row["status"],
                                                       runtime.attrs["State"]["Status"]))
    uuids = {row["uuid"] for row in rows}
    for uuid, runtime in ours.items():
        if uuid not in uuids:
            problems.append("runtime container %s (%s) has no row" % (runtime.name, uuid))
    return problems


def _until_empty(find: Callable[[], list[str]], timeout: float) -> list[str]:
    """Poll ``find`` until it finds nothing; what it still finds at the bound."""
    found: list[str] = []

    def nothing_found() -> bool:
        found[:] = find()
        return not found
    harness.poll(nothing_found, timeout=timeout, interval=0.5)
    return found


def _settled(deployment: harness.ZunProcesses, url: str,
             client: docker.DockerClient) -> list[str]:
    """Inconsistencies left once tasks in flight have had 45 s to end."""
    return _until_empty(lambda: inconsistencies(deployment, url, client), 45)


def _delete_all(deployment: harness.ZunProcesses) -> list[str]:
    """Force-delete every container of the project (as its admin); what is left."""
    admin = harness.ApiClient(deployment.url, project=PROJECT, user="fuzz-admin",
                              roles="admin")
    for container in admin.get("/v1/containers", limit=1000).json()["containers"]:
        if container["status"] == states.PAUSED:   # force delete refuses Paused
            admin.post("/v1/containers/%s/unpause" % container["uuid"])
            admin.wait_status(container["uuid"], (states.RUNNING, states.ERROR))
        admin.delete("/v1/containers/%s" % container["uuid"], force="True")

    def left() -> list[str]:
        return ["not deleted after 120 s: %s %s (task %s): %s"
                % (c["uuid"], c["status"], c["task_state"], c["status_reason"])
                for c in admin.get("/v1/containers", limit=1000).json()["containers"]]
    return _until_empty(left, 120)


# --- the test ----------------------------------------------------------------------
@pytest.fixture(scope="module", params=BACKENDS)
def deployment(request, docker_client):
    """zun-all on the backend of the parameter, with its database URL."""
    # the missing image's registry is loopback: allowed here, refused by default
    # Every row counts against the quota until deleted, the Error rows of
    # failed creates too: room for what the fuzzer makes
    extra = ("[registry]\nallow = 127.0.0.1:1\n"
             "[quota]\ncontainers = 1000\ncpu = -1\nmemory = -1\n")
    with engines.zun_all_on(request, request.param, extra) as (zun, url):
        yield request.param, zun, url


# requests per backend, for the total line
SENT: dict[str, int] = {}


def test_fuzz_the_running_api(deployment, docker_client):
    backend, zun, url = deployment
    started = time.monotonic()
    api = harness.ApiClient(zun.url, project=PROJECT, user="fuzz-user")
    served = requests.get(zun.url + "/v1/openapi.json", timeout=30)
    assert served.status_code == 200
    schema = schemathesis.openapi.from_dict(served.json())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25

    known = Containers(api)
    findings = Findings()
    session = requests.Session()
    for operation in operations:
        for mode in (schemathesis.GenerationMode.POSITIVE,
                     schemathesis.GenerationMode.NEGATIVE):
            known.ensure()
            _fuzz_operation(operation, mode, zun.url, session, findings)
    known.ensure()
    stateful, scenarios = _fuzz_statefully(schema, zun.url, session, findings)
    fuzz_time = time.monotonic() - started

    problems = _settled(zun, url, docker_client)
    settle_time = time.monotonic() - started - fuzz_time
    checked = sum(1 for row in _rows(url) if row["container_id"])
    leftovers = _delete_all(zun) or _settled(zun, url, docker_client)
    SENT[backend] = findings.requests

    print("\nfuzz %s: %d requests (%d of them in %d stateful scenarios: %d steps followed "
          "a link, %d of them to a resource that exists) over %d operations x 2 modes in "
          "%.0f s (seed %d); statuses %s; %d distinct findings; "
          "%d rows with a runtime container checked against Docker: %d inconsistencies "
          "after %.0f s of settling, %d after deleting all; total %.0f s"
          % (backend, findings.requests, stateful, scenarios, sum(findings.linked),
             findings.linked[1], len(operations),
             fuzz_time,
             SEED, dict(sorted(findings.by_status.items())), len(findings.seen), checked,
             len(problems), settle_time, len(leftovers), time.monotonic() - started))
    print("slowest operations (s):", ", ".join(
        "%s %.1f" % item for item in findings.seconds.most_common(5)))
    print("fuzz total so far: %d requests (%s)" % (sum(SENT.values()), ", ".join(
        "%s %d" % item for item in SENT.items())))
    for line in [findings.report()] + problems + leftovers:
        print(line)
    assert not findings.seen, "findings:\n\n" + findings.report()
    assert problems == [], "DB and Docker disagree after fuzzing:\n" + "\n".join(problems)
    assert leftovers == [], "after deleting everything:\n" + "\n".join(leftovers)
    assert findings.requests >= MIN_REQUESTS
    assert scenarios >= SCENARIOS and stateful >= 2 * scenarios   # two steps or more each
    assert findings.linked[1] > 0  # and links led them to real containers
    assert checked >= len(KNOWN)   # the consistency check saw real containers
