"""[registry]: which image registries a compute host's engine may contact.

An image name chooses the registry the engine pulls from
(``127.0.0.1:5000/x`` makes the host connect to its own port 5000), so a
tenant could otherwise point the engine at services only the host can
reach. The API refuses such images with a 400 and each agent checks again
before its driver pulls (see ``zun/common/image_ref.py`` and
``docs/images.rst``).

An entry of ``allow`` or ``deny`` is a network in CIDR notation (a bare
address is a one-address network), a host name, or a host with a port
(``host:port``, ``[v6-address]:port``). The entry format is this module's
fact: :func:`parse_entry` is its one reader.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import re
from typing import Any

from cryptography import fernet
from oslo_config import cfg, types

group = cfg.OptGroup("registry", title="Image registries the engines may contact")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# A host name as the entries spell it: DNS labels of letters, digits, '-'.
_HOST_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
                        r"(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*")


@dataclasses.dataclass(frozen=True)
class Entry:
    """One parsed entry: a ``network``, or a ``host`` (lower case, literal
    addresses in their compressed form) with an optional ``port``."""

    network: IPNetwork | None = None
    host: str | None = None
    port: int | None = None


def normalize_host(host: str) -> str:
    """The form in which hosts are compared: lower case, an address compressed."""
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        return host.lower()


def _port(text: str, entry: str) -> int:
    if not re.fullmatch(r"[0-9]{1,5}", text) or not 0 < int(text) < 65536:
        raise ValueError("%r: the port must be a number from 1 to 65535" % entry)
    return int(text)


def parse_entry(entry: str) -> Entry:
    """``entry`` of ``allow``/``deny`` parsed; ValueError says what is wrong."""
    text = entry.strip()
    if "/" in text:
        try:
            return Entry(network=ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError("%r is not a network in CIDR notation" % entry) from None
    if text.startswith("["):
        address, sep, port = text[1:].partition("]:")
        if not sep:
            raise ValueError("%r: write a bracketed IPv6 address with a port, "
                             "or the bare address" % entry)
        try:
            host = ipaddress.IPv6Address(address).compressed
        except ValueError:
            raise ValueError("%r is not an IPv6 address in brackets" % entry) from None
        return Entry(host=host, port=_port(port, entry))
    try:  # a bare address (IPv6 included): a network of one address
        return Entry(network=ipaddress.ip_network(text))
    except ValueError:
        pass
    host, sep, port = text.partition(":")
    if not _HOST_NAME.fullmatch(host):
        raise ValueError("%r is neither a network, an address nor a host name" % entry)
    return Entry(host=normalize_host(host), port=_port(port, entry) if sep else None)


class RegistryEntry(types.String):
    """A String that must be a valid entry: a typo fails loudly (see validate)."""

    def __call__(self, value: Any) -> str:
        text: str = super().__call__(value)
        parse_entry(text)
        return text.strip()


DEFAULT_DENY = ["127.0.0.0/8", "::1/128", "169.254.0.0/16", "fe80::/10",
                "0.0.0.0/8", "::/128", "localhost"]

opts: list[cfg.Opt] = [
    cfg.ListOpt("allow", default=[], item_type=RegistryEntry(),
                help="Registries always allowed, even inside a denied network: "
                     "host names (any port), host:port ([v6-address]:port), "
                     "or networks in CIDR notation. A host name matches the "
                     "image's registry as written (case-insensitive); a network "
                     "matches a literal address, or the addresses a name "
                     "resolves to. Example: a registry on the host itself, "
                     "127.0.0.1:5000."),
    cfg.ListOpt("deny", default=DEFAULT_DENY, item_type=RegistryEntry(),
                help="Registries refused (400 from the API; the agent refuses "
                     "too) unless listed in allow: host names, host:port or "
                     "networks in CIDR notation. A registry given by name is "
                     "resolved and refused when any of its addresses is in a "
                     "denied network; a name that does not resolve goes on "
                     "to the engine, whose pull then fails. The default "
                     "refuses the host's own loopback, 'this network' and "
                     "unspecified addresses and the link-local networks "
                     "(cloud metadata services such as 169.254.169.254): "
                     "an image name must not make the engine reach services "
                     "only the host can reach. Add private networks the "
                     "tenants must not reach through the engine."),
    cfg.BoolOpt("allow_only", default=False,
                help="Use only the registries in allow: every other one is "
                     "refused, Docker Hub (docker.io, the registry of names "
                     "without one, such as 'busybox') included unless listed. "
                     "For deployments that pull only from their own "
                     "registries."),
    cfg.ListOpt("search_registries", default=[], item_type=RegistryEntry(),
                help="Registries (host:port, each serving the registry v2 "
                     "API) that GET /v1/images/search looks through, by their "
                     "catalog (/v2/_catalog) and tag lists. Empty (the "
                     "default): searches find nothing and say so. Docker "
                     "Hub has no catalog API and cannot be searched this "
                     "way."),
    cfg.BoolOpt("search_https", default=False,
                help="Ask the search_registries over HTTPS rather than plain "
                     "HTTP."),
    # Private registries (/v1/registries): their passwords are stored
    # encrypted under this key; see zun/common/registry_secrets.py.
    cfg.StrOpt("key", secret=True,
               help="The Fernet key (32 url-safe base64-encoded bytes) under "
                    "which private registries' passwords are encrypted in the "
                    "database; every API and compute host needs the same "
                    "one. Generate one with: python -c \"from "
                    "cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())\". Unset (the "
                    "default; there is no built-in key): a registry with a "
                    "password is refused (409) and the agents cannot pull "
                    "with stored passwords."),
    cfg.ListOpt("old_keys", default=[], secret=True,
                help="Former values of key, still accepted for reading "
                     "passwords encrypted under them (key rotation: put the "
                     "new key in key, the old one here, re-encrypt with "
                     "zun-db-manage registry-rekey, then drop it)."),
]


def validate(conf: cfg.ConfigOpts) -> None:
    """Read the lists once at start: oslo.config checks a value only when it
    is read, and a bad entry must stop the service, not fail each create."""
    conf.registry.allow  # noqa: B018 - read for its check
    conf.registry.deny  # noqa: B018
    for name in ("key", "old_keys"):
        keys = getattr(conf.registry, name)
        for key in ([keys] if isinstance(keys, str) else keys or []):
            if not key:
                continue
            try:
                fernet.Fernet(key)
            except (ValueError, TypeError):
                # never the value: it is a secret
                raise ValueError("[registry] %s is not a Fernet key (32 "
                                 "url-safe base64-encoded bytes); see "
                                 "docs/images.rst" % name) from None


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_group(group)
    conf.register_opts(opts, group=group)


def list_opts() -> dict[str | cfg.OptGroup, list[cfg.Opt]]:
    return {group: opts}
