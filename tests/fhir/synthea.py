"""Per-patient FHIR Bundles built from the shared Synthea bulk export (NDJSON), for tests and the CDS demo.

The export lives outside the repository (``<repo>/../shared/data``); ``synthea_dir()`` skips the calling
test with a clear message when it is absent.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

SYNTHEA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "synthea-bulk-10-patients"
# What the CDS prefetch templates ask for (Encounter, Immunization ... are not read by the mapping).
CLINICAL_TYPES = ("Patient", "Condition", "MedicationRequest", "Procedure")


def synthea_dir() -> Path:
    if not SYNTHEA.is_dir():
        pytest.skip(f"Synthea export not found at {SYNTHEA} (the repository's ../shared/data)")
    return SYNTHEA


@cache
def _resources(kind: str) -> tuple[dict[str, Any], ...]:
    path = next(synthea_dir().glob(f"{kind}.*.ndjson"), None)
    if path is None:
        return ()
    return tuple(json.loads(line) for line in path.read_text().splitlines() if line.strip())


def patients() -> list[dict[str, Any]]:
    return list(_resources("Patient"))


def patient_bundle(patient_id: str, types: tuple[str, ...] = CLINICAL_TYPES) -> dict[str, Any]:
    """A collection Bundle of one patient's resources (fresh copies: tests may change them)."""
    entries = []
    for kind in types:
        for resource in _resources(kind):
            ref = (resource.get("subject") or resource.get("patient") or {}).get("reference")
            if resource["id"] == patient_id if kind == "Patient" else ref == f"Patient/{patient_id}":
                entries.append(
                    {"fullUrl": f"urn:uuid:{resource['id']}", "resource": json.loads(json.dumps(resource))}
                )
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


# LSS facts to inject into copies of real charts, in standard codes.
CLOPIDOGREL_ORDER: dict[str, Any] = {
    "resourceType": "MedicationRequest",
    "status": "active",
    "intent": "order",
    "medicationCodeableConcept": {
        "coding": [
            {
                "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                "code": "309362",
                "display": "Clopidogrel 75 MG Oral Tablet",
            }
        ]
    },
}


def active_condition(system: str, code: str) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "clinicalStatus": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}
            ]
        },
        "code": {"coding": [{"system": system, "code": code}]},
    }
