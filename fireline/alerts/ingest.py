"""The ingestion endpoints, as a lean ASGI app in front of the rest.

Monitoring sends far more requests than people do, so these paths skip the
web framework: read the body (refusing it past the source's size limit),
decode it with orjson, look the key up (cached), parse it with the source's
pure parser, and hand the alerts to the group committer. The answer is 202
only once they are committed.

    POST /v2/enqueue                PagerDuty Events API v2 (routing_key in the body)
    POST /v2/change/enqueue         PagerDuty Change Events
    POST /ingest/{key}              Alertmanager, Grafana, generic webhook, change webhook
    POST /ingest                    the same with "Authorization: Bearer {key}"
    GET|POST /ping/{key}            heartbeat pings
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import anyio.to_thread
import orjson
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Receive, Scope, Send

from fireline.alerts import changes, heartbeats
from fireline.alerts.committer import CommitFailed, make_committer
from fireline.alerts.keys import KeyDirectory, KnownIntegration, hash_key
from fireline.alerts.pipeline import Submission
from fireline.alerts.shape import AlertIn, SourceError
from fireline.alerts.sources import alertmanager, generic, grafana, pagerduty
from fireline.alerts.sources.common import replace_nul
from fireline.core.clock import Clock
from fireline.core.config import Settings
from fireline.core.db import Database
from fireline.core.ratelimit import RateLimiter

log = logging.getLogger("fireline.alerts")
PREFIXES = ("/v2/enqueue", "/v2/change/enqueue", "/ingest", "/ping/")
PAGERDUTY_LIMIT = 512 * 1024
JSON = [(b"content-type", b"application/json")]


class Refused(Exception):
    """An answer other than success, with its status and body."""

    def __init__(
        self, status: int, code: str, message: str, field: str | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"error": {"code": code, "message": message, "field": field}}
        self.headers: list[tuple[bytes, bytes]] = []
        self.extra = extra


class IngestRouter:
    """ASGI middleware: ingestion paths go to :class:`Ingest`, the rest to the app."""

    def __init__(self, app: ASGIApp, ingest: Ingest) -> None:
        self.app = app
        self.ingest = ingest

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIXES):
            await self.ingest(scope, receive, send)
            return
        await self.app(scope, receive, send)


class Ingest:
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.committer = make_committer(db, clock)
        self.keys = KeyDirectory(db)
        self.rates = RateLimiter()
        self.accepted_alerts = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        method: str = scope["method"]
        try:
            if path == "/v2/enqueue":
                status, body = await self._pagerduty_event(scope, receive)
            elif path == "/v2/change/enqueue":
                status, body = await self._pagerduty_change(scope, receive)
            elif path.startswith("/ping/"):
                status, body = await self._ping(scope, receive, path[len("/ping/") :])
            elif path == "/ingest" or path.startswith("/ingest/"):
                status, body = await self._webhook(scope, receive, path)
            else:
                raise Refused(404, "not_found", "no such ingestion endpoint")
            headers = JSON
        except Refused as refused:
            status, body, headers = refused.status, refused.body, JSON + refused.headers
            if refused.extra:
                body = refused.extra
        except CommitFailed as exc:
            status, headers = 503, [*JSON, (b"retry-after", b"1")]
            body = {"error": {"code": "unavailable", "message": str(exc), "field": None}}
        payload = b"" if method == "HEAD" else orjson.dumps(body)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [*headers, (b"content-length", str(len(payload)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    # --- sources ---------------------------------------------------------------

    async def _pagerduty_event(self, scope: Scope, receive: Receive) -> tuple[int, Any]:
        _require_post(scope)
        try:
            data = await _read_pagerduty_json(receive, scope)
            routing_key, alert = pagerduty.parse_event(data, self.clock.now(), _new_dedup_key)
        except pagerduty.PagerDutyInvalid as exc:
            raise _pagerduty_invalid(exc.errors) from None
        except SourceError as exc:
            raise _pagerduty_invalid([exc.describe()]) from None
        known = await self._known(routing_key, kinds={"pagerduty"}, pagerduty_style=True)
        await self._store(known, [alert], pagerduty_style=True)
        return 202, {
            "status": "success",
            "message": "Event processed",
            "dedup_key": alert.dedup_key,
        }

    async def _pagerduty_change(self, scope: Scope, receive: Receive) -> tuple[int, Any]:
        _require_post(scope)
        try:
            data = await _read_pagerduty_json(receive, scope)
            routing_key, change = pagerduty.parse_change(data, self.clock.now())
        except pagerduty.PagerDutyInvalid as exc:
            raise _pagerduty_invalid(exc.errors) from None
        except SourceError as exc:
            raise _pagerduty_invalid([exc.describe()]) from None
        known = await self._known(routing_key, kinds={"change", "pagerduty"}, pagerduty_style=True)
        await anyio.to_thread.run_sync(
            changes.store_change, self.db, known, change, self.clock.now()
        )
        return 202, {"status": "success", "message": "Change event processed"}

    async def _webhook(self, scope: Scope, receive: Receive, path: str) -> tuple[int, Any]:
        _require_post(scope)
        key = path[len("/ingest/") :] if path.startswith("/ingest/") else _bearer(scope)
        known = await self._known(key, kinds=None)
        limit = self._limit_for(known.kind)
        data = await _read_json(receive, limit, scope)
        now = self.clock.now()
        try:
            if known.kind == "change":
                change = generic.parse_change(data, now)
                await anyio.to_thread.run_sync(changes.store_change, self.db, known, change, now)
                return 202, {"status": "success", "changes": 1}
            alerts = self._parse(known, data, now)
        except SourceError as exc:
            raise Refused(400, "invalid", exc.message, exc.field) from None
        await self._store(known, alerts)
        return 202, {"status": "success", "alerts": len(alerts)}

    def _parse(self, known: KnownIntegration, data: Any, now: datetime) -> list[AlertIn]:
        if known.kind == "alertmanager":
            return alertmanager.parse(data, now)
        if known.kind == "grafana":
            return grafana.parse(data, now)
        if known.kind == "generic":
            return generic.parse(data, generic.compile_mapping(known.mapping), now)
        if known.kind == "pagerduty":
            return [pagerduty.parse_event(data, now, _new_dedup_key)[1]]
        raise Refused(
            400, "wrong_endpoint", f"a {known.kind} integration does not take webhooks here"
        )

    async def _ping(self, scope: Scope, receive: Receive, key: str) -> tuple[int, Any]:
        if scope["method"] not in ("GET", "POST", "HEAD"):
            raise Refused(405, "method_not_allowed", "ping with GET, HEAD or POST")
        await _read_body(receive, 64 * 1024, scope)  # a ping's body is ignored
        known = await self._known(key, kinds={"heartbeat"})
        state = await anyio.to_thread.run_sync(heartbeats.ping, self.db, known, self.clock.now())
        return 200, {"status": "ok", "heartbeat": state}

    # --- shared steps ------------------------------------------------------------

    async def _known(
        self, key: str, *, kinds: set[str] | None, pagerduty_style: bool = False
    ) -> KnownIntegration:
        key = key.strip()
        if not key or len(key) > 200:
            raise self._unknown(pagerduty_style)
        key_hash = hash_key(key)
        known = self.keys.cached(key_hash) or await anyio.to_thread.run_sync(
            self.keys.load, key_hash
        )
        if known is None:
            raise self._unknown(pagerduty_style)
        if kinds is not None and known.kind not in kinds:
            message = (
                f"this key belongs to a {known.kind} integration, not {' or '.join(sorted(kinds))}"
            )
            if pagerduty_style:
                raise _pagerduty_invalid([f"'routing_key': {message}"])
            raise Refused(400, "wrong_endpoint", message)
        wait = self.rates.take(known.id, known.rate_limit_per_minute)
        if wait:
            refused = Refused(429, "too_many_requests", "this integration's rate limit is reached")
            refused.headers.append((b"retry-after", str(max(1, round(wait))).encode()))
            if pagerduty_style:
                refused.extra = {
                    "status": "throttle event",
                    "message": "Requests for this service are arriving too quickly. Please retry later.",
                }
            raise refused
        return known

    @staticmethod
    def _unknown(pagerduty_style: bool) -> Refused:
        if pagerduty_style:
            return _pagerduty_invalid(["'routing_key': not a known integration key"])
        return Refused(404, "unknown_key", "no integration has this key (revoked or rotated?)")

    def _limit_for(self, kind: str) -> int:
        if kind == "pagerduty":
            return PAGERDUTY_LIMIT
        return self.settings.ingest_max_bytes

    async def _store(
        self, known: KnownIntegration, alerts: list[AlertIn], *, pagerduty_style: bool = False
    ) -> None:
        outcome = await self.committer.submit(Submission(known.id, known.key_hash, alerts))
        if outcome.refused:
            self.keys.forget(known.key_hash)
            if pagerduty_style:
                raise _pagerduty_invalid([f"'routing_key': {outcome.refused}"])
            raise Refused(404, "unknown_key", outcome.refused)
        self.accepted_alerts += outcome.accepted


def _new_dedup_key() -> str:
    return uuid.uuid4().hex


def _pagerduty_invalid(errors: list[str]) -> Refused:
    refused = Refused(400, "invalid", errors[0] if errors else "invalid event")
    refused.extra = {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": errors,
    }
    return refused


def _require_post(scope: Scope) -> None:
    if scope["method"] != "POST":
        raise Refused(405, "method_not_allowed", "send alerts with POST")


def _bearer(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    raise Refused(
        401,
        "not_authenticated",
        "put the integration key in the URL (/ingest/KEY) or send 'Authorization: Bearer KEY'",
    )


async def _read_body(receive: Receive, limit: int, scope: Scope) -> bytes:
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Refused(400, "disconnected", "the client went away before the body arrived")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _read_json(receive: Receive, limit: int, scope: Scope) -> Any:
    body = await _read_body(receive, limit, scope)
    try:
        return orjson.loads(replace_nul(body))
    except orjson.JSONDecodeError as exc:
        raise Refused(400, "invalid_json", f"the body is not valid JSON: {exc}") from None


async def _read_pagerduty_json(receive: Receive, scope: Scope) -> Any:
    """PagerDuty clients expect their own 400 shape for a body that is not JSON."""
    try:
        return await _read_json(receive, PAGERDUTY_LIMIT, scope)
    except Refused as refused:
        if refused.status != 400:
            raise
        raise _pagerduty_invalid([str(refused)]) from None


def _too_large(limit: int) -> Refused:
    return Refused(
        413, "too_large", f"the body is larger than this source's limit of {limit} bytes"
    )


class IngestCollector(Collector):
    """This process's ingestion counters, for /metrics."""

    def __init__(self, ingest: Ingest) -> None:
        self.ingest = ingest

    def collect(self) -> Iterator[Metric]:
        accepted = CounterMetricFamily(
            "fireline_alerts_accepted", "Alerts committed by this process's ingestion endpoints"
        )
        accepted.add_metric([], self.ingest.accepted_alerts)
        yield accepted
        batches = CounterMetricFamily(
            "fireline_alert_commit_batches", "Transactions the ingest writer committed"
        )
        batches.add_metric([], self.ingest.committer.batches)
        yield batches
        requests = CounterMetricFamily(
            "fireline_alert_commit_submissions", "Requests whose alerts the ingest writer committed"
        )
        requests.add_metric([], self.ingest.committer.submissions)
        yield requests
