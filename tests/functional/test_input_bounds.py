"""Request limits against a real zun-all, on SQLite, MariaDB and PostgreSQL.

A 5,000-character ``workdir`` (its column is String(255): MariaDB would
refuse or truncate it, PostgreSQL refuse it) and an ``image`` holding a NUL
character (PostgreSQL's text cannot hold one) are 400s naming the field on
every backend, and leave no row behind; so is a body nesting too deeply,
and a body over the size limit is a 413 in the upstream error body.
"""
from __future__ import annotations

import pytest
import requests
import sqlalchemy as sa

from tests.functional import engines, harness

# small, so the 413 case sends little
BODY_LIMIT = 64 * 1024


@pytest.fixture(scope="module", params=["sqlite", "mariadb", "postgresql"])
def deployment(request, docker_client):
    """zun-all on the backend of the parameter, with its database URL."""
    extra = "[api]\nmax_request_body_size = %d\n" % BODY_LIMIT
    with engines.zun_all_on(request, request.param, extra) as (zun, url):
        yield zun, url


def _row_count(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as con:
            return int(con.execute(sa.text("SELECT count(*) FROM container")).scalar_one())
    finally:
        engine.dispose()


def test_oversized_nul_and_nested_input_is_refused_and_leaves_no_row(deployment):
    zun, url = deployment
    api = harness.ApiClient(zun.url)

    response = api.post("/v1/containers", {"image": harness.IMAGE,
                                           "workdir": "/" + "w" * 4999})
    assert response.status_code == 400, response.text
    assert "Invalid input for field 'workdir'" in response.json()["errors"][0]["title"]

    response = api.post("/v1/containers", {"image": "busy\x00box"})
    assert response.status_code == 400, response.text
    title = response.json()["errors"][0]["title"]
    assert "Invalid input for field 'image'" in title and "NUL" in title

    # 60,000 "[" fit under this deployment's 64 KiB limit (unit tests send 100,000)
    response = requests.post(zun.url + "/v1/containers", data=b"[" * 60000,
                             headers=api.headers, timeout=60)
    assert response.status_code == 400, response.text
    assert "nests too deeply" in response.json()["errors"][0]["title"]

    response = api.post("/v1/containers", {"image": harness.IMAGE,
                                           "labels": {"l": "x" * BODY_LIMIT}})
    assert response.status_code == 413, response.text
    assert response.json()["errors"][0]["code"] == "container.request_entity_too_large"

    assert _row_count(url) == 0
    # the same deployment still serves a good request
    created = api.post("/v1/containers", {"image": harness.IMAGE,
                                          "workdir": "/" + "w" * 254})
    assert created.status_code == 202, created.text
    assert _row_count(url) == 1
    uuid = created.json()["uuid"]
    api.wait_status(uuid, "Created")
    assert api.delete("/v1/containers/%s" % uuid).status_code == 204
    api.wait_gone(uuid)
