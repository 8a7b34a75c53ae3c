"""Image references: which registry an image name makes the engine contact.

The engine reads the registry out of the image name itself, so a tenant's
``127.0.0.1:5000/x`` would make a compute host connect to its own port
5000, and ``169.254.169.254/x`` to the cloud's metadata service. This
module is the one reader of a reference (:func:`parse`, Docker's rules)
and the one judge of its registry (:func:`check_registry`, the operator's
``[registry]`` lists). The API calls it before anything is stored; each
agent calls it again right before its driver may pull, with its own
configuration.

Docker's rules, as applied here: ``[registry/]path[:tag][@digest]``. The
first ``/``-separated component names a registry when it contains ``.`` or
``:``, is ``localhost``, or has an upper-case letter; otherwise the image
is on Docker Hub (``docker.io``, ``library/`` added to a one-component
path). A registry is a host name, a dotted IPv4 address or a bracketed
IPv6 address, with an optional port; path components are lower case.

DNS: a registry given by name is resolved here (``getaddrinfo``) and
refused when any address falls in a denied network. A name that does not
resolve is let through: the engine's pull then fails the usual way. The
engine resolves the name again when it pulls; a name whose answer changes
in between (DNS rebinding) is beyond what a check at request time can see,
so a host firewall remains the real fence for anything that must never be
reached. Docker Hub's own names are not resolved (every create would wait
on DNS for the common case).
"""
from __future__ import annotations

import dataclasses
import ipaddress
import logging
import re
import socket

from zun.common import exception
from zun.conf import CONF
from zun.conf import registry as registry_conf

LOG = logging.getLogger(__name__)

DOCKER_HUB = "docker.io"
# Names of Docker Hub that the engine maps to it without asking DNS of ours.
_HUB_NAMES = frozenset({DOCKER_HUB, "index.docker.io"})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_HOST = re.compile(r"(?:%s(?:\.%s)*|\[[0-9A-Fa-f:]+\])" % (_LABEL, _LABEL))
_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"\w[\w.-]{0,127}", re.ASCII)
_DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*"
                     r":[0-9A-Fa-f]{32,}")
_PORT = re.compile(r"[0-9]{1,5}")


@dataclasses.dataclass(frozen=True)
class ImageRef:
    """A parsed reference. ``host`` is bare (no brackets, lower case);
    ``registry`` is ``host[:port]`` as an operator writes it in the lists."""

    host: str
    port: int | None
    repository: str
    tag: str | None
    digest: str | None

    @property
    def registry(self) -> str:
        host = "[%s]" % self.host if ":" in self.host else self.host
        return host if self.port is None else "%s:%d" % (host, self.port)


def _malformed(image: str, why: str) -> exception.ValidationError:
    return exception.invalid_field("image", image,
                                   "It is not a valid image reference: %s." % why)


def _is_registry(component: str) -> bool:
    return ("." in component or ":" in component or component == "localhost"
            or component != component.lower())


def _split_registry(image: str, component: str) -> tuple[str, int | None]:
    host, port_text = component, None
    if component.startswith("["):
        end = component.find("]")
        host, rest = component[:end + 1], component[end + 1:]
        if end < 0 or (rest and not rest.startswith(":")):
            raise _malformed(image, "an IPv6 registry is written [address]:port")
        port_text = rest[1:] if rest else None
    elif ":" in component:
        host, port_text = component.split(":", 1)
    if not _HOST.fullmatch(host):
        raise _malformed(image, "'%s' is not a registry host" % host)
    if host.startswith("["):
        try:
            host = ipaddress.IPv6Address(host[1:-1]).compressed
        except ValueError:
            raise _malformed(image, "'%s' is not an IPv6 address" % host) from None
    port = None
    if port_text is not None:
        if not _PORT.fullmatch(port_text) or not 0 < int(port_text) < 65536:
            raise _malformed(image, "the registry port must be 1 to 65535")
        port = int(port_text)
    return registry_conf.normalize_host(host), port


def parse(image: str) -> ImageRef:
    """``image`` read as Docker reads it; a malformed one is a 400 naming ``image``."""
    name, at, digest = image.partition("@")
    if at and not _DIGEST.fullmatch(digest):
        raise _malformed(image, "the digest must be algorithm:hex")
    tag = None
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = name.rsplit(":", 1)
        if not _TAG.fullmatch(tag):
            raise _malformed(image, "the tag must be letters, digits, '_', '.' "
                                    "and '-' (at most 128), not starting with '.' "
                                    "or '-'")
    first, slash, rest = name.partition("/")
    if slash and _is_registry(first):
        host, port = _split_registry(image, first)
        path = rest
    else:
        host, port, path = DOCKER_HUB, None, name
    if host in _HUB_NAMES and port is None:
        host = DOCKER_HUB
        if "/" not in path:
            path = "library/" + path
    components = path.split("/")
    if not all(_PATH_COMPONENT.fullmatch(c) for c in components):
        raise _malformed(image, "the repository must be lower-case letters and "
                                "digits separated by '/', '.', '_' or '-'")
    return ImageRef(host=host, port=port, repository=path, tag=tag,
                    digest=digest if at else None)


