"""Container request bodies: their schemas per microversion and their
normalisation into the values the compute API stores.

The wire accepts what zunclient sends (strings for cpu, memory and retry
counts, a quoted command string below 1.20); the compute API gets one form
only (float cpu, memory as a string of MiB, int retry count, command list).
"""
from __future__ import annotations

import base64
import copy
import functools
import posixpath
import re
from typing import Any, TypeVar

from zun.api import utils, versions
from zun.api.schemas import validation
from zun.common import exception
from zun.conf import CONF

NAME_PATTERN = "^[a-zA-Z0-9][a-zA-Z0-9_.-]+$"
# The largest tty a resize may ask for, each way (rows, columns): far beyond
# any screen, small enough that no terminal program allocates absurdly for it.
MAX_TTY_SIDE = 10000
_NAME = {"type": "string", "pattern": NAME_PATTERN, "minLength": 2, "maxLength": 255}
# Bounds: a string stored in its own column fits that column (String(255)
# on every backend); lists and maps kept in JSON columns are bounded so one
# create stays far below [api] max_request_body_size in rows and messages.
_COLUMN = 255
_CPU = {"type": ["number", "string"], "pattern": r"^[0-9]*(\.[0-9]+)?$",
        "maxLength": 32}
_MEMORY = {"type": ["integer", "string"], "pattern": "^[0-9]+$", "maxLength": 32}
# Linux refuses a single argument or environment string over 128 KiB.
_MAX_ARG = 131072
_ARGV = {"type": "array", "maxItems": 1024,
         "items": {"type": "string", "maxLength": _MAX_ARG}}
_STRINGS = {"type": "array", "maxItems": 64,
            "items": {"type": "string", "maxLength": _COLUMN}}
_ENVIRONMENT = {"type": "object", "maxProperties": 1024,
                "propertyNames": {"minLength": 1, "maxLength": _COLUMN},
                "additionalProperties": {"type": "string", "maxLength": _MAX_ARG}}
_LABELS = {"type": "object", "maxProperties": 256,
           "propertyNames": {"minLength": 1, "maxLength": _COLUMN},
           "additionalProperties": {"type": "string", "maxLength": 4096}}
_RESTART_NAMES = ("no", "always", "on-failure", "unless-stopped")
# A day between or within health probes is plenty, and keeps the runtime's
# nanosecond values far from any integer limit.
_MAX_PROBE_SECONDS = 86400
# Upstream applies the project's "default" group to a container that names
# none, so naming it asks for nothing more than leaving the field out
# (Heat templates and zunclient users commonly spell it out).
DEFAULT_SECURITY_GROUP = "default"

