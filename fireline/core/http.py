"""The one outbound HTTP client: webhooks, chat and push messages all leave
through :func:`outbound_client`.

What it adds to a plain ``httpx.Client``:

- time limits: 5 s to connect, 15 s for the whole exchange (redirects and
  the response body included), so a slow receiver cannot hold a worker;
- a user agent naming fireline and its version;
- redirects followed only on the same host and never from https to http;
- a guard against requests to internal addresses. Anyone who can add a
  webhook could otherwise make the server call its own admin ports or a
  cloud metadata service. The host is resolved once, *every* address it
  resolves to is checked, and the connection is then made to a checked
  address (TLS still verifies the certificate against the host name), so
  a DNS answer that changes between the check and the connection cannot
  slip a private address through.

Receivers get at-least-once delivery: the transport retries only failed
connection attempts (nothing was sent), and the jobs worker retries the rest.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from fireline import __version__

USER_AGENT = f"fireline/{__version__}"
CONNECT_TIMEOUT = 5.0
TOTAL_TIMEOUT = 15.0
MAX_REDIRECTS = 3
MAX_RESPONSE_BYTES = 1024 * 1024
_DEADLINE = "fireline.deadline"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[str]]


class OutboundRefused(Exception):
    """A request the outbound policy does not allow; retrying will not help."""


class BlockedAddress(OutboundRefused):
    def __init__(self, host: str, address: str) -> None:
        self.host = host
        self.address = address
        shown = host if host == address else f"{host} ({address})"
        super().__init__(
            f"refused to connect to {shown}: a loopback, private, link-local or reserved "
            "address (allow it with FIRELINE_OUTBOUND_ALLOW_PRIVATE or an allow-list)"
        )


class ResponseTooLarge(httpx.ReadError):
    """The response body went past the client's size limit."""


class RedirectRefused(OutboundRefused):
    def __init__(self, source: httpx.URL, target: httpx.URL) -> None:
        self.source_host = source.host
        self.target_host = target.host
        super().__init__(
            f"refused a redirect from {source.scheme}://{source.host} "
            f"to {target.scheme}://{target.host}: only same-host redirects are followed"
        )


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses outbound requests may reach: every public address, plus
    private ones when ``allow_private`` is set or they fall in ``allow``."""

    allow_private: bool = False
    allow: tuple[IPNetwork, ...] = field(default=())

    @classmethod
    def of(cls, allow_private: bool = False, allow: Iterable[str] = ()) -> AddressPolicy:
        """``allow`` holds addresses or networks: ``"127.0.0.1"``, ``"10.0.0.0/8"``."""
        return cls(allow_private, tuple(ipaddress.ip_network(a, strict=False) for a in allow))

    def permits(self, address: IPAddress) -> bool:
        if self.allow_private:
            return True
        candidates = [address, *_embedded_ipv4(address)]
        if any(a in network for a in candidates for network in self.allow):
            return True
        return all(is_public(a) for a in candidates)


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 address an IPv6 one stands for (::ffff:127.0.0.1, 6to4,
    NAT64), which is where the packets end up."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found = [a for a in (address.ipv4_mapped, address.sixtofour) if a is not None]
    if address in _NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def is_public(address: IPAddress) -> bool:
    """Globally routable unicast: not loopback, private, link-local (cloud
    metadata lives at 169.254.169.254), shared (100.64/10), reserved,
    multicast or unspecified."""
    return address.is_global and not address.is_multicast


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        if address not in seen:
            seen.append(address)
    return seen


def checked_addresses(
    host: str, port: int, policy: AddressPolicy, resolve: Resolver = system_resolver
) -> list[str]:
    """Resolve ``host`` once and return its addresses, or raise
    :class:`BlockedAddress` if *any* of them is not allowed (a name that
    resolves to one public and one private address is refused: a client
    may pick either).

    A name that does not resolve raises ``httpx.ConnectError``: DNS
    failures are usually temporary."""
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = list(resolve(host, port))
        except (OSError, UnicodeError) as exc:
            raise httpx.ConnectError(f"could not resolve {host}") from exc
        if not addresses:
            raise httpx.ConnectError(f"{host} resolves to no address")
    for address in addresses:
        if not policy.permits(ipaddress.ip_address(address)):
            raise BlockedAddress(host, address)
    return addresses


class GuardedTransport(httpx.BaseTransport):
    """Checks the destination of every request (redirects included), connects
    to a checked address, and holds each exchange to its total time limit."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        resolve: Resolver = system_resolver,
        total_timeout: float = TOTAL_TIMEOUT,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        inner: httpx.BaseTransport | None = None,
    ) -> None:
        self.policy = policy
        self.resolve = resolve
        self.total_timeout = total_timeout
        self.max_response_bytes = max_response_bytes
        # No keep-alive: a connection made for one host name must not be
        # reused for another name that happens to resolve to the same address.
        self.inner = inner or httpx.HTTPTransport(
            retries=1, limits=httpx.Limits(max_keepalive_connections=0), trust_env=False
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"only http and https are allowed, not {url.scheme}")
        deadline = request.extensions.get(_DEADLINE) or time.monotonic() + self.total_timeout
        host = url.raw_host.decode("ascii")
        port = url.port or (443 if url.scheme == "https" else 80)
        addresses = checked_addresses(host, port, self.policy, self.resolve)
        last_error: httpx.ConnectError | None = None
        for address in addresses:
            try:
                response = self.inner.handle_request(_pinned(request, host, address, deadline))
            except httpx.ConnectError as exc:
                last_error = exc  # try the host's next address
                continue
            assert isinstance(response.stream, httpx.SyncByteStream)
            return httpx.Response(
                status_code=response.status_code,
                headers=response.headers,
                stream=_LimitedStream(response.stream, request, deadline, self.max_response_bytes),
                extensions=response.extensions,
            )
        assert last_error is not None
        raise last_error

    def close(self) -> None:
        self.inner.close()


