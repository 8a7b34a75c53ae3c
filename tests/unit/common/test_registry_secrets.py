"""Registry passwords at rest: Fernet under [registry] key, rotation, refusals."""
from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from oslo_config import cfg

from zun.common import exception, registry_secrets
from zun.conf import CONF
from zun.conf import registry as registry_conf

KEY = Fernet.generate_key().decode()
OLD = Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def _parsed():
    CONF([], project="zun", default_config_files=[], default_config_dirs=[])
    yield
    CONF.clear_override("key", "registry")
    CONF.clear_override("old_keys", "registry")


def _keys(key, old=()):
    CONF.set_override("key", key, "registry")
    CONF.set_override("old_keys", list(old), "registry")


def test_round_trip_and_the_token_is_not_the_password():
    _keys(KEY)
    token = registry_secrets.encrypt("s3cret-pw")
    assert "s3cret-pw" not in token
    assert registry_secrets.decrypt(token) == "s3cret-pw"


def test_no_key_refuses_to_encrypt_with_a_409_naming_the_option():
    _keys(None)
    assert not registry_secrets.configured()
    with pytest.raises(exception.RegistryKeyMissing) as err:
        registry_secrets.encrypt("pw")
    assert err.value.code == 409
    assert "[registry] key" in str(err.value)


def test_a_wrong_key_fails_cleanly_naming_the_problem():
    _keys(OLD)
    token = registry_secrets.encrypt("pw-under-old")
    _keys(KEY)
    with pytest.raises(exception.RegistryKeyInvalid) as err:
        registry_secrets.decrypt(token)
    message = str(err.value)
    assert "old_keys" in message and "pw-under-old" not in message
    assert KEY not in message and OLD not in message
    assert err.value.__cause__ is None and err.value.__suppress_context__


def test_rotation_old_key_reads_then_rotate_moves_to_the_new_key():
    _keys(OLD)
    token = registry_secrets.encrypt("pw")
    _keys(KEY, [OLD])
    assert registry_secrets.decrypt(token) == "pw"
    fresh = registry_secrets.rotate(token)
    _keys(KEY)  # the old key dropped: the rotated token still opens
    assert registry_secrets.decrypt(fresh) == "pw"
    with pytest.raises(exception.RegistryKeyInvalid):
        registry_secrets.decrypt(token)


def test_old_keys_alone_read_but_never_write():
    _keys(None, [OLD])
    with pytest.raises(exception.RegistryKeyMissing):
        registry_secrets.encrypt("pw")


@pytest.mark.parametrize("option", ["key", "old_keys"])
def test_a_malformed_key_stops_the_service_without_showing_it(option):
    conf = cfg.ConfigOpts()
    registry_conf.register_opts(conf)
    conf([], default_config_files=[], default_config_dirs=[])
    bad = "not-a-fernet-key-123"
    conf.set_override(option, bad if option == "key" else [bad], "registry")
    with pytest.raises(ValueError) as err:
        registry_conf.validate(conf)
    assert option in str(err.value) and bad not in str(err.value)


def test_the_options_are_secret():
    assert CONF.registry._group._opts["key"]["opt"].secret
    assert CONF.registry._group._opts["old_keys"]["opt"].secret
