"""The OpenAPI document against the code: the committed copy, the real
Pecan routes (both ways), the controllers' parameters and schemas, and the
shapes of real responses of the real app."""
from __future__ import annotations

import importlib.util
import inspect
import json
import re
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import pytest
import referencing
import referencing.jsonschema
from pecan import rest

from tests.unit.api.conftest import ADMIN, ALICE, make_container, v
from tests.unit.api.test_hosts import add_host
from zun.api import openapi, versions
from zun.api.controllers import containers as containers_ctl
from zun.api.controllers import hosts as hosts_ctl
from zun.api.controllers import root
from zun.api.middleware import auth
from zun.api.schemas import containers as container_schemas
from zun.api.views import containers as container_view
from zun.common import actions
from zun.common.context import RequestContext
from zun.db import api as db_api

REPO = Path(__file__).resolve().parents[3]
DOC = openapi.document()
METHODS = ("get", "post", "put", "patch", "delete")
# Routes answered before Pecan (oslo.middleware), so not among its controllers.
NOT_PECAN = {"/healthcheck"}
# The error codes of "no such route" and "no such method" (the generic
# NotFound/MethodNotAllowed); a missing container has its own code.
ROUTING_CODES = {"container.not_found", "container.method_not_allowed"}


def _roundtrip(value: Any) -> Any:
    return json.loads(json.dumps(value))


# --- the committed copy -------------------------------------------------------
def test_committed_document_is_what_the_code_generates():
    committed = json.loads((REPO / "docs" / "openapi.json").read_text())
    assert committed == _roundtrip(DOC), "docs/openapi.json is stale: run tools/gen-openapi.py"


