"""Rule-set diffs: exactly the changes made between two small hand-written versions, in a stable order."""

from __future__ import annotations

import json

import pytest

from lss_pathway.criteria.ruleset import Criterion, Phase, RuleSet, Verification
from lss_pathway.rulesets.catalog import available, load_ruleset, ruleset_from_text
from lss_pathway.rulesets.diff import (
    Action,
    Change,
    FieldChange,
    Section,
    diff_rulesets,
    render_diff_markdown,
)

OLD = """
id: demo
version: 1.0.0
title: Demo rules
description: A small rule set for diff tests.
sources:
  chapter: {citation: "Chapter text", url: https://example.org/chapter}
  hayes: {citation: "Hayes 1989", url: https://example.org/hayes}
parameters:
  max_angulation_deg: {value: 10.0, unit: degrees, source: hayes, verification: V}
  lf_min_mm: {value: 4.0, unit: mm, source: chapter, verification: P}
  old_only: {value: 3, source: chapter, verification: R}
criteria:
  - id: gone
    kind: contraindication
    scope: patient
    statement: No systemic infection
    source: chapter
    verification: V
    test: {fact: safety.systemic_infection, op: eq, value: false}
  - id: angulation
    kind: indication
    scope: level
    statement: Angulation below {max_angulation_deg} degrees
    source: hayes
    verification: V
    test: {fact: level.angulation_deg, op: lt, value: {param: max_angulation_deg}}
  - id: lf_thick
    kind: indication
    scope: level_side
    statement: Ligamentum flavum at least {lf_min_mm} mm
    source: chapter
    verification: P
    test: {fact: side.lf_thickness_mm, op: ge, value: {param: lf_min_mm}}
  - id: unchanged
    kind: contraindication
    scope: patient
    statement: No bleeding disorder
    source: chapter
    verification: V
    test: {fact: safety.bleeding_disorder, op: eq, value: false}
antithrombotic_holds:
  warfarin: {stop_days: 5, requires: a normal INR, source: chapter, verification: V}
  clopidogrel: {stop_days: 7, source: chapter, verification: V}
"""

NEW = """
id: demo
version: 1.1.0
title: Demo rules, revised
description: A small rule set for diff tests.
status: draft
sources:
  chapter: {citation: "Chapter text", url: https://example.org/chapter-2}
  hayes: {citation: "Hayes 1989", url: https://example.org/hayes}
  suri: {citation: "Suri 2010", url: https://example.org/suri}
parameters:
  max_angulation_deg: {value: 18.8, unit: degrees, source: hayes, verification: V}
  lf_min_mm: {value: 4.0, unit: mm, source: chapter, verification: V}
  new_only: {value: 12, unit: months, source: suri, verification: P, note: a new threshold}
criteria:
  - id: angulation
    kind: indication
    scope: level
    statement: Angulation below {max_angulation_deg} degrees
    source: hayes
    verification: V
    test: {fact: level.angulation_deg, op: lt, value: {param: max_angulation_deg}}
  - id: lf_thick
    kind: inclusion
    scope: level_side
    statement: Ligamentum flavum at least {lf_min_mm} mm
    source: chapter
    verification: V
    routes_to: open_decompression
    test: {fact: side.lf_thickness_mm, op: gt, value: {param: lf_min_mm}}
  - id: unchanged
    kind: contraindication
    scope: patient
    statement: No bleeding disorder
    source: chapter
    verification: V
    test: {fact: safety.bleeding_disorder, op: eq, value: false}
  - id: fresh
    kind: inclusion
    scope: patient
    statement: Imaging within {new_only} months
    source: suri
    verification: P
    test: {fact: imaging.months_since, op: le, value: {param: new_only}}
antithrombotic_holds:
  warfarin: {stop_days: 5, requires: a normal INR, source: chapter, verification: V}
  clopidogrel: {stop_days: 5, source: chapter, verification: V}
  apixaban: {stop_days: 3, source: chapter, verification: V}
"""


@pytest.fixture
def old() -> RuleSet:
    return ruleset_from_text(OLD)


@pytest.fixture
def new() -> RuleSet:
    return ruleset_from_text(NEW)