def canonical(image: str) -> str:
    """``registry/repository:tag`` (tag ``latest`` when absent; a digest kept):
    the one form in which two spellings of an image compare equal
    (``busybox`` and ``docker.io/library/busybox:latest``). Raises as
    :func:`parse` for a malformed reference."""
    ref = parse(image)
    name = "%s/%s" % (ref.registry, ref.repository)
    if ref.digest:
        return "%s@%s" % (name, ref.digest)
    return "%s:%s" % (name, ref.tag or "latest")


# --- the guard ----------------------------------------------------------------
def _addresses(ref: ImageRef) -> list[IPAddress]:
    """The addresses the engine would connect to (none known: empty)."""
    try:
        return [ipaddress.ip_address(ref.host)]
    except ValueError:
        pass
    if ref.host == DOCKER_HUB:
        return []
    try:
        infos = socket.getaddrinfo(ref.host, ref.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        # not resolvable here: the engine's pull will fail on its own
        return []
    found = []
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone
        try:
            found.append(ipaddress.ip_address(text))
        except ValueError:
            continue
    return found


def _forms(address: IPAddress) -> list[IPAddress]:
    """``address`` and, for an IPv4-mapped IPv6 address, the IPv4 it reaches."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return [address, address.ipv4_mapped]
    return [address]


def _in(address: IPAddress, networks: list[registry_conf.IPNetwork]
        ) -> registry_conf.IPNetwork | None:
    for form in _forms(address):
        for net in networks:
            if form.version == net.version and form in net:
                return net
    return None


def _named(ref: ImageRef, entries: list[registry_conf.Entry]) -> bool:
    """True when a host or host:port entry names ``ref``'s registry."""
    return any(e.host == ref.host and e.port in (None, ref.port) for e in entries)


def refusal(ref: ImageRef) -> str | None:
    """Why the operator's ``[registry]`` lists refuse ``ref``, or None.

    Precedence: a host (or host:port) in ``allow`` always passes; then a
    host in ``deny`` is refused (a network in ``allow`` does not lift it:
    name it in ``allow``); then an address in a denied network is refused
    unless it is also in an allowed one; then ``allow_only`` refuses what
    ``allow`` does not cover (a name passes by its addresses only when
    they are all in allowed networks).
    """
    allow = [registry_conf.parse_entry(e) for e in CONF.registry.allow]
    deny = [registry_conf.parse_entry(e) for e in CONF.registry.deny]
    if _named(ref, allow):
        return None
    allowed_nets = [e.network for e in allow if e.network is not None]
    denied_nets = [e.network for e in deny if e.network is not None]
    if _named(ref, deny):
        return "it is listed in [registry] deny"
    addresses = _addresses(ref)
    literal = bool(addresses) and str(addresses[0]) == ref.host
    for address in addresses:
        net = _in(address, denied_nets)
        if net is not None and _in(address, allowed_nets) is None:
            how = "it is" if literal else "it resolves to %s, which is" % address
            return "%s in the denied network %s ([registry] deny)" % (how, net)
    if CONF.registry.allow_only and not (
            addresses and all(_in(a, allowed_nets) for a in addresses)):
        return "[registry] allow_only is set and it is not in [registry] allow"
    return None


def check_registry(image: str) -> None:
    """Refuse (400 naming ``image``) an image the engine must not pull.

    Raises ValidationError for a malformed reference and RegistryNotAllowed
    for a registry the ``[registry]`` options refuse; see the module
    docstring for how names are resolved.
    """
    ref = parse(image)
    why = refusal(ref)
    if why is None:
        return
    LOG.info("Refused image %r: registry %s: %s", image, ref.registry, why)
    detail = str(exception.invalid_field(
        "image", image, "Registry %s is not allowed: %s. An operator can allow it "
                        "in [registry] allow." % (ref.registry, why)))
    raise exception.RegistryNotAllowed(detail=detail, registry=ref.registry)


def registry_domain(domain: str, field: str = "domain") -> str:
    """``domain``, a registry's ``host[:port]`` (a private registry's), in the
    form image references name it (:attr:`ImageRef.registry`).

    The same rules as an image's registry: a 400 naming ``field`` for what
    is not a registry host (a path, a bare word that Docker would read as a
    Docker Hub path), RegistryNotAllowed naming ``field`` for a registry
    the ``[registry]`` lists refuse.
    """
    try:
        ref = parse("%s/x" % domain)
    except exception.ValidationError:
        ref = None
    # a Docker Hub path ("foo/x") or anything beyond host:port is no domain
    if ref is None or "/" in domain or ref.repository not in ("x", "library/x"):
        raise exception.invalid_field(
            field, domain, "A registry is host[:port]: a host name with a '.', "
                           "'localhost', an IPv4 address or a bracketed IPv6 "
                           "address, and an optional port (e.g. "
                           "registry.example.com:5000).")
    why = refusal(ref)
    if why is not None:
        LOG.info("Refused registry %r: %s", domain, why)
        detail = str(exception.invalid_field(
            field, domain, "Registry %s is not allowed: %s. An operator can "
                           "allow it in [registry] allow." % (ref.registry, why)))
        raise exception.RegistryNotAllowed(detail=detail, registry=ref.registry)
    return ref.registry