_CREATE_FIELDS: dict[str, dict[str, Any]] = {
    "image": {"type": "string", "minLength": 1, "maxLength": 255},
    "name": _NAME,
    "command": {"type": ["string", "null"], "maxLength": _MAX_ARG},  # list from 1.20
    "entrypoint": _ARGV,
    "cpu": _CPU,
    "memory": _MEMORY,
    "disk": {"type": ["integer", "string"], "pattern": "^[0-9]+$", "maxLength": 32},
    "workdir": {"type": ["string", "null"], "maxLength": _COLUMN},
    "environment": _ENVIRONMENT,
    "labels": _LABELS,
    "restart_policy": {
        "type": "object",
        "properties": {
            "Name": {"type": "string", "enum": list(_RESTART_NAMES)},
            "MaximumRetryCount": {"type": ["integer", "string"],
                                  "pattern": "^[0-9]+$", "minimum": 0,
                                  "maximum": 2147483647, "maxLength": 10},
        },
        "required": ["Name"],
        "additionalProperties": False,
    },
    "interactive": {"type": "boolean"},
    "tty": {"type": "boolean"},
    "image_driver": {"type": "string", "enum": ["docker", "glance"]},
    "image_pull_policy": {"type": "string",
                          "enum": ["never", "always", "ifnotpresent"]},
    "security_groups": _STRINGS,
    # zunclient's --net network=N[,v4-fixed-ip=..,v6-fixed-ip=..,port=..]
    "nets": {"type": "array", "maxItems": 1, "items": {
        "type": "object",
        "properties": {
            "network": {"type": "string", "minLength": 1, "maxLength": 255},
            "v4-fixed-ip": {"type": "string", "maxLength": _COLUMN},
            "v6-fixed-ip": {"type": "string", "maxLength": _COLUMN},
            "port": {"type": "string", "maxLength": _COLUMN},
            "preserve_on_delete": {"type": "boolean"},
        },
        "additionalProperties": False}},
    # injected file contents (source of a bind) are bounded in total by
    # MAX_INJECTED_BYTES, volume names by MAX_VOLUME_NAME
    "mounts": {"type": "array", "maxItems": 256, "items": {
        "type": "object",
        "properties": {
            "source": {"type": "string"},
            "destination": {"type": "string", "pattern": "^/", "minLength": 2,
                            "maxLength": 4096},
            "size": {"type": ["string", "integer"], "maxLength": _COLUMN},
            "type": {"type": "string", "enum": ["volume", "bind"]},
            # zun's own: mount read-only (injected files: true unless
            # configured otherwise; volumes: false)
            "read_only": {"type": "boolean"},
        },
        "required": ["destination"],
        "additionalProperties": False,
    }},
    # scheduler hints: each one names a host label and the value it must have
    "hints": {"type": "object", "maxProperties": 64,
              "propertyNames": {"minLength": 1, "maxLength": 255},
              "additionalProperties": {"type": ["string", "number"],
                                       "maxLength": _COLUMN}},
    "runtime": {"type": "string", "minLength": 1, "maxLength": 255},
    "hostname": {"type": "string", "minLength": 1, "maxLength": 63,
                 "pattern": "^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$"},
    "availability_zone": {"type": "string", "minLength": 1, "maxLength": 255},
    "auto_remove": {"type": "boolean"},
    "auto_heal": {"type": "boolean"},
    "privileged": {"type": "boolean"},
    # python-zunclient sends the probe as "cmd" (a shell command line);
    # "test" takes a shell string or an argv list. Times are in seconds.
    "healthcheck": {
        "type": "object",
        "properties": {
            "cmd": {"type": "string", "maxLength": _MAX_ARG},
            "test": {"type": ["string", "array"], "maxLength": _MAX_ARG,
                     "items": {"type": "string", "maxLength": _MAX_ARG},
                     "minItems": 1, "maxItems": 1024},
            "interval": {"type": "integer", "minimum": 0, "maximum": _MAX_PROBE_SECONDS},
            "retries": {"type": "integer", "minimum": 0, "maximum": 1000000},
            "timeout": {"type": "integer", "minimum": 0, "maximum": _MAX_PROBE_SECONDS},
        },
        "additionalProperties": False,
    },
    # {"<port>[/<protocol>]": {}}, as zunclient's --expose-port sends it;
    # keys and count are checked by _exposed_ports, with clearer words
    "exposed_ports": {"type": "object", "propertyNames": {"maxLength": 32},
                      "additionalProperties": {"type": "object"}},
    "cpu_policy": {"type": "string", "enum": ["shared", "dedicated"]},
    "registry": {"type": "string", "maxLength": _COLUMN},
    "host": {"type": "string", "minLength": 1, "maxLength": 255},
}

UPDATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"cpu": _CPU, "memory": _MEMORY, "name": _NAME,
                   "auto_heal": {"type": "boolean"}},
    "additionalProperties": False,
    "minProperties": 1,
}

REBUILD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"image": {"type": "string", "minLength": 1, "maxLength": 255},
                   "image_driver": {"type": "string", "maxLength": _COLUMN}},
    "additionalProperties": False,
}

RENAME_SCHEMA: dict[str, Any] = {
    "type": "object", "properties": {"name": _NAME},
    "required": ["name"], "additionalProperties": False,
}


@functools.lru_cache(maxsize=None)
def create_schema(version: versions.Version) -> dict[str, Any]:
    """The create schema of ``version``: only fields that exist at it."""
    properties = {}
    for field, schema in _CREATE_FIELDS.items():
        introduced = versions.CREATE_FIELD_MIN_VERSION.get(field)
        if introduced is None or introduced <= version:
            properties[field] = copy.deepcopy(schema)
    if version >= versions.COMMAND_IS_LIST:
        properties["command"] = dict(_ARGV, type=["array", "null"])
    return {"type": "object", "properties": properties, "required": ["image"],
            "additionalProperties": False}


