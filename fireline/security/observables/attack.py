"""MITRE ATT&CK techniques: their names where fireline knows them, and their page.

The ids are checked by ``normalise.technique``; any well-formed id is
accepted. The names below are the techniques responders tag most often, so
that pages and exported ``attack-pattern`` objects read as more than a number.
"""

from __future__ import annotations

NAMES = {
    "T1003": "OS Credential Dumping",
    "T1003.001": "LSASS Memory",
    "T1021.001": "Remote Desktop Protocol",
    "T1041": "Exfiltration Over C2 Channel",
    "T1047": "Windows Management Instrumentation",
    "T1048": "Exfiltration Over Alternative Protocol",
    "T1059": "Command and Scripting Interpreter",
    "T1059.001": "PowerShell",
    "T1071.001": "Web Protocols",
    "T1078": "Valid Accounts",
    "T1078.004": "Cloud Accounts",
    "T1105": "Ingress Tool Transfer",
    "T1110": "Brute Force",
    "T1133": "External Remote Services",
    "T1190": "Exploit Public-Facing Application",
    "T1204.002": "Malicious File",
    "T1486": "Data Encrypted for Impact",
    "T1489": "Service Stop",
    "T1490": "Inhibit System Recovery",
    "T1530": "Data from Cloud Storage",
    "T1547.001": "Registry Run Keys / Startup Folder",
    "T1552": "Unsecured Credentials",
    "T1552.001": "Credentials In Files",
    "T1562.001": "Disable or Modify Tools",
    "T1566": "Phishing",
    "T1566.001": "Spearphishing Attachment",
    "T1566.002": "Spearphishing Link",
    "T1567": "Exfiltration Over Web Service",
    "T1570": "Lateral Tool Transfer",
}


def name_of(technique: str) -> str:
    """``T1486 Data Encrypted for Impact``, or the bare id when its name is not known here."""
    name = NAMES.get(technique)
    return f"{technique} {name}" if name else technique


def url_of(technique: str) -> str:
    return "https://attack.mitre.org/techniques/" + technique.replace(".", "/") + "/"
