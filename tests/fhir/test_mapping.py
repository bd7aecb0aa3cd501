"""Round trips record -> FHIR R4 Bundle -> record; the mapping tables checked against the record and docs."""

from __future__ import annotations

import datetime as dt
import json
import typing
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from pydantic import BaseModel

from lss_pathway.assess import assess
from lss_pathway.domain.parsing import parse_record, record_from_data
from lss_pathway.domain.record import PatientRecord
from lss_pathway.fhir import codes
from lss_pathway.fhir.mapping import bundle_from_record, record_from_bundle, record_from_resources

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
DOCS = ROOT / "docs" / "fhir-mapping.md"


def round_trip(record: PatientRecord) -> tuple[dict[str, Any], PatientRecord]:
    bundle = bundle_from_record(record)
    Bundle.model_validate(bundle)  # R4B-valid
    as_json = json.loads(json.dumps(bundle))  # plain JSON, nothing Python-only inside
    result = record_from_bundle(as_json)
    assert result.ignored == ()
    return bundle, result.record


def verdicts(record: PatientRecord) -> list[tuple[str, str, str]]:
    return [(c.level.value, c.side.value, c.verdict.value) for c in assess(record).candidacy.cells]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_round_trips(path: Path) -> None:
    record = parse_record(path.read_text(), "yaml")
    _, back = round_trip(record)
    assert back == record
    assert verdicts(back) == verdicts(record)
    assert assess(back).to_dict() == assess(record).to_dict()


def test_examples_found() -> None:
    assert len(EXAMPLES) >= 13


FULL = {
    "id": "full-record",
    "summary": "Every fact the record can hold.",
    "assessment_date": "2026-11-01",
    "patient": {"age_years": 70, "birth_date": "1956-03-02", "sex": "other"},
    "symptoms": {
        "leg_symptoms": True,
        "bilateral": False,
        "leg_pain_exceeds_back_pain": True,
        "provoked_by_walking": True,
        "provoked_by_standing": False,
        "relieved_by_sitting": True,
        "relieved_by_flexion": True,
        "tolerates_cycling": True,
        "relieved_by_standing_still": False,
        "calf_predominant": False,
        "above_knee": True,
        "low_back_pain": True,
        "walking_motor_sensory_disturbance": False,
        "leg_weakness": False,
        "duration_months": 7.5,
        "walking_tolerance_m": 250,
    },
    "red_flags": {
        "saddle_anaesthesia": False,
        "new_bladder_bowel_dysfunction": True,
        "progressive_motor_deficit": False,
        "bilateral_leg_deficit": False,
        "sexual_dysfunction": False,
        "sacral_onset_days": 400,
        "saddle_anaesthesia_onset_days": 30,
        "bladder_bowel_onset_days": 400,
        "bilateral_leg_deficit_onset_days": 200,
        "sexual_dysfunction_onset_days": 100,
        "specialist_review_cleared": True,
        "sacral_symptoms_walking_only": True,
        "post_void_residual_ml": 80,
    },
    "exam": {
        "neurologic_deficit": "mild",
        "pedal_pulses": {"left": "diminished", "right": "absent"},
        "abi": {"left": 0.95, "right": 1.1},
        "tbi": {"left": 0.7, "right": 0.85},
        "wide_based_gait": False,
        "abnormal_romberg": True,
        "exercise_abi_normal": True,
        "vascular_cause_excluded": False,
    },
    "conservative_care": {
        "months": 6,
        "physical_therapy": True,
        "home_exercise": False,
        "analgesics": True,
        "esi_count": 3,
        "last_esi_date": "2026-06-01",
        "esi_response": "good",
    },
    "safety": {
        "bleeding_disorder": True,
        "antithrombotics": [
            {"agent": "warfarin", "can_be_held": True, "days_held": 2},
            {"agent": "enoxaparin_prophylactic"},
            {"agent": "aspirin_primary", "can_be_held": False},
            {"agent": "other_antithrombotic", "name": "vorapaxar", "can_be_held": True},
            {"agent": "other_antithrombotic", "name": "anagrelide"},
        ],
        "systemic_infection": False,
        "local_infection": True,
    },
    "prior_procedures": [
        {"type": "fusion", "levels": ["L4-L5", "L5-S1"], "date": "2019-05-14"},
        {"type": "discectomy"},
    ],
    "imaging": {
        "modality": "CT_myelogram",
        "date": "2026-08-14",
        "levels": [
            {"level": "L2-L3"},
            {"level": "L5-S1", "sides": [{"side": "right"}]},
            {
                "level": "L3-L4",
                "canal_area_mm2": 70.5,
                "ap_diameter_mm": 9,
                "central_stenosis": "severe",
                "schizas": "C",
                "dominant_cause": "mixed",
                "meyerding_grade": 1,
                "slip_mm": 4,
                "slip_percent": 12,
                "instability": True,
                "translation_mm": 4.5,
                "angulation_deg": 11,
                "sides": [
                    {
                        "side": "right",
                        "lf_thickness_mm": 5.5,
                        "lf_hypertrophy": True,
                        "foraminal_stenosis": "moderate",
                        "lateral_recess_stenosis": "severe",
                        "laminar_shelf": False,
                    },
                    {"side": "left", "lf_thickness_mm": 4.2},
                ],
            },
        ],
    },
    "procedure": {
        "epidurogram": [
            {"level": "L3-L4", "side": "left", "appreciated": True},
            {"level": "L3-L4", "side": "right", "appreciated": False},
            {"level": "L2-L3", "side": "right"},
        ]
    },
    "baseline": {"odi_percent": 42, "nprs": 6.5},
    "coverage": {"medicare_beneficiary": True, "ced_study_enrolled": False},
}


