"""Settings, read once from ``FIRELINE_*`` environment variables.

The response process itself (severities, roles, lifecycles) lives in the plan
file; this object only says where things are and how the process runs.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ActionEndpoint(BaseModel):
    """Where a playbook's automated actions for one system go, with the
    headers (credentials) they carry: settings, never the plan file."""

    model_config = ConfigDict(extra="forbid")
    url: str = Field(description="Base URL; a step's path is appended")
    headers: dict[str, SecretStr] = Field(default_factory=dict)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FIRELINE_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///fireline.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    plan: Path | None = Field(default=None, description="Path of the plan file (fireline.yaml)")
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = Field(default="", description="Public URL, used in links and cookies")
    migrate_on_start: bool = True
    cookie_secure: bool | None = Field(
        default=None,
        description="Send the session cookie only over HTTPS; default: base_url is https",
    )
    session_hours: int = 12
    login_max_failures: int = Field(default=5, description="Failed logins allowed per window")
    login_window_seconds: int = 900
    status_subscribe_per_hour: int = Field(
        default=10, description="Subscriptions one client may ask for on the public status page"
    )
    worker_poll_seconds: float = 1.0
    worker_batch: int = 10
    job_lease_seconds: int = Field(
        default=300, description="A running job not finished by then is claimed again"
    )
    job_max_attempts: int = 8
    job_modules: list[str] = Field(
        default_factory=list, description="Extra modules that register job handlers"
    )
    evidence_dir: Path = Field(
        default=Path("var/evidence"),
        description="Where evidence files are kept, by their SHA-256, read-only once stored",
    )
    evidence_max_bytes: int = Field(
        default=100 * 1024**3,
        description="Largest evidence upload (default 100 GiB); 0: no limit but the free disk space",
    )
    ingest_max_bytes: int = Field(
        default=32 * 1024 * 1024,
        description="Largest alert webhook body (Alertmanager can send 10 MB under load); "
        "PagerDuty events keep their own 512 KB limit",
    )
    smtp_host: str = Field(default="", description="SMTP server for e-mail; empty: e-mail off")
    smtp_port: int = 25
    smtp_from: str = "fireline@localhost"
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    secret_key: SecretStr = Field(
        default=SecretStr(""),
        description="Signs one-click links in pages; empty: a random key kept in the database",
    )
    outbound_allow_private: bool = Field(
        default=False,
        description="Let webhooks and chat messages go to private and loopback addresses",
    )
    slack_signing_secret: SecretStr = Field(
        default=SecretStr(""),
        description="The Slack app's signing secret; empty: the Slack app is off",
    )
    slack_bot_token: SecretStr = Field(
        default=SecretStr(""), description="The Slack app's bot token (xoxb-…)"
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/", description="Slack's Web API (another only in tests)"
    )
    slack_incident_channels: bool = Field(
        default=True, description="Open a Slack channel for each incident that is not restricted"
    )
    slack_timeline_emoji: str = Field(
        default="pushpin", description="Reacting with it adds a Slack message to the timeline"
    )
    action_endpoints: dict[str, ActionEndpoint] = Field(
        default_factory=dict,
        description='Playbook action endpoints as JSON: {"edr": {"url": "https://…", '
        '"headers": {"Authorization": "Bearer …"}}}',
    )
    action_secrets: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Values playbook action templates may use as {{ secrets.NAME }}, as JSON",
    )
    log_level: str = "INFO"
    demo_password: SecretStr = SecretStr("fireline-demo")

    @field_validator("plan", mode="before")
    @classmethod
    def _empty_plan_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.base_url.startswith("https://")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def get_settings() -> Settings:
    """Read the environment now; each process does this once at start."""
    return Settings()
