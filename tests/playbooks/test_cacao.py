"""OASIS CACAO 2.0: export validates against the specification's JSON
schemas, export then import gives the same playbook, and any CACAO playbook
imports as steps a person can follow, with notes for what did not map."""

from __future__ import annotations

import copy
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fireline.core.errors import InvalidInput
from fireline.playbooks.cacao_common import EXTENSION_ID
from fireline.playbooks.cacao_export import to_cacao
from fireline.playbooks.cacao_import import FALLBACK_TYPES, ImportResult, from_cacao
from fireline.playbooks.library import builtin_playbooks
from fireline.playbooks.schema import Approval, Condition, HttpAction, Playbook, Step
from tests.conftest import shared_dir

NOW = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)

BASIC_STEP = "action--6398eb05-3eb8-43f5-87d3-f24e07492a41"
SPEC_STEP = "action--7f40f9d7-de39-4027-ab97-15035beff2ff"


# --- the schemas -----------------------------------------------------------


@pytest.fixture(scope="module")
def validate() -> Any:
    schemas = shared_dir("cacao-2.0-schemas")
    from jsonschema import Draft7Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    resources = []
    for path in sorted(schemas.rglob("*.json")):
        contents = json.loads(path.read_text())
        resources.append((contents["$id"], Resource.from_contents(contents, DRAFT7)))
    registry = Registry().with_resources(resources)
    entry = json.loads((schemas / "playbook.json").read_text())
    validator = Draft7Validator(entry, registry=registry)

    # Object keys that match none of a dictionary's patternProperties pass the
    # schema unchecked, so the identifiers are checked against them here.
    keyed = {
        name: [re.compile(p) for p in entry["properties"][name]["patternProperties"]]
        for name in ("workflow", "agent_definitions", "target_definitions", "extension_definitions")
    }

    def check(document: dict[str, Any]) -> None:
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        assert not errors, "\n".join(
            f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in errors
        )
        for name, patterns in keyed.items():
            for key in document.get(name, {}):
                assert any(p.search(key) for p in patterns), f"{name}: {key}"

    return check


def example(name: str) -> dict[str, Any]:
    return json.loads((shared_dir("cacao-2.0-examples") / name).read_text())


# --- playbooks to export ------------------------------------------------------

TICKET_BODY = '{"title": "{{ incident.title }}",\n "text": "Schlüssel ``widerrufen``"}'


def every_feature() -> Playbook:
    return Playbook(
        key="leaked_key",
        name="Leaked API key",
        description="A credential was published or sold.",
        types=["leaked_credential", "data_exfiltration"],
        severities=["SEV1", "SEV2"],
        steps=[
            Step(
                key="confirm",
                title="Confirm the key is real and whose it is",
                phase="analysis",
                instructions="Look the key up in the vault.\n\n- owner\n- scopes",
                owner_role="security_lead",
            ),
            Step(
                key="revoke",
                title="Revoke the key",
                phase="containment",
                instructions="Revoke it in the provider's console if the call fails.",
                owner_role="operations_lead",
                approval=Approval(roles=["security_lead", "incident_commander"]),
                after=["confirm"],
                action=HttpAction(
                    endpoint="vault",
                    method="DELETE",
                    path="v1/keys/{{ incident.ref }}",
                    headers={"X-Reason": "incident {{ incident.ref }}", "Accept": "text/plain"},
                    expect_status=[204],
                ),
            ),
            Step(
                key="audit_use",
                title="Find every use of the key",
                phase="analysis",
                instructions="",
                after=["confirm"],
                when=Condition(types=["data_exfiltration"]),
            ),
            Step(
                key="notify_dpo",
                title="Tell the data protection officer",
                phase="communication",
                instructions="GDPR Art. 33: 72 hours from awareness.",
                owner_role="privacy",
                when=Condition(severities=["SEV1"], types=[]),
                approval=Approval(roles=["legal"]),
                after=["revoke", "audit_use"],
                action=HttpAction(
                    endpoint="ticketing",
                    path="/api/tickets",
                    headers={"Content-Type": "application/json"},
                    body=TICKET_BODY,
                ),
            ),
            Step(
                key="lessons",
                title="Write down how the key leaked",
                phase="post_incident",
                after=["notify_dpo"],
                when=Condition(),
            ),
        ],
    )


def one_step() -> Playbook:
    return Playbook(
        key="minimal",
        name="Minimal",
        types=["phishing"],
        steps=[Step(key="s1", title="Do it", phase="detection")],
    )


