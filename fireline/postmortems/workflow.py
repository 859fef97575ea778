"""The review workflow, draft → in review → published, as pure decisions.

Changes requested by any reviewer send the post-mortem back to draft;
publishing needs every named reviewer's approval.
"""

from __future__ import annotations

from collections.abc import Sequence

from fireline.core.errors import Conflict, InvalidInput

DRAFT, IN_REVIEW, PUBLISHED = "draft", "in_review", "published"
PENDING, APPROVED, CHANGES_REQUESTED = "pending", "approved", "changes_requested"
DECISIONS = (APPROVED, CHANGES_REQUESTED)


class WorkflowRefused(Conflict):
    code = "workflow_refused"


def check_editable(status: str) -> None:
    if status == IN_REVIEW:
        raise WorkflowRefused(
            "it is in review: a reviewer requests changes to send it back to draft", field="body"
        )
    if status == PUBLISHED:
        raise WorkflowRefused("it is published and no longer changes", field="body")


def check_reviewers_changeable(status: str) -> None:
    if status == PUBLISHED:
        raise WorkflowRefused("it is published; its reviewers are on record", field="user")


def check_submit(status: str, reviewer_count: int, body: str) -> None:
    if status != DRAFT:
        raise WorkflowRefused(f"only a draft can be submitted; it is {_words(status)}")
    if reviewer_count == 0:
        raise InvalidInput("name at least one reviewer before submitting", field="reviewers")
    if not body.strip():
        raise InvalidInput("write the post-mortem before submitting it", field="body")


def check_review(status: str, decision: str, comment: str) -> None:
    if status != IN_REVIEW:
        raise WorkflowRefused(
            f"only a post-mortem in review can be reviewed; it is {_words(status)}"
        )
    if decision not in DECISIONS:
        raise InvalidInput(
            f"unknown decision {decision!r}; expected {' or '.join(DECISIONS)}", field="decision"
        )
    if decision == CHANGES_REQUESTED and not comment.strip():
        raise InvalidInput("say what should change", field="comment")


def status_after_review(decision: str) -> str:
    return DRAFT if decision == CHANGES_REQUESTED else IN_REVIEW


def check_publish(status: str, decisions: Sequence[str]) -> None:
    if status != IN_REVIEW:
        raise WorkflowRefused(
            f"only a post-mortem in review can be published; it is {_words(status)}"
        )
    waiting = sum(1 for d in decisions if d != APPROVED)
    if not decisions or waiting:
        raise WorkflowRefused(
            f"every reviewer must approve first; {waiting} of {len(decisions)} have not",
            field="reviewers",
        )


def _words(status: str) -> str:
    return status.replace("_", " ")
