"""Fetching someone else's iCalendar feed through the one outbound client.

Every way a fetch can fail becomes a :class:`FetchFailed` whose message a
person can act on. Calendar URLs usually carry their secret in the path or
the query, so no message here repeats more of the URL than its host.
"""

from __future__ import annotations

import httpx

from fireline.core.http import (
    BlockedAddress,
    OutboundRefused,
    ResponseTooLarge,
    outbound_client,
    safe_url,
)

MAX_FEED_BYTES = 2 * 1024 * 1024
# Shorter than the client's default: a fetch made while someone waits for
# the answer, or by a job, should give up on a slow calendar server soon.
TIMEOUT_SECONDS = 10.0
MAX_URL_LENGTH = 2000


class FetchFailed(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_url(url: str) -> str:
    """``url`` without surrounding blanks, or FetchFailed when it cannot be a feed's address.

    ``webcal://`` is what calendar apps hand out for subscriptions; it means http(s)."""
    url = url.strip()
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    if not url or len(url) > MAX_URL_LENGTH:
        raise FetchFailed(f"expected an http or https URL of at most {MAX_URL_LENGTH} characters")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise FetchFailed(
            "expected an http or https URL such as https://example.com/team.ics"
        ) from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FetchFailed("expected an http or https URL such as https://example.com/team.ics")
    return url


def fetch(url: str, *, allow_private: bool) -> bytes:
    """The body of the feed at ``url``, at most :data:`MAX_FEED_BYTES`."""
    origin = safe_url(url)
    try:
        with outbound_client(
            allow_private=allow_private,
            total_timeout=TIMEOUT_SECONDS,
            max_response_bytes=MAX_FEED_BYTES,
            headers={"Accept": "text/calendar, */*;q=0.5"},
        ) as client:
            response = client.get(url)
    except BlockedAddress as exc:
        raise FetchFailed(str(exc)) from None
    except OutboundRefused as exc:  # a redirect to another host
        raise FetchFailed(str(exc)) from None
    except ResponseTooLarge:
        raise FetchFailed(
            f"the feed at {origin} is larger than {MAX_FEED_BYTES // (1024 * 1024)} MB"
        ) from None
    except httpx.TimeoutException:
        raise FetchFailed(
            f"{origin} did not send the feed within {TIMEOUT_SECONDS:.0f} seconds"
        ) from None
    except httpx.TooManyRedirects:
        raise FetchFailed(f"{origin} redirected too many times") from None
    except httpx.ConnectError:
        raise FetchFailed(f"could not connect to {origin}") from None
    except httpx.HTTPError:
        raise FetchFailed(f"the connection to {origin} failed while reading the feed") from None
    if response.status_code != 200:
        raise FetchFailed(f"{origin} answered HTTP {response.status_code} instead of a feed")
    return response.content
