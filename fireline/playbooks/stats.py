"""How a playbook is used: how often it ran, and how long each step took
from being reached to being done (the step a team waits on stands out)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from fireline.playbooks import progress
from fireline.playbooks.models import PlaybookRun, RunStep
from fireline.playbooks.schema import Playbook


@dataclass(frozen=True)
class StepFigures:
    key: str
    title: str
    reached: int
    done: int
    skipped: int
    median: timedelta | None
    longest: timedelta | None


@dataclass(frozen=True)
class Figures:
    runs: int
    finished: int
    median_run: timedelta | None
    steps: tuple[StepFigures, ...]


def figures(playbook: Playbook, runs: Sequence[PlaybookRun]) -> Figures:
    """Pure: the figures from the runs' rows."""
    by_step: dict[str, list[RunStep]] = {}
    for run in runs:
        for row in run.steps:
            by_step.setdefault(row.step_key, []).append(row)
    steps = []
    for step in playbook.steps:
        rows = by_step.get(step.key, [])
        took = [
            row.finished_at - row.reached_at
            for row in rows
            if row.status == progress.DONE and row.finished_at and row.reached_at
        ]
        steps.append(
            StepFigures(
                key=step.key,
                title=step.title,
                reached=sum(row.reached_at is not None for row in rows),
                done=sum(row.status == progress.DONE for row in rows),
                skipped=sum(row.status == progress.SKIPPED for row in rows),
                median=_median(took),
                longest=max(took) if took else None,
            )
        )
    whole = [run.finished_at - run.started_at for run in runs if run.finished_at]
    return Figures(
        runs=len(runs),
        finished=len(whole),
        median_run=_median(whole),
        steps=tuple(steps),
    )


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    return timedelta(seconds=statistics.median(v.total_seconds() for v in values))


def for_playbook(session: Session, playbook: Playbook) -> Figures:
    runs = session.scalars(
        select(PlaybookRun)
        .where(PlaybookRun.playbook_key == playbook.key)
        .options(selectinload(PlaybookRun.steps))
    ).all()
    return figures(playbook, runs)
