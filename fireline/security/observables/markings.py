"""TLP markings as STIX 2.1 marking definitions. Pure.

The TLP 2.0 objects are the ones FIRST and OASIS publish (in
oasis-open/cti-stix-common-objects), with the TLP 2.0 property extension;
their ids and contents must be exactly these for other tools to recognise
them. The TLP 1.0 ids predefined by STIX 2.1 are read too, each as its TLP
2.0 equivalent (WHITE is CLEAR).
"""

from __future__ import annotations

from typing import Any

from fireline.security.observables.normalise import TLP

TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"
TLP2_IDS = {
    "CLEAR": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "GREEN": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "AMBER": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "AMBER+STRICT": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "RED": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP1_IDS = {
    "CLEAR": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",  # TLP:WHITE
    "GREEN": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    "AMBER": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    "RED": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}
KNOWN_IDS = {
    **{marking_id: level for level, marking_id in TLP1_IDS.items()},
    **{marking_id: level for level, marking_id in TLP2_IDS.items()},
}
_TLP1_NAMES = {"white": "CLEAR", "green": "GREEN", "amber": "AMBER", "red": "RED"}


def marking_id(level: str) -> str:
    return TLP2_IDS[level]


def marking_definition(level: str) -> dict[str, Any]:
    """The published TLP 2.0 marking definition object for ``level``."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2_IDS[level],
        "created": TLP2_CREATED,
        "name": f"TLP:{level}",
        "extensions": {
            TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": level.lower()}
        },
    }


def level_defined_by(definition: dict[str, Any]) -> str | None:
    """The TLP level a marking-definition object in a bundle states, if any:
    either TLP 2.0's extension or TLP 1.0's ``definition_type: tlp``."""
    extensions = definition.get("extensions")
    extension = extensions.get(TLP2_EXTENSION) if isinstance(extensions, dict) else None
    if isinstance(extension, dict) and isinstance(extension.get("tlp_2_0"), str):
        level = extension["tlp_2_0"].upper()
        return level if level in TLP else None
    inner = definition.get("definition")
    if definition.get("definition_type") == "tlp" and isinstance(inner, dict):
        return _TLP1_NAMES.get(str(inner.get("tlp", "")).lower())
    return None


def strictest(levels: list[str]) -> str | None:
    """The most restrictive of the levels, so nothing is shared more widely than one says."""
    return max(levels, key=TLP.index) if levels else None
