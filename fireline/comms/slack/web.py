"""Slack's Web API, from the settings; one client per process."""

from __future__ import annotations

import functools

from slack_sdk import WebClient

from fireline.core.config import Settings


def configured(settings: Settings) -> bool:
    return bool(settings.slack_signing_secret.get_secret_value())


@functools.cache
def _client(token: str, base_url: str) -> WebClient:
    return WebClient(token=token, base_url=base_url, timeout=10)


def client(settings: Settings) -> WebClient:
    base = (
        settings.slack_api_url
        if settings.slack_api_url.endswith("/")
        else settings.slack_api_url + "/"
    )
    return _client(settings.slack_bot_token.get_secret_value(), base)