def leaf_paths(model: type[BaseModel], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        inner = next(
            (
                a
                for a in (annotation, *typing.get_args(annotation))
                if isinstance(a, type) and issubclass(a, BaseModel)
            ),
            None,
        )
        if inner is None:
            for arg in typing.get_args(annotation):
                for sub in typing.get_args(arg):
                    if isinstance(sub, type) and issubclass(sub, BaseModel):
                        inner = sub
        if inner is not None:
            out |= leaf_paths(inner, f"{prefix}{name}.")
        else:
            out.add(prefix + name)
    return out


def set_paths(data: Any, prefix: str = "") -> set[str]:
    if isinstance(data, dict):
        return set().union(*(set_paths(v, f"{prefix}{k}.") for k, v in data.items())) if data else set()
    if isinstance(data, list):
        return set().union(*(set_paths(v, prefix) for v in data)) if data else set()
    return {prefix.rstrip(".")}


def test_the_full_record_uses_every_field() -> None:
    assert set_paths(FULL) == leaf_paths(PatientRecord)


def test_full_record_round_trips() -> None:
    record = record_from_data(FULL)
    bundle, back = round_trip(record)
    assert back == record
    assert verdicts(back) == verdicts(record)
    types = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert types == {
        "Patient",
        "Observation",
        "Condition",
        "MedicationStatement",
        "Procedure",
        "ImagingStudy",
    }


def test_round_trip_through_loose_resources() -> None:
    """The resources alone (no Bundle) give the same facts; the record id lives on the Bundle."""
    record = record_from_data({k: v for k, v in FULL.items() if k != "id"})
    bundle = bundle_from_record(record)
    result = record_from_resources(
        [e["resource"] for e in bundle["entry"]], assessment_date=dt.date(2026, 11, 1)
    )
    # References are urn:uuid fullUrls, which loose resources cannot resolve: the per-agent facts are lost.
    lost = {i.path for i in result.ignored}
    assert all(".focus" in p for p in lost) and lost
    expected = record.model_dump()
    for item in expected["safety"]["antithrombotics"]:
        item.update(can_be_held=None, days_held=None)
    assert result.record.model_dump() == expected


def test_empty_record_gives_a_patient_only() -> None:
    bundle, back = round_trip(PatientRecord())
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Patient"]
    assert back == PatientRecord()


def test_known_empty_lists_survive() -> None:
    record = record_from_data({"safety": {"antithrombotics": []}, "prior_procedures": []})
    _, back = round_trip(record)
    assert back.safety.antithrombotics == []
    assert back.prior_procedures == []


def test_bundle_is_deterministic() -> None:
    record = record_from_data(FULL)
    assert bundle_from_record(record) == bundle_from_record(record)
    urls = [e["fullUrl"] for e in bundle_from_record(record)["entry"]]
    assert len(set(urls)) == len(urls)


# --- Tables ------------------------------------------------------------------------------------------


def test_every_record_fact_has_a_finding_or_element() -> None:
    """Facts read from elements (Patient, ImagingStudy, Procedure, Medication) plus the project codes."""
    by_element = {
        "id",
        "patient.birth_date",
        "patient.sex",
        "imaging.modality",
        "imaging.date",
        "safety.antithrombotics.agent",
        "safety.antithrombotics.name",
        "prior_procedures.type",
        "prior_procedures.levels",
        "prior_procedures.date",
        "imaging.levels.level",
        "imaging.levels.sides.side",
        "procedure.epidurogram.level",
        "procedure.epidurogram.side",
    }
    scoped = {
        codes.Scope.RECORD: "{}",
        codes.Scope.SIDE: "{}",
        codes.Scope.LEVEL: "imaging.levels.{}",
        codes.Scope.LEVEL_SIDE: "imaging.levels.sides.{}",
        codes.Scope.EPIDUROGRAM: "procedure.epidurogram.{}",
        codes.Scope.AGENT: "safety.antithrombotics.{}",
    }
    by_code = set()
    for f in codes.FINDINGS_TABLE:
        if f.kind in (codes.Kind.MARKER, codes.Kind.NONE_LISTED):
            continue
        path = scoped[f.scope].format(f.field)
        if f.scope is codes.Scope.SIDE:
            by_code |= {f"{path}.left", f"{path}.right"}
        else:
            by_code.add(path)
    assert by_code | by_element == leaf_paths(PatientRecord)


def test_codes_are_unique_and_well_formed() -> None:
    names = [f.code for f in codes.FINDINGS_TABLE]
    assert len(names) == len(set(names))
    assert codes.FINDINGS == "urn:lss-pathway:fhir:CodeSystem:findings"
    assert codes.SPINAL_LEVEL == "urn:lss-pathway:fhir:CodeSystem:spinal-level"
    for f in codes.FINDINGS_TABLE:
        assert (f.kind is codes.Kind.QUANTITY) == (f.unit is not None), f.code
        assert (f.kind is codes.Kind.CODED) == (f.values is not None), f.code


def test_atc_classes_match_the_vocabulary() -> None:
    from lss_pathway.domain.drugs import antithrombotic_agents

    classes = {v["class"] for v in antithrombotic_agents().values()}
    for entry in codes.ATC_CLASSES.values():
        assert entry.classes <= classes
    for table in (codes.RXNORM_INGREDIENTS, codes.ATC_SUBSTANCES):
        for entry in table.values():
            assert set(entry.agents) <= set(antithrombotic_agents())
    assert codes.atc_class("B01AC04") == ("B01AC", codes.ATC_CLASSES["B01AC"])
    assert codes.atc_class("N02BE01") is None


def test_docs_list_every_project_code() -> None:
    text = DOCS.read_text()
    for system in (codes.FINDINGS, codes.SPINAL_LEVEL, *codes.VALUE_SYSTEMS, codes.ANTITHROMBOTIC_AGENT):
        assert system in text, system
    for f in codes.FINDINGS_TABLE:
        assert f"`{f.code}`" in text, f.code
    for vocabulary in codes.VALUE_SYSTEMS.values():
        for member in vocabulary:
            assert f"`{member.value}`" in text, member
    for known in codes.CONDITION_CODES:
        assert known.code in text, known.code
    for code in (*codes.RXNORM_INGREDIENTS, *codes.ATC_SUBSTANCES, *codes.ATC_CLASSES):
        assert code in text, code


def test_the_reader_handles_exactly_the_types_validation_lets_through() -> None:
    from lss_pathway.fhir import codes
    from lss_pathway.fhir.reader import _READERS

    assert set(_READERS) | {"Medication"} == codes.MAPPED_TYPES
