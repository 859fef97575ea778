"""Pieces the built-in channels share: reading target fields, masking
secrets, and turning an HTTP exchange into a :class:`Delivery`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx

from fireline.comms.channels.base import Delivery, TargetInvalid
from fireline.core.http import OutboundRefused, safe_url

MASK = "****"
MAX_URL_LENGTH = 2000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def only_fields(target: Any, allowed: set[str]) -> Mapping[str, Any]:
    if not isinstance(target, Mapping):
        raise TargetInvalid("target", "expected an object")
    for name in target:
        if name not in allowed:
            raise TargetInvalid(str(name), f"unknown field; expected {', '.join(sorted(allowed))}")
    return target


def text_field(
    target: Mapping[str, Any],
    name: str,
    *,
    required: bool = True,
    max_length: int = 500,
    pattern: re.Pattern[str] | None = None,
    hint: str = "",
) -> str:
    value = target.get(name)
    if value is None or value == "":
        if required:
            raise TargetInvalid(name, "required")
        return ""
    if not isinstance(value, str):
        raise TargetInvalid(name, "expected a string")
    value = value.strip()
    if not value and required:
        raise TargetInvalid(name, "required")
    if len(value) > max_length:
        raise TargetInvalid(name, f"at most {max_length} characters")
    if _CONTROL.search(value):
        raise TargetInvalid(name, "must not contain control characters")
    if pattern is not None and value and not pattern.fullmatch(value):
        raise TargetInvalid(name, hint or "invalid format")
    return value


def url_field(
    target: Mapping[str, Any], name: str, *, required: bool = True, https_only: bool = False
) -> str:
    """An absolute http(s) URL with a host; no user and password in it (they
    would show in logs and redirects: use the target's secret fields)."""
    value = text_field(target, name, required=required, max_length=MAX_URL_LENGTH)
    if not value:
        return ""
    if any(c.isspace() for c in value):
        raise TargetInvalid(name, "must not contain spaces")
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, ValueError):
        raise TargetInvalid(name, "not a valid URL") from None
    schemes = ("https",) if https_only else ("http", "https")
    if url.scheme not in schemes:
        raise TargetInvalid(name, f"must start with {' or '.join(s + '://' for s in schemes)}")
    if not url.host:
        raise TargetInvalid(name, "has no host")
    if url.userinfo:
        raise TargetInvalid(name, "must not contain a user name or password")
    if url.fragment:
        raise TargetInvalid(name, "must not contain a #fragment")
    return str(url)


def mask(secret: str, keep: int = 0) -> str:
    """``xoxb-****``: at most ``keep`` leading characters, and only of a long secret."""
    if not secret:
        return ""
    if keep and len(secret) >= 4 * keep:
        return secret[:keep] + MASK
    return MASK


def masked_url(url: str) -> str:
    """The URL's origin with its path and query hidden."""
    if not url:
        return ""
    origin = safe_url(url)
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return origin
    has_more = parsed.raw_path not in (b"", b"/") or bool(parsed.query)
    return f"{origin}/{MASK}" if has_more else origin


def post(
    client: httpx.Client,
    url: str,
    *,
    content: bytes,
    headers: Mapping[str, str],
) -> httpx.Response | Delivery:
    """POST, returning the response, or a :class:`Delivery` when no response
    came (the reason names the host only: URLs may hold secrets)."""
    where = safe_url(url)
    try:
        return client.post(url, content=content, headers=dict(headers))
    except OutboundRefused as exc:
        return Delivery.failed(str(exc))
    except httpx.TimeoutException:
        return Delivery.retry(f"timed out waiting for {where}")
    except httpx.ConnectError:
        return Delivery.retry(f"could not connect to {where}")
    except httpx.TooManyRedirects:
        return Delivery.failed(f"too many redirects from {where}")
    except (httpx.UnsupportedProtocol, httpx.InvalidURL):
        return Delivery.failed(f"not a usable URL: {where}")
    except httpx.HTTPError as exc:
        return Delivery.retry(f"{type(exc).__name__} talking to {where}")


def is_transient_status(status: int) -> bool:
    return status in (408, 425, 429) or status >= 500


def http_outcome(
    response: httpx.Response, what: str = "", provider_id: str | None = None
) -> Delivery:
    """2xx: sent; 408, 429 and 5xx: try again later; any other status: failed for good."""
    where = safe_url(response.request.url)
    status = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
    suffix = f": {what}" if what else ""
    if response.is_success:
        return Delivery.sent(f"{status} from {where}{suffix}", provider_id=provider_id)
    if is_transient_status(response.status_code):
        return Delivery.retry(f"{status} from {where}{suffix}")
    return Delivery.failed(f"{status} from {where}{suffix}")


def short_code(text: str, limit: int = 60) -> str:
    """A provider's error code (``channel_not_found``), kept only when it looks
    like one: free-form error bodies could echo anything back."""
    text = text.strip()
    if len(text) <= limit and re.fullmatch(r"[A-Za-z0-9_.\- ]+", text):
        return text
    return ""
