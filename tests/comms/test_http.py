"""The outbound HTTP client: the address guard, redirects, time limits."""

from __future__ import annotations

import ipaddress
import time

import httpx
import pytest

from fireline import __version__
from fireline.core.http import (
    AddressPolicy,
    BlockedAddress,
    RedirectRefused,
    checked_addresses,
    outbound_client,
    safe_url,
)
from tests.comms.conftest import Receiver


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/",
        "http://10.1.2.3/",
        "http://192.168.0.10/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://[::1]:9/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[64:ff9b::a00:1]/",  # NAT64 for 10.0.0.1
        "http://localhost:9/",
    ],
)
def test_internal_addresses_are_refused_by_default(url: str) -> None:
    with outbound_client() as client, pytest.raises(BlockedAddress) as refused:
        client.get(url)
    assert "FIRELINE_OUTBOUND_ALLOW_PRIVATE" in str(refused.value)


def test_every_resolved_address_is_checked() -> None:
    """A name with one public and one private address is refused: the
    connection could go to either."""

    def resolve(host: str, port: int) -> list[str]:
        return ["93.184.215.14", "10.0.0.7"]

    with pytest.raises(BlockedAddress) as refused:
        checked_addresses("rebind.example", 443, AddressPolicy(), resolve)
    assert refused.value.address == "10.0.0.7"
    assert refused.value.host == "rebind.example"
    assert checked_addresses("public.example", 443, AddressPolicy(), lambda h, p: ["93.184.215.14"])


def test_a_name_that_does_not_resolve_is_a_connect_error() -> None:
    def resolve(host: str, port: int) -> list[str]:
        raise OSError("no such name")

    with pytest.raises(httpx.ConnectError):
        checked_addresses("nowhere.invalid", 80, AddressPolicy(), resolve)


def test_policy_allow_list_and_allow_private() -> None:
    loopback = ipaddress.ip_address("127.0.0.1")
    ten = ipaddress.ip_address("10.2.3.4")
    assert not AddressPolicy().permits(loopback)
    assert AddressPolicy.of(allow=["127.0.0.1"]).permits(loopback)
    assert not AddressPolicy.of(allow=["127.0.0.1"]).permits(ten)
    assert AddressPolicy.of(allow=["10.0.0.0/8"]).permits(ten)
    assert AddressPolicy.of(allow_private=True).permits(ten)
    assert AddressPolicy().permits(ipaddress.ip_address("1.1.1.1"))
    assert AddressPolicy().permits(ipaddress.ip_address("2606:4700:4700::1111"))


def test_allowed_receiver_gets_the_request_with_our_user_agent(receiver: Receiver) -> None:
    with outbound_client(allow=["127.0.0.1"]) as client:
        response = client.post(f"{receiver.url}/hook", content=b"{}")
    assert response.status_code == 200
    assert receiver.last.header("user-agent") == f"fireline/{__version__}"
    with outbound_client(allow_private=True) as client:
        assert client.get(f"{receiver.url}/again").status_code == 200


def test_connects_to_the_checked_address_and_keeps_the_host_name(receiver: Receiver) -> None:
    resolved: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        resolved.append(host)
        return ["127.0.0.1"]

    with outbound_client(allow=["127.0.0.1"], resolve=resolve) as client:
        client.get(f"http://hooks.internal.test:{receiver.port}/x")
    assert resolved == ["hooks.internal.test"]
    assert receiver.last.header("host") == f"hooks.internal.test:{receiver.port}"


def test_same_host_redirects_are_followed(receiver: Receiver) -> None:
    receiver.reply(302, headers={"Location": "/moved"})
    with outbound_client(allow=["127.0.0.1"]) as client:
        response = client.get(f"{receiver.url}/start")
    assert response.status_code == 200
    assert [r.path for r in receiver.requests] == ["/start", "/moved"]


def test_redirects_to_another_host_are_refused(receiver: Receiver) -> None:
    receiver.reply(307, headers={"Location": f"http://localhost:{receiver.port}/elsewhere"})
    with outbound_client(allow_private=True) as client, pytest.raises(RedirectRefused):
        client.post(f"{receiver.url}/start", content=b"x")
    assert [r.path for r in receiver.requests] == ["/start"]


def test_the_total_time_limit_covers_a_slowly_dripped_body(receiver: Receiver) -> None:
    receiver.reply(200, b"x" * 40, drip=0.05)  # 2 s in all; each byte well within a read timeout
    started = time.monotonic()
    client = outbound_client(allow=["127.0.0.1"], total_timeout=0.5)
    with client, pytest.raises(httpx.ReadTimeout):
        client.get(f"{receiver.url}/slow")
    assert time.monotonic() - started < 1.5


def test_a_slow_answer_times_out(receiver: Receiver) -> None:
    receiver.reply(200, delay=1.0)
    client = outbound_client(allow=["127.0.0.1"], total_timeout=0.3)
    with client, pytest.raises(httpx.TimeoutException):
        client.get(f"{receiver.url}/slow")


def test_only_http_and_https() -> None:
    with outbound_client() as client, pytest.raises(httpx.UnsupportedProtocol):
        client.get("ftp://example.com/file")


def test_safe_url_keeps_only_the_origin() -> None:
    assert (
        safe_url("https://hooks.slack.com/services/T0/B0/secret?x=1") == "https://hooks.slack.com"
    )
    assert safe_url("http://[::1]:8080/a") == "http://[::1]:8080"
