"""Registry rows: scoping, the password stored as a token, in-use refusal,
re-encryption after a key rotation."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from zun.common import exception, registry_secrets
from zun.conf import CONF
from zun.db import api as db_api
from zun.db import models
from zun.db import session as db_session

KEY = Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def _key():
    CONF.set_override("key", KEY, "registry")
    yield
    CONF.clear_override("key", "registry")
    CONF.clear_override("old_keys", "registry")


def _stored(uuid: str) -> str | None:
    with db_session.reader() as session:
        return session.execute(sa.select(models.Registry.password).where(
            models.Registry.uuid == uuid)).scalar_one()


def _make(ctx, name="reg1", password="hunter2-pw", **values):
    return db_api.registry_create(ctx, dict(
        name=name, domain="reg.example.com:5000", username="u", password=password,
        project_id=ctx.project_id, user_id=ctx.user_id, **values))


def test_the_stored_password_is_a_token_not_the_plaintext(db_url, ctx):
    row = _make(ctx)
    stored = _stored(row.uuid)
    assert stored and "hunter2-pw" not in stored
    assert registry_secrets.decrypt(stored) == "hunter2-pw"


def test_no_password_needs_no_key(db_url, ctx):
    CONF.set_override("key", None, "registry")
    row = _make(ctx, password=None)
    assert _stored(row.uuid) is None
    with pytest.raises(exception.RegistryKeyMissing):
        _make(ctx, name="reg2")


def test_another_projects_registry_is_not_found(db_url, ctx, other_ctx, all_ctx):
    row = _make(ctx)
    assert db_api.registry_get(ctx, row.uuid).id == row.id
    assert db_api.registry_get(ctx, "reg1").id == row.id
    for ident in (row.uuid, "reg1"):
        with pytest.raises(exception.RegistryNotFound):
            db_api.registry_get(other_ctx, ident)
    with pytest.raises(exception.RegistryNotFound):
        db_api.registry_update(other_ctx, row.uuid, {"name": "x"})
    with pytest.raises(exception.RegistryNotFound):
        db_api.registry_destroy(other_ctx, row.uuid)
    assert db_api.registry_list(other_ctx) == []
    assert [r.uuid for r in db_api.registry_list(all_ctx)] == [row.uuid]
    with pytest.raises(exception.RegistryNotFound):
        db_api.registry_get_by_id(ctx, row.id, "proj2")
    assert db_api.registry_get_by_id(ctx, row.id, "proj1").uuid == row.uuid


def test_a_name_held_twice_is_ambiguous(db_url, ctx):
    _make(ctx)
    _make(ctx)
    with pytest.raises(exception.RegistryNameAmbiguous):
        db_api.registry_get(ctx, "reg1")


def test_list_filters_and_pages(db_url, ctx):
    rows = [_make(ctx, name="r%d" % i) for i in range(3)]
    assert [r.uuid for r in db_api.registry_list(ctx, filters={"name": "r1"})] == [rows[1].uuid]
    page = db_api.registry_list(ctx, limit=2)
    assert [r.uuid for r in page] == [rows[0].uuid, rows[1].uuid]
    rest = db_api.registry_list(ctx, limit=2, marker=page[-1].uuid)
    assert [r.uuid for r in rest] == [rows[2].uuid]
    with pytest.raises(exception.Invalid):
        db_api.registry_list(ctx, filters={"password": "x"})
    with pytest.raises(exception.Invalid):
        db_api.registry_list(ctx, sort_key="password")


def test_update_encrypts_and_an_empty_password_clears_it(db_url, ctx):
    row = _make(ctx)
    db_api.registry_update(ctx, row.uuid, {"password": "new-pw"})
    assert registry_secrets.decrypt(_stored(row.uuid)) == "new-pw"
    db_api.registry_update(ctx, row.uuid, {"password": None})
    assert _stored(row.uuid) is None


def test_delete_is_refused_while_a_container_names_it(db_url, ctx):
    row = _make(ctx)
    container = db_api.container_create(ctx, {"image": "reg.example.com:5000/x",
                                              "registry_id": row.id, "name": "c"})
    with pytest.raises(exception.RegistryInUse):
        db_api.registry_destroy(ctx, row.uuid)
    db_api.container_destroy(ctx, container.uuid)
    db_api.registry_destroy(ctx, row.uuid)
    with pytest.raises(exception.RegistryNotFound):
        db_api.registry_get(ctx, row.uuid)


def test_rekey_moves_every_password_to_the_new_key(db_url, ctx):
    rows = [_make(ctx, name="r%d" % i, password="pw%d" % i) for i in range(2)]
    _make(ctx, name="anon", password=None)
    new = Fernet.generate_key().decode()
    CONF.set_override("key", new, "registry")
    CONF.set_override("old_keys", [KEY], "registry")
    assert db_api.registry_rekey(ctx) == 2
    CONF.set_override("old_keys", [], "registry")
    assert [registry_secrets.decrypt(_stored(r.uuid)) for r in rows] == ["pw0", "pw1"]


def test_rekey_with_an_unknown_key_fails_cleanly(db_url, ctx):
    _make(ctx)
    CONF.set_override("key", Fernet.generate_key().decode(), "registry")
    with pytest.raises(exception.RegistryKeyInvalid):
        db_api.registry_rekey(ctx)