def test_finds_exactly_the_changes_in_a_stable_order(old: RuleSet, new: RuleSet) -> None:
    diff = diff_rulesets(old, new)
    assert (diff.old, diff.new) == ("demo@1.0.0", "demo@1.1.0")
    assert [(c.section, c.action, c.key) for c in diff.changes] == [
        (Section.METADATA, Action.CHANGED, "rule set"),
        (Section.CRITERIA, Action.REMOVED, "gone"),
        (Section.CRITERIA, Action.ADDED, "fresh"),
        (Section.CRITERIA, Action.CHANGED, "angulation"),
        (Section.CRITERIA, Action.CHANGED, "lf_thick"),
        (Section.PARAMETERS, Action.REMOVED, "old_only"),
        (Section.PARAMETERS, Action.ADDED, "new_only"),
        (Section.PARAMETERS, Action.CHANGED, "max_angulation_deg"),
        (Section.PARAMETERS, Action.CHANGED, "lf_min_mm"),
        (Section.HOLDS, Action.ADDED, "apixaban"),
        (Section.HOLDS, Action.CHANGED, "clopidogrel"),
        (Section.SOURCES, Action.ADDED, "suri"),
        (Section.SOURCES, Action.CHANGED, "chapter"),
    ]
    assert diff_rulesets(old, new) == diff


def test_metadata_fields(old: RuleSet, new: RuleSet) -> None:
    meta = diff_rulesets(old, new).changes[0]
    assert meta.fields == (
        FieldChange("title", "title", "Demo rules", "Demo rules, revised"),
        FieldChange("status", "status", "released", "draft"),
    )


def _change(old: RuleSet, new: RuleSet, key: str, section: Section = Section.CRITERIA) -> Change:
    return next(c for c in diff_rulesets(old, new).changes if c.key == key and c.section is section)


def test_a_threshold_change_is_named_on_the_criteria_that_read_it(old: RuleSet, new: RuleSet) -> None:
    change = _change(old, new, "angulation")
    reason = "threshold changed: 10 degrees → 18.8 degrees (max_angulation_deg)"
    assert change.title == "Angulation below 18.8 degrees"
    assert change.fields == (
        FieldChange(
            "statement", "statement", "Angulation below 10 degrees", "Angulation below 18.8 degrees", reason
        ),
        FieldChange(
            "test", "test", "level.angulation_deg < 10 degrees", "level.angulation_deg < 18.8 degrees", reason
        ),
    )


def test_changed_test_kind_route_and_tag(old: RuleSet, new: RuleSet) -> None:
    change = _change(old, new, "lf_thick")
    assert change.fields == (
        FieldChange("kind", "kind", "indication", "inclusion"),
        FieldChange("verification", "verification", "P (partly verified)", "V (verified)"),
        FieldChange("test", "test", "side.lf_thickness_mm ≥ 4 mm", "side.lf_thickness_mm > 4 mm"),
        FieldChange("routes_to", "if not met, consider", "(none)", "open decompression"),
    )


def test_added_and_removed_items_are_described(old: RuleSet, new: RuleSet) -> None:
    gone = _change(old, new, "gone")
    assert gone.title == "No systemic infection"
    assert ("test", "safety.systemic_infection is no") in gone.details
    fresh = _change(old, new, "fresh")
    assert fresh.title == "Imaging within 12 months"
    assert ("source", "[P (partly verified)] suri") in fresh.details
    added = _change(old, new, "new_only", Section.PARAMETERS)
    assert added.title == "12 months"
    assert ("note", "a new threshold") in added.details


def test_parameter_hold_and_source_fields(old: RuleSet, new: RuleSet) -> None:
    assert _change(old, new, "max_angulation_deg", Section.PARAMETERS).fields == (
        FieldChange("value", "value", "10 degrees", "18.8 degrees"),
    )
    assert _change(old, new, "lf_min_mm", Section.PARAMETERS).fields == (
        FieldChange("verification", "verification", "P", "V"),
    )
    assert _change(old, new, "clopidogrel", Section.HOLDS).fields == (
        FieldChange("stop_days", "stop before", "7 days", "5 days"),
    )
    assert _change(old, new, "chapter", Section.SOURCES).fields == (
        FieldChange("url", "address", "https://example.org/chapter", "https://example.org/chapter-2"),
    )


