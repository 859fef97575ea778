"""Observables of a security incident: what they are (named as STIX 2.1
names its cyber-observable objects), each value checked and normalised for
its type, TLP 2.0 markings that decide what may leave in an export, and
MITRE ATT&CK technique ids. Pure.

Normalising matters: the same observable in two incidents links them, so
``Evil.Example.`` and ``evil.example`` must be one domain, and an IPv6
address one spelling.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from fireline.core.errors import InvalidInput

HASHES = {"MD5": 32, "SHA-1": 40, "SHA-256": 64}
TYPES = (
    "ipv4-addr",
    "ipv6-addr",
    "domain-name",
    "url",
    "file",  # by hash (with ``hash_algorithm``) or by name
    "email-addr",
    "user-account",
    "windows-registry-key",
    "text",  # free text: kept, searched, exported as a note
)
# TLP 2.0, least to most restricted.
TLP = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_HEX = re.compile(r"^[0-9a-f]+$")
_TECHNIQUE = re.compile(r"^T\d{4}(\.\d{3})?$")
_REGISTRY_ROOTS = (
    "HKEY_LOCAL_MACHINE",
    "HKEY_CURRENT_USER",
    "HKEY_CLASSES_ROOT",
    "HKEY_USERS",
    "HKEY_CURRENT_CONFIG",
)
_ROOT_ALIASES = {
    "HKLM": "HKEY_LOCAL_MACHINE",
    "HKCU": "HKEY_CURRENT_USER",
    "HKCR": "HKEY_CLASSES_ROOT",
    "HKU": "HKEY_USERS",
}
MAX_VALUE = 2048


@dataclass(frozen=True)
class Observable:
    type: str
    value: str
    hash_algorithm: str | None = None  # for a file known by its hash


def match_key(observable: Observable) -> str:
    """The same observable's key in every incident: a digest of its type, hash
    algorithm and normalised value (values are long; the key indexes well)."""
    text = "\x1f".join((observable.type, observable.hash_algorithm or "", observable.value))
    return hashlib.sha256(text.encode()).hexdigest()


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, field="value")


def _domain(value: str) -> str:
    name = value.strip().rstrip(".").lower()
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise _refuse("not a domain name") from None
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_LABEL.fullmatch(x) for x in labels):
        raise _refuse("not a domain name like evil.example")
    return name


def normalise(type_: str, value: str, hash_algorithm: str | None = None) -> Observable:
    """The observable as stored and compared; raises InvalidInput naming the field."""
    if type_ not in TYPES:
        raise InvalidInput(f"expected one of {', '.join(TYPES)}", field="type")
    text = value.strip()
    if not text or len(text) > MAX_VALUE or "\x00" in text:
        raise _refuse(f"a value of 1 to {MAX_VALUE} characters is required")
    if type_ in ("ipv4-addr", "ipv6-addr"):
        try:
            address = (
                ipaddress.ip_network(text, strict=False)
                if "/" in text
                else ipaddress.ip_address(text)
            )
        except ValueError:
            raise _refuse(f"not an {type_.split('-')[0].upper()} address") from None
        if (address.version == 4) != (type_ == "ipv4-addr"):
            raise _refuse(f"an IPv{address.version} address is not an {type_}")
        return Observable(type_, str(address))
    if type_ == "domain-name":
        return Observable(type_, _domain(text))
    if type_ == "url":
        return Observable(type_, _url(text))
    if type_ == "file":
        return _file(text, hash_algorithm)
    if type_ == "email-addr":
        local, at, domain = text.rpartition("@")
        if not at or not local or " " in local:
            raise _refuse("not an e-mail address")
        return Observable(type_, f"{local}@{_domain(domain)}")
    if type_ == "windows-registry-key":
        root, _, rest = text.replace("/", "\\").partition("\\")
        root = _ROOT_ALIASES.get(root.upper(), root.upper())
        if root not in _REGISTRY_ROOTS:
            raise _refuse("a registry key starts with HKEY_LOCAL_MACHINE, HKLM, HKCU, …")
        return Observable(type_, f"{root}\\{rest}" if rest else root)
    return Observable(type_, text)  # user-account and text: as written


def _url(text: str) -> str:
    """Scheme and host in lower case (the host in IDNA), the rest as written:
    a user part (``https://bank.example@evil.example/``) is part of the lure."""
    try:
        parts = urlsplit(text)
        host, port = parts.hostname, parts.port
    except ValueError:  # a bad port, an unclosed [IPv6 bracket
        raise _refuse("not a URL like https://evil.example/path") from None
    scheme = parts.scheme.lower()
    if (
        scheme not in ("http", "https", "ftp")
        or not host
        or not text[len(scheme) :].startswith("://")
    ):
        raise _refuse("not a URL like https://evil.example/path")
    if _is_ip(host):
        address = ipaddress.ip_address(host)
        host = f"[{address}]" if address.version == 6 else str(address)
    else:
        host = _domain(host)
    user, at, _ = parts.netloc.rpartition("@")
    netloc = f"{user}{at}{host}" + (f":{port}" if port is not None else "")
    rest = text[len(scheme) + 3 + len(parts.netloc) :]
    return f"{scheme}://{netloc}{rest}"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _file(text: str, hash_algorithm: str | None) -> Observable:
    if hash_algorithm is None:
        if "/" in text or "\\" in text:
            raise _refuse("a file name, without its folder")
        return Observable("file", text)
    algorithm = hash_algorithm.upper().replace("SHA1", "SHA-1").replace("SHA256", "SHA-256")
    if algorithm not in HASHES:
        raise InvalidInput(f"expected one of {', '.join(HASHES)}", field="hash_algorithm")
    digest = text.lower()
    if len(digest) != HASHES[algorithm] or not _HEX.match(digest):
        raise _refuse(f"a {algorithm} hash is {HASHES[algorithm]} hexadecimal digits")
    return Observable("file", digest, algorithm)


def tlp(value: str) -> str:
    marking = value.strip().upper().removeprefix("TLP:")
    if marking == "WHITE":  # TLP 1.0's name for CLEAR
        marking = "CLEAR"
    if marking not in TLP:
        raise InvalidInput(f"expected one of {', '.join(TLP)}", field="tlp")
    return marking


def may_leave(marking: str, ceiling: str) -> bool:
    """Whether an observable marked ``marking`` goes into an export whose
    audience may see up to ``ceiling``."""
    return TLP.index(tlp(marking)) <= TLP.index(tlp(ceiling))


def technique(value: str) -> str:
    """A MITRE ATT&CK technique or sub-technique id: T1566, T1566.001."""
    found = value.strip().upper()
    if not _TECHNIQUE.match(found):
        raise InvalidInput("expected an ATT&CK id like T1566 or T1566.001", field="techniques")
    return found
