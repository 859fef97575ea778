"""Approvals of response actions: pure rules."""

from __future__ import annotations

import pytest

from fireline.core.errors import Conflict, Forbidden, InvalidInput
from fireline.security.approvals import (
    APPROVED,
    PENDING,
    REJECTED,
    Decision,
    check_decision,
    check_request,
    outcome,
)

ROLES = ["incident_commander", "legal"]


def test_approved_only_when_every_named_role_approved() -> None:
    assert outcome(ROLES, []) == PENDING
    assert outcome(ROLES, [Decision("legal", 2, "approve")]) == PENDING
    both = [Decision("legal", 2, "approve"), Decision("incident_commander", 1, "approve")]
    assert outcome(ROLES, both) == APPROVED


def test_one_rejection_stops_the_action() -> None:
    found = [Decision("legal", 2, "approve"), Decision("incident_commander", 1, "reject")]
    assert outcome(ROLES, found) == REJECTED


def test_a_request_names_known_roles_once_and_a_response_phase() -> None:
    check_request("containment", ROLES, ROLES)
    with pytest.raises(InvalidInput) as bad_phase:
        check_request("lunch", ROLES, ROLES)
    assert bad_phase.value.field == "phase"
    with pytest.raises(InvalidInput, match="at least one"):
        check_request("recovery", [], ROLES)
    with pytest.raises(InvalidInput, match="unknown role 'ciso'"):
        check_request("recovery", ["ciso"], ROLES)
    with pytest.raises(InvalidInput, match="once"):
        check_request("recovery", ["legal", "legal"], ROLES)


def _decide(**overrides: object) -> None:
    arguments: dict[str, object] = {
        "status": PENDING,
        "required": ROLES,
        "decisions": [],
        "role": "legal",
        "decision": "approve",
        "user_id": 2,
        "held": {"legal"},
        "rationale": "Privilege preserved; go.",
    }
    arguments.update(overrides)
    check_decision(**arguments)  # type: ignore[arg-type]


def test_only_the_role_holder_decides_once_with_a_reason() -> None:
    _decide()
    with pytest.raises(Forbidden, match="holding legal"):
        _decide(held={"scribe"})
    with pytest.raises(InvalidInput) as unnamed:
        _decide(role="scribe", held={"scribe"})
    assert unnamed.value.field == "role"
    with pytest.raises(InvalidInput) as no_reason:
        _decide(rationale="  ")
    assert no_reason.value.field == "rationale"
    with pytest.raises(InvalidInput) as maybe:
        _decide(decision="maybe")
    assert maybe.value.field == "decision"
    with pytest.raises(Conflict, match="decided already"):
        _decide(decisions=[Decision("legal", 3, "approve")])
    with pytest.raises(Conflict, match="rejected"):
        _decide(status=REJECTED)


def test_one_person_cannot_sign_for_two_roles() -> None:
    with pytest.raises(Forbidden, match="another role"):
        _decide(
            role="incident_commander",
            held={"legal", "incident_commander"},
            decisions=[Decision("legal", 2, "approve")],
        )
