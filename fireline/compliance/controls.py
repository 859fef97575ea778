"""The ISO/IEC 27001:2022 Annex A controls for incident management, and
what in a compliance report is evidence for each. Pure: report data in,
each control's evidence in words out.

The wording of each control is summarised, not quoted: the standard is
copyrighted. SOC 2 auditors find the same evidence under CC7.3 to CC7.5.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Control:
    ref: str
    name: str
    asks: str  # what the control asks for, in our words
    soc2: str


CONTROLS = (
    Control(
        "5.24",
        "Information security incident management planning and preparation",
        "Incident management is planned: processes, roles and responsibilities are defined, "
        "communicated and tested.",
        "CC7.3",
    ),
    Control(
        "5.25",
        "Assessment and decision on information security events",
        "Events are assessed and it is decided whether they are incidents, and how severe.",
        "CC7.3",
    ),
    Control(
        "5.26",
        "Response to information security incidents",
        "Incidents are responded to according to the documented procedures.",
        "CC7.4",
    ),
    Control(
        "5.27",
        "Learning from information security incidents",
        "Knowledge gained from incidents is used to strengthen the controls.",
        "CC7.5",
    ),
    Control(
        "5.28",
        "Collection of evidence",
        "Evidence related to incidents is identified, collected, acquired and preserved.",
        "CC7.4",
    ),
    Control(
        "6.8",
        "Information security event reporting",
        "Events are reported through appropriate channels in a timely manner.",
        "CC7.3",
    ),
)


def _count(incidents: list[Mapping[str, Any]], test: Any) -> int:
    return sum(1 for i in incidents if test(i))


def evidence_for(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each control with the report's evidence for it, as sentences."""
    incidents: list[Mapping[str, Any]] = report["incidents"]
    plan = report["plan"]
    n = len(incidents)
    security = [i for i in incidents if i["category"] == "security"]
    found = {
        "5.24": [
            f"The response plan defines {plan['severities']} severities with response and "
            f"resolution targets, {plan['roles']} roles and {plan['playbooks']} playbooks "
            "(fireline plan render prints it as a document).",
            f"{report['exercises']} exercise(s) were run in the period.",
            f"{plan['services_with_policy']} of {plan['services']} services have an escalation policy.",
        ],
        "5.25": [
            f"{n} incident(s) were declared, each with a severity; "
            f"{_count(incidents, lambda i: i['severity_changes'])} had their severity changed, "
            "each change with its reason on the timeline.",
            f"{_count(security, lambda i: i['classification'] and i['classification']['decision'])} "
            f"of {len(security)} security incident(s) were classified and the suggested severity "
            "confirmed or overridden by a person with a reason.",
        ],
        "5.26": [
            "Every incident has a hash-chained timeline of what was done, by whom and when.",
            f"{sum(len(i['approvals']) for i in incidents)} response action(s) went through "
            "approval by named roles before being carried out.",
            f"{_count(incidents, lambda i: i['sla']['resolution'] == 'met')} of "
            f"{_count(incidents, lambda i: i['sla']['resolution'] in ('met', 'missed', 'breached'))} "
            "incident(s) with a resolution target met it.",
        ],
        "5.27": [
            f"{_count(incidents, lambda i: i['postmortem'] and i['postmortem']['status'] == 'published')} "
            f"of {n} incident(s) have a published post-mortem.",
            f"{sum(len(i['action_items']) for i in incidents)} corrective action(s) were recorded; "
            f"{sum(1 for i in incidents for a in i['action_items'] if a['closed_at'])} are closed.",
        ],
        "5.28": [
            f"{sum(len(i['evidence']) for i in incidents)} evidence item(s) were preserved with "
            f"their hashes and {sum(e['custody_events'] for i in incidents for e in i['evidence'])} "
            "custody event(s), every one in the audit chain.",
            f"{sum(1 for i in incidents for e in i['evidence'] if e['integrity'] == 'failed')} "
            "item(s) failed their last integrity check.",
        ],
        "6.8": [
            f"{_count(incidents, lambda i: i['from_alert'])} of {n} incident(s) were raised from "
            "monitoring alerts; the rest were declared by people.",
            f"{sum(len(i['notifications']) for i in incidents)} regulatory notification stage(s) "
            "were tracked against their deadlines: "
            f"{sum(1 for i in incidents for s in i['notifications'] if s['state'] == 'submitted')} "
            "on time, "
            f"{sum(1 for i in incidents for s in i['notifications'] if s['state'] == 'submitted_late')} "
            "late, "
            f"{sum(1 for i in incidents for s in i['notifications'] if s['state'] == 'missed')} missed.",
        ],
    }
    return [
        {"ref": c.ref, "name": c.name, "asks": c.asks, "soc2": c.soc2, "evidence": found[c.ref]}
        for c in CONTROLS
    ]
