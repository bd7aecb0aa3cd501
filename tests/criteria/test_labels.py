"""Clinical wording for facts: every fact has a label, and concrete paths become clinical sentences."""

from __future__ import annotations

import datetime as dt
import types
import typing

import pytest
from pydantic import BaseModel

from lss_pathway.criteria.evaluate import evaluate
from lss_pathway.criteria.expressions import parse_expr
from lss_pathway.criteria.facts import fact_catalogue
from lss_pathway.criteria.labels import (
    Collect,
    criterion_findings,
    fact_wordings,
    facts_to_document,
    reading,
    recorded,
    to_document,
    unreported_line,
)
from lss_pathway.criteria.python_runner import Context
from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.record import PatientRecord
from lss_pathway.rulesets.catalog import available, load_ruleset


def _leaves(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every scalar field of the record, list items written ``[]`` (``prior_procedures[].levels``)."""
    out: list[str] = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        annotation = field.annotation
        union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
        inner = [a for a in typing.get_args(annotation) if a is not type(None)] if union else [annotation]
        listed = [typing.get_args(a)[0] for a in inner if typing.get_origin(a) is list]
        nested = [a for a in [*inner, *listed] if isinstance(a, type) and issubclass(a, BaseModel)]
        if nested:
            out += _leaves(nested[0], f"{path}[]." if listed else f"{path}.")
            if listed:
                out.append(path)  # the list as a whole ("none, or each ...")
        else:
            out.append(path)
    return out


def _key(path: str) -> str:
    """Record paths to the keys wording uses: findings by level and side are catalogue facts."""
    for prefix, key in (("imaging.levels[].sides[].", "side."), ("imaging.levels[].", "level.")):
        if path.startswith(prefix):
            return key + path.removeprefix(prefix)
    return path


IGNORED = {
    "imaging.levels",
    "imaging.levels[].level",
    "imaging.levels[].sides",
    "imaging.levels[].sides[].side",
}
IGNORED |= {"procedure.epidurogram", "procedure.epidurogram[].level", "procedure.epidurogram[].side"}


def test_the_record_walk_finds_nested_and_list_fields() -> None:
    found = set(_leaves(PatientRecord))
    assert {
        "exam.abi.left",
        "imaging.levels[].sides[].laminar_shelf",
        "safety.antithrombotics[].can_be_held",
    } <= found


def test_every_fact_and_record_field_has_a_clinical_label() -> None:
    """A new field or derived fact fails here until it is worded, so it can never reach a reader raw."""
    keys = set(fact_catalogue()) | {_key(p) for p in _leaves(PatientRecord) if p not in IGNORED}
    unlabelled = sorted(k for k in keys if k not in fact_wordings())
    assert not unlabelled, f"add these to criteria/data/wording.yaml: {unlabelled}"
    for key in keys:
        wording = fact_wordings()[key]
        assert wording.label[:1].isupper() and "_" not in wording.label, key
        assert "_" not in wording.short, key


def test_every_packaged_criterion_has_a_short_finding() -> None:
    ids = {c.id for entry in available() for c in load_ruleset(entry.ref).criteria}
    assert not sorted(ids - set(criterion_findings()))


def test_issue_examples_become_clinical_sentences() -> None:
    assert (
        to_document("imaging.levels[L4-L5].sides[left].foraminal_stenosis").text
        == "Foraminal stenosis at L4-L5 left: grade from the imaging report"
    )
    flexion = to_document("imaging.levels[L4-L5].instability")
    assert (
        flexion.text == "Flexion-extension films at L4-L5: stable or unstable; needed to rule out instability"
    )
    assert flexion.group is Collect.DYNAMIC
    saddle = to_document("red_flags.saddle_anaesthesia")
    assert saddle.text.startswith("Saddle anaesthesia: ask") and saddle.group is Collect.HISTORY
    assert to_document("exam.abi.left").group is Collect.EXAMINATION
    assert to_document("side.laminar_shelf").group is Collect.PROCEDURE
    assert to_document("imaging.levels[L1-L2] (level not reported)").text == (
        "L1-L2 not described in the imaging report"
    )


def test_a_list_item_is_named_by_its_drug() -> None:
    record = PatientRecord.model_validate({"safety": {"antithrombotics": [{"agent": "clopidogrel"}]}})
    item = to_document("safety.antithrombotics[0].can_be_held", record)
    assert item.text == "Clopidogrel: can it be held (agree with the prescriber)"
    assert item.group is Collect.MEDICATION and item.path == "safety.antithrombotics[0].can_be_held"


def test_the_report_named_is_the_modality_recorded() -> None:
    record = PatientRecord.model_validate({"imaging": {"modality": "MRI"}})
    assert to_document("imaging.levels[L4-L5].sides[left].foraminal_stenosis", record).text.endswith(
        "grade from the MRI report"
    )


def test_a_reconcile_item_names_both_readings_in_words() -> None:
    item = to_document(
        "reconcile: imaging.levels[L4-L5].canal_area_mm2 = 70 "
        "contradicts imaging.levels[L4-L5].central_stenosis = mild"
    )
    assert (
        item.text
        == "Readings to reconcile at L4-L5: dural sac area 70 mm² contradicts central stenosis grade mild"
    )
    assert item.group is Collect.IMAGING


def test_unreported_levels_are_one_line_in_the_imaging_group() -> None:
    record = PatientRecord.model_validate({"imaging": {"modality": "MRI"}})
    sections = facts_to_document(
        [
            "red_flags.saddle_anaesthesia",
            "imaging.levels[L1-L2] (level not reported)",
            "imaging.levels[L2-L3] (level not reported)",
        ],
        record,
    )
    assert [s.title for s in sections] == ["History", "Imaging report"]
    imaging = sections[1].lines
    assert imaging == (
        (
            "L1-L2 and L2-L3 not described in the MRI report",
            ("imaging.levels[L1-L2] (level not reported)", "imaging.levels[L2-L3] (level not reported)"),
        ),
    )
    assert (
        unreported_line([lv.value for lv in Level], None) == "No lumbar level described in the imaging report"
    )


def test_a_reading_gives_the_value_with_its_unit_and_place() -> None:
    assert reading("imaging.levels[L4-L5].sides[right].lf_thickness_mm", 3.0, here="L4-L5 right") == "LF 3 mm"
    assert reading("imaging.levels[L4-L5].sides[right].lf_thickness_mm", 3.0) == "LF 3 mm at L4-L5 right"
    assert (
        reading("imaging.levels[L4-L5].sides[left].laminar_shelf", False, here="L4-L5 left")
        == "no laminar shelf"
    )
    assert reading("conservative_care.months", 2.0) == "conservative care for 2 months"


def test_recorded_values_stand_against_the_rule_sets_threshold() -> None:
    rules = load_ruleset("textbook@1.1.0")
    criterion = next(c for c in rules.criteria if c.id == "lf_hypertrophy_on_side")
    record = PatientRecord.model_validate(
        {"imaging": {"levels": [{"level": "L4-L5", "sides": [{"side": "right", "lf_thickness_mm": 3.0}]}]}}
    )
    findings = record.imaging.levels[0]
    on = dt.date(2026, 11, 1)
    ctx = Context(record, on, Level.L4_L5, Side.RIGHT, findings, findings.side(Side.RIGHT))
    node = evaluate(criterion.test, ctx, rules)
    assert recorded(criterion.test, node, rules, here="L4-L5 right") == ["LF 3 mm, not more than 4 mm"]
    thick = parse_expr({"fact": "side.lf_thickness_mm", "op": "gt", "value": 2.0})
    assert recorded(thick, evaluate(thick, ctx, rules), rules, here="L4-L5 right") == [
        "LF 3 mm, more than 2 mm"
    ]
    # Only readings that count against an unmet criterion, when asked.
    assert recorded(thick, evaluate(thick, ctx, rules), rules, against=True) == []


@pytest.mark.parametrize(
    "path", ["exam.pedal_pulses.left", "prior_procedures[0].levels", "patient.age_years"]
)
def test_no_sentence_shows_its_path(path: str) -> None:
    assert path.split("[")[0] not in to_document(path).text
