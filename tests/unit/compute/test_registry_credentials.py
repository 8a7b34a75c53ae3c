"""The agent reads a container's registry row and decrypts its password with
its own key, right before the driver pulls; failures end in Error with a
reason naming the problem (never the password)."""
from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from tests.unit.compute.conftest import HOST, make_row
from zun.common import exception, states
from zun.compute import manager as manager_mod
from zun.compute import registries
from zun.compute import sync as sync_mod
from zun.conf import CONF
from zun.db import api as db_api

KEY = Fernet.generate_key().decode()
PW = "agent-side-secret"


@pytest.fixture(autouse=True)
def _conf():
    CONF.set_override("key", KEY, "registry")
    CONF.set_override("allow", ["reg.example.com:5000"], "registry")
    yield
    for name in ("key", "old_keys", "allow"):
        CONF.clear_override(name, "registry")


@pytest.fixture
def manager(driver, network):
    return manager_mod.Manager(driver, HOST, sync_mod.StateSync(driver, HOST),
                               network=network)


def _registry(ctx, password=PW):
    return db_api.registry_create(ctx, {
        "domain": "reg.example.com:5000", "username": "u", "password": password,
        "project_id": ctx.project_id, "user_id": ctx.user_id})


def test_credentials_of_the_registry_for_an_image_of_its_domain(db, ctx, admin):
    reg = _registry(ctx)
    row = make_row(ctx, image="reg.example.com:5000/app:1", registry_id=reg.id)
    creds = registries.credentials(admin, row)
    assert creds is not None
    assert (creds.registry, creds.username, creds.password) == (
        "reg.example.com:5000", "u", PW)
    # an image of another registry (a rebuild): anonymous, the account stays home
    other = make_row(ctx, image="busybox", registry_id=reg.id, name="c2")
    assert registries.credentials(admin, other) is None
    assert registries.credentials(admin, make_row(ctx, name="c3")) is None


def test_create_hands_the_credentials_to_the_driver(db, ctx, admin, manager, driver):
    reg = _registry(ctx)
    seen = []
    original = driver.create
    driver.create = lambda spec: (seen.append(spec.credentials), original(spec))[1]
    row = make_row(ctx, image="reg.example.com:5000/app", registry_id=reg.id,
                   task_state=states.CONTAINER_CREATING)
    manager.container_create(ctx, row.uuid, run=False)
    assert db_api.container_get_by_uuid(admin, row.uuid).status == states.CREATED
    assert [c.password for c in seen] == [PW]


def test_a_key_this_host_lacks_ends_in_error_naming_it(db, ctx, admin, manager, driver,
                                                        caplog):
    reg = _registry(ctx)
    CONF.set_override("key", Fernet.generate_key().decode(), "registry")
    row = make_row(ctx, image="reg.example.com:5000/app", registry_id=reg.id,
                   task_state=states.CONTAINER_CREATING)
    db_api.action_start(ctx, row.uuid, "create")
    manager.container_create(ctx, row.uuid, run=True)
    row = db_api.container_get_by_uuid(admin, row.uuid)
    assert (row.status, row.task_state) == (states.ERROR, None)
    assert "cannot be decrypted with [registry] key or old_keys" in row.status_reason
    assert "Traceback" not in row.status_reason
    assert [c for c in driver.calls if c[0] == "create"] == []
    assert PW not in caplog.text and KEY not in caplog.text


def test_no_key_on_the_agent_is_a_clear_error(db, ctx, admin):
    reg = _registry(ctx)
    CONF.set_override("key", None, "registry")
    row = make_row(ctx, image="reg.example.com:5000/app", registry_id=reg.id)
    with pytest.raises(exception.RegistryKeyMissing):
        registries.credentials(admin, row)


# --- commit: pushed to a registry of the container's project ---------------------

class FakeCommitter:
    """The driver's commit, inspect and push, recording each push."""

    def __init__(self, push_error=None):
        self.pushed = []
        self.push_error = push_error

    def commit(self, container_id, repository, tag):
        return "sha256:new"

    def inspect_image(self, ref):
        from zun.container.driver import base
        return base.ImageFacts(image_id="sha256:new", size=1, tags=[ref])

    def push_image(self, ref, credentials):
        self.pushed.append((ref, credentials))
        if self.push_error:
            raise self.push_error


def _image_row(admin, repo):
    import uuid as uuidlib
    return db_api.image_create(admin, {"uuid": str(uuidlib.uuid4()), "repo": repo,
                                       "tag": "1", "host": HOST, "status": "Pulling"})


def test_commit_named_after_a_projects_registry_is_pushed_with_its_account(db, ctx,
                                                                          admin):
    from zun.compute import images
    _registry(ctx)
    driver = FakeCommitter()
    row = _image_row(admin, "reg.example.com:5000/team/app")
    images.commit(driver, admin, "cid", row.uuid, project_id=ctx.project_id)
    [(ref, creds)] = driver.pushed
    assert ref == "reg.example.com:5000/team/app:1" and creds.password == PW
    assert db_api.image_get(admin, row.uuid).status == "Available"


def test_commit_of_another_name_or_project_is_not_pushed(db, ctx, admin):
    from zun.compute import images
    _registry(ctx)
    driver = FakeCommitter()
    for repo, project in (("team/app", ctx.project_id),
                          ("reg.example.com:5000/team/app2", "another-project")):
        row = _image_row(admin, repo)
        images.commit(driver, admin, "cid", row.uuid, project_id=project)
        assert db_api.image_get(admin, row.uuid).status == "Available"
    assert driver.pushed == []


def test_a_refused_push_keeps_the_image_and_says_why(db, ctx, admin):
    from zun.compute import images
    _registry(ctx)
    driver = FakeCommitter(exception.RuntimeOperationFailed(
        reason="the push of x failed: unauthorized: authentication required"))
    row = _image_row(admin, "reg.example.com:5000/team/app")
    with pytest.raises(exception.RuntimeOperationFailed):
        images.commit(driver, admin, "cid", row.uuid, project_id=ctx.project_id)
    done = db_api.image_get(admin, row.uuid)
    assert done.status == "Available"
    assert "authentication required" in done.status_reason and PW not in done.status_reason
