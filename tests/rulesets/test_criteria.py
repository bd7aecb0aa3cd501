"""One unit test per packaged criterion: a minimal record that meets it, one that fails it, one unknown.

The cases are runner-neutral data (``tests/rulesets/cases/criteria.py``) and every runner of the
``runner`` fixture must pass them. Every criterion id of every packaged rule set must appear in the table
of its version (``CASES`` for the 1.0.0 sets, ``CASES_1_1`` for 1.1.0, where several criteria changed
meaning); a new criterion without its unit test fails ``test_every_packaged_criterion_has_a_unit_test``.
Records are hand-written and minimal, and evaluated at the criterion's own scope (L4-L5, left side,
where it applies). A consistency criterion is never "not met": its failing case must come out unknown
with a reconcile item.
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from tests.rulesets.cases import criteria as cases_module
from tests.rulesets.cases.criteria import (
    AS_OF,
    BLOCKS,
    LEVEL,
    ONLY_IN,
    SIDE,
    TABLES,
    Boundary,
    Cases,
    lvl,
    sd,
)
from tests.rulesets.conftest import Outcome, Runner

from lss_pathway.criteria.logic import Tri
from lss_pathway.criteria.ruleset import Criterion, Kind, RuleSet
from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.record import PatientRecord
from lss_pathway.rulesets.catalog import available, load_ruleset

ON = AS_OF


# --- helpers ---------------------------------------------------------------------------------------------


def _all_rulesets() -> list[RuleSet]:
    return [load_ruleset(entry.ref) for entry in available()]


def _pairs() -> list[Any]:
    return [
        pytest.param(rules.ref, criterion.id, id=f"{rules.ref}:{criterion.id}")
        for rules in _all_rulesets()
        for criterion in rules.criteria
    ]


def _cases(rules: RuleSet) -> dict[str, Cases]:
    return TABLES[rules.version][0]


def _boundary_pairs() -> list[Any]:
    out = []
    for rules in _all_rulesets():
        for case in TABLES[rules.version][1]:
            if ONLY_IN.get(case.id, rules.id) != rules.id:
                continue
            if any(c.id == case.criterion for c in rules.criteria):
                out.append(pytest.param(rules.ref, case, id=f"{rules.ref}:{case.id}"))
    return out


def _criterion(rules: RuleSet, criterion_id: str) -> Criterion:
    return next(c for c in rules.criteria if c.id == criterion_id)


def evaluate_at_scope(
    runner: Runner,
    criterion: Criterion,
    data: dict[str, Any],
    rules: RuleSet,
    *,
    level: str = LEVEL,
    side: str = SIDE,
    as_of: str = AS_OF,
) -> Outcome:
    """One reference record, dated ``as_of``, through one runner at the criterion's own scope."""
    record = PatientRecord.model_validate({"assessment_date": as_of, **data})
    return runner(criterion, record, rules, Level(level), Side(side), dt.date.fromisoformat(as_of))


# --- the tests ---------------------------------------------------------------------------------------------


def test_every_packaged_criterion_has_a_unit_test() -> None:
    for version, (cases, _) in TABLES.items():
        packaged = {c.id for rules in _all_rulesets() if rules.version == version for c in rules.criteria}
        assert packaged - set(cases) == set(), f"{version}: criteria without a unit test"
        assert set(cases) - packaged == set(), f"{version}: cases for criteria no packaged rule set has"


def test_every_packaged_version_has_a_table() -> None:
    assert {rules.version for rules in _all_rulesets()} <= set(TABLES)


@pytest.mark.parametrize(("ref", "criterion_id"), _pairs())
def test_met(runner: Runner, ref: str, criterion_id: str) -> None:
    rules = load_ruleset(ref)
    node = evaluate_at_scope(runner, _criterion(rules, criterion_id), _cases(rules)[criterion_id].met, rules)
    assert node.value is Tri.MET
    assert node.missing in ((), None)


@pytest.mark.parametrize(("ref", "criterion_id"), _pairs())
def test_not_met(runner: Runner, ref: str, criterion_id: str) -> None:
    rules = load_ruleset(ref)
    criterion = _criterion(rules, criterion_id)
    node = evaluate_at_scope(runner, criterion, _cases(rules)[criterion_id].not_met, rules)
    if criterion.kind is Kind.CONSISTENCY:
        assert node.value is Tri.UNKNOWN and node.conflicts, "contradicting readings must be reconciled"
        return
    assert node.value is Tri.NOT_MET
    assert node.missing in ((), None)
    assert node.conditions in ((), None)


