"""Every failure answers the upstream error body; 5xx never leak internals."""
from __future__ import annotations

import logging
import sys

import webtest
from oslo_messaging._drivers import common as messaging_common

from tests.unit.api.conftest import ALICE, BOB, make_container, v
from zun.api.middleware import errors
from zun.common import exception, rpc


def _error(response, status: int, code: str) -> dict:
    assert response.status_int == status
    assert response.content_type == "application/json"
    errors = response.json["errors"]
    assert len(errors) == 1
    error = errors[0]
    assert set(error) == {"request_id", "code", "status", "title", "detail", "links"}
    assert error["status"] == status
    assert error["code"] == code
    assert error["title"] == error["detail"]
    assert error["links"] == []
    assert error["request_id"] == response.headers["x-openstack-request-id"]
    assert response.headers["OpenStack-API-Maximum-Version"] == "container 1.40"
    assert "Traceback" not in response.text
    return error


def test_400_validation(app):
    response = app.post_json("/v1/containers", {"image": "x", "memory": "-1"},
                             headers=ALICE, status=400)
    error = _error(response, 400, "container.validation_error")
    assert error["title"].startswith("Invalid input for field 'memory'. Value: '-1'.")


def test_403_policy(app):
    response = app.get("/v1/containers?all_projects=True", headers=ALICE, status=403)
    error = _error(response, 403, "container.policy_not_authorized")
    assert "container:get_all_all_projects" in error["title"]


def test_404_unknown_container_and_unknown_route(app):
    _error(app.get("/v1/containers/ghost", headers=ALICE, status=404),
           404, "container.container_not_found")
    _error(app.get("/v1/nothing-here", headers=ALICE, status=404),
           404, "container.not_found")


def test_405_wrong_method_keeps_allow(app):
    make_container()
    response = app.put("/v1/containers/c1", headers=ALICE, status=405)
    error = _error(response, 405, "container.method_not_allowed")
    assert "PUT" in error["title"]
    assert "PATCH" in response.headers["Allow"]


def test_406_bad_version(app):
    _error(app.get("/v1/containers", headers=v("9.9"), status=406),
           406, "container.not_acceptable")


def test_409_from_compute(app):
    make_container(status="Stopped")
    response = app.post("/v1/containers/c1/pause", headers=ALICE, status=409)
    error = _error(response, 409, "container.invalid_state_exception")
    assert "Stopped" in error["title"]


def test_415_non_json_create(app, compute):
    response = app.post("/v1/containers", "image=busybox", headers=dict(
        ALICE, **{"Content-Type": "application/x-www-form-urlencoded"}), status=415)
    error = _error(response, 415, "container.unsupported_media_type")
    assert "application/json" in error["title"]
    assert compute.calls == []


def test_400_body_not_json(app, compute):
    response = app.post("/v1/containers", "{not json", headers=dict(
        ALICE, **{"Content-Type": "application/json"}), status=400)
    error = _error(response, 400, "container.validation_error")
    assert "not valid JSON" in error["title"]
    assert compute.calls == []


def test_500_hides_message_and_logs(app, compute, caplog):
    make_container()
    compute.raise_on["container_show"] = RuntimeError("secret db password xyz")
    with caplog.at_level(logging.ERROR, logger="zun.api.middleware.errors"):
        response = app.get("/v1/containers/c1", headers=ALICE, status=500)
    error = _error(response, 500, "container.internal_server_error")
    assert "secret" not in response.text
    assert error["request_id"] in error["title"]
    assert "secret db password xyz" in caplog.text


def test_500_zun_exception_hidden_too(app, compute):
    make_container()
    compute.raise_on["container_stats"] = exception.DockerError(error_msg="/var/lib/x")
    response = app.get("/v1/containers/c1/stats", headers=ALICE, status=500)
    _error(response, 500, "container.docker_error")
    assert "/var/lib/x" not in response.text


def test_503_message_is_shown(app, compute):
    make_container()
    compute.raise_on["container_action"] = exception.ServiceUnavailable(
        reason="the message bus is unreachable")
    response = app.post("/v1/containers/c1/stop", headers=ALICE, status=503)
    error = _error(response, 503, "container.service_unavailable")
    assert error["title"] == "the message bus is unreachable"


def test_other_projects_container_is_404_not_403(app):
    make_container()
    _error(app.get("/v1/containers/c1", headers=BOB, status=404),
           404, "container.container_not_found")


def test_406_for_accept_we_cannot_serve(app):
    make_container()
    response = app.get("/v1/containers/c1", headers=dict(ALICE, Accept="text/html"),
                       status=406)
    error = _error(response, 406, "container.not_acceptable")
    assert "application/json" in error["title"]


# --- the body's code is the class's declared error_code -------------------------
def _answer(exc: Exception) -> dict:
    """What the error middleware makes of ``exc`` raised below it."""
    def failing(environ, start_response):
        raise exc
    response = webtest.TestApp(errors.ErrorBodyMiddleware(failing)).get(
        "/v1/anything", expect_errors=True)
    assert response.status_int == response.json["errors"][0]["status"]
    return response.json["errors"][0]


def test_code_is_the_declared_error_code_not_the_class_name():
    class SomeLocalName(exception.ContainerNotFound):
        """A subclass (or a renamed class) keeps its parent's declared code."""
    error = _answer(SomeLocalName(container="c9"))
    assert (error["status"], error["code"]) == (404, "container.container_not_found")


def test_failure_carried_back_over_rpc_keeps_its_code_and_clean_message():
    # oslo.messaging re-creates a remote failure as <Name>_Remote; the code
    # clients see must be the same as for a local one
    try:
        raise exception.ContainerHostNotUp(container="c1", host="h1")
    except exception.ZunException:
        data = messaging_common.serialize_remote_exception(sys.exc_info())
    remote = messaging_common.deserialize_remote_exception(data, rpc.ALLOWED_EXMODS)
    error = _answer(remote)
    assert (error["status"], error["code"]) == (409, "container.container_host_not_up")
    assert error["title"] == str(exception.ContainerHostNotUp(container="c1", host="h1"))
    assert "Traceback" in str(remote)   # what oslo.messaging's str() would have leaked


def test_routing_errors_are_coded_by_their_status():
    assert errors.status_error_code(404) == "not_found"
    assert errors.status_error_code(405) == "method_not_allowed"
    assert errors.status_error_code(401) == "unauthorized"
    assert errors.status_error_code(999) == "error"
