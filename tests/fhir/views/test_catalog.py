"""The project's packaged views: all compile to SQL, agree across executions, and flatten real Synthea data.

Row counts on the Synthea Bulk export are checked against a plain Python count of the NDJSON (one row
per coding of the view's code, one when there is none), not against either execution.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lss_pathway.fhir.views.catalog import catalog, load_view, load_view_json, view_names
from lss_pathway.fhir.views.conformance import canonical_row
from lss_pathway.fhir.views.model import ViewDefinitionError
from lss_pathway.fhir.views.ndjson import ndjson_files
from lss_pathway.fhir.views.runner import run_view, sql_or_reason

from .conftest import SYNTHEA_DIR, require

EXPECTED_RESOURCES = {
    "Patient", "Condition", "Observation", "MedicationRequest", "MedicationStatement",
    "Procedure", "ImagingStudy", "DiagnosticReport", "ServiceRequest",
}  # fmt: skip


def test_every_lss_resource_type_has_a_view() -> None:
    assert {info.resource for info in catalog()} == EXPECTED_RESOURCES


@pytest.mark.parametrize("name", view_names())
def test_packaged_view_compiles_to_sql(name: str) -> None:
    sql, reason = sql_or_reason(load_view(name))
    assert sql is not None, reason


@pytest.mark.parametrize("name", view_names())
def test_packaged_view_keeps_code_system_and_code_for_the_join(name: str) -> None:
    columns = load_view(name).column_names
    assert "resource_key" in columns
    systems = [c for c in columns if c.endswith("_system")]
    unpaired = [
        c for c in systems if c.removesuffix("_system") + "_code" not in columns and c != "code_system"
    ]
    assert not unpaired, f"a <x>_system column needs its <x>_code column: {unpaired}"
    assert systems or name == "lss_patient", f"{name} has no (system, code) column pair"
    assert "code_system" not in columns or "code" in columns


def test_unknown_view_names_what_exists() -> None:
    with pytest.raises(ViewDefinitionError, match="lss_condition"):
        load_view_json("no_such_view")


SAMPLES: dict[str, dict[str, Any]] = {
    "Observation": {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": "urn:lss-pathway:fhir:CodeSystem:findings", "code": "canal-area"}]},
        "bodySite": {"coding": [{"system": "urn:lss-pathway:fhir:CodeSystem:spinal-level", "code": "L4-L5"}]},
        "valueQuantity": {"value": 72.5, "unit": "mm2", "system": "http://unitsofmeasure.org", "code": "mm2"},
        "effectiveDateTime": "2024-03-01",
    },
    "MedicationStatement": {
        "resourceType": "MedicationStatement",
        "id": "m1",
        "status": "active",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "1364430"}]
        },
        "effectivePeriod": {"start": "2024-01-01"},
    },
    "ImagingStudy": {
        "resourceType": "ImagingStudy",
        "id": "i1",
        "status": "available",
        "subject": {"reference": "Patient/p1"},
        "started": "2024-02-01",
        "series": [
            {
                "uid": "1.2.3",
                "modality": {"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "MR"},
                "bodySite": {
                    "system": "http://snomed.info/sct",
                    "code": "122496007",
                    "display": "Lumbar spine",
                },
            },
            {
                "uid": "1.2.4",
                "modality": {"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "MR"},
            },
        ],
    },
    "DiagnosticReport": {
        "resourceType": "DiagnosticReport",
        "id": "d1",
        "status": "final",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "24558-9"}]},
        "conclusion": "stenosis at L4-5",
    },
    "ServiceRequest": {
        "resourceType": "ServiceRequest",
        "id": "s1",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "0275T"}]},
        "bodySite": [
            {"coding": [{"system": "http://snomed.info/sct", "code": "7771000", "display": "Left"}]}
        ],
    },
}
SAMPLE_ROWS = {
    "lss_observation": 1,
    "lss_observation_body_site": 1,
    "lss_medication_statement": 1,
    "lss_imaging_study": 2,
    "lss_diagnostic_report": 1,
    "lss_service_request": 1,
    "lss_service_request_body_site": 1,
}


@pytest.mark.parametrize("name", sorted(SAMPLE_ROWS))
def test_views_without_synthea_files_agree_on_a_sample(name: str, tmp_path: Path) -> None:
    view = load_view(name)
    path = tmp_path / f"{view.resource}.ndjson"
    path.write_text(json.dumps(SAMPLES[view.resource]) + "\n")
    python, duck = (run_view(view, [path], engine) for engine in ("python", "duckdb"))
    assert duck.engine == "duckdb" and python.rows is not None and duck.rows is not None
    assert len(python.rows) == SAMPLE_ROWS[name]
    assert sorted(map(canonical_row, python.rows)) == sorted(map(canonical_row, duck.rows))


def test_observation_quantity_and_unit_are_columns(tmp_path: Path) -> None:
    path = tmp_path / "Observation.ndjson"
    path.write_text(json.dumps(SAMPLES["Observation"]) + "\n")
    (row,) = run_view(load_view("lss_observation"), [path], "duckdb").rows or []
    assert (row["value_quantity"], row["value_unit_code"], row["code"]) == (72.5, "mm2", "canal-area")
    assert row["patient_key"] == "Patient/p1" and row["resource_key"] == "Observation/o1"


# --- real data: the Synthea Bulk export -----------------------------------------------------------------


def _codings(path: str) -> Callable[[dict[str, Any]], int]:
    def count(resource: dict[str, Any]) -> int:
        value: Any = resource
        for key in path.split("."):
            value = value.get(key, {}) if isinstance(value, dict) else {}
        return max(1, len(value) if isinstance(value, list) else 0)

    return count


PLAIN_COUNTS: dict[str, Callable[[dict[str, Any]], int]] = {
    "lss_patient": lambda r: 1,
    "lss_condition": _codings("code.coding"),
    "lss_medication_request": _codings("medicationCodeableConcept.coding"),
    "lss_procedure": _codings("code.coding"),
    "lss_condition_body_site": lambda r: len(r.get("bodySite", [])),
    "lss_procedure_body_site": lambda r: len(r.get("bodySite", [])),
}


def plain_count(folder: Path, resource_type: str, rows_of: Callable[[dict[str, Any]], int]) -> int:
    total = 0
    for path in folder.glob(f"{resource_type}.*ndjson"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                total += rows_of(json.loads(line))
    return total


@pytest.mark.parametrize("engine", ["python", "duckdb"])
@pytest.mark.parametrize("name", sorted(PLAIN_COUNTS))
def test_synthea_flattens_with_the_plain_row_count(name: str, engine: str) -> None:
    folder = require(SYNTHEA_DIR)
    view = load_view(name)
    run = run_view(view, ndjson_files(folder, view.resource), engine)  # type: ignore[arg-type]
    assert run.engine == engine and not run.errors
    assert run.row_count == plain_count(folder, view.resource, PLAIN_COUNTS[name])
    assert run.rows is not None
    assert all(row["resource_key"].startswith(view.resource + "/") for row in run.rows)
    if "patient_key" in view.column_names:
        assert all(row["patient_key"].startswith("Patient/") for row in run.rows)


def test_synthea_condition_codes_are_snomed() -> None:
    folder = require(SYNTHEA_DIR)
    run = run_view(load_view("lss_condition"), ndjson_files(folder, "Condition"), "duckdb")
    systems = {row["code_system"] for row in run.rows or []}
    assert systems == {"http://snomed.info/sct"}
    assert any(
        row["code"] == "278860009" for row in run.rows or []
    )  # chronic low back pain, per the data README
