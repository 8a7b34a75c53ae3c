"""/v1/registries: shapes as zunclient reads them, '***' everywhere, tenancy,
bad input (the password never quoted), no key -> 409; container 'registry'."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from tests.unit.api.conftest import ADMIN, ALICE, BOB, v
from zun.conf import CONF
from zun.db import api as db_api
from zun.db import models
from zun.db import session as db_session

PW = "Pa55-unit-secret"
READER = dict(ALICE, **{"X-Roles": "reader"})


@pytest.fixture(autouse=True)
def _key():
    CONF.set_override("key", Fernet.generate_key().decode(), "registry")
    CONF.set_override("allow", ["reg.example.com:5000"], "registry")
    yield
    CONF.clear_override("key", "registry")
    CONF.clear_override("allow", "registry")


def _create(app, fields, headers=ALICE, status=201):
    return app.post_json("/v1/registries", {"registry": fields}, headers=headers,
                         status=status)


def _reg(app, name="myreg", headers=ALICE):
    return _create(app, {"name": name, "domain": "Reg.Example.com:5000",
                         "username": "bob", "password": PW}, headers).json["registry"]


def _title(resp) -> str:
    return resp.json["errors"][0]["title"]


def test_create_answers_201_with_the_registry_and_a_masked_password(app):
    resp = _create(app, {"name": "myreg", "domain": "Reg.Example.com:5000",
                         "username": "bob", "password": PW})
    body = resp.json["registry"]
    assert body["password"] == "***"
    assert body["domain"] == "reg.example.com:5000"
    assert {"uuid", "name", "domain", "username", "password", "project_id",
            "user_id", "links"} == set(body)
    assert resp.headers["Location"].endswith("/v1/registries/%s" % body["uuid"])
    assert PW not in resp.text


def test_every_answer_masks_the_password_and_nothing_quotes_it(app):
    reg = _reg(app)
    texts = [app.get("/v1/registries", headers=ALICE).text,
             app.get("/v1/registries/%s" % reg["uuid"], headers=ALICE).text,
             app.get("/v1/registries/myreg", headers=ALICE).text,
             app.patch_json("/v1/registries/myreg", {"registry": {"password": PW + "2"}},
                            headers=ALICE).text]
    for text in texts:
        assert PW not in text and '"***"' in text
    listing = app.get("/v1/registries", headers=ALICE).json
    assert listing["next"] is None
    assert [r["password"] for r in listing["registries"]] == ["***"]
    shown = app.get("/v1/registries/myreg", headers=ALICE).json["registry"]
    assert shown["uuid"] == reg["uuid"] and shown["username"] == "bob"
    with db_session.reader() as session:
        stored = session.execute(sa.select(models.Registry.password)).scalar_one()
    assert PW not in stored


def test_another_projects_registry_is_404_everywhere(app):
    reg = _reg(app)
    for ident in (reg["uuid"], "myreg"):
        url = "/v1/registries/%s" % ident
        assert app.get(url, headers=BOB, status=404).json["errors"][0]["code"] \
            == "container.registry_not_found"
        app.patch_json(url, {"registry": {"name": "x1"}}, headers=BOB, status=404)
        app.delete(url, headers=BOB, status=404)
    assert app.get("/v1/registries", headers=BOB).json["registries"] == []
    # an admin sees every project's with all_projects
    every = app.get("/v1/registries?all_projects=1", headers=ADMIN).json
    assert [r["uuid"] for r in every["registries"]] == [reg["uuid"]]
    app.get("/v1/registries?all_projects=1", headers=ALICE, status=403)


def test_update_and_delete(app):
    reg = _reg(app)
    body = app.patch_json("/v1/registries/%s" % reg["uuid"],
                          {"registry": {"name": "renamed", "username": "carol"}},
                          headers=ALICE).json["registry"]
    assert (body["name"], body["username"], body["password"]) == ("renamed", "carol", "***")
    resp = app.delete("/v1/registries/renamed", headers=ALICE, status=204)
    assert resp.body == b""
    app.get("/v1/registries/%s" % reg["uuid"], headers=ALICE, status=404)


def test_readers_read_and_members_write(app):
    reg = _reg(app)
    app.get("/v1/registries/%s" % reg["uuid"], headers=READER)
    app.get("/v1/registries", headers=READER)
    _create(app, {"domain": "reg.example.com:5000"}, headers=READER, status=403)
    app.patch_json("/v1/registries/myreg", {"registry": {"name": "x1"}},
                   headers=READER, status=403)
    app.delete("/v1/registries/myreg", headers=READER, status=403)


def test_no_key_refuses_a_password_with_409_but_not_an_anonymous_registry(app):
    CONF.set_override("key", None, "registry")
    resp = _create(app, {"domain": "reg.example.com:5000", "username": "u",
                         "password": PW}, status=409)
    assert resp.json["errors"][0]["code"] == "container.registry_key_missing"
    assert "[registry] key" in _title(resp) and PW not in resp.text
    reg = _create(app, {"domain": "reg.example.com:5000"}).json["registry"]
    app.patch_json("/v1/registries/%s" % reg["uuid"], {"registry": {"password": PW}},
                   headers=ALICE, status=409)
    assert db_api.registry_list(_ctx())[0].password is None


def _ctx():
    from zun.common.context import RequestContext
    return RequestContext(user_id="alice", project_id="proj-a")


@pytest.mark.parametrize("fields,needle", [
    ({"name": "x1"}, "'registry.domain'"),
    ({"domain": "reg.example.com", "bogus": 1}, "'registry.bogus'"),
    ({"domain": "foo"}, "'registry.domain'"),
    ({"domain": "reg.example.com/path"}, "'registry.domain'"),
    ({"domain": "reg.example.com", "name": "-bad"}, "'registry.name'"),
    ({"domain": "reg.example.com", "username": 5}, "'registry.username'"),
])
def test_bad_input_is_400_naming_the_field(app, fields, needle):
    resp = _create(app, fields, status=400)
    assert needle in _title(resp)


@pytest.mark.parametrize("password", ["x" * 256, "bad\x00nul", 12345])
def test_a_bad_password_is_400_and_never_quoted(app, password):
    resp = _create(app, {"domain": "reg.example.com", "password": password}, status=400)
    assert "'registry.password'" in _title(resp)
    assert json.dumps(password).strip('"') not in resp.text
    assert "Value:" not in _title(resp)


def test_a_denied_domain_is_400_naming_domain(app):
    resp = _create(app, {"domain": "127.0.0.1:5000", "password": PW}, status=400)
    error = resp.json["errors"][0]
    assert error["code"] == "container.registry_not_allowed"
    assert "'registry.domain'" in error["title"]
    assert db_api.registry_list(_ctx()) == []


def test_a_body_without_registry_is_400(app):
    resp = app.post_json("/v1/registries", {"domain": "reg.example.com"},
                         headers=ALICE, status=400)
    assert "registry" in _title(resp)


# --- container 'registry' (1.31) ------------------------------------------------

def _run(app, body, headers=None, status=202):
    return app.post_json("/v1/containers", body, headers=headers or v("1.40"),
                         status=status)


def test_create_with_a_registry_stores_its_id(app, compute):
    reg = _reg(app)
    for ident in (reg["uuid"], "myreg"):
        _run(app, {"image": "reg.example.com:5000/app:1", "registry": ident})
        (ctx, values), _ = compute.last("container_create")
        row = db_api.registry_get(_ctx(), reg["uuid"])
        assert values["registry_id"] == row.id and "registry" not in values


def test_create_with_an_image_of_another_registry_is_400(app, compute):
    _reg(app)
    resp = _run(app, {"image": "busybox", "registry": "myreg"}, status=400)
    assert "'registry'" in _title(resp) and "docker.io" in _title(resp)
    assert "container_create" not in compute.names()


def test_create_with_another_projects_registry_is_404(app, compute):
    reg = _reg(app, headers=BOB)
    resp = _run(app, {"image": "reg.example.com:5000/app", "registry": reg["uuid"]},
                status=404)
    assert resp.json["errors"][0]["code"] == "container.registry_not_found"
    assert "container_create" not in compute.names()


def test_registry_before_1_31_is_400(app, compute):
    _reg(app)
    resp = _run(app, {"image": "reg.example.com:5000/app", "registry": "myreg"},
                headers=v("1.30"), status=400)
    assert "registry" in _title(resp)
