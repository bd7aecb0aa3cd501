"""Bad input becomes errors a clinician can act on: each names the field path and says what is allowed."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from lss_pathway.domain.parsing import FieldError, InputError, format_for, parse_data, parse_record
from lss_pathway.domain.record import PatientRecord


def errors_of(text: str, fmt: str) -> list[FieldError]:
    with pytest.raises(InputError) as info:
        parse_record(text, fmt, today=dt.date.today())  # type: ignore[arg-type]  # as an edge does
    assert info.value.errors, "an InputError must list at least one problem"
    return info.value.errors


def errors_for(data: dict[str, Any]) -> list[FieldError]:
    return errors_of(json.dumps(data), "json")


def only(errors: list[FieldError]) -> FieldError:
    assert len(errors) == 1, errors
    return errors[0]


def level(**findings: Any) -> dict[str, Any]:
    return {"level": "L4-L5", **findings}


# --- malformed text -----------------------------------------------------------------------------------


def test_malformed_json_gives_line_and_column() -> None:
    text = '{\n  "patient": {\n    "age_years": 70,\n  }\n}'
    err = only(errors_of(text, "json"))
    assert "malformed JSON" in err.message
    assert "line 4" in err.message
    assert "column" in err.message


def test_malformed_yaml_gives_line() -> None:
    text = "patient:\n  age_years: 70\n sex: [female\n"
    err = only(errors_of(text, "yaml"))
    assert "malformed YAML" in err.message
    assert "line 3" in err.message


@pytest.mark.parametrize(("text", "fmt"), [("[1, 2]", "json"), ("- a\n- b\n", "yaml"), ('"text"', "json")])
def test_top_level_must_be_a_mapping(text: str, fmt: str) -> None:
    err = only(errors_of(text, fmt))
    assert "mapping" in err.message


# --- wrong types ----------------------------------------------------------------------------------------


def test_string_for_a_number_names_the_field() -> None:
    err = only(errors_for({"patient": {"age_years": "seventy"}}))
    assert err.field == "patient.age_years"
    assert "integer" in err.message


def test_string_for_a_float_names_the_nested_field() -> None:
    err = only(errors_for({"imaging": {"levels": [level(canal_area_mm2="small")]}}))
    assert err.field == "imaging.levels[0].canal_area_mm2"
    assert "number" in err.message


def test_uninterpretable_boolean_is_refused() -> None:
    err = only(errors_for({"symptoms": {"leg_symptoms": "maybe"}}))
    assert err.field == "symptoms.leg_symptoms"
    assert "boolean" in err.message


def test_number_for_a_boolean_is_refused() -> None:
    err = only(errors_for({"red_flags": {"saddle_anaesthesia": 2}}))
    assert err.field == "red_flags.saddle_anaesthesia"
    assert "boolean" in err.message


def test_unknown_code_lists_the_allowed_values() -> None:
    err = only(errors_for({"exam": {"neurologic_deficit": "extreme"}}))
    assert err.field == "exam.neurologic_deficit"
    for allowed in ("none", "mild", "moderate", "severe"):
        assert allowed in err.message
    assert "extreme" in err.message


# --- out of range ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "bound", "got"),
    [
        ({"imaging": {"levels": [level(canal_area_mm2=-5)]}}, "imaging.levels[0].canal_area_mm2", "0", "-5"),
        (
            {"imaging": {"levels": [level(sides=[{"side": "left", "lf_thickness_mm": 16}])]}},
            "imaging.levels[0].sides[0].lf_thickness_mm",
            "15",
            "16",
        ),
        ({"exam": {"abi": {"left": 3.5}}}, "exam.abi.left", "3", "3.5"),
        ({"exam": {"tbi": {"right": -0.1}}}, "exam.tbi.right", "0", "-0.1"),
        ({"imaging": {"levels": [level(meyerding_grade=6)]}}, "imaging.levels[0].meyerding_grade", "5", "6"),
        ({"patient": {"age_years": 12}}, "patient.age_years", "18", "12"),
    ],
)
def test_out_of_range_names_field_bound_and_value(
    data: dict[str, Any], field: str, bound: str, got: str
) -> None:
    err = only(errors_for(data))
    assert err.field == field
    assert bound in err.message
    assert f"got {got}" in err.message


@pytest.mark.parametrize("text", ["L5-L6", "L6-S1"])
def test_unsupported_level_l6_is_refused_at_its_field(text: str) -> None:
    err = only(errors_for({"imaging": {"levels": [{"level": text}]}}))
    assert err.field == "imaging.levels[0].level"
    assert "transitional" in err.message
    assert "L4-L5" in err.message  # supported levels are listed


def test_unsupported_level_in_prior_procedure_is_refused() -> None:
    err = only(errors_for({"prior_procedures": [{"type": "laminectomy", "levels": ["L4-L5", "T12-L1"]}]}))
    assert err.field == "prior_procedures[0].levels[1]"
    assert "T12-L1" in err.message


# --- dates ----------------------------------------------------------------------------------------------


def test_imaging_after_assessment_date_names_imaging_date() -> None:
    err = only(errors_for({"assessment_date": "2026-11-01", "imaging": {"date": "2026-11-02"}}))
    assert err.field == "imaging.date"
    assert "2026-11-02" in err.message
    assert "2026-11-01" in err.message  # the limit it must not pass


def test_prior_procedure_after_assessment_date_names_its_date() -> None:
    data = {"assessment_date": "2026-11-01", "prior_procedures": [{"type": "mild", "date": "2027-01-01"}]}
    err = only(errors_for(data))
    assert err.field == "prior_procedures[0].date"
    assert "2026-11-01" in err.message


def test_assessment_date_in_the_future_is_refused() -> None:
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    err = only(errors_for({"assessment_date": tomorrow.isoformat()}))
    assert err.field == "assessment_date"
    assert "future" in err.message


def test_dates_on_the_assessment_date_are_accepted() -> None:
    record = parse_record(
        json.dumps({"assessment_date": "2026-11-01", "imaging": {"date": "2026-11-01"}}), "json"
    )
    assert record.imaging.date == dt.date(2026, 11, 1)


# --- contradictions -------------------------------------------------------------------------------------


def test_side_listed_twice_at_a_level() -> None:
    data = {"imaging": {"levels": [level(sides=[{"side": "left"}, {"side": "right"}, {"side": "left"}])]}}
    err = only(errors_for(data))
    assert err.field == "imaging.levels[0].sides"
    assert "left" in err.message
    assert "more than once" in err.message


def test_level_listed_twice_even_when_spelt_differently() -> None:
    data = {"imaging": {"levels": [{"level": "L4-L5"}, {"level": "L5-S1"}, {"level": "l4/5"}]}}
    err = only(errors_for(data))
    assert err.field == "imaging.levels"
    assert "L4-L5" in err.message
    assert "more than once" in err.message


def test_antithrombotic_listed_twice() -> None:
    data = {"safety": {"antithrombotics": [{"agent": "apixaban"}, {"agent": "Apixaban"}]}}
    err = only(errors_for(data))
    assert err.field == "safety.antithrombotics"
    assert "apixaban" in err.message


def test_meyerding_grade_contradicting_slip_percent() -> None:
    # Meyerding: grade I is 0-25 %, so a 40 % slip is grade II.
    err = only(errors_for({"imaging": {"levels": [level(meyerding_grade=1, slip_percent=40)]}}))
    assert err.field.startswith("imaging.levels[0]")
    assert "meyerding_grade" in err.field + err.message
    assert "slip_percent" in err.field + err.message
    assert "grade 2" in err.message


def test_consistent_meyerding_grade_and_slip_percent_are_accepted() -> None:
    record = parse_record(
        json.dumps({"imaging": {"levels": [level(meyerding_grade=2, slip_percent=40)]}}), "json"
    )
    assert record.imaging.levels[0].meyerding_grade == 2


def test_age_contradicting_birth_date() -> None:
    # Born 1950-01-01: 76 on 2026-11-01, not 70.
    data = {"assessment_date": "2026-11-01", "patient": {"age_years": 70, "birth_date": "1950-01-01"}}
    err = only(errors_for(data))
    assert err.field in {"patient.age_years", "patient.birth_date", "patient"}
    assert "age_years" in err.message and "birth_date" in err.message
    assert "76" in err.message


# --- duplicate keys -------------------------------------------------------------------------------------


def test_duplicate_key_in_json_is_refused() -> None:
    err = only(errors_of('{"patient": {"age_years": 70, "age_years": 71}}', "json"))
    assert "age_years" in err.field
    assert "twice" in err.message


def test_duplicate_key_in_yaml_is_refused_with_line() -> None:
    err = only(errors_of("patient:\n  age_years: 70\n  age_years: 71\n", "yaml"))
    assert "age_years" in err.field
    assert "twice" in err.message
    assert "line 3" in err.message


def test_duplicate_section_in_yaml_is_refused() -> None:
    text = (
        "symptoms:\n  leg_symptoms: true\nexam:\n  neurologic_deficit: none\nsymptoms:\n  bilateral: true\n"
    )
    err = only(errors_of(text, "yaml"))
    assert err.field == "symptoms"
    assert "line 5" in err.message


# --- unknown names --------------------------------------------------------------------------------------


def test_unknown_field_gets_a_did_you_mean_hint() -> None:
    err = only(errors_for({"symptoms": {"leg_symtoms": True}}))
    assert err.field == "symptoms.leg_symtoms"
    assert "Did you mean 'leg_symptoms'?" in err.message
    assert "relieved_by_sitting" in err.message  # allowed names are listed


def test_unknown_field_deep_in_a_list_gets_a_hint() -> None:
    data = {"imaging": {"levels": [level(sides=[{"side": "left", "lf_thicknes": 5}])]}}
    err = only(errors_for(data))
    assert err.field == "imaging.levels[0].sides[0].lf_thicknes"
    assert "Did you mean 'lf_thickness_mm'?" in err.message
    assert "laminar_shelf" in err.message


def test_unknown_section_gets_a_hint() -> None:
    err = only(errors_of("symptom:\n  leg_symptoms: true\n", "yaml"))
    assert err.field == "symptom"
    assert "Did you mean 'symptoms'?" in err.message


def test_unrelated_unknown_field_lists_allowed_names_without_a_guess() -> None:
    err = only(errors_for({"exam": {"zzzz": 1}}))
    assert err.field == "exam.zzzz"
    assert "Did you mean" not in err.message
    assert "neurologic_deficit" in err.message


def test_unknown_antithrombotic_agent_gets_a_hint() -> None:
    err = only(errors_for({"safety": {"antithrombotics": [{"agent": "clopidogrell"}]}}))
    assert err.field == "safety.antithrombotics[0].agent"
    assert "Did you mean 'clopidogrel'?" in err.message
    assert "apixaban" in err.message  # the known agents are listed


def test_agent_spelling_is_normalised() -> None:
    record = parse_record('{"safety": {"antithrombotics": [{"agent": "Aspirin Primary"}]}}', "json")
    assert record.safety.antithrombotics is not None
    assert record.safety.antithrombotics[0].agent == "aspirin_primary"


# --- several errors at once -----------------------------------------------------------------------------


def test_all_errors_are_reported_together() -> None:
    data = {
        "patient": {"age_years": "old"},
        "symptoms": {"leg_symtoms": True},
        "exam": {"abi": {"right": 9}},
        "imaging": {"levels": [{"level": "L5-L6"}]},
    }
    errors = errors_for(data)
    fields = {e.field for e in errors}
    assert fields == {
        "patient.age_years",
        "symptoms.leg_symtoms",
        "exam.abi.right",
        "imaging.levels[0].level",
    }


def test_input_error_message_joins_all_problems() -> None:
    with pytest.raises(InputError) as info:
        parse_record('{"patient": {"age_years": 5}, "exam": {"abi": {"left": 4}}}', "json")
    text = str(info.value)
    assert "patient.age_years" in text and "exam.abi.left" in text


# --- file formats ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"), [("a.json", "json"), ("A.JSON", "json"), ("b.yaml", "yaml"), ("c.yml", "yaml")]
)
def test_format_for_known_suffixes(name: str, fmt: str) -> None:
    assert format_for(name) == fmt


@pytest.mark.parametrize("name", ["notes.txt", "record", "record.json.txt"])
def test_format_for_rejects_other_suffixes(name: str) -> None:
    with pytest.raises(InputError) as info:
        format_for(name)
    message = str(info.value)
    assert name in message
    assert ".json" in message and ".yaml" in message


# --- positive cases -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "fmt"), [("{}", "json"), ("{}", "yaml")])
def test_empty_mapping_is_a_valid_all_unknown_record(text: str, fmt: str) -> None:
    record = parse_record(text, fmt)  # type: ignore[arg-type]
    assert record == PatientRecord()
    assert record.symptoms.leg_symptoms is None
    assert record.imaging.levels == []


RECORD_JSON = """
{
  "assessment_date": "2026-11-01",
  "patient": {"age_years": 72, "sex": "female"},
  "symptoms": {"leg_symptoms": true, "provoked_by_walking": true, "relieved_by_sitting": true},
  "exam": {"neurologic_deficit": "mild", "pedal_pulses": {"left": "palpable"}, "abi": {"left": 1.05}},
  "safety": {"antithrombotics": [{"agent": "clopidogrel", "can_be_held": true}]},
  "prior_procedures": [],
  "imaging": {
    "modality": "MRI",
    "date": "2026-09-15",
    "levels": [
      {"level": "L4-5", "canal_area_mm2": 68.5, "dominant_cause": "lf_hypertrophy",
       "sides": [{"side": "left", "lf_thickness_mm": 5.2, "laminar_shelf": true}]}
    ]
  }
}
"""

RECORD_YAML = """
assessment_date: 2026-11-01
patient:
  age_years: 72
  sex: female