def test_a_parameter_tag_change_shows_on_the_criterion_with_its_reason(old: RuleSet) -> None:
    weaker = old.model_copy(
        update={
            "parameters": {
                **old.parameters,
                "max_angulation_deg": old.parameters["max_angulation_deg"].model_copy(
                    update={"verification": Verification.R}
                ),
            }
        }
    )
    change = _change(old, weaker, "angulation")
    assert change.fields == (
        FieldChange(
            "verification", "verification", "V (verified)", "R (unverified)", "a threshold's tag changed"
        ),
    )


class _MarkedCriterion(Criterion):
    """Stands in for a field the model gains later (e.g. a confirmation marker)."""

    on_review: Phase | None = None


class _DatedRuleSet(RuleSet):
    text_verified_on: str | None = None


def test_fields_unknown_to_the_diff_are_compared_under_their_own_name(old: RuleSet) -> None:
    marked = [
        _MarkedCriterion(**c.model_dump(), on_review=Phase.PRE_PROCEDURE) if c.id == "unchanged" else c
        for c in old.criteria
    ]
    new = _DatedRuleSet(**{**old.model_dump(), "criteria": marked, "text_verified_on": "2026-12-01"})
    changes = diff_rulesets(old, new).changes
    assert [(c.section, c.key) for c in changes] == [
        (Section.METADATA, "rule set"),
        (Section.CRITERIA, "unchanged"),
    ]
    assert changes[0].fields == (FieldChange("text_verified_on", "text_verified_on", "(none)", "2026-12-01"),)
    assert changes[1].fields == (FieldChange("on_review", "on_review", "(none)", "pre_procedure"),)
    added = diff_rulesets(old.model_copy(update={"criteria": []}), new).changes
    fresh = next(c for c in added if c.key == "unchanged")
    assert ("on_review", "pre_procedure") in fresh.details


@pytest.mark.parametrize("ref", [e.ref for e in available()])
def test_a_rule_set_compared_with_itself_has_no_change(ref: str) -> None:
    rules = load_ruleset(ref)
    diff = diff_rulesets(rules, rules)
    assert diff.changes == ()
    assert "No differences." in render_diff_markdown(diff)


def test_textbook_to_trial_names_the_swapped_lf_criterion() -> None:
    diff = diff_rulesets(load_ruleset("textbook@1.0.0"), load_ruleset("mild-trial@1.0.0"))
    criteria = {(c.action, c.key) for c in diff.changes if c.section is Section.CRITERIA}
    assert (Action.REMOVED, "lf_hypertrophy_on_side") in criteria
    assert (Action.ADDED, "age_at_least_minimum") in criteria
    assert (Action.ADDED, "lf_thickness_on_side") in criteria


def test_markdown_and_json_say_the_same(old: RuleSet, new: RuleSet) -> None:
    diff = diff_rulesets(old, new)
    text = render_diff_markdown(diff)
    assert text.startswith("# Rule set changes: `demo@1.0.0` → `demo@1.1.0`")
    assert "2 removed, 4 added, 7 changed." in text
    assert text.index("## Criteria") < text.index("## Thresholds") < text.index("## Antithrombotic holds")
    assert "- **removed** `gone`: No systemic infection" in text
    assert (
        "  - statement (threshold changed: 10 degrees → 18.8 degrees (max_angulation_deg)): "
        "Angulation below 10 degrees → Angulation below 18.8 degrees"
    ) in text
    data = json.loads(json.dumps(diff.to_dict()))
    assert [c["key"] for c in data["changes"]] == [c.key for c in diff.changes]
    assert data["changes"][3]["fields"][0]["reason"].startswith("threshold changed")


def test_textbook_1_1_shows_instability_read_from_translation_only() -> None:
    diff = diff_rulesets(load_ruleset("textbook@1.0.0"), load_ruleset("textbook@1.1.0"))
    change = next(c for c in diff.changes if c.key == "no_instability")
    fields = {f.field for f in change.fields}
    assert {"statement", "test"} <= fields
    removed = {c.key for c in diff.changes if c.section is Section.PARAMETERS and c.action is Action.REMOVED}
    assert "instability_angulation_deg" in removed
    holds = {c.key: c.title for c in diff.changes if c.section is Section.HOLDS}
    assert holds["ibuprofen"] == "1 day"
    assert holds["other_antithrombotic"] == "with the prescriber"
