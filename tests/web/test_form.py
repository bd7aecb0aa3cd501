"""The patient form: every fact has a field, form and record convert both ways, errors land on their field."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from lss_pathway.domain.anatomy import LEVELS, SIDES, Level, Side
from lss_pathway.domain.parsing import InputError, parse_record, record_from_data
from lss_pathway.domain.record import PatientRecord
from lss_pathway.web.form import (
    FormField,
    FormGroup,
    FormTable,
    FormValues,
    all_fields,
    field_for_error,
    form_sections,
    form_to_data,
    record_to_form,
)

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))
LISTS = ("safety.antithrombotics", "prior_procedures")
HTML_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
PROPERTY = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def _record(path: Path) -> PatientRecord:
    return parse_record(path.read_text(encoding="utf-8"), "yaml")


def _example(stem: str) -> FormValues:
    return record_to_form(_record(next(p for p in EXAMPLES if p.stem == stem)))


FORMS: dict[str, FormValues] = {p.stem: record_to_form(_record(p)) for p in EXAMPLES}
FIELDS: dict[str, FormField] = {f.name: f for f in all_fields()}


def _tables() -> Iterator[FormTable]:
    for section in form_sections():
        yield from (part for part in section.parts if isinstance(part, FormTable))


# --- the form covers the model ------------------------------------------------------------------------------


def _inner_model(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model inside ``M``, ``M | None``, ``list[M]`` or ``list[M] | None``, and whether it is a list."""
    if isinstance(annotation, types.UnionType):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    listed = typing.get_origin(annotation) is list
    if listed:
        annotation = typing.get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, listed
    return None, False


