"""What both paging benchmarks start from: people who take pages, an
escalation policy with one person per step, a service that pages through it,
and a PagerDuty integration for the alerts; and the processes that run
fireline on it."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.ingest.run import REPO, Process, ready
from fireline.alerts import service as alert_service
from fireline.catalog import service as catalog
from fireline.core.audit import Actor
from fireline.core.db import Database
from fireline.oncall import contacts, policies
from fireline.people import service as people

SERVICE = "bench"
POLICY = "bench-oncall"


@dataclass(frozen=True)
class World:
    users: list[int]  # the person each step pages, in step order
    policy_id: int
    integration_id: int
    key_hash: str
    key: str  # the integration key: POST /v2/enqueue's routing_key


def contact_target(channel: str, name: str) -> dict[str, Any]:
    if channel == "email":
        return {"address": f"{name}@bench.example"}
    return {"name": name}


def seed(db: Database, *, channel: str, steps: int, delay_minutes: int = 1) -> World:
    """One person per step, each with one verified contact method of ``channel``
    used at once for high urgency; steps ``delay_minutes`` apart, no repeat."""
    actor, now = Actor.system("bench"), datetime.now(UTC)
    users = []
    with db.transaction() as session:
        for n in range(steps):
            name = f"oncall{n + 1}"
            user = people.create_user(
                session, actor=actor, now=now, email=f"{name}@bench.example", name=name.title()
            )
            method = contacts.add_method(
                session,
                actor=actor,
                now=now,
                user=user,
                kind=channel,
                target=contact_target(channel, name),
            )
            contacts.verify_method(session, actor=actor, now=now, method=method)
            contacts.add_rule(
                session,
                actor=actor,
                now=now,
                user=user,
                urgency="high",
                contact_method_id=method.id,
                delay_minutes=0,
            )
            users.append(user.id)
        policy = policies.create_policy(
            session,
            actor=actor,
            now=now,
            slug=POLICY,
            name="Bench on call",
            steps=[
                {"delay_minutes": delay_minutes, "targets": [{"type": "user", "id": user_id}]}
                for user_id in users
            ],
        )
        service = catalog.create_service(session, actor=actor, now=now, slug=SERVICE, name="Bench")
        policies.set_service_policy(session, actor=actor, now=now, service=service, policy=POLICY)
        integration, key = alert_service.create_integration(
            session,
            actor=actor,
            now=now,
            spec=alert_service.IntegrationSpec(
                service=SERVICE, kind="pagerduty", rate_limit_per_minute=0
            ),
        )
        return World(users, policy.id, integration.id, integration.key_hash, key)


def pagerduty_event(key: str, token: str) -> dict[str, Any]:
    """A critical trigger (high urgency: it escalates) that opens a group of its
    own: ``group`` is what PagerDuty events group by. ``token`` ends the summary,
    and so the page's title and the mail's subject."""
    return {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": token,
        "payload": {
            "summary": f"bench alert {token}",
            "source": token,
            "severity": "critical",
            "group": token,
        },
    }


def fireline_env(db: Database, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "FIRELINE_DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
        **extra,
    }


def fireline_process(name: str, args: list[str], env: dict[str, str], workdir: Path) -> Process:
    return Process(name, [sys.executable, "-m", "fireline", *args], env, workdir / f"{name}.log")


def serving(process: Process, url: str) -> bool:
    """Ready at ``url``; raises with the log's tail if the process died."""
    process.check()
    return ready(url)