@pytest.mark.parametrize(("ref", "criterion_id"), _pairs())
def test_unknown(runner: Runner, ref: str, criterion_id: str) -> None:
    rules = load_ruleset(ref)
    criterion = _criterion(rules, criterion_id)
    node = evaluate_at_scope(runner, criterion, _cases(rules)[criterion_id].unknown, rules)
    if criterion.kind is Kind.CONSISTENCY:
        assert node.value is Tri.MET, "a consistency check with nothing recorded has nothing to reconcile"
        return
    assert node.value is Tri.UNKNOWN
    assert node.missing is None or node.missing, "an unknown criterion must say what to document"
    assert node.conditions in ((), None)


@pytest.mark.parametrize(("ref", "case"), _boundary_pairs())
def test_boundaries(runner: Runner, ref: str, case: Boundary) -> None:
    rules = load_ruleset(ref)
    criterion = _criterion(rules, case.criterion)
    node = evaluate_at_scope(
        runner, criterion, case.record, rules, level=case.level, side=case.side, as_of=case.as_of
    )
    if case.expected == BLOCKS:
        assert node.value is not Tri.MET
    else:
        assert node.value is Tri(case.expected)
    if node.missing is not None:
        assert bool(node.missing) == (node.value is Tri.UNKNOWN)


@pytest.mark.parametrize(
    "data",
    [
        lvl(instability=True, translation_mm=1.0, angulation_deg=2.0),
        lvl(instability=False, translation_mm=5.0, angulation_deg=2.0),
        lvl(instability=False, translation_mm=1.0, angulation_deg=12.0),
    ],
    ids=["flag-unstable-motion-small", "flag-stable-translation-large", "flag-stable-angulation-large"],
)
def test_conflicting_instability_findings_never_meet_the_criterion(
    runner: Runner, data: dict[str, Any]
) -> None:
    """The flag and the measurements are two readings of one finding; disagreement is never reassurance."""
    rules = load_ruleset("textbook@1.0.0")
    node = evaluate_at_scope(runner, _criterion(rules, "no_instability"), data, rules)
    assert node.value is not Tri.MET
    if node.value is Tri.UNKNOWN:
        assert node.conflicts, "disagreeing readings must be reconciled"
        if node.missing is not None:
            assert any(m.startswith("reconcile: ") for m in node.missing), node.missing


def test_grade_and_percent_agree_on_a_grade_i_slip(runner: Runner) -> None:
    rules = load_ruleset("textbook")
    data = lvl(meyerding_grade=1, slip_percent=10, slip_mm=3)
    criterion = _criterion(rules, "spondylolisthesis_below_grade_2")
    assert evaluate_at_scope(runner, criterion, data, rules).value is Tri.MET


def test_boundary_dates_are_what_they_claim() -> None:
    on = dt.date.fromisoformat(ON)
    assert (on - dt.date(2026, 9, 6)).days == 56
    assert (on - dt.date(2025, 11, 1)).days == 365
    assert (dt.date(2024, 11, 1) - dt.date(2023, 11, 1)).days == 366


@pytest.mark.parametrize("ref", ["mild-trial@1.1.0", "cms-ncd-150.13@1.1.0"])
def test_trial_and_coverage_sets_keep_excluding_any_prior_procedure_at_the_level(
    runner: Runner, ref: str
) -> None:
    # Issue 9, item 6: only textbook relaxes the exclusion; the trials exclude any prior procedure.
    rules = load_ruleset(ref)
    criterion = _criterion(rules, "no_prior_surgery_at_level")
    for kind in ("mild", "other", "discectomy"):
        data = {"prior_procedures": [{"type": kind, "levels": ["L4-L5"]}], **sd(laminar_shelf=True)}
        assert evaluate_at_scope(runner, criterion, data, rules).value is Tri.NOT_MET


def test_the_reference_cases_are_plain_data_no_runner_is_built_into() -> None:
    """The cases module imports nothing from the engine (or pytest), so every runner reads the same data."""
    tree = ast.parse(Path(cases_module.__file__ or "").read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"__future__", "typing"}
    every_case = [c for cases, _ in TABLES.values() for c in cases.values()]
    assert every_case and all(isinstance(c, Cases) for c in every_case)
