"""The record model: unknown is the default everywhere, and the helpers read it without guessing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.record import (
    Imaging,
    LevelFindings,
    PatientRecord,
    age_on,
    meyerding_from_percent,
)

SECTIONS = (
    "patient",
    "symptoms",
    "red_flags",
    "exam",
    "conservative_care",
    "safety",
    "imaging",
    "procedure",
    "baseline",
    "coverage",
)


def leaves(model: BaseModel, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            out.update(leaves(value, f"{prefix}{name}."))
        else:
            out[f"{prefix}{name}"] = value
    return out


def test_every_fact_defaults_to_unknown() -> None:
    record = PatientRecord()
    lists = {"imaging.levels", "procedure.epidurogram"}
    values = leaves(record)
    assert values, "the record has facts"
    for path, value in values.items():
        if path in lists:
            assert value == [], path
        else:
            assert value is None, path


def test_sections_are_present_on_an_empty_record() -> None:
    record = PatientRecord()
    for name in SECTIONS:
        assert isinstance(getattr(record, name), BaseModel), name
    assert record.exam.pedal_pulses.left is None
    assert record.exam.abi.right is None


def test_empty_record_is_undetermined_not_negative() -> None:
    record = PatientRecord.model_validate({})
    assert record.red_flags.saddle_anaesthesia is None
    assert record.safety.bleeding_disorder is None
    assert record.symptoms.relieved_by_standing_still is None


def test_antithrombotics_empty_list_means_none_absent_means_unknown() -> None:
    assert PatientRecord().safety.antithrombotics is None
    none_taken = PatientRecord.model_validate({"safety": {"antithrombotics": []}})
    assert none_taken.safety.antithrombotics == []
    assert none_taken != PatientRecord()


def test_prior_procedures_empty_list_means_none_absent_means_unknown() -> None:
    assert PatientRecord().prior_procedures is None
    none_done = PatientRecord.model_validate({"prior_procedures": []})
    assert none_done.prior_procedures == []
    assert none_done != PatientRecord()


def test_prior_procedure_levels_absent_means_unknown() -> None:
    record = PatientRecord.model_validate({"prior_procedures": [{"type": "laminectomy"}]})
    assert record.prior_procedures is not None
    assert record.prior_procedures[0].levels is None


def test_record_is_immutable() -> None:
    record = PatientRecord()
    with pytest.raises(ValidationError):
        record.patient.age_years = 70  # type: ignore[misc]


def test_strings_are_stripped() -> None:
    record = PatientRecord.model_validate({"summary": "  LSS at L4-5  "})
    assert record.summary == "LSS at L4-5"


# --- Meyerding -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "grade"),
    [
        (0, 0),
        (0.5, 1),
        (25, 1),
        (25.1, 2),
        (26, 2),
        (50, 2),
        (50.5, 3),
        (75, 3),
        (76, 4),
        (100, 4),
        (101, 5),
        (150, 5),
    ],
)
def test_meyerding_from_percent(percent: float, grade: int) -> None:
    # Meyerding: I 0-25 %, II 26-50 %, III 51-75 %, IV 76-100 %, V > 100 %; 0 % is no slip.
    assert meyerding_from_percent(percent) == grade


# --- lookups ---------------------------------------------------------------------------------------------


def test_side_lookup() -> None:
    findings = LevelFindings.model_validate(
        {"level": "L4-L5", "sides": [{"side": "right", "lf_thickness_mm": 4.5}]}
    )
    right = findings.side(Side.RIGHT)
    assert right is not None
    assert right.lf_thickness_mm == 4.5
    assert findings.side(Side.LEFT) is None


def test_level_lookup() -> None:
    imaging = Imaging.model_validate(
        {"levels": [{"level": "L5/S1", "canal_area_mm2": 90}, {"level": "L3-4", "canal_area_mm2": 110}]}
    )
    found = imaging.level(Level.L5_S1)
    assert found is not None and found.canal_area_mm2 == 90
    l3 = imaging.level(Level.L3_L4)
    assert l3 is not None and l3.canal_area_mm2 == 110
    assert imaging.level(Level.L4_L5) is None


# --- age -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "when", "age"),
    [
        (dt.date(1950, 6, 15), dt.date(2026, 6, 14), 75),
        (dt.date(1950, 6, 15), dt.date(2026, 6, 15), 76),
        (dt.date(1950, 6, 15), dt.date(2026, 6, 16), 76),
        (dt.date(1950, 12, 31), dt.date(2026, 1, 1), 75),
        (dt.date(1951, 1, 1), dt.date(2026, 12, 31), 75),
        (dt.date(1952, 2, 29), dt.date(2026, 2, 28), 73),
        (dt.date(1952, 2, 29), dt.date(2026, 3, 1), 74),
        (dt.date(1952, 2, 29), dt.date(2028, 2, 29), 76),
    ],
)
def test_age_on_around_birthdays(birth: dt.date, when: dt.date, age: int) -> None:
    assert age_on(birth, when) == age


def test_age_years_matching_birth_date_on_the_birthday_is_accepted() -> None:
    record = PatientRecord.model_validate(
        {"assessment_date": "2026-11-01", "patient": {"age_years": 76, "birth_date": "1950-11-01"}}
    )
    assert record.patient.age_years == 76


def test_age_years_one_day_before_the_birthday_is_accepted() -> None:
    record = PatientRecord.model_validate(
        {"assessment_date": "2026-11-01", "patient": {"age_years": 75, "birth_date": "1950-11-02"}}
    )
    assert record.patient.age_years == 75


def test_on_date_prefers_the_assessment_date() -> None:
    assert PatientRecord.model_validate({"assessment_date": "2026-11-01"}).on_date() == dt.date(2026, 11, 1)
    dated = PatientRecord.model_validate({"assessment_date": "2026-11-01"})
    assert dated.on_date(dt.date(2026, 12, 1)) == dt.date(2026, 11, 1)
    assert PatientRecord().on_date(dt.date.today()) == dt.date.today()  # the edge's today, never a clock
    with pytest.raises(ValueError, match="no assessment_date and no as-of date"):
        PatientRecord().on_date()


# --- schema ----------------------------------------------------------------------------------------------


def test_json_schema_contains_the_sections() -> None:
    schema = PatientRecord.model_json_schema()
    properties = schema["properties"]
    for name in (*SECTIONS, "assessment_date", "prior_procedures"):
        assert name in properties, name
    assert schema.get("additionalProperties") is False
    defs = schema["$defs"]
    for model in ("Patient", "Symptoms", "LevelFindings", "SideFindings", "Antithrombotic"):
        assert model in defs, model
    side = defs["SideFindings"]["properties"]
    assert "lf_thickness_mm" in side
    assert defs["Level"]["enum"] == ["L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1"]


# --- contradictions the record refuses (issue 10 item 10) ------------------------------------------------


@pytest.mark.parametrize(
    ("care", "named"),
    [
        ({"esi_count": 0, "last_esi_date": "2026-10-20"}, "last_esi_date 2026-10-20"),
        ({"esi_count": 0, "esi_response": "good"}, "esi_response good"),
        (
            {"esi_count": 0, "last_esi_date": "2026-10-20", "esi_response": "partial"},
            "last_esi_date 2026-10-20 and esi_response partial",
        ),
    ],
)
def test_no_injection_beside_an_injections_date_or_response_is_refused(
    care: dict[str, Any], named: str
) -> None:
    """A count of 0 with a last injection two weeks ago let the trial rule set's "no recent ESI" pass."""
    with pytest.raises(ValidationError) as err:
        PatientRecord.model_validate({"conservative_care": care})
    (error,) = err.value.errors()
    assert error["loc"] == ("conservative_care",)
    assert f"esi_count 0 (no epidural steroid injection) contradicts {named}" in error["msg"]


@pytest.mark.parametrize(
    "care",
    [
        {"esi_count": 0},
        {"esi_count": 0, "esi_response": "none"},  # a form's "not applicable"; the response is not read
        {"esi_count": 1, "last_esi_date": "2026-10-20", "esi_response": "none"},
        {"last_esi_date": "2026-10-20", "esi_response": "good"},  # count unknown
    ],
)
def test_injection_facts_that_agree_are_accepted(care: dict[str, Any]) -> None:
    PatientRecord.model_validate({"conservative_care": care})
