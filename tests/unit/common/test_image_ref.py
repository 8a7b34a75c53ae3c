"""Image references: Docker's parsing rules and the ``[registry]`` guard."""
from __future__ import annotations

import ipaddress
import random
import socket
from typing import Iterator

import pytest

from zun.common import exception, image_ref
from zun.conf import CONF
from zun.conf import registry as registry_conf

DIGEST = "sha256:" + "ab" * 32


# --- parsing -------------------------------------------------------------------
@pytest.mark.parametrize("image,host,port,repository,tag,digest", [
    ("busybox", "docker.io", None, "library/busybox", None, None),
    ("busybox:1.36", "docker.io", None, "library/busybox", "1.36", None),
    ("user/app", "docker.io", None, "user/app", None, None),
    ("user/app/sub:v1", "docker.io", None, "user/app/sub", "v1", None),
    ("docker.io/busybox", "docker.io", None, "library/busybox", None, None),
    ("index.docker.io/user/app", "docker.io", None, "user/app", None, None),
    ("busybox@" + DIGEST, "docker.io", None, "library/busybox", None, DIGEST),
    ("busybox:1@" + DIGEST, "docker.io", None, "library/busybox", "1", DIGEST),
    # ':' without '/': a tag on Docker Hub, not a registry
    ("localhost:5000", "docker.io", None, "library/localhost", "5000", None),
    ("localhost/x", "localhost", None, "x", None, None),
    ("localhost:5000/x", "localhost", 5000, "x", None, None),
    ("LocalHost:5000/x", "localhost", 5000, "x", None, None),
    ("Registry/x", "registry", None, "x", None, None),  # upper case: a registry
    ("reg.example.com/a/b:2", "reg.example.com", None, "a/b", "2", None),
    ("reg.example.com:443/a@" + DIGEST, "reg.example.com", 443, "a", None, DIGEST),
    ("127.0.0.1:5000/x", "127.0.0.1", 5000, "x", None, None),
    ("127.1:5000/x", "127.1", 5000, "x", None, None),
    ("[::1]:5000/x", "::1", 5000, "x", None, None),
    ("[::1]/x:t", "::1", None, "x", "t", None),
    ("[0:0:0:0:0:0:0:1]/x", "::1", None, "x", None, None),
    ("169.254.169.254/latest/meta-data", "169.254.169.254", None,
     "latest/meta-data", None, None),
    ("a.b/c__d/e-f.g_h", "a.b", None, "c__d/e-f.g_h", None, None),
])
def test_parse(image, host, port, repository, tag, digest):
    ref = image_ref.parse(image)
    assert (ref.host, ref.port, ref.repository, ref.tag, ref.digest) == (
        host, port, repository, tag, digest)


@pytest.mark.parametrize("image,registry", [
    ("busybox", "docker.io"), ("localhost:5000/x", "localhost:5000"),
    ("[::1]:5000/x", "[::1]:5000"), ("[::1]/x", "[::1]"), ("a.b/x", "a.b"),
])
def test_registry_is_written_as_in_the_lists(image, registry):
    assert image_ref.parse(image).registry == registry


@pytest.mark.parametrize("image", [
    "", "Busybox", "busybox ", " busybox", "busy\x00box", "busybox:", "busybox:-x",
    "busybox:" + "t" * 129, "busybox@sha256:xyz", "busybox@" + "ab" * 32,
    "a//b", "/x", "x/", "reg.example.com/", "reg.example.com:0/x",
    "reg.example.com:70000/x", "reg.example.com:port/x", "-bad.example/x",
    "[::1/x", "[::1]x/y", "[::g]:5000/x", "[127.0.0.1]/x", "[::ffff:127.0.0.1]/x", "a_b.example/x",
    "x/Upper", "x/a..b", "busybox\n", "reg.example.com/x\n", "busybox:t\u00e9",
    "reg.example.com:\uff15/x", "reg.example.com:\u00b2/x", "r\u00e9g.example/x",
])
def test_malformed_reference_is_400_naming_image(image):
    with pytest.raises(exception.ValidationError) as caught:
        image_ref.parse(image)
    assert caught.value.code == 400
    assert str(caught.value).startswith("Invalid input for field 'image'.")
    assert "not a valid image reference" in str(caught.value)


def test_any_string_is_parsed_or_refused_as_a_400():
    """Fuzz: nothing but ValidationError ever escapes (a 500 would be a bug)."""
    rng = random.Random(12)
    alphabet = "aZ09.:/@[]-_+%\x00\n \u00e9\u00b2\uff15sha256f"
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        try:
            image_ref.parse(text)
        except exception.ValidationError:
            pass


# --- the guard -------------------------------------------------------------------
@pytest.fixture
def registry_conf_reset() -> Iterator[None]:
    yield
    for name in ("allow", "deny", "allow_only"):
        CONF.clear_override(name, "registry")


