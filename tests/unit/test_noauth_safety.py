"""noauth is served only to this machine unless the operator opts in."""
from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from zun.api.middleware import auth


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.5", "::1", "[::1]", "localhost"])
def test_noauth_on_loopback_starts_silently(host):
    assert auth.noauth_exposure("noauth", host, allow_insecure=False) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "api.example.org", None],
                         ids=["any4", "any6", "lan", "hostname", "zun.wsgi"])
def test_noauth_beyond_loopback_is_refused_naming_the_option(host):
    with pytest.raises(auth.InsecureNoauthError) as info:
        auth.noauth_exposure("noauth", host, allow_insecure=False)
    message = str(info.value)
    assert "allow_insecure_noauth" in message and "auth_strategy = noauth" in message
    assert ("zun.wsgi" in message) if host is None else (host in message)


@pytest.mark.parametrize("host", ["0.0.0.0", None])
def test_override_starts_with_a_loud_warning(host):
    warning = auth.noauth_exposure("noauth", host, allow_insecure=True)
    assert warning and warning.startswith("INSECURE") and "allow_insecure_noauth" in warning


@pytest.mark.parametrize("host", ["0.0.0.0", None])
def test_keystone_is_never_refused(host):
    assert auth.noauth_exposure("keystone", host, allow_insecure=False) is None


def test_check_reads_the_configuration_and_logs(caplog):
    from zun.conf import CONF
    CONF.set_override("auth_strategy", "noauth", "api")
    try:
        with caplog.at_level(logging.WARNING, logger=auth.__name__):
            with pytest.raises(auth.InsecureNoauthError):
                auth.check_noauth_exposure("0.0.0.0")
            CONF.set_override("allow_insecure_noauth", True, "api")
            auth.check_noauth_exposure("0.0.0.0")
        levels = [r.levelno for r in caplog.records]
        assert levels == [logging.CRITICAL, logging.WARNING]
    finally:
        CONF.clear_override("auth_strategy", "api")
        CONF.clear_override("allow_insecure_noauth", "api")


def test_zun_wsgi_refuses_noauth_without_the_override(tmp_path):
    """The real import a WSGI server does, in a fresh interpreter."""
    conf = tmp_path / "zun.conf"
    conf.write_text("[DEFAULT]\nstate_path = %s\n[api]\nauth_strategy = noauth\n" % tmp_path)
    done = subprocess.run([sys.executable, "-c", "import zun.wsgi"], capture_output=True,
                          text=True, timeout=120, cwd=str(Path(__file__).resolve().parents[2]),
                          env={"ZUN_CONFIG_FILES": str(conf), "PATH": "/usr/bin:/bin"})
    assert done.returncode != 0
    output = done.stdout + done.stderr   # oslo.log writes to stdout
    assert "InsecureNoauthError" in output and "allow_insecure_noauth" in output
