"""The microversion table: every version-dependent fact of the API lives here.

Clients (zunclient, Heat, tempest) negotiate a version per request; what a
request may send and what a response may show depend on it. Keeping the
numbers in one table means a schema, a controller and a view can never
disagree about when a field appeared.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from zun.common import exception

SERVICE_TYPE = "container"
HEADER = "OpenStack-API-Version"
LEGACY_HEADER = "X-OpenStack-Zun-API-Version"
MIN_HEADER = "OpenStack-API-Minimum-Version"
MAX_HEADER = "OpenStack-API-Maximum-Version"
ENVIRON_KEY = "zun.api_version"


@dataclass(frozen=True, order=True)
class Version:
    """A comparable ``major.minor`` microversion."""

    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> "Version":
        match = re.fullmatch(r"\s*(\d+)\.(\d+)\s*", text)
        if not match:
            raise ValueError(text)
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return "%d.%d" % (self.major, self.minor)


MIN_VERSION = Version(1, 1)
MAX_VERSION = Version(1, 40)

# Fields of the create body and the version that introduced each one.
CREATE_FIELD_MIN_VERSION: dict[str, Version] = {
    "nets": Version(1, 2),
    "auto_remove": Version(1, 3),
    "runtime": Version(1, 5),
    "hostname": Version(1, 9),
    "mounts": Version(1, 11),
    "privileged": Version(1, 21),
    "healthcheck": Version(1, 22),
    "exposed_ports": Version(1, 24),
    "cpu_policy": Version(1, 28),
    "registry": Version(1, 31),
    "tty": Version(1, 36),
    "host": Version(1, 39),
    "entrypoint": Version(1, 40),
}

# Response fields gated like the create field they report (registry_id
# reports ``registry``); fields not listed exist at every version.
VIEW_FIELD_MIN_VERSION: dict[str, Version] = {
    **{field: version for field, version in CREATE_FIELD_MIN_VERSION.items()
       if field not in ("nets", "mounts", "exposed_ports", "registry", "host")},
    "registry_id": CREATE_FIELD_MIN_VERSION["registry"],
}

FORCE_DELETE_ADMIN_ONLY = Version(1, 7)   # from here ?force needs admin policy
RENAME_LAST = Version(1, 13)              # POST .../rename served up to here
COMMAND_IS_LIST = Version(1, 20)          # below: one shell-quoted string
ACTION_FINISH_TIME = Version(1, 33)       # container actions show finish_time
MOUNT_TYPE = Version(1, 23)               # mounts carry type bind|volume
MOUNT_BASE64 = Version(1, 25)             # bind mount content is base64
HOSTS_MIN_VERSION = Version(1, 4)         # the hosts API
CPU_PINNING_MIN_VERSION = Version(1, 29)  # hosts report enable_cpu_pinning


_EXPECTED = ("send 'container X.Y' with X.Y from %s to %s, or 'container latest'"
             % (MIN_VERSION, MAX_VERSION))


def parse_header(value: str | None) -> Version:
    """The version a request asked for; no header means the minimum.

    Raises NotAcceptable (406) for a malformed header, another service's
    version only, or a version outside MIN_VERSION..MAX_VERSION.
    """
    if value is None or not value.strip():
        return MIN_VERSION
    requested = _select_service(value)
    if requested is None:
        return MIN_VERSION
    if requested.lower() == "latest":
        return MAX_VERSION
    try:
        version = Version.parse(requested)
    except ValueError:
        raise exception.NotAcceptable(
            reason="invalid API version %r; %s" % (requested, _EXPECTED))
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise exception.NotAcceptable(
            reason="API version %s is not supported; this server supports "
                   "%s to %s" % (version, MIN_VERSION, MAX_VERSION))
    return version


def _select_service(value: str) -> str | None:
    """Pick our entry out of ``service X.Y[, other Y.Z]``.

    A bare ``X.Y`` (the legacy header's form) is taken as ours. Entries for
    other services are ignored: the header may be shared by several APIs.
    """
    for part in value.split(","):
        words = part.split()
        if len(words) == 1:
            return words[0]
        if len(words) == 2 and words[0].lower() == SERVICE_TYPE:
            return words[1]
        if len(words) != 2:
            raise exception.NotAcceptable(
                reason="malformed %s header %r; %s" % (HEADER, value, _EXPECTED))
    return None


def requested_header(environ: Mapping[str, str]) -> str | None:
    """The raw version header of a request (the standard one wins)."""
    value = environ.get("HTTP_OPENSTACK_API_VERSION")
    if value is None:
        value = environ.get("HTTP_X_OPENSTACK_ZUN_API_VERSION")
    return value


def response_headers(version: Version | None) -> list[tuple[str, str]]:
    """Headers every response carries; ``None`` (unparseable request) echoes the minimum."""
    used = version or MIN_VERSION
    return [
        (MIN_HEADER, "%s %s" % (SERVICE_TYPE, MIN_VERSION)),
        (MAX_HEADER, "%s %s" % (SERVICE_TYPE, MAX_VERSION)),
        (HEADER, "%s %s" % (SERVICE_TYPE, used)),
        ("Vary", HEADER),
    ]
