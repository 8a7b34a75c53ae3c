"""Registry passwords at rest: encrypted under the operator's ``[registry] key``.

A private registry's password must reach the compute agent that pulls, so
it is stored, but never in clear: the DB API encrypts it on every write
(:func:`encrypt`) and only the agent decrypts it (:func:`decrypt`), right
before the pull, with its own copy of the key. There is no built-in key
(upstream's hard-coded one protects nothing): with none configured a
password cannot be stored (:class:`RegistryKeyMissing`, 409).

Rotation: ``key`` encrypts, ``key`` and then each of ``old_keys`` are tried
for reading (Fernet's MultiFernet), and :func:`rotate` re-encrypts a token
under ``key`` (``zun-db-manage registry-rekey`` does it for every row).

Neither the key nor a password ever reaches a log line or an error message.
"""
from __future__ import annotations

from cryptography import fernet

from zun.common import exception
from zun.conf import CONF


def configured() -> bool:
    """True when this process has a key to encrypt with."""
    return bool(CONF.registry.key)


def _fernet(for_writing: bool) -> fernet.MultiFernet:
    keys = [k for k in [CONF.registry.key] + list(CONF.registry.old_keys or []) if k]
    if not keys or (for_writing and not CONF.registry.key):
        raise exception.RegistryKeyMissing()
    try:
        return fernet.MultiFernet([fernet.Fernet(k) for k in keys])
    except (ValueError, TypeError):
        # never the value: it is a secret (the service checks at start too)
        raise exception.RegistryKeyInvalid(
            reason="[registry] key or old_keys is not a Fernet key") from None


def encrypt(password: str) -> str:
    """``password`` encrypted under ``[registry] key``; RegistryKeyMissing
    (409) when there is none."""
    return _fernet(True).encrypt(password.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """The password of ``token``; RegistryKeyInvalid when no configured key
    opens it (encrypted under a key this host does not have), RegistryKeyMissing
    when this host has no key at all."""
    try:
        return _fernet(False).decrypt(token.encode("ascii")).decode("utf-8")
    except (fernet.InvalidToken, UnicodeError):
        raise exception.RegistryKeyInvalid(
            reason="the stored password cannot be decrypted with [registry] key "
                   "or old_keys (it was encrypted under another key: an operator "
                   "adds that key to old_keys, or the owner sets the password "
                   "again)") from None


def rotate(token: str) -> str:
    """``token`` re-encrypted under ``[registry] key`` (read with any key)."""
    try:
        return _fernet(True).rotate(token.encode("ascii")).decode("ascii")
    except fernet.InvalidToken:
        raise exception.RegistryKeyInvalid(
            reason="a stored password cannot be decrypted with [registry] key "
                   "or old_keys") from None