def _pinned(request: httpx.Request, host: str, address: str, deadline: float) -> httpx.Request:
    """The same request, sent to ``address``; the Host header and, for https,
    the TLS server name (SNI and certificate check) stay ``host``."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise httpx.ReadTimeout("the total time limit was reached", request=request)
    extensions: dict[str, Any] = {
        key: value for key, value in request.extensions.items() if key != _DEADLINE
    }
    timeouts = dict(extensions.get("timeout") or {})
    extensions["timeout"] = {
        key: remaining if timeouts.get(key) is None else min(timeouts[key], remaining)
        for key in ("connect", "read", "write", "pool")
    }
    if request.url.scheme == "https":
        extensions["sni_hostname"] = host
    return httpx.Request(
        request.method,
        request.url.copy_with(host=address),
        headers=request.headers,
        stream=request.stream,
        extensions=extensions,
    )


class _LimitedStream(httpx.SyncByteStream):
    """A response body that must arrive before the deadline and stay small."""

    def __init__(
        self, inner: httpx.SyncByteStream, request: httpx.Request, deadline: float, limit: int
    ) -> None:
        self.inner = inner
        self.request = request
        self.deadline = deadline
        self.limit = limit

    def __iter__(self) -> Iterator[bytes]:
        received = 0
        for chunk in self.inner:
            received += len(chunk)
            if time.monotonic() > self.deadline:
                raise httpx.ReadTimeout("the total time limit was reached", request=self.request)
            if received > self.limit:
                raise ResponseTooLarge(
                    f"the response is larger than {self.limit} bytes", request=self.request
                )
            yield chunk

    def close(self) -> None:
        self.inner.close()


def outbound_client(
    *,
    allow_private: bool = False,
    allow: Iterable[str] = (),
    connect_timeout: float = CONNECT_TIMEOUT,
    total_timeout: float = TOTAL_TIMEOUT,
    max_response_bytes: int = MAX_RESPONSE_BYTES,
    resolve: Resolver = system_resolver,
    headers: dict[str, str] | None = None,
) -> httpx.Client:
    """An ``httpx.Client`` for requests to addresses users configured.

    ``allow_private`` (FIRELINE_OUTBOUND_ALLOW_PRIVATE) lets requests reach
    any address; ``allow`` lets them reach only the listed addresses or
    networks. Use it as a context manager, or close it."""
    policy = AddressPolicy.of(allow_private, allow)

    def start_clock(request: httpx.Request) -> None:
        # Set on the first hop; redirect requests carry the extensions over.
        request.extensions.setdefault(_DEADLINE, time.monotonic() + total_timeout)

    return httpx.Client(
        transport=GuardedTransport(
            policy,
            resolve=resolve,
            total_timeout=total_timeout,
            max_response_bytes=max_response_bytes,
        ),
        timeout=httpx.Timeout(total_timeout, connect=connect_timeout),
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        trust_env=False,  # a proxy from the environment would bypass the address guard
        event_hooks={"request": [start_clock], "response": [_refuse_cross_host_redirect]},
    )


def _refuse_cross_host_redirect(response: httpx.Response) -> None:
    if not response.has_redirect_location:
        return
    source = response.request.url
    target = source.join(response.headers["location"])
    downgrade = source.scheme == "https" and target.scheme != "https"
    if target.host != source.host or downgrade:
        raise RedirectRefused(source, target)


def safe_url(url: str | httpx.URL) -> str:
    """``scheme://host[:port]`` only: paths and queries of webhook URLs often
    hold their secret, so logs and timelines never show them."""
    try:
        parsed = httpx.URL(str(url))
    except httpx.InvalidURL:
        return "(invalid URL)"
    port = f":{parsed.port}" if parsed.port else ""
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    return f"{parsed.scheme}://{host}{port}"


class _RedactRequestLog(logging.Filter):
    """httpx logs every request's full URL at INFO; keep only its origin."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == 'HTTP Request: %s %s "%s %d %s"' and isinstance(record.args, tuple):
            args = list(record.args)
            if len(args) > 1:
                args[1] = safe_url(str(args[1])) + "/…"
                record.args = tuple(args)
        return True


def _install_log_filter() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactRequestLog) for f in logger.filters):
        logger.addFilter(_RedactRequestLog())


_install_log_filter()
