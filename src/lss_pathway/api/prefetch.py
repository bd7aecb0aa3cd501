"""Fill the CDS Hooks prefetch templates from a FHIR Bundle, as an EHR would.

For demonstrations, integration tests and benchmarks: the EHR's searches return resources that refer to
each other as ``Type/id``, so the collection Bundle's ``urn:uuid`` references are rewritten that way.
"""

from __future__ import annotations

from typing import Any

from lss_pathway.api.cds_hooks import PREFETCH

_KEY_OF_TYPE = {
    "Condition": "conditions",
    "Observation": "observations",
    "MedicationRequest": "medications",
    "MedicationStatement": "statements",
    "Procedure": "procedures",
    "DiagnosticReport": "reports",
    "ImagingStudy": "imaging",
    "DocumentReference": "documents",
}
assert set(_KEY_OF_TYPE.values()) | {"patient"} == set(PREFETCH), (
    "prefetch keys out of step with the templates"
)


def prefetch_from_bundle(bundle: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The patient id and a prefetch object (one searchset Bundle per template)."""
    entries = bundle["entry"]
    relative = {e["fullUrl"]: f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in entries}
    by_type: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        resource = _relative_refs(entry["resource"], relative)
        by_type.setdefault(resource["resourceType"], []).append(resource)
    patient = by_type.pop("Patient")[0]
    prefetch: dict[str, Any] = {"patient": patient}
    for kind, key in _KEY_OF_TYPE.items():
        found = by_type.pop(kind, [])
        prefetch[key] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(found),
            "entry": [{"resource": r} for r in found],
        }
    if by_type:
        raise ValueError(f"resource types outside the prefetch templates: {sorted(by_type)}")
    return str(patient.get("id", "patient")), prefetch


def _relative_refs(value: Any, relative: dict[str, str]) -> Any:
    if isinstance(value, dict):
        out = {k: _relative_refs(v, relative) for k, v in value.items()}
        if isinstance(out.get("reference"), str) and out["reference"] in relative:
            out["reference"] = relative[out["reference"]]
        return out
    if isinstance(value, list):
        return [_relative_refs(v, relative) for v in value]
    return value
