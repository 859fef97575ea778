"""The insights report: a period's metrics, the previous period's, and how
each moved. Read-only; it runs in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from fireline.core.deps import Principal
from fireline.insights import followup, metrics, queries
from fireline.insights.comparison import Delta, delta
from fireline.insights.period import Period
from fireline.insights.repeats import DEFAULT_WINDOW, Repeat, find_repeats
from fireline.plan.schema import Plan

DEFAULT_POSTMORTEM_SEVERITIES = ("SEV1", "SEV2")


@dataclass(frozen=True)
class PeriodMetrics:
    period: Period
    incidents: list[metrics.IncidentFacts]
    times: dict[str, metrics.Summary]
    sla: list[metrics.SeverityCompliance]
    sla_overall: metrics.Compliance
    by_severity: dict[str, int]
    by_type: dict[str, int]
    by_service: dict[str, int]
    over_time: list[metrics.BucketFacts]
    repeats: list[Repeat]
    postmortems: followup.PostMortemCompletion
    action_items: followup.Closure
    oncall: list[queries.PersonPages]

    @property
    def pages(self) -> int:
        return sum(p.pages for p in self.oncall)

    @property
    def off_hours(self) -> int:
        return sum(p.off_hours for p in self.oncall)

    def headline(self) -> dict[str, float | None]:
        """The numbers compared with the previous period (times: medians, in seconds)."""
        return {
            "incidents": len(self.incidents),
            **{name: summary.median for name, summary in self.times.items()},
            "sla_compliance": self.sla_overall.rate,
            "repeats": len(self.repeats),
            "postmortem_completion": self.postmortems.rate,
            "action_item_closure": self.action_items.closure_rate,
            "action_items_on_time": self.action_items.on_time_rate,
            "pages": self.pages,
            "off_hours_notifications": self.off_hours,
        }


@dataclass(frozen=True)
class Insights:
    scope: queries.Scope
    generated_at: datetime
    current: PeriodMetrics
    previous: PeriodMetrics
    deltas: dict[str, Delta]


def postmortem_severities(plan: Plan) -> list[str]:
    """The severities that require a post-mortem: the plan's ``postmortem.required_for``,
    else SEV1 and SEV2 (those of them the plan has)."""
    named = plan.postmortem.required_for
    keys = {s.key for s in plan.severities}
    return [key for key in (named or DEFAULT_POSTMORTEM_SEVERITIES) if key in keys]


def measure(
    session: Session,
    plan: Plan,
    principal: Principal,
    scope: queries.Scope,
    period: Period,
    now: datetime,
) -> PeriodMetrics:
    start, end = period.start, period.end
    gathered = queries.gather_incidents(
        session,
        plan,
        principal,
        scope,
        lookback=start - DEFAULT_WINDOW,
        start=start,
        end=end,
        now=now,
    )
    facts = gathered.facts
    sla = metrics.sla_compliance(facts, [s.key for s in plan.severities])
    items = queries.action_items(session, [f.id for f in facts])
    return PeriodMetrics(
        period=period,
        incidents=facts,
        times=metrics.time_summaries(facts, now),
        sla=sla,
        sla_overall=metrics.overall_compliance(sla),
        by_severity=metrics.counts_by_severity(facts),
        by_type=metrics.counts_by_type(facts),
        by_service=metrics.counts_by_service(facts),
        over_time=metrics.over_time(facts, period.buckets(), now),
        repeats=find_repeats(gathered.candidates, start=start, end=end),
        postmortems=followup.postmortem_completion(facts, postmortem_severities(plan)),
        action_items=followup.action_item_closure(items, now, period.zone),
        oncall=queries.pages_per_person(session, scope, period),
    )


def build(
    session: Session,
    plan: Plan,
    principal: Principal,
    *,
    period: Period,
    scope: queries.Scope,
    now: datetime,
) -> Insights:
    current = measure(session, plan, principal, scope, period, now)
    previous = measure(session, plan, principal, scope, period.previous(), now)
    before = previous.headline()
    deltas = {name: delta(name, value, before[name]) for name, value in current.headline().items()}
    return Insights(scope, now, current, previous, deltas)