def parse_create(body: dict[str, Any], version: versions.Version) -> dict[str, Any]:
    """Validate a create body and return normalised container values.

    Fields newer than ``version`` are a 400 naming the version they need,
    before the schema (which would only call them unknown) sees them. An
    empty one (python-zunclient sends ``"mounts": []`` at every version)
    asks for nothing and is dropped instead.
    """
    body = dict(body)
    for field in list(body):
        introduced = versions.CREATE_FIELD_MIN_VERSION.get(field)
        if introduced is not None and introduced > version:
            if body[field] in (None, [], {}):
                del body[field]
                continue
            raise exception.InvalidParamInVersion(
                param=field, version=version, min_version=introduced)
    validation.validate(create_schema(version), body)
    _check_unsupported(body)

    # nets are empty by now; hints and availability_zone go to the scheduler;
    # registry (a name or uuid) becomes registry_id in the controller.
    values = {k: v for k, v in body.items()
              if k not in ("hints", "nets", "mounts")}
    if body.get("hints"):
        values["hints"] = {k: str(v) for k, v in body["hints"].items()}
    if body.get("mounts"):
        values["mounts"] = _mounts(body["mounts"], version)
    values["cpu"] = _cpu(body["cpu"]) if "cpu" in body else CONF.default_cpu
    values["memory"] = (_memory(body["memory"]) if "memory" in body
                        else str(CONF.default_memory))
    if "disk" in body:
        values["disk"] = _bounded("disk", body["disk"], int,
                                  CONF.minimum_disk, CONF.maximum_disk)
    if isinstance(body.get("command"), str):
        values["command"] = utils.split_command(body["command"])
    if "restart_policy" in body:
        values["restart_policy"] = _restart_policy(body["restart_policy"])
    values.setdefault("image_driver", "docker")
    if version < versions.CREATE_FIELD_MIN_VERSION["tty"] and body.get("interactive"):
        # before 'tty' existed, 'interactive' meant both (`-it`): a console
        # attach can then type into a terminal, as those clients expect
        values["tty"] = True
    if "healthcheck" in body:
        values["healthcheck"] = _healthcheck(body["healthcheck"])
    if body.get("exposed_ports"):
        values["exposed_ports"] = _exposed_ports(body["exposed_ports"])
    return values


def parse_update(body: dict[str, Any]) -> dict[str, Any]:
    """Validate a PATCH body; cpu/memory normalised like on create."""
    validation.validate(UPDATE_SCHEMA, body)
    patch = dict(body)
    if "cpu" in body:
        patch["cpu"] = _cpu(body["cpu"])
    if "memory" in body:
        patch["memory"] = _memory(body["memory"])
    return patch


# The one network each project has on every host (docs/networking.rst).
PROJECT_NETWORK = "default"


def _check_net(field: str, net: dict[str, Any]) -> None:
    """A requested network: the project's own; Neutron's ports and fixed IPs
    are refused, naming why."""
    for neutron_only in ("port", "v4-fixed-ip", "v6-fixed-ip"):
        if net.get(neutron_only):
            raise validation.invalid_field(
                "%s.%s" % (field, neutron_only), net[neutron_only],
                "Neutron ports and fixed IPs are not available: each project "
                "has its own network, '%s'." % PROJECT_NETWORK)
    if net.get("network", PROJECT_NETWORK) != PROJECT_NETWORK:
        raise validation.invalid_field(
            "%s.network" % field, net["network"],
            "Each project has one network, '%s', which every container of the "
            "project joins; name it or leave 'nets' empty." % PROJECT_NETWORK)


def _check_unsupported(body: dict[str, Any]) -> None:
    """Refuse, clearly, what this deployment cannot provide."""
    if body.get("image_driver") == "glance":
        raise validation.invalid_field(
            "image_driver", "glance", "image driver glance is not supported; use 'docker'.")
    for index, net in enumerate(body.get("nets") or []):
        _check_net("nets[%d]" % index, net)
    if body.get("cpu_policy") == "dedicated":
        # Every host reports enable_cpu_pinning false (zun.compute.resources):
        # there is no free-cpuset inventory to claim dedicated cpus from.
        raise validation.invalid_field(
            "cpu_policy", "dedicated", "cpu_policy 'dedicated' needs cpu "
            "pinning, which no compute host of this deployment offers (every "
            "host reports enable_cpu_pinning false); use 'shared'.")
    # Upstream makes exposed_ports and security_groups exclusive because
    # exposing ports creates a Neutron group of its own. Here "default" asks
    # for nothing (see DEFAULT_SECURITY_GROUP), so it goes with exposed_ports:
    # Heat and tempest send it on every create.
    groups = body.get("security_groups") or []
    if any(group != DEFAULT_SECURITY_GROUP for group in groups):
        raise validation.invalid_field(
            "security_groups", groups, "security groups need Neutron, which "
            "this deployment does not use: each project's containers share a "
            "network of their own, and exposed_ports opens ports to the "
            "outside. Send an empty list, ['%s'] or leave it out."
            % DEFAULT_SECURITY_GROUP)


