"""The docker driver's error table: SDK failures -> zun exceptions."""
import docker.errors
import pytest
import requests
import urllib3

from zun.common import exception
from zun.container.driver import docker_errors

URL = "unix:///var/run/docker.sock"


def api_error(cls, status, explanation):
    response = requests.Response()
    response.status_code = status
    return cls("500 Server Error for http+docker://...", response=response,
               explanation=explanation)


def raised(err, **kw):
    with pytest.raises(exception.ZunException) as info:
        with docker_errors.translate(URL, **kw):
            raise err
    assert info.value.__cause__ is err
    return info.value


def test_missing_container():
    err = raised(api_error(docker.errors.NotFound, 404, "No such container: abc"),
                 container_id="abc")
    assert type(err) is exception.RuntimeContainerNotFound
    assert err.code == 404 and "abc" in str(err)


def test_missing_image():
    err = raised(api_error(docker.errors.ImageNotFound, 404, "No such image: x:latest"),
                 image="x:latest")
    assert type(err) is exception.ImageNotFound
    assert "x:latest" in str(err) and err.code == 400


def test_not_found_in_an_image_block_is_the_image():
    err = raised(api_error(docker.errors.NotFound, 404, "no such image"), image="x:1")
    assert type(err) is exception.ImageNotFound


@pytest.mark.parametrize("status,text", [
    (409, "Container abc is already paused"),
    (409, "removal of container abc is already in progress"),
    (304, ""),
    (500, "Cannot kill container: abc: Container abc is not running"),
    (500, "Container abc is paused, unpause the container before stopping"),
    (500, "You cannot remove a paused container abc. Unpause and then stop"),
])
def test_refusals_keep_dockers_words(status, text):
    err = raised(api_error(docker.errors.APIError, status, text), container_id="abc")
    assert type(err) is exception.RuntimeOperationFailed
    assert err.code == 409
    assert str(err) == (text or str(err))


def test_name_conflict_is_an_existing_container():
    text = 'Conflict. The container name "/zun-1" is already in use by container "abc"'
    err = raised(api_error(docker.errors.APIError, 409, text),
                 container_id="zun-1", image="busybox:latest")
    assert type(err) is exception.ContainerAlreadyExists
    assert err.code == 409 and "zun-1" in str(err)


def test_rejected_parameter_is_400():
    text = "can't create 'AutoRemove' container with restart policy"
    err = raised(api_error(docker.errors.APIError, 400, text))
    assert type(err) is exception.Invalid and text in str(err)


def test_other_engine_faults_are_docker_errors():
    err = raised(api_error(docker.errors.APIError, 500, "driver failed programming"))
    assert type(err) is exception.DockerError
    assert "driver failed programming" in str(err)
    # the base contract's neutral "runtime failed"
    assert isinstance(err, exception.ContainerRuntimeError) and err.code == 500


@pytest.mark.parametrize("cause", [
    requests.exceptions.ConnectionError("Connection aborted."),
    ConnectionRefusedError(111, "Connection refused"),
    FileNotFoundError(2, "No such file or directory"),
])
def test_unreachable_engine_is_503(cause):
    err = raised(cause)
    assert type(err) is exception.ServiceUnavailable
    assert err.code == 503
    assert str(err) == str(exception.engine_unreachable())
    assert URL not in str(err) and "docker.sock" not in str(err)


def test_timeout_and_transport_faults_are_docker_errors():
    assert type(raised(requests.exceptions.ReadTimeout("read timed out"))) is exception.DockerError
    assert type(raised(urllib3.exceptions.ProtocolError("broken"))) is exception.DockerError
    assert type(raised(docker.errors.DockerException("odd"))) is exception.DockerError


def test_zun_errors_pass_through():
    with pytest.raises(exception.InvalidValue):
        with docker_errors.translate(URL):
            raise exception.InvalidValue(value="x", field="y")


def test_long_messages_are_bounded():
    text = "x " * 1000
    err = raised(api_error(docker.errors.APIError, 500, text))
    assert len(str(err)) < 400


# --- the table itself ---------------------------------------------------------------
def test_the_table_is_data_read_top_down():
    """Every row is a Rule; the last one catches whatever the others do not."""
    assert all(isinstance(r, docker_errors.Rule) for r in docker_errors.RULES)
    catch_all = docker_errors.RULES[-1]
    assert catch_all.kinds == (BaseException,) and not catch_all.status
    assert not catch_all.markers and not catch_all.in_image_block


def test_every_row_is_reachable():
    """No row is shadowed by an earlier one: each wins for some failure."""
    samples = [
        (api_error(docker.errors.ImageNotFound, 404, "No such image"), {"image": "x"}),
        (api_error(docker.errors.NotFound, 404, "no such image"), {"image": "x"}),
        (api_error(docker.errors.NotFound, 404, "No such container"), {}),
        (api_error(docker.errors.APIError, 409, "name is already in use"), {}),
        (api_error(docker.errors.APIError, 409, "conflict"), {}),
        (api_error(docker.errors.APIError, 500, "Container x is not running"), {}),
        (api_error(docker.errors.APIError, 400, "bad parameter"), {}),
        (api_error(docker.errors.APIError, 500, "boom"), {}),
        (requests.exceptions.ConnectionError("refused"), {}),
        (requests.exceptions.ReadTimeout("slow"), {}),
        (docker.errors.DockerException("odd"), {}),
    ]
    winners = []
    for err, where in samples:
        failure = docker_errors.Failure(err, URL, where.get("container_id"), where.get("image"))
        winners.append(next(i for i, r in enumerate(docker_errors.RULES)
                            if r.matches(failure)))
    assert winners == list(range(len(docker_errors.RULES)))