symptoms:
  leg_symptoms: true
  provoked_by_walking: true
  relieved_by_sitting: true
exam:
  neurologic_deficit: mild
  pedal_pulses: {left: palpable}
  abi: {left: 1.05}
safety:
  antithrombotics:
    - agent: clopidogrel
      can_be_held: true
prior_procedures: []
imaging:
  modality: MRI
  date: 2026-09-15
  levels:
    - level: L4/L5
      canal_area_mm2: 68.5
      dominant_cause: lf_hypertrophy
      sides:
        - side: left
          lf_thickness_mm: 5.2
          laminar_shelf: true
"""


def test_json_and_yaml_of_the_same_record_are_equal() -> None:
    from_json = parse_record(RECORD_JSON, "json")
    from_yaml = parse_record(RECORD_YAML, "yaml")
    assert from_json == from_yaml
    assert from_json.imaging.levels[0].level.value == "L4-L5"
    assert from_json.imaging.date == dt.date(2026, 9, 15)


def test_explicit_null_fact_equals_absent() -> None:
    explicit = {
        "assessment_date": None,
        "patient": {"age_years": None, "sex": None},
        "symptoms": {"leg_symptoms": None},
        "exam": {"neurologic_deficit": None, "abi": {"left": None}},
        "safety": {"antithrombotics": None},
        "prior_procedures": None,
    }
    assert parse_record(json.dumps(explicit), "json") == parse_record("{}", "json")


def test_explicit_null_in_yaml_equals_absent() -> None:
    text = "patient:\n  age_years: ~\n  sex: null\nsymptoms:\n  leg_symptoms:\n"
    assert parse_record(text, "yaml") == parse_record("{}", "yaml")


def test_empty_section_header_in_yaml_equals_absent() -> None:
    # A template with an unfilled section parses the section as null; that is "nothing known", not an error.
    text = "patient:\nsymptoms:\n  leg_symptoms: true\nexam:\n"
    record = parse_record(text, "yaml")
    assert record == parse_record("symptoms:\n  leg_symptoms: true\n", "yaml")


def test_parse_data_keeps_plain_values() -> None:
    assert parse_data('{"a": [1, 2]}', "json") == {"a": [1, 2]}
    assert parse_data("a: [1, 2]\n", "yaml") == {"a": [1, 2]}