def _healthcheck(check: dict[str, Any]) -> dict[str, Any] | None:
    """One stored form: ``test`` (shell string or argv list), times in seconds.

    An empty object asks for nothing and is stored as None; a check without
    a probe keeps the image's own probe with the given timings.
    """
    if "cmd" in check and "test" in check:
        raise validation.invalid_field(
            "healthcheck", check, "Give the probe as 'cmd' or as 'test', not both.")
    out: dict[str, Any] = {}
    probe = check.get("test", check.get("cmd"))
    if isinstance(probe, str) and not probe.strip():
        raise validation.invalid_field(
            "healthcheck.%s" % ("test" if "test" in check else "cmd"), probe,
            "The health probe command is empty.")
    if probe is not None:
        out["test"] = probe
    for key in ("interval", "timeout", "retries"):
        if check.get(key) is not None:
            out[key] = check[key]
    return out or None


# An injected file travels in the DB row and the RPC message: keep it small.
MAX_INJECTED_BYTES = 1024 * 1024
# Docker's own volume-name rule. The runtime name adds a project prefix
# (zun-<12 hex>-, see the Docker driver), so the user's part stays well
# below the 255 bytes a volume directory name may have.
VOLUME_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
MAX_VOLUME_NAME = 128
_SIZE_REFUSED = (
    "volume sizes cannot be enforced by this deployment: volumes are local "
    "to the compute host, whose filesystem has no per-volume quota; leave "
    "size out.")


def _mounts(mounts: list[dict[str, Any]],
            version: versions.Version) -> list[dict[str, Any]]:
    """The stored form of the requested mounts, one entry per mount.

    ``bind`` injects a file (``source`` is its content): a tenant never names
    a host path. ``volume`` (the default type) mounts a local volume of the
    caller's project named by ``source``, made on first use; no ``source``
    asks for an anonymous volume that lives and dies with the container.
    ``size`` is refused: no host of this deployment can enforce it.
    """
    out: list[dict[str, Any]] = []
    total = 0
    volumes = 0
    destinations: set[str] = set()
    for index, mount in enumerate(mounts):
        field = "mounts[%d]" % index
        if "type" in mount and version < versions.MOUNT_TYPE:
            raise exception.InvalidParamInVersion(
                param="%s.type" % field, version=version,
                min_version=versions.MOUNT_TYPE)
        if mount.get("size") not in (None, ""):
            raise validation.invalid_field("%s.size" % field, mount["size"],
                                           _SIZE_REFUSED)
        destination = _destination(field, mount["destination"], destinations)
        if mount.get("type", "volume") == "volume":
            volumes += 1
            if volumes > CONF.compute.max_volumes_per_container:
                raise validation.invalid_field(
                    "mounts", reason="A container may mount at most %d volumes."
                    % CONF.compute.max_volumes_per_container)
            out.append({"type": "volume", "destination": destination,
                        "name": _volume_name(field, mount.get("source") or ""),
                        **_read_only(mount)})
            continue
        content = _mount_content(field, mount.get("source", ""), version)
        total += len(content)
        if total > MAX_INJECTED_BYTES:
            raise validation.invalid_field(
                "mounts", "...", "Injected files may hold at most %d bytes "
                "in total." % MAX_INJECTED_BYTES)
        out.append({"type": "bind", "destination": destination,
                    "content": base64.b64encode(content).decode("ascii"),
                    **_read_only(mount)})
    return out


def _read_only(mount: dict[str, Any]) -> dict[str, bool]:
    """``read_only`` when the request gives it (otherwise the default holds)."""
    return {"read_only": mount["read_only"]} if "read_only" in mount else {}


