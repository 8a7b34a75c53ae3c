"""Microversions: what each one means here, and the numbers code compares.

Clients (zunclient, Heat, tempest) negotiate a version per request; what a
request may send and what a response may show depend on it. ``HISTORY``
says, one row per version, what it brought upstream and where this zun
answers differently; the constants below are what schemas, controllers and
views compare against, so they can never disagree about when a field
appeared. Container actions declare their own version windows with the
rest of each action (the action registry, ``zun.common.actions``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, NamedTuple

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


class Change(NamedTuple):
    """What one microversion means.

    ``summary`` is what the version introduced (upstream's meaning, which
    clients rely on); ``here`` is empty when this zun serves it as upstream
    does, else how it differs, for the docs and the OpenAPI description.
    """

    version: Version
    summary: str
    here: str = ""


_PROJECT_NETS = ("Served on the project's own network on each host ('default', "
                 "or its name as network_list shows it); Neutron ports and "
                 "fixed IPs are a 400 (docs/networking.rst).")
_CAPSULES = "Capsules are not served yet (/v1/capsules answers 404 naming the feature)."

# One row per minor version from MIN_VERSION to MAX_VERSION (a unit test
# checks this): add a row with every new microversion.
HISTORY: tuple[Change, ...] = (
    Change(Version(1, 1), "The base version, also what a request without a version "
           "header gets: 'command' is one shell-quoted string."),
    Change(Version(1, 2), "'nets' on create: the Neutron networks to join.",
           "Each project's containers share a network of their own: 'nets' may "
           "name it ('default'); ports and fixed IPs are a 400. An empty 'nets' "
           "is ignored below 1.2 too (zunclient always sends one)."),
    Change(Version(1, 3), "'auto_remove' on create."),
    Change(Version(1, 4), "The hosts API: GET /v1/hosts and /v1/hosts/{host} "
           "(admin); 406 below."),
    Change(Version(1, 5), "'runtime' on create (admin).",
           "Scheduling picks only hosts whose engine offers that runtime; one "
           "that no up, enabled host offers is a 400 and records nothing."),
    Change(Version(1, 6), "POST /v1/containers/{id}/network_detach.", _PROJECT_NETS),
    Change(Version(1, 7), "'?force' on delete needs the admin policy "
           "(container:delete_force).",
           "Checked at every version: below 1.7 too, a force delete needs "
           "container:delete_force (admin by default)."),
    Change(Version(1, 8), "POST /v1/containers/{id}/network_attach.",
           _PROJECT_NETS + " Answered (200) once the runtime connected it."),
    Change(Version(1, 9), "'hostname' on create."),
    Change(Version(1, 10), "Delete is asynchronous: 204 at once, the agent "
           "removes the container afterwards.",
           "Asynchronous at every version."),
    Change(Version(1, 11), "'mounts' on create: Cinder volumes.",
           "Volumes are local Docker volumes of the caller's project (source: "
           "a name, made on first use; none: anonymous, removed with the "
           "container); 'size' is a 400 (no host can enforce it). An empty "
           "'mounts' is ignored below 1.11."),
    Change(Version(1, 12), "'?stop' on delete: stop a running container first.",
           "Accepted at every version: clients pinned below 1.12 (tempest's "
           "legacy class) clean up with it."),
    Change(Version(1, 13), "GET /v1/containers/{id}/network_list.", _PROJECT_NETS),
    Change(Version(1, 14), "POST /v1/containers/{id}/rename is gone (406 from "
           "here): PATCH the 'name' instead."),
    Change(Version(1, 15), "The add_security_group and remove_security_group "
           "actions are gone.",
           "Never served, at any version."),
    Change(Version(1, 16), "Capsules take their restart policy from the "
           "template.", _CAPSULES),
    Change(Version(1, 17), "network_detach by port.",
           "Ports are Neutron's: detach by 'network'; 'port' is a 400."),
    Change(Version(1, 18), "network_list answers in a new format (fixed_ips "
           "grouped per network)."),
    Change(Version(1, 19), "POST /v1/containers/{id}/resize_container (cpu, "
           "memory).",
           "Not served yet; PATCH with cpu/memory resizes in place at every "
           "version."),
    Change(Version(1, 20), "'command' is a list of strings."),
    Change(Version(1, 21), "'privileged' on create.",
           "Accepted by the schema; the default policy refuses it to everybody "
           "(as upstream's)."),
    Change(Version(1, 22), "'healthcheck' on create.",
           "Applied as the engine's health probe (cmd or test, times in "
           "seconds); the verdict shows in a running container's "
           "status_detail."),
    Change(Version(1, 23), "Mounts carry 'type': bind or volume.",
           "'bind' injects a file (never a host path); 'volume' as at 1.11."),
    Change(Version(1, 24), "'exposed_ports' on create, exclusive with "
           "'security_groups'.",
           "Each port is published on the compute host's [docker] "
           "publish_address, on a host port the engine picks at start; "
           "containers show where in 'published_ports' (from this version). "
           "'security_groups' takes only ['default'] (what no value means), "
           "also together with 'exposed_ports': other groups need Neutron."),
    Change(Version(1, 25), "Archive data (cp) is base64.",
           "Archives are not served yet; bind mount file content is base64 "
           "from here (raw below)."),
    Change(Version(1, 26), "Quotas: /v1/quotas and /v1/quota_classes.",
           "Served at every version, as upstream's code does (only its "
           "api-ref says 1.26)."),
    Change(Version(1, 27), "DELETE /v1/networks/{id}.",
           "Not served: zun networks wrap Neutron networks; /v1/networks "
           "answers 404 saying so (each project's network is made on first "
           "use)."),
    Change(Version(1, 28), "'cpu_policy' on create (shared or dedicated).",
           "'dedicated' is a 400: no host offers CPU pinning "
           "(enable_cpu_pinning is false); 'shared' is the engine's default."),
    Change(Version(1, 29), "Hosts show 'enable_cpu_pinning'."),
    Change(Version(1, 30), "Private registries: /v1/registries.",
           "Served at every version, as upstream's code does (only its "
           "api-ref says 1.30); passwords encrypted under [registry] key "
           "(none configured: a password is a 409), shown as '***'."),
    Change(Version(1, 31), "'registry' on create; containers show "
           "'registry_id'.",
           "The image must be of the registry's domain (else 400); the "
           "agent pulls with the registry's account."),
    Change(Version(1, 32), "Capsule delete is asynchronous.", _CAPSULES),
    Change(Version(1, 33), "Container actions show 'finish_time'."),
    Change(Version(1, 34), "Capsules take init containers.", _CAPSULES),
    Change(Version(1, 35), "Capsule containers take 'ports'.", _CAPSULES),
    Change(Version(1, 36), "'tty' on create (zunclient sends it with "
           "'interactive')."),
    Change(Version(1, 37), "Capsule containers take 'tty' and 'stdin'.", _CAPSULES),
    Change(Version(1, 38), "Capsules take 'annotations'.", _CAPSULES),
    Change(Version(1, 39), "'host' on create: the compute host to use (admin)."),
    Change(Version(1, 40), "'entrypoint' on create."),
)

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
       if field not in ("nets", "exposed_ports", "registry", "host")},
    "registry_id": CREATE_FIELD_MIN_VERSION["registry"],
    # zun's own field (where exposed_ports are reachable), shown from the
    # version that can ask for them, so older clients see upstream's set
    "published_ports": CREATE_FIELD_MIN_VERSION["exposed_ports"],
}

COMMAND_IS_LIST = Version(1, 20)          # below: one shell-quoted string
ACTION_FINISH_TIME = Version(1, 33)       # container actions show finish_time
MOUNT_TYPE = Version(1, 23)               # mounts carry type bind|volume
NETWORK_LIST_GROUPED = Version(1, 18)     # network_list: fixed_ips per network
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
            reason="invalid API version %r; %s" % (requested, _EXPECTED)) from None
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
