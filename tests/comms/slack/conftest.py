"""A local stand-in for Slack's Web API (the Slack SDK takes its base URL)
that records every call, and correctly signed requests from "Slack"."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from fireline.core.config import Settings

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
# Slack user ids of the test personas (users.info answers with their e-mail).
SLACK_USERS = {
    "URESPONDER": "responder@example.com",
    "UADMIN": "admin@example.com",
    "UVIEWER": "viewer@example.com",
    "USTRANGER": "stranger@example.com",
}


@dataclass
class Call:
    method: str  # the Web API method, e.g. "chat.postMessage"
    args: dict[str, Any]


class SlackStandIn:
    """Slack's Web API at /api/<method>, and response URLs at /respond/<n>."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.responses: list[dict[str, Any]] = []
        self.history: dict[str, dict[str, str]] = {}  # ts -> message
        self.channels = 0
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _args(self) -> dict[str, Any]:
                url = urlsplit(self.path)
                args: dict[str, Any] = {k: v[0] for k, v in parse_qs(url.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if raw and "json" in (self.headers.get("Content-Type") or ""):
                    args.update(json.loads(raw))
                elif raw:
                    args.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
                return args

            def do_GET(self) -> None:
                self._handle()

            def do_POST(self) -> None:
                self._handle()

            def _handle(self) -> None:
                path, args = urlsplit(self.path).path, self._args()
                if path.startswith("/respond/"):
                    stand_in.responses.append(args)
                    self._answer({"ok": True})
                    return
                method = path.removeprefix("/api/")
                stand_in.calls.append(Call(method, args))
                self._answer(stand_in.answer(method, args))

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1"}
        if method == "users.info":
            email = SLACK_USERS.get(args.get("user", ""))
            if email is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": args["user"], "profile": {"email": email}}}
        if method == "users.lookupByEmail":
            found = [u for u, e in SLACK_USERS.items() if e == args.get("email")]
            if not found:
                return {"ok": False, "error": "users_not_found"}
            return {"ok": True, "user": {"id": found[0]}}
        if method == "conversations.create":
            self.channels += 1
            return {"ok": True, "channel": {"id": f"CINC{self.channels}", "name": args["name"]}}
        if method == "chat.postMessage":
            return {
                "ok": True,
                "channel": args.get("channel"),
                "ts": f"1700000000.{len(self.calls):06d}",
            }
        if method == "conversations.history":
            message = self.history.get(args.get("latest", ""))
            return {"ok": True, "messages": [message] if message else []}
        return {"ok": True}

    def called(self, method: str) -> list[dict[str, Any]]:
        return [c.args for c in self.calls if c.method == method]


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    stand_in = SlackStandIn()
    stand_in.thread.start()
    yield stand_in
    stand_in.server.shutdown()
    stand_in.server.server_close()


@pytest.fixture
def settings(database_url: str, slack: SlackStandIn) -> Settings:
    return Settings(
        database_url=database_url,
        migrate_on_start=False,
        base_url="http://fireline.test",
        outbound_allow_private=True,
        slack_signing_secret=SECRET,
        slack_bot_token="xoxb-test-token-1234567890",
        slack_api_url=f"{slack.url}/api/",
    )


def signed_headers(
    body: str, content_type: str, *, secret: str = SECRET, age: int = 0
) -> dict[str, str]:
    timestamp = str(int(time.time()) - age)
    base = f"v0:{timestamp}:{body}".encode()
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }


class FromSlack:
    """Requests as Slack sends them to fireline, signed."""

    def __init__(self, client: TestClient, slack: SlackStandIn) -> None:
        self.client, self.slack, self.responses = client, slack, 0

    def post(self, body: str, content_type: str, **signing: Any) -> httpx.Response:
        headers = signed_headers(body, content_type, **signing)
        return self.client.post("/slack/events", content=body, headers=headers)

    def command(
        self, text: str, user: str = "URESPONDER", channel: str = "CGENERAL"
    ) -> httpx.Response:
        self.responses += 1
        form = {
            "token": "unused",
            "team_id": "T1",
            "channel_id": channel,
            "user_id": user,
            "command": "/fireline",
            "text": text,
            "response_url": f"{self.slack.url}/respond/{self.responses}",
            "trigger_id": "1.2.3",
        }
        return self.post(urlencode(form), "application/x-www-form-urlencoded")

    def interaction(self, payload: dict[str, Any]) -> httpx.Response:
        body = urlencode({"payload": json.dumps(payload)})
        return self.post(body, "application/x-www-form-urlencoded")

    def event(self, event: dict[str, Any]) -> httpx.Response:
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": "T1",
                "api_app_id": "A1",
                "event": event,
                "event_id": f"Ev{time.time_ns()}",
                "event_time": int(time.time()),
            }
        )
        return self.post(body, "application/json")


@pytest.fixture
def from_slack(client: TestClient, slack: SlackStandIn) -> FromSlack:
    return FromSlack(client, slack)