def test_generator_check_mode_agrees():
    spec = importlib.util.spec_from_file_location("gen_openapi", REPO / "tools" / "gen-openapi.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert gen.main(["--check"]) == 0
    assert json.loads(gen.render()) == _roundtrip(DOC)


# --- Pecan's routes, by introspection -------------------------------------------
def _exposed(obj: Any, name: str) -> Any:
    member = getattr(obj, name, None)
    return member if getattr(member, "exposed", False) else None


def _positional(method: Any) -> int:
    return sum(1 for p in inspect.signature(method).parameters.values()
               if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


def _is_controller(value: Any) -> bool:
    if inspect.isroutine(value) or inspect.isclass(value) or value is None:
        return False
    return isinstance(value, rest.RestController) or any(
        getattr(getattr(type(value), n, None), "exposed", False) for n in dir(type(value)))


def _children(controller: Any) -> Iterator[tuple[str, Any]]:
    for name in dir(controller):
        if name.startswith("_"):
            continue
        value = getattr(controller, name, None)
        if _is_controller(value):
            yield name, value


def pecan_routes(controller: Any, prefix: str = "", depth: int = 0) -> set[tuple[str, str]]:
    """(METHOD, path template with {}) for every route the controllers expose.

    ``depth`` counts the parent identifiers a nested RestController's
    methods receive before their own.
    """
    out: set[tuple[str, str]] = set()
    if isinstance(controller, rest.RestController):
        for name, verb in (("get_all", "GET"), ("post", "POST"), ("get_one", "GET"),
                           ("put", "PUT"), ("patch", "PATCH"), ("delete", "DELETE")):
            method = _exposed(controller, name)
            if method is not None:
                own = _positional(method) - depth
                out.add((verb, prefix + "/{}" * own))
        for action, verbs in getattr(controller, "_custom_actions", {}).items():
            own = _positional(getattr(controller, action)) - depth
            for verb in verbs:
                out.add((verb.upper(), prefix + "/{}" * own + "/" + action))
        for name, child in _children(controller):
            if isinstance(child, rest.RestController):
                out |= pecan_routes(child, "%s/{}/%s" % (prefix, name), depth + 1)
    else:
        if _exposed(controller, "index") is not None:
            out.add(("GET", prefix or "/"))
        for name, child in _children(controller):
            out |= pecan_routes(child, "%s/%s" % (prefix, name), depth)
    return out


def _regex(template: str) -> re.Pattern:
    parts = [re.escape(p) for p in template.split("{}")]
    return re.compile("^" + "[^/]+".join(parts) + "$")


def _concrete(path: str, value: str = "x") -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def documented() -> set[tuple[str, str]]:
    return {(m.upper(), p) for p, ops in DOC["paths"].items() for m in ops if m in METHODS}


ROUTES = pecan_routes(root.RootController())


def test_introspection_sees_the_known_routes():
    # guards the introspection itself: a broken walker would pass vacuously
    assert ("GET", "/") in ROUTES
    assert ("POST", "/v1/containers/{}/start") in ROUTES
    assert ("GET", "/v1/containers/{}/container_actions/{}") in ROUTES
    assert ("PUT", "/v1/services/{}") in ROUTES
    assert ("GET", "/v1/openapi.json") in ROUTES
    assert len(ROUTES) >= 25


def _not_yet_served(template: str) -> bool:
    """Container sub-routes that only say which feature is missing (404)."""
    parts = template.split("/")
    return template.startswith("/v1/containers/{}/") and len(parts) == 5 \
        and parts[-1] in actions.NOT_YET_SERVED


def test_every_pecan_route_is_documented():
    missing = sorted(
        (verb, template) for verb, template in ROUTES
        if not _not_yet_served(template)
        and not any(verb == m and _regex(template).match(_concrete(p))
                    for m, p in documented()))
    assert missing == []


def test_every_documented_operation_is_a_pecan_route():
    stray = sorted((m, p) for m, p in documented() if p not in NOT_PECAN
                   and not any(m == verb and _regex(t).match(_concrete(p)) for verb, t in ROUTES))
    assert stray == []


@pytest.fixture
def idents(app) -> dict[str, str]:
    """Real rows for every path parameter, so no 404 can come from data."""
    row = make_container(name="doc-c1")
    ctx = RequestContext(user_id="alice", project_id="proj-a", request_id="req-doc-1")
    db_api.action_start(ctx, row.uuid, "create")
    add_host("host1")
    return {"container_ident": row.uuid, "request_id": "req-doc-1", "host_ident": "host1",
            "project_id": "proj-a", "quota_class_name": "default",
            "image_id": "00000000-0000-0000-0000-000000000000",
            "registry_ident": "00000000-0000-0000-0000-000000000001"}


@pytest.mark.parametrize("method,path", sorted(documented()))
def test_documented_operation_is_routed_by_the_app(app, idents, method, path):
    version = "1.13" if path.endswith("/rename") else "1.40"
    url = path.format(**idents)
    kwargs: dict[str, Any] = {"headers": v(version, ADMIN), "expect_errors": True}
    if method in ("POST", "PUT", "PATCH"):
        kwargs["body"] = b"{}"
        kwargs["content_type"] = "application/json"
    resp = app.request(url, method=method, **kwargs)
    assert resp.status_int != 405, resp.text
    if resp.status_int == 404:
        assert resp.json["errors"][0]["code"] not in ROUTING_CODES, resp.text


def test_undocumented_path_is_a_routing_404(app):
    # the converse of the check above: what it rules out really looks like this
    resp = app.get("/v1/no_such_resource", headers=ALICE, expect_errors=True)
    assert resp.status_int == 404
    assert resp.json["errors"][0]["code"] in ROUTING_CODES


# --- served document -----------------------------------------------------------
def test_served_document_is_the_generated_one(app):
    resp = app.get("/v1/openapi.json", headers={"Accept": "application/json"})
    assert resp.content_type == "application/json"
    assert resp.json == _roundtrip(DOC)


def test_served_document_is_public():
    assert "/v1/openapi.json" in auth.PUBLIC_ROUTES
    assert DOC["paths"]["/v1/openapi.json"]["get"]["security"] == []


# --- parameters and bodies come from the code -------------------------------------
def _query_names(path: str, method: str) -> set[str]:
    names = set()
    for param in DOC["paths"][path][method]["parameters"]:
        if "$ref" in param:
            param = DOC["components"]["parameters"][param["$ref"].rsplit("/", 1)[1]]
        if param["in"] == "query":
            names.add(param["name"])
    return names


def test_list_query_parameters_are_the_controllers():
    assert _query_names("/v1/containers", "get") == set(containers_ctl.LIST_PARAMS)
    assert _query_names("/v1/hosts", "get") == set(hosts_ctl.LIST_PARAMS)


def _body_schema(path: str, method: str) -> dict:
    return DOC["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]


def test_request_bodies_are_the_validation_schemas():
    assert _body_schema("/v1/containers", "post") == _roundtrip(
        container_schemas.create_schema(versions.MAX_VERSION))
    assert _body_schema("/v1/containers/{container_ident}", "patch") == _roundtrip(
        container_schemas.UPDATE_SCHEMA)
    assert _body_schema("/v1/containers/{container_ident}/rebuild", "post") == _roundtrip(
        container_schemas.REBUILD_SCHEMA)
    assert _body_schema("/v1/containers/{container_ident}/rename", "post") == _roundtrip(
        container_schemas.RENAME_SCHEMA)


def test_older_version_documents_older_bodies():
    old = openapi.document(versions.Version(1, 19))
    body = old["paths"]["/v1/containers"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]
    assert "entrypoint" not in body["properties"]
    assert body["properties"]["command"]["type"] == ["string", "null"]
    assert old["components"]["parameters"]["ApiVersion"]["schema"]["enum"][-2:] == [
        "container 1.19", "container latest"]


def test_every_schema_is_valid_json_schema():
    for schema in DOC["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)
    for path, ops in DOC["paths"].items():
        for method, op in ops.items():
            if "requestBody" in op:
                jsonschema.Draft202012Validator.check_schema(_body_schema(path, method))


def test_error_answers_use_the_error_body():
    for path, ops in DOC["paths"].items():
        for op in ops.values():
            for code, answer in op["responses"].items():
                if int(code) >= 400 and path != "/healthcheck":
                    assert answer["$ref"].startswith("#/components/responses/E"), (path, code)
    assert 500 not in [int(c) for op in DOC["paths"]["/v1/containers"].values()
                       for c in op["responses"]]


def test_container_schema_lists_the_view_fields():
    schema = DOC["components"]["schemas"]["Container"]
    assert set(schema["properties"]) == set(container_view.FIELDS)


# --- real responses match the documented shapes ---------------------------------
def _validator(name: str) -> jsonschema.Draft202012Validator:
    resource = referencing.Resource.from_contents(
        _roundtrip(DOC), default_specification=referencing.jsonschema.DRAFT202012)
    registry = referencing.Registry().with_resource("urn:zun-openapi", resource)
    return jsonschema.Draft202012Validator(
        {"$ref": "urn:zun-openapi#/components/schemas/%s" % name}, registry=registry)


@pytest.mark.parametrize("url,schema,headers", [
    ("/", "Root", ALICE),
    ("/v1", "V1", ALICE),
    ("/v1/containers", "ContainerList", ALICE),
    ("/v1/containers/{container_ident}", "Container", ALICE),
    ("/v1/containers/{container_ident}?all_projects=True", "Container", ADMIN),
    ("/v1/containers/{container_ident}/container_actions", "ContainerActionList", ALICE),
    ("/v1/containers/{container_ident}/container_actions/{request_id}?all_projects=1",
     "ContainerAction", ADMIN),
    ("/v1/services", "ServiceList", ADMIN),
    ("/v1/hosts", "HostList", ADMIN),
    ("/v1/hosts/{host_ident}", "Host", ADMIN),
    ("/v1/availability_zones", "AvailabilityZoneList", ADMIN),
    ("/v1/containers/nope", "Error", ALICE),
    ("/v1/containers?limit=x", "Error", ALICE),
])
def test_real_responses_match_their_schema(app, idents, url, schema, headers):
    oldest = str(versions.HOSTS_MIN_VERSION) if "/hosts" in url else "1.1"
    for version in (oldest, "1.40"):
        resp = app.get(url.format(**idents), headers=v(version, headers), expect_errors=True)
        if schema == "Error":
            assert resp.status_int >= 400
        else:
            assert resp.status_int == 200, resp.text
        errors = sorted(_validator(schema).iter_errors(resp.json), key=str)
        assert errors == [], (version, resp.json)


def test_operations_on_a_named_container_document_404_and_409():
    # a missing container is a 404 and a name several containers share a 409
    for path, ops in DOC["paths"].items():
        if "{container_ident}" in path:
            for method, op in ops.items():
                assert {"404", "409"} <= set(op["responses"]), (method, path)
