"""GET /v1/containers: filters, pagination, sorting, tenancy."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from tests.unit.api.conftest import ADMIN, ALICE, BOB, make_container
from zun.conf import CONF


def _names(response) -> list[str]:
    return [c["name"] for c in response.json["containers"]]


@pytest.fixture
def three(app):
    make_container(name="c1", image="busybox", status="Running")
    make_container(name="c2", image="nginx", status="Stopped", memory="128")
    make_container(name="c3", image="busybox", status="Stopped", auto_remove=True)
    make_container(project="proj-b", user="bob", name="b1")


@pytest.mark.parametrize("path", ["/v1/containers", "/v1/containers/"])
def test_both_spellings_list_own_project_only(app, three, path):
    response = app.get(path, headers=ALICE)
    assert _names(response) == ["c1", "c2", "c3"]
    assert response.json["next"] is None
    assert _names(app.get(path, headers=BOB)) == ["b1"]


@pytest.mark.parametrize("query,expected", [
    ("image=busybox", ["c1", "c3"]),
    ("status=Stopped", ["c2", "c3"]),
    ("name=c2", ["c2"]),
    ("memory=128", ["c2"]),
    ("auto_remove=True", ["c3"]),
    ("user_id=alice&project_id=proj-a", ["c1", "c2", "c3"]),
    ("task_state=None", ["c1", "c2", "c3"]),
    ("image=busybox&status=Stopped", ["c3"]),
])
def test_filters(app, three, query, expected):
    assert _names(app.get("/v1/containers?" + query, headers=ALICE)) == expected


def test_project_filter_cannot_escape_tenancy(app, three):
    assert _names(app.get("/v1/containers?project_id=proj-b", headers=ALICE)) == []


def test_host_filter_is_admin_only(app, three):
    app.get("/v1/containers?host=host1", headers=ALICE, status=403)
    response = app.get("/v1/containers?host=host1&all_projects=True", headers=ADMIN)
    assert _names(response) == ["c1", "c2", "c3", "b1"]


def test_unknown_query_key_is_400(app, three):
    response = app.get("/v1/containers?colour=red", headers=ALICE, status=400)
    assert "colour" in response.json["errors"][0]["title"]


@pytest.mark.parametrize("query", ["limit=abc", "limit=0", "limit=-2", "status=Sleeping",
                                   "sort_dir=up", "sort_key=secret",
                                   "auto_remove=perhaps", "all_projects=maybe"])
def test_bad_values_are_400_naming_the_parameter(app, three, query):
    response = app.get("/v1/containers?" + query, headers=ALICE, status=400)
    assert query.split("=")[0] in response.json["errors"][0]["title"]


def test_pagination_follows_next(app, three):
    first = app.get("/v1/containers/?limit=2", headers=ALICE)
    assert _names(first) == ["c1", "c2"]
    next_url = urlparse(first.json["next"])
    assert next_url.path == "/v1/containers"
    params = parse_qs(next_url.query)
    assert params["limit"] == ["2"]
    assert params["marker"] == [first.json["containers"][-1]["uuid"]]
    second = app.get("%s?%s" % (next_url.path, next_url.query), headers=ALICE)
    assert _names(second) == ["c3"]
    assert second.json["next"] is None


def test_next_keeps_sort_and_filters(app, three):
    first = app.get("/v1/containers/?limit=1&sort_key=name&sort_dir=desc&image=busybox",
                    headers=ALICE)
    assert _names(first) == ["c3"]
    params = parse_qs(urlparse(first.json["next"]).query)
    assert params["sort_key"] == ["name"] and params["sort_dir"] == ["desc"]
    assert params["image"] == ["busybox"]
    second = app.get(first.json["next"].replace("http://localhost", ""), headers=ALICE)
    assert _names(second) == ["c1"]


def test_sort_desc(app, three):
    response = app.get("/v1/containers?sort_key=name&sort_dir=desc", headers=ALICE)
    assert _names(response) == ["c3", "c2", "c1"]


def test_limit_is_capped_by_max_limit(app, three):
    CONF.set_override("max_limit", 2, "api")
    try:
        response = app.get("/v1/containers?limit=50", headers=ALICE)
        assert _names(response) == ["c1", "c2"]
        assert "limit=2" in response.json["next"]
        default = app.get("/v1/containers", headers=ALICE)
        assert len(default.json["containers"]) == 2
    finally:
        CONF.clear_override("max_limit", "api")


def test_unknown_marker_is_400(app, three):
    response = app.get("/v1/containers?marker=2b8e8bb4-0000-4000-8000-000000000000",
                       headers=ALICE, status=400)
    assert "marker" in response.json["errors"][0]["title"]


@pytest.mark.parametrize("flag", ["1", "True", "true"])
def test_all_projects_for_admin(app, three, flag):
    response = app.get("/v1/containers?all_projects=" + flag, headers=ADMIN)
    assert sorted(_names(response)) == ["b1", "c1", "c2", "c3"]
    # admin fields are shown to the admin
    assert response.json["containers"][0]["host"] == "host1"


def test_all_projects_false_and_admin_without_flag_stay_scoped(app, three):
    assert _names(app.get("/v1/containers?all_projects=False", headers=ADMIN)) == []
    assert _names(app.get("/v1/containers", headers=ADMIN)) == []


def test_all_projects_for_member_is_403(app, three):
    response = app.get("/v1/containers/?all_projects=1", headers=ALICE, status=403)
    assert "container:get_all_all_projects" in response.json["errors"][0]["title"]


def test_member_does_not_see_admin_fields(app, three):
    shown = app.get("/v1/containers", headers=ALICE).json["containers"][0]
    for field in ("host", "runtime", "privileged", "image_pull_policy"):
        assert field not in shown
    assert shown["restart_policy"] == {"Name": "on-failure", "MaximumRetryCount": "2"}