def _destination(field: str, value: str, seen: set[str]) -> str:
    """The normalised mount point; '/' and a second mount at one path are 400."""
    path = "/" + posixpath.normpath(value).lstrip("/")
    if path == "/":
        raise validation.invalid_field("%s.destination" % field, value,
                                       "A mount cannot replace the root directory.")
    if path in seen:
        raise validation.invalid_field("%s.destination" % field, value,
                                       "Another mount already uses this path.")
    seen.add(path)
    return path


def _volume_name(field: str, name: str) -> str:
    """The user's volume name ('' for anonymous), checked as Docker would."""
    if name and (len(name) > MAX_VOLUME_NAME or not VOLUME_NAME_PATTERN.match(name)):
        raise validation.invalid_field(
            "%s.source" % field, name[:40], "A volume name has 1 to %d characters "
            "among letters, digits, '_', '.' and '-', and starts with a letter "
            "or digit." % MAX_VOLUME_NAME)
    return name


def _mount_content(field: str, source: str, version: versions.Version) -> bytes:
    if version < versions.MOUNT_BASE64:
        return source.encode("utf-8")
    try:
        return base64.b64decode(source.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise validation.invalid_field(
            "%s.source" % field, source[:40], "It is not valid base64 content.") from None


# what _bounded reads a number as, and so returns
_Number = TypeVar("_Number", int, float)


def _bounded(field: str, value: Any, kind: type[_Number], low: float,
             high: float) -> _Number:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise validation.invalid_field(field, value, "It is not a number.") from None
    if not low <= number <= high:
        raise validation.invalid_field(
            field, value, "It must be between %s and %s." % (low, high))
    return number


def _cpu(value: Any) -> float:
    if isinstance(value, str) and value in ("", "."):
        raise validation.invalid_field("cpu", value, "It is not a number.")
    return _bounded("cpu", value, float, CONF.minimum_cpus, CONF.maximum_cpus)


def _memory(value: Any) -> str:
    return str(_bounded("memory", value, int, CONF.minimum_memory,
                        CONF.maximum_memory))


def _restart_policy(policy: dict[str, Any]) -> dict[str, Any]:
    name = policy["Name"]
    count = int(policy.get("MaximumRetryCount", 0) or 0)
    if count and name != "on-failure":
        raise validation.invalid_field(
            "restart_policy.MaximumRetryCount", policy["MaximumRetryCount"],
            "A retry count is only allowed with the 'on-failure' policy.")
    return {"Name": name, "MaximumRetryCount": count}


PORT_PROTOCOLS = ("tcp", "udp")
_PORT_KEY = re.compile(r"^([0-9]{1,5})(?:/([A-Za-z]+))?$")


def _exposed_ports(ports: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{"<port>/<protocol>": {}}``: each key checked and spelled in full.

    The protocol defaults to tcp, as upstream's and Docker's do; the host
    side (address and port) is the deployment's and the engine's choice
    ([docker] publish_address), so a value carries nothing. The count is
    bounded because each exposed port takes a host port.
    """
    limit = CONF.docker.max_exposed_ports
    if len(ports) > limit:
        raise validation.invalid_field(
            "exposed_ports", "%d ports" % len(ports),
            "A container may expose at most %d ports." % limit)
    out: dict[str, dict[str, Any]] = {}
    for key, value in ports.items():
        field = "exposed_ports.%s" % key
        match = _PORT_KEY.match(key)
        if match is None:
            raise validation.invalid_field(
                field, key, "A port is written <port>[/<protocol>], e.g. 80 or "
                "53/udp.")
        number, protocol = int(match.group(1)), (match.group(2) or "tcp").lower()
        if not 1 <= number <= 65535:
            raise validation.invalid_field(
                field, key, "The port must be between 1 and 65535.")
        if protocol not in PORT_PROTOCOLS:
            raise validation.invalid_field(
                field, key, "The protocol must be one of: %s." % ", ".join(PORT_PROTOCOLS))
        if value:
            raise validation.invalid_field(
                field, value, "The value is an empty object: the host address "
                "is the deployment's and the host port is chosen at start.")
        name = "%d/%s" % (number, protocol)
        if name in out:
            raise validation.invalid_field(field, key, "The port %s is given twice." % name)
        out[name] = {}
    return out