def _conf(**values) -> None:
    for name, value in values.items():
        CONF.set_override(name, value, "registry")


@pytest.fixture
def dns(monkeypatch) -> dict[str, list[str]]:
    """Fake resolver: names map to addresses; unknown names do not resolve."""
    table: dict[str, list[str]] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM,
                 6, "", (a, port or 0)) for a in table[host]]

    monkeypatch.setattr(image_ref.socket, "getaddrinfo", getaddrinfo)
    return table


def _refused(image: str) -> str | None:
    try:
        image_ref.check_registry(image)
    except exception.RegistryNotAllowed as exc:
        return str(exc)
    return None


@pytest.mark.usefixtures("registry_conf_reset")
@pytest.mark.parametrize("image,refused", [
    ("busybox", False),
    ("user/app:1", False),
    ("docker.io/library/busybox", False),
    ("reg.example.com/x", False),           # resolves to a public address
    ("nowhere.example/x", False),           # does not resolve: the engine's pull fails
    ("localhost/x", True),                  # named in deny
    ("localhost:5000/x", True),
    ("LOCALHOST:5000/x", True),
    ("127.0.0.1:5000/x", True),
    ("127.255.0.1/x", True),
    ("127.1:5000/x", True),                 # resolves (inet_aton) to 127.0.0.1
    ("[::1]:5000/x", True),
    ("[::]:5000/x", True),
    ("[::ffff:7f00:1]:5000/x", True),       # IPv4-mapped 127.0.0.1
    ("[fe80::1]/x", True),
    ("169.254.169.254/x", True),
    ("0.0.0.0:5000/x", True),
    ("10.0.0.1:5000/x", False),             # private networks: operator's choice
    ("[2001:db8::1]:5000/x", False),
    ("loopy.example/x", True),              # a name resolving to loopback
    ("mixed.example/x", True),              # any of its addresses denied
])
def test_default_lists(dns, image, refused):
    dns.update({"reg.example.com": ["93.184.216.34"],
                "127.1": ["127.0.0.1"],
                "loopy.example": ["127.0.0.1"],
                "mixed.example": ["93.184.216.34", "::1"]})
    assert (_refused(image) is not None) is refused


@pytest.mark.usefixtures("registry_conf_reset")
def test_docker_hub_is_never_resolved(dns, monkeypatch):
    def no_dns(*args, **kwargs):
        raise AssertionError("resolved")
    monkeypatch.setattr(image_ref.socket, "getaddrinfo", no_dns)
    image_ref.check_registry("busybox")
    image_ref.check_registry("docker.io/user/app")


@pytest.mark.usefixtures("registry_conf_reset")
def test_refusal_is_400_naming_image_registry_and_option(dns):
    with pytest.raises(exception.RegistryNotAllowed) as caught:
        image_ref.check_registry("127.0.0.1:5000/x")
    err = caught.value
    assert err.code == 400 and err.error_code == "registry_not_allowed"
    assert str(err) == (
        "Invalid input for field 'image'. Value: '127.0.0.1:5000/x'. Registry "
        "127.0.0.1:5000 is not allowed: it is in the denied network 127.0.0.0/8 "
        "([registry] deny). An operator can allow it in [registry] allow.")


@pytest.mark.usefixtures("registry_conf_reset")
def test_refusal_names_the_address_a_name_resolves_to(dns):
    dns["loopy.example"] = ["127.0.0.2"]
    assert "it resolves to 127.0.0.2, which is in the denied network 127.0.0.0/8" in (
        _refused("loopy.example:5000/x") or "")
    assert "it is listed in [registry] deny" in (_refused("localhost:1/x") or "")


@pytest.mark.usefixtures("registry_conf_reset")
@pytest.mark.parametrize("allow,image,refused", [
    (["127.0.0.1:5000"], "127.0.0.1:5000/x", False),
    (["127.0.0.1:5000"], "127.0.0.1:5001/x", True),     # another port
    (["127.0.0.1"], "127.0.0.1:5001/x", False),          # an address: any port
    (["127.0.0.0/8"], "127.9.9.9/x", False),             # a network
    (["127.0.0.0/8"], "[::ffff:7f00:1]/x", False),
    (["127.0.0.0/8"], "[::1]/x", True),                  # not in it
    (["127.0.0.0/8"], "loopy.example/x", False),         # resolves inside it
    (["127.0.0.0/8"], "localhost/x", True),              # a denied name needs its name
    (["localhost"], "localhost:5000/x", False),
    (["LocalHost:5000"], "localhost:5000/x", False),
    (["[::1]:5000"], "[::1]:5000/x", False),
    (["::1"], "[0::1]:80/x", False),
    (["loopy.example"], "loopy.example/x", False),       # a name: no resolution asked
    (["169.254.169.254"], "169.254.169.254/x", False),
])
def test_allow_overrides_deny(dns, allow, image, refused):
    dns["loopy.example"] = ["127.0.0.1"]
    _conf(allow=allow)
    assert (_refused(image) is not None) is refused


