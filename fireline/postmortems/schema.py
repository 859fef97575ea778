"""The plan's ``postmortem:`` section: the template, which severities need a
post-mortem, and by when.

It lives here rather than in ``fireline.plan.schema`` for the same reason the
playbooks' schema does: the feature owns its words. It imports nothing of the
plan, so the plan can import it.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Sections whose text fireline writes from what it knows; any other section
# is left to the team, with its prompt.
FACT_SECTIONS = ("summary", "impact", "timeline", "detection", "response", "action_items")

DEFAULT_REQUIRED = ("SEV1", "SEV2")
_DUE = re.compile(r"^\s*(\d+)\s+(business\s+days?|days?)\s*$", re.IGNORECASE)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TemplateSection(_Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    heading: str = Field(min_length=1, max_length=200)
    prompt: str = Field(
        default="", max_length=2000, description="what the team is asked to write there"
    )


def _default_sections() -> list[TemplateSection]:
    return [
        TemplateSection(key="summary", heading="Summary"),
        TemplateSection(key="impact", heading="Impact"),
        TemplateSection(key="timeline", heading="Timeline"),
        TemplateSection(key="detection", heading="Detection"),
        TemplateSection(key="response", heading="Response"),
        TemplateSection(
            key="contributing_factors",
            heading="Contributing factors",
            prompt="Which conditions in systems, tools and processes made this possible?"
            " Ask how and why, never who.",
        ),
        TemplateSection(
            key="went_well",
            heading="What went well",
            prompt="What helped: alerts that fired, runbooks that worked, people who were reachable.",
        ),
        TemplateSection(
            key="went_poorly",
            heading="What went poorly",
            prompt="What slowed the response down or made it harder than it had to be?",
        ),
        TemplateSection(
            key="lucky",
            heading="Where we got lucky",
            prompt="What went right by chance, and would not have next time?",
        ),
        TemplateSection(key="action_items", heading="Action items"),
        TemplateSection(
            key="lessons",
            heading="Lessons learned",
            prompt="What does the organisation now know that it did not know before?",
        ),
    ]


class DueWithin(str):
    """``5 business days`` or ``10 days``: how long after resolution a post-mortem is due."""

    @property
    def amount(self) -> int:
        found = _DUE.match(self)
        assert found is not None
        return int(found[1])

    @property
    def business(self) -> bool:
        found = _DUE.match(self)
        assert found is not None
        return found[2].lower().startswith("business")


class PostmortemPolicy(_Strict):
    required_for: list[str] | None = Field(
        default=None,
        description="severities whose incidents get a post-mortem when they resolve;"
        " unset: SEV1 and SEV2, those of them the plan has",
    )
    due_within: str = Field(
        default="5 business days", description="time after resolution it is due: N (business) days"
    )
    remind_before: list[int] = Field(
        default_factory=lambda: [2, 0],
        max_length=5,
        description="days before the due date to remind the commander (0: on the day)",
    )
    sections: list[TemplateSection] = Field(
        default_factory=_default_sections, min_length=1, max_length=30
    )

    @field_validator("due_within")
    @classmethod
    def _due(cls, value: str) -> str:
        found = _DUE.match(value)
        if found is None or int(found[1]) == 0 or int(found[1]) > 365:
            raise ValueError(
                f"expected a span like 5 business days or 10 days (1 to 365), not {value!r}"
            )
        return value

    @field_validator("remind_before")
    @classmethod
    def _reminders(cls, value: list[int]) -> list[int]:
        for days in value:
            if not 0 <= days <= 60:
                raise ValueError("reminders are 0 to 60 days before the due date")
        if len(set(value)) != len(value):
            raise ValueError("a reminder day is listed twice")
        return value

    @field_validator("sections")
    @classmethod
    def _unique(cls, value: list[TemplateSection]) -> list[TemplateSection]:
        keys = [s.key for s in value]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ValueError(f"section key {twice[0]!r} is listed twice")
        return value

    def requires(self, severity: str) -> bool:
        """Whether an incident of ``severity`` must have a post-mortem."""
        wanted = DEFAULT_REQUIRED if self.required_for is None else self.required_for
        return severity in wanted

    @property
    def due(self) -> DueWithin:
        return DueWithin(self.due_within)