def _leaf_facts(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    """Every leaf of the record, lists written as ``[]``: ``imaging.levels[].sides[].lf_thickness_mm``."""
    for name, info in model.model_fields.items():
        inner, listed = _inner_model(info.annotation)
        if inner is None:
            yield prefix + name
        else:
            yield from _leaf_facts(inner, f"{prefix}{name}{'[]' if listed else ''}.")


def _expected_names(fact: str) -> list[str]:
    """The form names a leaf fact must have under the form's naming scheme."""
    attr = fact.rsplit(".", 1)[-1]
    if fact.startswith("imaging.levels[].sides[]."):
        return [] if attr == "side" else [f"imaging.{lv}.{sd}.{attr}" for lv in LEVELS for sd in SIDES]
    if fact.startswith("imaging.levels[]."):
        return [] if attr == "level" else [f"imaging.{lv}.{attr}" for lv in LEVELS]
    if fact.startswith("procedure.epidurogram[]."):
        # The row and column of a cell are its level and side.
        return (
            []
            if attr in ("level", "side")
            else [f"procedure.epidurogram.{lv}.{sd}" for lv in LEVELS for sd in SIDES]
        )
    if "[]." in fact:
        name, attr = fact.split("[].")
        return [name, f"{name}.0.{attr}"]  # the status ("none" vs unknown) and at least one row
    return [fact]


def test_every_fact_of_the_record_has_a_form_field() -> None:
    facts = list(_leaf_facts(PatientRecord))
    assert "imaging.levels[].sides[].laminar_shelf" in facts and "exam.abi.left" in facts  # the walk works
    expected = {name for fact in facts for name in _expected_names(fact)}
    assert expected - set(FIELDS) == set()


def test_every_form_field_is_a_fact_of_the_record() -> None:
    expected = {name for fact in _leaf_facts(PatientRecord) for name in _expected_names(fact)}
    row = re.compile(r"(safety\.antithrombotics|prior_procedures)\.\d+\.")
    assert {row.sub(r"\1.0.", name) for name in FIELDS} - expected == set()


def test_lists_have_rows_for_every_example() -> None:
    rows = {t.status.name: len(t.rows) for t in _tables() if t.status is not None}
    assert set(rows) == set(LISTS)
    for path in EXAMPLES:
        record = _record(path)
        assert len(record.safety.antithrombotics or []) <= rows["safety.antithrombotics"]
        assert len(record.prior_procedures or []) <= rows["prior_procedures"]


# --- names, ids and wording ---------------------------------------------------------------------------------


def test_names_and_html_ids_are_unique_and_valid() -> None:
    fields = all_fields()
    assert len({f.name for f in fields}) == len(fields)
    ids = [f.html_id for f in fields]
    assert all(HTML_ID.fullmatch(i) for i in ids)
    # The template derives more ids from a field's (help, error, one per checkbox); none may collide.
    derived = [f"{f.html_id}-{suffix}" for f in fields for suffix in ("help", "error")]
    derived += [f"{f.html_id}-{i}" for f in fields for i in range(1, len(f.options) + 1) if f.kind == "multi"]
    containers = [f"s-{s.id}" for s in form_sections()] + [p.id for s in form_sections() for p in s.parts]
    everything = ids + derived + containers
    assert len(set(everything)) == len(everything)
    assert FIELDS["imaging.L4-L5.left.lf_thickness_mm"].html_id == "f-imaging-L4-L5-left-lf_thickness_mm"


def test_labels_are_clinician_wording() -> None:
    for f in all_fields():
        raw = f.name.rsplit(".", 1)[-1]
        assert f.label.strip() and f.label != raw and "_" not in f.label, f.name
        assert all(o.label and "_" not in o.label for o in f.options), f.name
        assert all(o.value not in ("", "unknown") for o in f.options), "blank is the implicit unknown"
    assert FIELDS["exam.abi.left"].label == "Ankle-brachial index (ABI), left"
    assert FIELDS["symptoms.relieved_by_flexion"].label == "Relieved by bending forward"
    assert FIELDS["imaging.L4-L5.left.lf_thickness_mm"].label == "L4-L5 left: ligamentum flavum thickness"


def test_bounds_steps_and_help_come_from_the_model() -> None:
    thickness = FIELDS["imaging.L4-L5.left.lf_thickness_mm"]
    assert (thickness.kind, thickness.minimum, thickness.maximum, thickness.step) == ("number", 0, 15, "any")
    assert thickness.unit == "mm" and thickness.short == "LF mm"
    assert thickness.help == "Ligamentum flavum thickness, mm"
    age = FIELDS["patient.age_years"]
    assert (age.kind, age.minimum, age.maximum, age.step, age.unit) == ("integer", 18, 120, "1", "years")
    assert FIELDS["exam.abi.right"].help == "Resting ankle-brachial index per leg (0-3)"  # from its section
    assert FIELDS["safety.bleeding_disorder"].kind == "tri"
    agent = FIELDS["safety.antithrombotics.0.agent"]
    assert agent.kind == "choice" and ("apixaban", "apixaban") in [(o.value, o.label) for o in agent.options]
    assert FIELDS["prior_procedures.0.levels"].kind == "multi"
    assert [o.value for o in FIELDS["prior_procedures.0.levels"].options] == [lv.value for lv in LEVELS]
    levels = next(t for t in _tables() if t.id == "t-imaging-levels")
    assert "Canal area (mm²)" in levels.columns
    assert all(len(cells) == len(levels.columns) for _, cells in levels.rows)


# --- conversions --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_survives_the_form(path: Path) -> None:
    record = _record(path)
    values = record_to_form(record)
    assert set(values) <= set(FIELDS)
    assert all(isinstance(v, list) == (FIELDS[k].kind == "multi") for k, v in values.items())
    assert record_from_data(form_to_data(values)) == record


def test_lists_longer_than_the_form_are_not_cut_short() -> None:
    agents = ["apixaban", "warfarin", "clopidogrel", "aspirin_primary", "ibuprofen", "naproxen"]
    record = PatientRecord.model_validate({"safety": {"antithrombotics": [{"agent": a} for a in agents]}})
    assert record_from_data(form_to_data(record_to_form(record))) == record


def test_a_blank_form_is_an_empty_record() -> None:
    assert form_to_data({}) == {}
    blank: FormValues = {f.name: ([] if f.kind == "multi" else "  ") for f in all_fields()}
    assert form_to_data(blank) == {}
    assert record_from_data({}) == PatientRecord()


def test_values_are_typed_and_tri_states_kept() -> None:
    data = form_to_data(
        {
            "symptoms.bilateral": "no",
            "red_flags.saddle_anaesthesia": "yes",
            "patient.age_years": " 72 ",
            "symptoms.walking_tolerance_m": "150.5",
            "procedure.epidurogram.L4-L5.right": "no",
        }
    )
    assert data == {
        "symptoms": {"bilateral": False, "walking_tolerance_m": 150.5},
        "red_flags": {"saddle_anaesthesia": True},
        "patient": {"age_years": 72},
        "procedure": {"epidurogram": [{"level": "L4-L5", "side": "right", "appreciated": False}]},
    }


def test_a_side_on_its_own_creates_its_level() -> None:
    data = form_to_data({"imaging.L2-L3.right.lf_thickness_mm": "3.1", "imaging.L5-S1.schizas": "C"})
    assert data == {
        "imaging": {
            "levels": [
                {"level": "L2-L3", "sides": [{"side": "right", "lf_thickness_mm": 3.1}]},
                {"level": "L5-S1", "schizas": "C"},
            ]
        }
    }


# --- lists: "none" is not unknown ---------------------------------------------------------------------------


def test_status_none_is_an_empty_list() -> None:
    data = form_to_data({"safety.antithrombotics": "none", "prior_procedures": "none"})
    assert data == {"safety": {"antithrombotics": []}, "prior_procedures": []}
    record = record_from_data(data)
    assert record.safety.antithrombotics == [] and record.prior_procedures == []


@pytest.mark.parametrize("status", ["", "listed"])
def test_a_list_with_no_rows_stays_unknown(status: str) -> None:
    data = form_to_data({"safety.antithrombotics": status, "prior_procedures": status})
    assert data == {}
    record = record_from_data(data)
    assert record.safety.antithrombotics is None and record.prior_procedures is None


@pytest.mark.parametrize("status", ["", "listed", "none"])
def test_filled_rows_are_listed_whatever_the_status(status: str) -> None:
    values: FormValues = {
        "safety.antithrombotics": status,
        "safety.antithrombotics.0.agent": "apixaban",
        "safety.antithrombotics.2.agent": "clopidogrel",
        "safety.antithrombotics.2.can_be_held": "no",
    }
    data = form_to_data(values)
    assert data["safety"]["antithrombotics"] == [
        {"agent": "apixaban"},
        {"agent": "clopidogrel", "can_be_held": False},
    ]


def test_no_levels_ticked_means_levels_unknown() -> None:
    data = form_to_data({"prior_procedures.0.type": "fusion", "prior_procedures.0.levels": []})
    assert data == {"prior_procedures": [{"type": "fusion"}]}
    procedures = record_from_data(data).prior_procedures
    assert procedures is not None and procedures[0].levels is None


# --- errors land on the field they are about ----------------------------------------------------------------


def _errors(values: FormValues) -> list[str | None]:
    data = form_to_data(values)
    with pytest.raises(InputError) as caught:
        record_from_data(data)
    return [field_for_error(e.field, data) for e in caught.value.errors]


@pytest.mark.parametrize(
    ("example", "name"),
    [
        ("01-bilateral-l45-candidate", "imaging.L4-L5.canal_area_mm2"),
        ("01-bilateral-l45-candidate", "imaging.L5-S1.right.lf_thickness_mm"),
        ("08-clopidogrel-cannot-be-held", "safety.antithrombotics.1.days_held"),
        ("01-bilateral-l45-candidate", "symptoms.walking_tolerance_m"),
        ("01-bilateral-l45-candidate", "patient.age_years"),
    ],
)
def test_text_in_a_number_is_reported_at_its_field(example: str, name: str) -> None:
    values = _example(example)
    values[name] = "sixty"
    assert "sixty" in repr(form_to_data(values))  # passed on as typed, for the model to refuse
    assert _errors(values) == [name]


def test_a_row_after_a_blank_row_keeps_its_place() -> None:
    assert _errors({"prior_procedures.2.date": "2020-01-01"}) == ["prior_procedures.2.type"]
    values: FormValues = {
        "safety.antithrombotics.1.agent": "apixaban",
        "safety.antithrombotics.3.days_held": "x",
    }
    assert sorted(map(str, _errors(values))) == [
        "safety.antithrombotics.3.agent",
        "safety.antithrombotics.3.days_held",
    ]


def test_an_error_on_a_whole_list_goes_to_its_status() -> None:
    values: FormValues = {
        "safety.antithrombotics.0.agent": "warfarin",
        "safety.antithrombotics.1.agent": "warfarin",
    }
    assert _errors(values) == ["safety.antithrombotics"]


def test_paths_without_a_field() -> None:
    data = form_to_data(_example("01-bilateral-l45-candidate"))
    assert field_for_error("imaging.levels[1]", data) is None  # a whole level has no single field
    assert field_for_error("imaging.levels[9].canal_area_mm2", data) is None
    assert field_for_error("exam.abi", data) is None
    assert field_for_error("", data) is None
    assert field_for_error("procedure.epidurogram[0].appreciated", {}) is None
    epidurogram = {"procedure": {"epidurogram": [{"level": "L3-L4", "side": "left", "appreciated": "?"}]}}
    assert (
        field_for_error("procedure.epidurogram[0].appreciated", epidurogram)
        == "procedure.epidurogram.L3-L4.left"
    )
    assert field_for_error("prior_procedures[0].levels[1]", {}) == "prior_procedures.0.levels"


# --- properties ---------------------------------------------------------------------------------------------


def _fact(record: PatientRecord, name: str) -> Any:
    """The record's value behind a form field that is not a list row or status."""
    parts = name.split(".")
    if parts[0] == "imaging" and parts[1] in {lv.value for lv in LEVELS}:
        found = record.imaging.level(Level(parts[1]))
        if found is None or len(parts) == 3:
            return None if found is None else getattr(found, parts[2])
        side = found.side(Side(parts[2]))
        return None if side is None else getattr(side, parts[3])
    if parts[:2] == ["procedure", "epidurogram"]:
        return record.procedure.appreciated(Level(parts[2]), Side(parts[3]))
    target: Any = record
    for part in parts:
        target = getattr(target, part)
    return target


@PROPERTY
@given(st.data())
def test_leaving_values_out_only_makes_facts_unknown(data: st.DataObject) -> None:
    values = FORMS[data.draw(st.sampled_from(sorted(FORMS)), label="example")]
    dropped = data.draw(st.sets(st.sampled_from(sorted(values))), label="dropped")
    kept = {k: v for k, v in values.items() if k not in dropped}
    try:
        record = record_from_data(form_to_data(kept))
    except InputError:
        event("input error")  # e.g. a drug row left without its agent
        return
    event("valid")
    for name in dropped:
        if not name.startswith(LISTS):
            assert _fact(record, name) is None, name
    # What was kept is still there (rows close up over gaps; a status may be inferred from its rows).
    assert _settled(record_to_form(record)) == _settled(kept)


def _settled(values: FormValues) -> FormValues:
    """Form values without list statuses, list rows renumbered from 0 in order."""
    row = re.compile(r"(safety\.antithrombotics|prior_procedures)\.(\d+)\.(\w+)")
    out: FormValues = {k: v for k, v in values.items() if k not in LISTS and not row.fullmatch(k)}
    for prefix in LISTS:
        cells = [(m, v) for k, v in values.items() if (m := row.fullmatch(k)) and m[1] == prefix]
        numbers = sorted({int(m[2]) for m, _ in cells})
        out |= {f"{prefix}.{numbers.index(int(m[2]))}.{m[3]}": v for m, v in cells}
    return out


@PROPERTY
@given(st.data())
def test_anything_typed_gives_a_record_or_errors_at_fields(data: st.DataObject) -> None:
    values = dict(FORMS[data.draw(st.sampled_from(sorted(FORMS)), label="example")])
    typed = data.draw(st.dictionaries(st.sampled_from(sorted(FIELDS)), st.text(max_size=12), max_size=6))
    for name, text in typed.items():
        values[name] = [text] if FIELDS[name].kind == "multi" else text
    record_data = form_to_data(values)
    try:
        record_from_data(record_data)
    except InputError as exc:
        for error in exc.errors:
            field = field_for_error(error.field, record_data)
            assert field in FIELDS or re.fullmatch(r"imaging\.levels\[\d+\]", error.field), error


def test_group_and_table_fields_are_all_listed() -> None:
    grouped = [f for s in form_sections() for p in s.parts if isinstance(p, FormGroup) for f in p.fields]
    tabled = [f for t in _tables() for _, cells in t.rows for f in cells]
    statuses = [t.status for t in _tables() if t.status is not None]
    assert len(grouped) + len(tabled) + len(statuses) == len(all_fields())