@pytest.mark.usefixtures("registry_conf_reset")
@pytest.mark.parametrize("deny,image,refused", [
    ([], "127.0.0.1:5000/x", False),                     # an operator may clear it
    (["10.0.0.0/8"], "10.1.2.3/x", True),
    (["10.0.0.0/8"], "127.0.0.1/x", False),
    (["reg.example.com"], "reg.example.com:5000/x", True),
    (["reg.example.com:5000"], "reg.example.com/x", False),
    (["docker.io"], "busybox", True),
])
def test_deny_entries(dns, deny, image, refused):
    dns["reg.example.com"] = ["93.184.216.34"]
    _conf(deny=deny)
    assert (_refused(image) is not None) is refused


@pytest.mark.usefixtures("registry_conf_reset")
@pytest.mark.parametrize("allow,image,refused", [
    ([], "busybox", True),
    (["docker.io"], "busybox", False),
    (["reg.example.com"], "reg.example.com:5000/x", False),
    (["reg.example.com"], "other.example.com/x", True),
    (["10.0.0.0/8"], "10.0.0.5:5000/x", False),
    (["10.0.0.0/8"], "inside.example/x", False),          # every address inside
    (["10.0.0.0/8"], "nowhere.example/x", True),          # no address known
    (["127.0.0.1:5000"], "127.0.0.1:5000/x", False),
])
def test_allow_only(dns, allow, image, refused):
    dns.update({"reg.example.com": ["93.184.216.34"], "other.example.com": ["1.2.3.4"],
                "inside.example": ["10.1.1.1"]})
    _conf(allow=allow, allow_only=True)
    why = _refused(image)
    assert (why is not None) is refused
    if why:
        assert "[registry] allow_only is set" in why


# --- the entries ---------------------------------------------------------------
@pytest.mark.parametrize("entry,expected", [
    ("10.0.0.0/8", registry_conf.Entry(network=ipaddress.ip_network("10.0.0.0/8"))),
    ("10.0.0.1", registry_conf.Entry(network=ipaddress.ip_network("10.0.0.1/32"))),
    ("::1", registry_conf.Entry(network=ipaddress.ip_network("::1/128"))),
    ("Reg.Example.com", registry_conf.Entry(host="reg.example.com")),
    ("reg:5000", registry_conf.Entry(host="reg", port=5000)),
    ("127.0.0.1:1", registry_conf.Entry(host="127.0.0.1", port=1)),
    ("[0::1]:5000", registry_conf.Entry(host="::1", port=5000)),
])
def test_entries(entry, expected):
    assert registry_conf.parse_entry(entry) == expected


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "reg:0", "reg:x", "[::1]",
                                   "[zz]:1", "bad host", "a_b", ""])
def test_bad_entries_are_refused_when_read(entry):
    with pytest.raises(ValueError):
        registry_conf.RegistryEntry()(entry)


@pytest.mark.usefixtures("registry_conf_reset")
def test_a_bad_option_value_fails_loudly():
    CONF.set_override("allow", ["ok.example"], "registry")
    assert CONF.registry.allow == ["ok.example"]
    with pytest.raises(ValueError):
        CONF.set_override("allow", ["not a host"], "registry")


def test_default_deny_refuses_loopback_link_local_and_localhost():
    assert CONF.registry.deny == registry_conf.DEFAULT_DENY
    assert {"127.0.0.0/8", "::1/128", "169.254.0.0/16", "fe80::/10", "0.0.0.0/8",
            "localhost"} <= set(CONF.registry.deny)
    assert CONF.registry.allow == [] and CONF.registry.allow_only is False


def test_validate_stops_on_a_bad_entry_of_the_config_file(tmp_path):
    from oslo_config import cfg
    conf_file = tmp_path / "zun.conf"
    conf_file.write_text("[registry]\nallow = 127.0.0.1:1, not a host\n")
    conf = cfg.ConfigOpts()
    registry_conf.register_opts(conf)
    conf(["--config-file", str(conf_file)], default_config_files=[],
         default_config_dirs=[])
    with pytest.raises(cfg.ConfigFileValueError, match="not a host"):
        registry_conf.validate(conf)
    conf_file.write_text("[registry]\nallow = 127.0.0.1:1, [::1]:5000, 10.0.0.0/8\n")
    conf.reload_config_files()
    registry_conf.validate(conf)
    assert conf.registry.allow == ["127.0.0.1:1", "[::1]:5000", "10.0.0.0/8"]
