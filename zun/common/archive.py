"""Tar archives copied into and out of containers (``zun cp``): the rules the
API and the compute agent share.

An archive crosses the API and the message bus whole, as a base64 string
(JSON carries no bytes), so it is bounded by ``[api] max_archive_size``
everywhere it is held. The API checks the path, the size and the base64
alphabet without decoding (no second copy of the archive in the API); the
agent decodes once and checks the tar before the engine sees it.

Before API version 1.25 upstream carried the archive "raw": the tar's bytes
as the characters of a JSON string, which python-zunclient writes as UTF-8
(``jsonutils.dumps`` of bytes) and reads back with ``str.encode()``. Raw
archives are therefore UTF-8 text here: one that is not (binary content)
cannot travel raw and needs 1.25 or later.
"""
from __future__ import annotations

import base64
import binascii
import io
import re
import tarfile
from typing import Any

from zun.common import exception

#: the longest path accepted (Linux's PATH_MAX)
MAX_PATH = 4096
#: room for the rest of a put_archive body besides the archive's base64
BODY_SLACK = 4096
#: the first API version whose archives are base64
BASE64_VERSION = "1.25"

_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
# Members that would make device nodes in the container's filesystem: never
# what a copy of files needs, so refused rather than handed to the engine.
_REFUSED_MEMBERS = {tarfile.CHRTYPE: "a character device",
                    tarfile.BLKTYPE: "a block device"}


def check_path(path: Any) -> str:
    """``path`` if it is an absolute path of at most MAX_PATH characters
    without NUL; else a 400 naming ``path``."""
    if path is None or path == "":
        raise exception.invalid_field("path", reason="It is required.")
    if not isinstance(path, str):
        raise exception.invalid_field("path", path, "It must be a string.")
    if "\x00" in path:
        raise exception.invalid_field("path", path.replace("\x00", "\\x00")[:64],
                                      "It contains a NUL character.")
    if len(path) > MAX_PATH:
        raise exception.invalid_field("path", path[:64] + "...",
                                      "It is longer than %d characters." % MAX_PATH)
    if not path.startswith("/"):
        raise exception.invalid_field(
            "path", path, "It must be an absolute path in the container "
                          "(starting with '/').")
    return path


def encoded_length(size: int) -> int:
    """The base64 length of ``size`` bytes."""
    return 4 * ((size + 2) // 3)


def body_limit(max_archive: int) -> int:
    """The largest put_archive request body: the archive in base64, and room."""
    return encoded_length(max_archive) + BODY_SLACK


def too_large_body(body_bytes: int, max_archive: int) -> exception.ArchiveTooLarge:
    """The 413 of a put_archive body over :func:`body_limit`."""
    return exception.ArchiveTooLarge(
        message="The put_archive request body is larger than %d bytes, which "
                "admits an archive of at most %d bytes in base64 ([api] "
                "max_archive_size); before API version %s the raw archive's "
                "JSON escapes may take up to six bytes per archive byte."
                % (body_bytes, max_archive, BASE64_VERSION))


def _too_large(limit: int) -> exception.ArchiveTooLarge:
    return exception.ArchiveTooLarge(what="The archive in 'data'", limit=limit)


def check_base64(data: Any, limit: int) -> str:
    """``data`` (a put_archive body's, 1.25+) if it is base64 of at most
    ``limit`` bytes; 413 if larger, 400 naming ``data`` if not base64.
    Checked without decoding: the agent decodes it, once."""
    if not isinstance(data, str):
        raise exception.invalid_field("data", reason="It must be a string: the "
                                                     "tar archive in base64.")
    if len(data) > encoded_length(limit):
        raise _too_large(limit)
    if len(data) % 4 or not _BASE64.fullmatch(data):
        raise exception.invalid_field("data", reason="It is not valid base64 "
                                                     "(API version %s and later)."
                                      % BASE64_VERSION)
    padding = len(data) - len(data.rstrip("="))
    if len(data) // 4 * 3 - padding > limit:
        raise _too_large(limit)
    return data


def from_raw(data: Any, limit: int) -> str:
    """A raw archive (before 1.25: its bytes as UTF-8 text) as base64, for
    the bus; 413 over ``limit``, 400 naming ``data`` if it is not text."""
    if not isinstance(data, str):
        raise exception.invalid_field("data", reason="It must be a string: the "
                                                     "tar archive as text.")
    try:
        raw = data.encode("utf-8")
    except UnicodeEncodeError:
        raise exception.invalid_field("data", reason="It is not text that UTF-8 "
                                                     "can encode.") from None
    if len(raw) > limit:
        raise _too_large(limit)
    return encode(raw)


def to_raw(encoded: str, path: str) -> str:
    """The archive for a client before 1.25: its bytes as text (UTF-8, what
    python-zunclient encodes back); 406 when they are not UTF-8."""
    try:
        return base64.b64decode(encoded).decode("utf-8")
    except UnicodeDecodeError:
        raise exception.NotAcceptable(
            reason="the archive of '%s' holds bytes that are not UTF-8 text, "
                   "which API versions before %s cannot carry; ask with "
                   "version %s or later (base64)"
                   % (path, BASE64_VERSION, BASE64_VERSION)) from None


def encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def decode(data: str) -> bytes:
    """The archive's bytes; 400 naming ``data`` if it is not base64."""
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise exception.invalid_field("data", reason="It is not valid base64.") from None


def check_tar(data: bytes) -> None:
    """400 naming ``data`` unless it is an uncompressed tar archive with
    no device nodes.

    Read from memory, member headers only; ``data`` is already bounded
    (``[api] max_archive_size``), so the walk is too. A compressed archive
    is refused: the engine would inflate it without any bound.
    """
    if not data:
        raise exception.invalid_field("data", reason="It is empty: it must be a "
                                                     "tar archive.")
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for member in tar:
                kind = _REFUSED_MEMBERS.get(member.type)
                if kind:
                    raise exception.invalid_field(
                        "data", reason="Its member '%s' is %s; only files, "
                                       "directories and links may be copied."
                                       % (member.name[:128], kind))
    except (tarfile.TarError, EOFError) as exc:
        raise exception.invalid_field(
            "data", reason="It is not an uncompressed tar archive (%s)." % exc) from None