def outage() -> Playbook:
    return Playbook(
        key="service_outage",
        name="Service outage: roll back, fail over or hotfix",
        types=["service_outage"],
        steps=[
            Step(key="assess", title="Assess", phase="analysis", owner_role="incident_commander"),
            Step(key="rollback", title="Roll back", phase="mitigation", after=["assess"]),
            Step(key="failover", title="Fail over", phase="mitigation", after=["assess"]),
            Step(
                key="status",
                title="Update the status page",
                phase="communication",
                after=["rollback", "failover"],
                action=HttpAction(endpoint="statuspage", method="PATCH", body="{}"),
            ),
            Step(key="verify", title="Verify", phase="recovery", after=["status"]),
        ],
    )


PLAYBOOKS = [every_feature, one_step, outage]


# --- export -----------------------------------------------------------------


@pytest.mark.parametrize("make", PLAYBOOKS)
def test_export_validates_against_the_cacao_schemas(make: Any, validate: Any) -> None:
    validate(to_cacao(make(), now=NOW))
    validate(to_cacao(make(), now=NOW, created_by="ACME Security"))


def test_export_maps_steps_agents_targets_and_the_extension() -> None:
    document = to_cacao(every_feature(), now=NOW)
    assert document["created"] == document["modified"] == "2026-03-02T09:00:00.123Z"
    assert document["playbook_types"] == ["investigation", "mitigation", "notification"]
    assert "restrict-access" in document["playbook_activities"]
    assert document["playbook_processing_summary"] == {"manual_playbook": False, "extensions": True}

    workflow = document["workflow"]
    first = workflow[document["workflow_start"]]
    chain = []
    step = first
    while "on_completion" in step:
        chain.append(step["on_completion"])
        step = workflow[step["on_completion"]]
    assert [workflow[s]["type"] for s in chain] == ["action"] * 5 + ["end"]
    assert [workflow[s]["name"] for s in chain[:5]] == [s.title for s in every_feature().steps]

    revoke = workflow[chain[1]]
    manual, http = revoke["commands"]
    assert manual == {
        "type": "manual",
        "command": "Revoke it in the provider's console if the call fails.",
        "playbook_activity": "restrict-access",
    }
    assert http["command"] == "DELETE /v1/keys/{{ incident.ref }} HTTP/1.1"
    assert http["headers"] == {
        "X-Reason": ["incident {{ incident.ref }}"],
        "Accept": ["text/plain"],
    }
    assert "content" not in http
    assert document["agent_definitions"][revoke["agent"]]["name"] == "operations_lead"
    target = document["target_definitions"][revoke["targets"][0]]
    assert target["type"] == "http-api" and target["name"] == "vault"
    assert target["address"] == {"dname": ["vault"]}
    assert "Needs approval from: security_lead, incident_commander." in revoke["description"]

    notify = workflow[chain[3]]
    assert notify["commands"][1]["content"].startswith('{"title"')
    assert notify["step_extensions"][EXTENSION_ID]["after"] == ["revoke", "audit_use"]
    assert "command" not in workflow[chain[2]]["commands"][0]  # no instructions
    assert workflow[chain[2]]["agent"] in document["agent_definitions"]
    assert document["playbook_extensions"][EXTENSION_ID] == {
        "key": "leaked_key",
        "types": ["leaked_credential", "data_exfiltration"],
        "severities": ["SEV1", "SEV2"],
    }
    assert EXTENSION_ID in document["extension_definitions"]


def test_export_ids_are_stable_and_only_the_timestamps_move() -> None:
    first = to_cacao(every_feature(), now=NOW)
    later = to_cacao(every_feature(), now=NOW + timedelta(days=3))
    assert first["id"] == later["id"] and first["workflow"] == later["workflow"]
    assert later["modified"] == "2026-03-05T09:00:00.123Z"
    assert to_cacao(one_step(), now=NOW)["id"] != first["id"]


def test_export_keeps_a_given_identity_and_derives_one_from_a_name() -> None:
    identity = "identity--5abe695c-7bd5-4c31-8824-2528696cdbf1"
    assert to_cacao(one_step(), now=NOW, created_by=identity)["created_by"] == identity
    named = to_cacao(one_step(), now=NOW, created_by="ACME")["created_by"]
    assert (
        named.startswith("identity--")
        and named == to_cacao(one_step(), now=NOW, created_by="ACME")["created_by"]
    )


def test_export_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="timezone"):
        to_cacao(one_step(), now=datetime(2026, 3, 2, 9, 0))


