"""The docker driver's push (a commit to a project's registry): the account
goes to the engine as auth_config, a refusal in the progress stream is an
error carrying the registry's message, never the password."""
from __future__ import annotations

import contextlib

import pytest

from zun.common import exception
from zun.container.driver import base, docker_images

CREDS = base.RegistryCredentials(registry="reg.example.com:5000", username="u",
                                 password="push-secret")


class FakeAPI:
    def __init__(self, lines):
        self.lines = lines
        self.calls = []

    def push(self, repo, tag=None, stream=False, decode=False, auth_config=None):
        self.calls.append((repo, tag, auth_config))
        return iter(self.lines)


def _errors(*args, **kwargs):
    return contextlib.nullcontext()


def test_push_sends_the_account_as_auth_config():
    api = FakeAPI([{"status": "Pushed"}])
    docker_images.push(api, _errors, "reg.example.com:5000/team/app:1", CREDS)
    assert api.calls == [("reg.example.com:5000/team/app", "1", {
        "username": "u", "password": "push-secret",
        "serveraddress": "reg.example.com:5000"})]


def test_a_refusal_in_the_stream_carries_the_registrys_message():
    api = FakeAPI([{"status": "Preparing"},
                   {"error": "unauthorized: authentication required"}])
    with pytest.raises(exception.RuntimeOperationFailed) as err:
        docker_images.push(api, _errors, "reg.example.com:5000/team/app:1", CREDS)
    assert "authentication required" in str(err.value)
    assert "push-secret" not in str(err.value)


def test_rkt_refuses_a_push_cleanly():
    from zun.container.driver import rkt
    with pytest.raises(exception.UnsupportedOperation):
        rkt.RktDriver().push_image("x", None)
