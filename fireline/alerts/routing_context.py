"""The routing context every batch of alerts is decided against: the rules,
silences and maintenance windows in force, and the services' slugs.

They change rarely but are read by every batch, so a process keeps them for
a second. Changes made through this process apply at once (their use cases
call :func:`forget`); other processes see them within that second.
"""

from __future__ import annotations

import threading
import time
import weakref
from datetime import datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from fireline.alerts.matchers import Matcher
from fireline.alerts.models import MaintenanceWindow, RoutingRule, Silence
from fireline.alerts.routing import Context, Rule, SilenceRule, Window
from fireline.catalog.models import Service
from fireline.core.db import Database

TTL_SECONDS = 1.0
AGE = timedelta(seconds=TTL_SECONDS)

_cache: dict[str, tuple[float, datetime, Context]] = {}
_lock = threading.Lock()
# Each engine's database, as the cache's key. Rendering a URL quotes its parts:
# a tenth of what preparing a single event cost.
_databases: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def _database_of(engine: Engine) -> str:
    key = _databases.get(engine)
    if key is None:
        key = _databases[engine] = str(engine.url)
    return key


def forget() -> None:
    with _lock:
        _cache.clear()


def _fresh(url: str, now: datetime) -> Context | None:
    hit = _cache.get(url)
    if hit is not None:
        expires, loaded_at, context = hit
        if time.monotonic() < expires and loaded_at <= now < loaded_at + AGE:
            return context
    return None


def _remember(url: str, now: datetime, context: Context) -> Context:
    with _lock:
        _cache[url] = (time.monotonic() + TTL_SECONDS, now, context)
    return context


def cached(session: Session, now: datetime) -> Context:
    """load, reused for up to TTL_SECONDS of real and clock time."""
    url = _database_of(session.get_bind().engine)
    context = _fresh(url, now)
    if context is None:
        context = _remember(url, now, load(session, now))
    return context


def outside_transaction(db: Database, now: datetime) -> Context:
    """cached, outside any transaction: a read when it has expired."""
    url = _database_of(db.engine)
    context = _fresh(url, now)
    if context is None:
        with db.reading() as session:
            context = _remember(url, now, load(session, now))
    return context


def load(session: Session, now: datetime) -> Context:
    rules = [
        Rule(
            id=r.id,
            name=r.name,
            integration_id=r.integration_id,
            matchers=tuple(Matcher.from_dict(m) for m in r.matchers),
            service_id=r.service_id,
            urgency=r.urgency,
            escalation_policy=r.escalation_policy,
            incident_action=r.incident_action,
            incident_severity=r.incident_severity,
            incident_type=r.incident_type,
        )
        for r in session.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id))
    ]
    silences = [
        SilenceRule(s.id, tuple(Matcher.from_dict(m) for m in s.matchers), s.comment)
        for s in session.scalars(
            select(Silence).where(
                Silence.starts_at <= now, Silence.ends_at > now, Silence.expired_at.is_(None)
            )
        )
    ]
    windows = [
        Window(w.id, w.service_id, w.title, w.starts_at, w.ends_at, w.repeat, w.repeat_until)
        for w in session.scalars(
            select(MaintenanceWindow).where(
                MaintenanceWindow.starts_at <= now,
                (MaintenanceWindow.ends_at > now) | (MaintenanceWindow.repeat != "none"),
            )
        )
    ]
    slugs = {row.id: row.slug for row in session.execute(select(Service.id, Service.slug))}
    return Context(rules=rules, silences=silences, windows=windows, service_slugs=slugs)