# --- export, then import --------------------------------------------------------

keys = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,12}", fullmatch=True)
texts = st.text(max_size=40)


@st.composite
def playbooks(draw: st.DrawFn) -> Playbook:
    step_keys = draw(st.lists(keys, min_size=1, max_size=6, unique=True))
    severities = st.lists(st.sampled_from(["SEV1", "SEV2", "SEV3", "SEV4"]), max_size=2)
    actions = st.builds(
        HttpAction,
        endpoint=keys,
        method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
        path=texts,
        headers=st.dictionaries(st.text(min_size=1, max_size=10), texts, max_size=2),
        body=texts,
        expect_status=st.lists(st.integers(100, 599), max_size=3),
    )
    steps = []
    for index, key in enumerate(step_keys):
        steps.append(
            Step(
                key=key,
                title=draw(st.text(min_size=1, max_size=30)),
                phase=draw(st.sampled_from(["analysis", "containment", "post_incident"]) | keys),
                instructions=draw(texts),
                owner_role=draw(st.none() | keys),
                when=draw(
                    st.none()
                    | st.builds(Condition, severities=severities, types=st.lists(keys, max_size=2))
                ),
                approval=draw(
                    st.none() | st.builds(Approval, roles=st.lists(keys, min_size=1, max_size=2))
                ),
                after=draw(st.lists(st.sampled_from(step_keys[:index]), unique=True))
                if index
                else [],
                action=draw(st.none() | actions),
            )
        )
    return Playbook(
        key=draw(keys),
        name=draw(st.text(min_size=1, max_size=40)),
        description=draw(texts),
        types=draw(st.lists(keys, min_size=1, max_size=3)),
        severities=draw(severities),
        steps=steps,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(playbooks())
def test_any_playbook_exports_as_valid_cacao_and_imports_back_unchanged(
    validate: Any, playbook: Playbook
) -> None:
    document = to_cacao(playbook, now=NOW)
    validate(document)
    result = from_cacao(json.loads(json.dumps(document)))
    assert result.playbook == playbook
    assert result.notes == []


@pytest.mark.parametrize("make", PLAYBOOKS)
def test_export_then_import_gives_the_same_playbook(make: Any) -> None:
    document = json.loads(json.dumps(to_cacao(make(), now=NOW)))
    result = from_cacao(document)
    assert result.playbook == make()
    assert result.notes == []


def test_the_built_in_playbooks_export_validly_and_come_back_unchanged(validate: Any) -> None:
    for playbook in builtin_playbooks():
        document = to_cacao(playbook, now=NOW)
        validate(document)
        assert from_cacao(json.loads(json.dumps(document))) == ImportResult(playbook, [])


def test_an_export_without_the_extension_still_imports_sensibly() -> None:
    document = to_cacao(every_feature(), now=NOW)
    del document["playbook_extensions"]
    for step in document["workflow"].values():
        step.pop("step_extensions", None)
    result = from_cacao(document, default_types=["leaked_credential"])
    playbook = result.playbook
    assert [s.title for s in playbook.steps] == [s.title for s in every_feature().steps]
    assert playbook.types == ["leaked_credential"]
    keys = [s.key for s in playbook.steps]
    assert [s.after for s in playbook.steps] == [[], *[[k] for k in keys[:-1]]]
    revoke = playbook.steps[1]
    assert revoke.action == HttpAction(
        endpoint="vault",
        method="DELETE",
        path="/v1/keys/{{ incident.ref }}",
        headers={"X-Reason": "incident {{ incident.ref }}", "Accept": "text/plain"},
    )
    notify = playbook.steps[3].action
    assert notify is not None and notify.body == TICKET_BODY
    assert revoke.phase == "containment"
    assert "Revoke it in the provider's console" in revoke.instructions
    assert any("endpoint 'vault'" in n.message for n in result.notes)


def test_a_damaged_extension_falls_back_to_the_plain_mapping_with_a_note() -> None:
    document = to_cacao(one_step(), now=NOW)
    step_id = document["workflow"][document["workflow_start"]]["on_completion"]
    document["workflow"][step_id]["step_extensions"][EXTENSION_ID]["phase"] = "Not A Key"
    result = from_cacao(document)
    assert result.playbook.key == "minimal" and result.playbook.types == ["phishing"]
    assert result.playbook.steps[0].key == "do_it"
    assert any(n.step_id == step_id and "not valid" in n.message for n in result.notes)


def test_a_step_added_in_another_tool_joins_the_restored_ones() -> None:
    document = to_cacao(outage(), now=NOW)
    workflow = document["workflow"]
    first = workflow[document["workflow_start"]]["on_completion"]
    added = "action--0f6c5a8e-1d2b-4c3d-9e4f-5a6b7c8d9e0f"
    workflow[added] = {
        "type": "action",
        "name": "Page the database team",
        "commands": [{"type": "manual", "command": "Use the DBA rota."}],
        "agent": workflow[first]["agent"],
        "on_completion": workflow[first]["on_completion"],
    }
    workflow[first]["on_completion"] = added
    result = from_cacao(document)
    steps = result.playbook.steps
    assert [s.key for s in steps] == [
        "assess",
        "page_the_database_team",
        "rollback",
        "failover",
        "status",
        "verify",
    ]
    assert steps[1].after == ["assess"]
    assert steps[1].instructions == (
        "Use the DBA rota.\n\nCarried out by: incident_commander (group)."
    )
    assert steps[2:] == outage().steps[1:]
    assert result.playbook.types == ["service_outage"]
    assert {n.step_id for n in result.notes} == {added, None}  # its phase, its agent


# --- the specification's examples -------------------------------------------------


def test_basic_example_imports_with_its_ssh_command_kept_for_a_person() -> None:
    result = from_cacao(example("basic-example-1.json"))
    playbook = result.playbook
    assert playbook.name == "Bad MAC Address" and playbook.key == "bad_mac_address"
    assert playbook.types == FALLBACK_TYPES
    (step,) = playbook.steps
    assert (step.key, step.title, step.phase) == (
        "block_mac_address",
        "Block MAC address",
        "containment",
    )
    assert step.action is None and step.owner_role is None
    assert "This command blocks a MAC address on a switch." in step.instructions
    assert "```sh\nSwitch(conf)#mac address-table static 3467.0933.341c vlan X drop\n```" in (
        step.instructions
    )
    assert "Carried out by: Network Admin (individual)." in step.instructions
    assert "Targets: Switch (security-category)." in step.instructions
    messages = notes_of(result, BASIC_STEP)
    assert any("ssh command is kept" in m for m in messages)
    assert any(m.startswith("phase containment: guessed from “Block”") for m in messages)
    assert any("no incident types" in str(n) for n in result.notes)


def test_spec_example_imports_with_notes_on_what_has_no_place() -> None:
    result = from_cacao(example("spec-3.1-example.json"), default_types=["data_exfiltration"])
    playbook = result.playbook
    assert playbook.types == ["data_exfiltration"]
    assert "`__data_exfil_site__` (ipv4-addr): `1.2.3.4`" in playbook.description
    (step,) = playbook.steps
    assert (step.key, step.title, step.phase) == ("ip_lookup", "IP Lookup", "analysis")
    assert step.instructions.startswith(
        "Lookup the IP address in the SIEM\n\nLook up IP __data_exfil_site__:value in SIEM"
    )
    assert "IR team" in step.instructions
    text = "\n".join(str(n) for n in result.notes)
    assert "severity 70" in text
    assert "priority, impact, industry_sectors, labels" in text
    assert "variables" in text
    assert notes_of(result, SPEC_STEP) == ["phase analysis: guessed from “Lookup” in its name"]


@pytest.mark.parametrize("name", ["basic-example-1.json", "spec-3.1-example.json"])
def test_imported_examples_export_again_as_valid_cacao(name: str, validate: Any) -> None:
    imported = from_cacao(example(name)).playbook
    document = to_cacao(imported, now=NOW)
    validate(document)
    assert from_cacao(document).playbook == imported


# --- a hand-written playbook with every kind of step ------------------------------


def sid(kind: str, name: str) -> str:
    return f"{kind}--{uuid.uuid5(uuid.NAMESPACE_DNS, name)}"


TRIAGE = sid("action", "triage")
SERVER_IF = sid("if-condition", "server")
BOTH = sid("parallel", "both")
ISOLATE = sid("action", "isolate")
MEMORY = sid("action", "memory")
NOTIFY = sid("action", "notify")
SEVERITY_SWITCH = sid("switch-condition", "severity")
BLOCK = sid("action", "block")
SUB_PLAYBOOK = sid("playbook-action", "sub")
FILES_WHILE = sid("while-condition", "files")
REMOVE = sid("action", "remove")
RESTORE = sid("action", "restore")
LESSONS = sid("action", "lessons")
VENDOR = sid("action", "vendor")
ORPHAN = sid("action", "orphan")
START, END = sid("start", "start"), sid("end", "end")
EDR, IR, FW = sid("http-api", "edr"), sid("group", "ir"), sid("security-category", "fw")


def ends(*names: str) -> dict[str, Any]:
    return {sid("end", name): {"type": "end"} for name in names}


def hand_written() -> dict[str, Any]:
    manual = [{"type": "manual", "command": "Follow the runbook."}]
    workflow: dict[str, Any] = {
        START: {"type": "start", "on_completion": TRIAGE},
        TRIAGE: {
            "type": "action",
            "name": "Triage the alert",
            "commands": manual,
            "agent": IR,
            "on_completion": SERVER_IF,
        },
        SERVER_IF: {
            "type": "if-condition",
            "name": "Is the host a server?",
            "condition": "[x-host:role = 'server']",
            "on_true": BOTH,
            "on_false": NOTIFY,
            "on_completion": SEVERITY_SWITCH,
        },
        BOTH: {
            "type": "parallel",
            "next_steps": [ISOLATE, MEMORY],
            "on_completion": sid("end", "par"),
        },
        ISOLATE: {
            "type": "action",
            "name": "Isolate the host",
            "description": "Cut the host off the network through the EDR.",
            "commands": [
                {
                    "type": "http-api",
                    "command": "POST https://edr.example.com/api/hosts/__host__:value/isolate HTTP/1.1",
                    "headers": {"Accept": ["application/json", "text/plain"]},
                    "content": '{"reason": "incident"}',
                }
            ],
            "agent": EDR,
            "on_completion": sid("end", "b"),
        },
        MEMORY: {
            "type": "action",
            "name": "Collect a memory image",
            "commands": [
                {"type": "manual", "command": "Use the forensic laptop."},
                {"type": "bash", "command": "avml /mnt/evidence/memory.lime"},
                {"type": "kestrel", "command_b64": "Zmxvd3MgPSBHRVQgbmV0d29yay10cmFmZmlj"},
            ],
            "agent": IR,
            "on_completion": sid("end", "c"),
        },
        NOTIFY: {
            "type": "action",
            "name": "Notify the user of the laptop",
            "commands": manual,
            "agent": IR,
            "on_completion": sid("end", "d"),
        },
        SEVERITY_SWITCH: {
            "type": "switch-condition",
            "switch": "__severity__:value",
            "cases": {"high": BLOCK, "default": SUB_PLAYBOOK},
            "on_completion": FILES_WHILE,
        },
        BLOCK: {
            "type": "action",
            "name": "Block the IP on the firewall",
            "commands": [
                {"type": "powershell", "command": "New-NetFirewallRule -RemoteAddress 1.2.3.4"}
            ],
            "agent": IR,
            "targets": [FW],
            "on_completion": sid("end", "e"),
        },
        SUB_PLAYBOOK: {
            "type": "playbook-action",
            "name": "Run the containment playbook",
            "playbook_id": "playbook--00ee41a2-c2ca-41da-8ea9-681344eb3926",
            "on_completion": sid("end", "f"),
        },
        FILES_WHILE: {
            "type": "while-condition",
            "condition": "[file:hashes.'SHA-256' = 'aec0']",
            "on_true": REMOVE,
            "on_completion": RESTORE,
        },
        REMOVE: {
            "type": "action",
            "name": "Remove the malicious file",
            "commands": [
                {"type": "ssh", "command": "rm /tmp/payload"},
                {"type": "http-api", "command": "GET /api/scan HTTP/1.1"},
            ],
            "agent": IR,
            "on_completion": sid("end", "g"),
        },
        RESTORE: {
            "type": "action",
            "name": "Restore the service",
            "commands": manual,
            "agent": IR,
            "on_success": LESSONS,
            "on_failure": VENDOR,
        },
        LESSONS: {
            "type": "action",
            "name": "Write down the lessons learned",
            "commands": [{"type": "manual", "command": "Hold a review."}],
            "agent": IR,
            "on_completion": END,
        },
        VENDOR: {
            "type": "action",
            "name": "Escalate to the vendor",
            "commands": [{"type": "yara", "command_b64": "//79"}],
            "agent": IR,
            "on_completion": END,
        },
        ORPHAN: {"type": "action", "name": "Never reached", "commands": manual, "agent": IR},
        END: {"type": "end"},
        **ends("par", "b", "c", "d", "e", "f", "g"),
    }
    return {
        "type": "playbook",
        "spec_version": "cacao-2.0",
        "id": sid("playbook", "hand"),
        "name": "Suspicious host",
        "created_by": sid("identity", "me"),
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "workflow_start": START,
        "workflow": workflow,
        "agent_definitions": {
            IR: {"type": "group", "name": "IR team"},
            EDR: {
                "type": "http-api",
                "name": "EDR API",
                "address": {"url": ["https://edr.example.com/api"]},
            },
        },
        "target_definitions": {
            FW: {"type": "security-category", "name": "Firewall", "category": ["firewall"]}
        },
    }


def test_the_hand_written_playbook_is_valid_cacao(validate: Any) -> None:
    validate(hand_written())


def test_every_kind_of_step_imports_in_a_sensible_order() -> None:
    result = from_cacao(hand_written(), default_types=["insider_threat"])
    steps = {s.key: s for s in result.playbook.steps}
    assert list(steps) == [
        "triage_the_alert",
        "is_the_host_a_server",
        "isolate_the_host",
        "collect_a_memory_image",
        "notify_the_user_of_the_laptop",
        "decide_severity_value",
        "block_the_ip_on_the_firewall",
        "run_the_containment_playbook",
        "decide_file_hashes_sha_256_aec0",
        "remove_the_malicious_file",
        "restore_the_service",
        "write_down_the_lessons_learned",
        "escalate_to_the_vendor",
    ]
    after = {key: step.after for key, step in steps.items()}
    assert after == {
        "triage_the_alert": [],
        "is_the_host_a_server": ["triage_the_alert"],
        "isolate_the_host": ["is_the_host_a_server"],
        "collect_a_memory_image": ["is_the_host_a_server"],
        "notify_the_user_of_the_laptop": ["is_the_host_a_server"],
        # After the if: the last step of every branch, the parallel ones included.
        "decide_severity_value": [
            "isolate_the_host",
            "collect_a_memory_image",
            "notify_the_user_of_the_laptop",
        ],
        "block_the_ip_on_the_firewall": ["decide_severity_value"],
        "run_the_containment_playbook": ["decide_severity_value"],
        "decide_file_hashes_sha_256_aec0": [
            "block_the_ip_on_the_firewall",
            "run_the_containment_playbook",
        ],
        "remove_the_malicious_file": ["decide_file_hashes_sha_256_aec0"],
        # After the loop: its body, which itself waits for the decision.
        "restore_the_service": ["remove_the_malicious_file"],
        "write_down_the_lessons_learned": ["restore_the_service"],
        "escalate_to_the_vendor": ["restore_the_service"],
    }
    phases = {key: step.phase for key, step in steps.items()}
    assert phases["triage_the_alert"] == "detection"
    assert phases["isolate_the_host"] == "containment"
    assert phases["notify_the_user_of_the_laptop"] == "communication"
    assert phases["remove_the_malicious_file"] == "eradication"
    assert phases["restore_the_service"] == "recovery"
    assert phases["write_down_the_lessons_learned"] == "post_incident"
    assert phases["escalate_to_the_vendor"] == "communication"

    decision = steps["is_the_host_a_server"].instructions
    assert "`[x-host:role = 'server']`" in decision
    assert "- If it holds: side by side: “Isolate the host”, “Collect a memory image”" in decision
    assert "- If not: “Notify the user of the laptop”" in decision
    assert steps["isolate_the_host"].instructions.startswith(
        "**Only if** `[x-host:role = 'server']` holds (decided in step “Is the host a server?”)."
    )
    assert "does not hold" in steps["notify_the_user_of_the_laptop"].instructions
    assert "is `high`" in steps["block_the_ip_on_the_firewall"].instructions
    assert "none of the cases" in steps["run_the_containment_playbook"].instructions
    assert "**Repeat while**" in steps["remove_the_malicious_file"].instructions
    assert "listed once" in steps["decide_file_hashes_sha_256_aec0"].instructions
    assert "succeeded" in steps["write_down_the_lessons_learned"].instructions
    assert "**Only if** step “Restore the service” failed." in (
        steps["escalate_to_the_vendor"].instructions
    )

    isolate = steps["isolate_the_host"].action
    assert isolate == HttpAction(
        endpoint="edr_api",
        method="POST",
        path="/api/hosts/__host__:value/isolate",
        headers={"Accept": "application/json, text/plain"},
        body='{"reason": "incident"}',
    )
    memory = steps["collect_a_memory_image"].instructions
    assert "Use the forensic laptop." in memory
    assert "```bash\navml /mnt/evidence/memory.lime\n```" in memory
    assert "```kestrel\nflows = GET network-traffic\n```" in memory
    remove = steps["remove_the_malicious_file"]
    assert remove.action is None
    assert "```http\nGET /api/scan HTTP/1.1\n```" in remove.instructions
    assert "```powershell" in steps["block_the_ip_on_the_firewall"].instructions
    assert "Targets: Firewall (security-category)." in (
        steps["block_the_ip_on_the_firewall"].instructions
    )
    run = steps["run_the_containment_playbook"].instructions
    assert "Run the playbook `playbook--00ee41a2-c2ca-41da-8ea9-681344eb3926`." in run

    assert any(
        "edr_api" in m and "host in its command" in m and "CACAO variables" in m
        for m in notes_of(result, ISOLATE)
    )
    assert any("bash command is kept" in m for m in notes_of(result, MEMORY))
    assert any("kestrel command is kept" in m for m in notes_of(result, MEMORY))
    assert any(
        "http-api command is kept" in m and "neither its agent" in m
        for m in notes_of(result, REMOVE)
    )
    assert any("if-condition" in m and "decide" in m for m in notes_of(result, SERVER_IF))
    assert any("switch-condition" in m for m in notes_of(result, SEVERITY_SWITCH))
    assert any("while-condition" in m for m in notes_of(result, FILES_WHILE))
    assert any("playbook-action" in m for m in notes_of(result, SUB_PLAYBOOK))
    assert any("not UTF-8" in m for m in notes_of(result, VENDOR))
    assert any("not reachable" in m for m in notes_of(result, ORPHAN))
    assert not any(n.step_id == BOTH for n in result.notes)


def test_an_imported_hand_written_playbook_exports_as_valid_cacao(validate: Any) -> None:
    imported = from_cacao(hand_written()).playbook
    validate(to_cacao(imported, now=NOW))
    assert from_cacao(to_cacao(imported, now=NOW)).playbook == imported


def test_a_failure_loop_is_left_out_and_reported() -> None:
    document = hand_written()
    workflow = document["workflow"]
    workflow[RESTORE]["on_failure"] = TRIAGE  # retry from the start
    result = from_cacao(document)
    keys = [s.key for s in result.playbook.steps]
    assert "escalate_to_the_vendor" not in keys
    assert keys.index("restore_the_service") > keys.index("triage_the_alert")
    assert any("on_failure leads back" in m for m in notes_of(result, RESTORE))
    assert notes_of(result, VENDOR) == [
        "this action step is not reachable from workflow_start and is left out"
    ]


def test_a_branch_that_loops_back_does_not_hang() -> None:
    document = hand_written()
    workflow = document["workflow"]
    workflow[REMOVE]["on_completion"] = FILES_WHILE  # the body goes straight back to the loop
    workflow[VENDOR]["on_completion"] = VENDOR
    workflow[VENDOR]["on_failure"] = RESTORE
    del workflow[VENDOR]["on_completion"]
    result = from_cacao(document)
    for index, step in enumerate(result.playbook.steps):
        earlier = {s.key for s in result.playbook.steps[:index]}
        assert set(step.after) <= earlier
    assert any("leads back" in n.message for n in result.notes)


# --- bad input ------------------------------------------------------------


def basic() -> dict[str, Any]:
    return copy.deepcopy(example("basic-example-1.json"))


def broken(change: Any) -> dict[str, Any]:
    document = basic()
    change(document)
    return document


def _set(path: list[str], value: Any) -> Any:
    def change(document: dict[str, Any]) -> None:
        target = document
        for name in path[:-1]:
            target = target[name]
        target[path[-1]] = value

    return change


START_ID = "start--fa16a4e9-e6b9-4658-b464-ca1632ff57f4"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (_set(["type"], "bundle"), "type"),
        (_set(["spec_version"], "cacao-1.1"), "spec_version"),
        (lambda d: d.pop("workflow"), "workflow"),
        (_set(["workflow"], []), "workflow"),
        (_set(["workflow_start"], "start--00000000-0000-4000-8000-000000000000"), "workflow_start"),
        (lambda d: d.pop("workflow_start"), "workflow_start"),
        (
            _set(["workflow", START_ID, "on_completion"], "action--nowhere"),
            f"workflow.{START_ID}.on_completion",
        ),
        (_set(["workflow", START_ID, "type"], "begin"), f"workflow.{START_ID}.type"),
        (_set(["workflow", BASIC_STEP, "commands"], "ssh"), f"workflow.{BASIC_STEP}.commands"),
        (
            _set(["workflow", BASIC_STEP, "commands"], [{"command": "x"}]),
            f"workflow.{BASIC_STEP}.commands[0]",
        ),
        (_set(["workflow", BASIC_STEP, "name"], 7), f"workflow.{BASIC_STEP}.name"),
        (_set(["workflow", BASIC_STEP], "step"), f"workflow.{BASIC_STEP}"),
        (_set(["agent_definitions"], []), "agent_definitions"),
        (
            _set(
                ["workflow", START_ID, "on_completion"], "end--116cdac5-63f1-4d8f-b3a8-e5667936e9b6"
            ),
            "workflow",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_field(change: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        from_cacao(broken(change))
    assert caught.value.field == field
    assert caught.value.message


@pytest.mark.parametrize("document", [None, [], "playbook", 3, {}])
def test_what_is_not_a_playbook_is_refused(document: Any) -> None:
    with pytest.raises(InvalidInput):
        from_cacao(document)


def test_bad_default_types_are_refused_naming_them() -> None:
    with pytest.raises(InvalidInput) as caught:
        from_cacao(basic(), default_types=["Not A Key"])
    assert caught.value.field == "default_types"


# --- any JSON at all ------------------------------------------------------


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
STEP_TYPES = [
    "start",
    "end",
    "action",
    "playbook-action",
    "parallel",
    "if-condition",
    "while-condition",
    "switch-condition",
]


@st.composite
def workflows(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly well-formed playbooks with random shapes: branches, joins,
    loops, missing pieces, stray values."""
    count = draw(st.integers(min_value=1, max_value=10))
    ids = [f"step--{n}" for n in range(count)]
    pointer = st.sampled_from(ids)
    workflow: dict[str, Any] = {}
    for step_id in ids:
        kind = draw(st.sampled_from(STEP_TYPES))
        step: dict[str, Any] = {"type": kind}
        for name in ("on_completion", "on_success", "on_failure"):
            if draw(st.booleans()):
                step[name] = draw(pointer)
        if kind in ("if-condition", "while-condition"):
            step["condition"] = draw(st.text(max_size=5))
            step["on_true"] = draw(pointer)
            if draw(st.booleans()):
                step["on_false"] = draw(pointer)
        if kind == "switch-condition":
            step["switch"] = "x"
            step["cases"] = draw(st.dictionaries(st.sampled_from(["a", "default"]), pointer))
        if kind == "parallel":
            step["next_steps"] = draw(st.lists(pointer, max_size=3))
        if kind == "playbook-action":
            step["playbook_id"] = "playbook--1"
        if kind == "action":
            step["name"] = draw(st.text(max_size=12))
            step["commands"] = draw(
                st.lists(
                    st.fixed_dictionaries(
                        {
                            "type": st.sampled_from(["manual", "http-api", "ssh", "yara"]),
                            "command": st.sampled_from(["", "GET /x", "POST http://h/y HTTP/1.1"]),
                        }
                    ),
                    max_size=2,
                )
            )
            step["agent"] = "http-api--1"
        if draw(st.booleans()):
            step["step_extensions"] = {EXTENSION_ID: draw(json_values)}
        workflow[step_id] = step
    return {
        "type": "playbook",
        "spec_version": "cacao-2.0",
        "name": draw(st.text(max_size=10)),
        "workflow_start": draw(pointer),
        "workflow": workflow,
        "agent_definitions": {"http-api--1": {"type": "http-api", "name": "api"}},
    }


def imports_or_refuses(document: Any) -> None:
    try:
        result = from_cacao(document)
    except InvalidInput as exc:
        assert exc.message
        return
    assert isinstance(result, ImportResult)
    seen: set[str] = set()
    for step in result.playbook.steps:
        assert set(step.after) <= seen
        seen.add(step.key)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.text(max_size=12), json_values, max_size=8) | json_values)
def test_any_json_imports_or_is_refused(document: Any) -> None:
    imports_or_refuses(document)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workflows())
def test_any_workflow_shape_imports_or_is_refused(document: dict[str, Any]) -> None:
    imports_or_refuses(document)


@settings(max_examples=100, deadline=None)
@given(
    workflows(),
    st.sampled_from(["type", "spec_version", "workflow", "workflow_start", "name"]),
    json_values,
)
def test_any_value_in_any_place_imports_or_is_refused(
    document: dict[str, Any], name: str, value: Any
) -> None:
    document[name] = value
    imports_or_refuses(document)


def notes_of(result: ImportResult, step_id: str) -> list[str]:
    return [n.message for n in result.notes if n.step_id == step_id]
