"""Verdicts per level and side: blocks, holds, pending and failed confirmations, reconcile items, conditions.

Two layers: the shared ``verdict`` rule on hand-built results (each branch on its own), and whole records
through ``assess_candidacy`` (example 01, a candidate at L4-L5, with one thing changed at a time).
"""

from __future__ import annotations

import copy
import datetime as dt
import gc
from pathlib import Path
from typing import Any

import pytest
import yaml

from lss_pathway.criteria.candidacy import (
    Candidacy,
    Cell,
    CriterionResult,
    Verdict,
    assess_candidacy,
    run_candidacy,
    run_criterion,
    verdict,
)
from lss_pathway.criteria.evaluate import Condition, Node
from lss_pathway.criteria.expressions import parse_expr
from lss_pathway.criteria.facts import Scope
from lss_pathway.criteria.logic import Tri
from lss_pathway.criteria.ruleset import Criterion, Phase
from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.record import PatientRecord
from lss_pathway.rulesets.catalog import load_ruleset

EXAMPLE_01 = Path(__file__).resolve().parents[2] / "examples" / "01-bilateral-l45-candidate.yaml"
L45 = Level.L4_L5
LEFT, RIGHT = Side.LEFT, Side.RIGHT
ALL_SETS = ["textbook@1.0.0", "textbook@1.1.0", "mild-trial@1.1.0", "cms-ncd-150.13@1.1.0"]


# --- the verdict rule on hand-built results -----------------------------------------------------------


def criterion(
    cid: str = "c", *, confirmation: bool = False, phase: str = "pre_procedure", when_not_met: str = "block"
) -> Criterion:
    return Criterion.model_validate(
        {
            "id": cid,
            "kind": "inclusion",
            "scope": "patient",
            "phase": phase,
            "statement": cid,
            "source": "s",
            "verification": "V",
            "test": {"fact": "patient.age_years", "op": "ge", "value": 50},
            "confirmation": confirmation,
            "when_not_met": when_not_met,
        }
    )


def result(
    value: Tri,
    *,
    recorded: bool = False,
    contested: bool = False,
    conflicts: tuple[str, ...] = (),
    **kind: Any,
) -> CriterionResult:
    """``contested``: a recorded part of the test is not met (e.g. relief on standing still recorded)."""
    facts = (("procedure.epidurogram[L4-L5 left].appreciated", True if recorded else None),)
    against = (Node("a part", Tri.NOT_MET, (("symptoms.relieved_by_standing_still", True),)),)
    children = against if contested else ()
    return CriterionResult(criterion(**kind), Node("test", value, facts, (), children, (), conflicts))


MET = result(Tri.MET, recorded=True)
REQUIREMENT_UNKNOWN = result(Tri.UNKNOWN)
OPEN_CONFIRMATION = result(Tri.UNKNOWN, confirmation=True)
OPEN_INTRA = result(Tri.UNKNOWN, phase="intra_procedure")


def test_every_criterion_met_is_a_candidate() -> None:
    assert verdict([MET, MET]) is Verdict.CANDIDATE


def test_an_unknown_requirement_holds_the_cell_undetermined() -> None:
    assert verdict([MET, REQUIREMENT_UNKNOWN]) is Verdict.UNDETERMINED
    assert REQUIREMENT_UNKNOWN.holds_back


def test_a_requirement_not_met_blocks() -> None:
    assert verdict([MET, result(Tri.NOT_MET, recorded=True)]) is Verdict.NOT_CANDIDATE


def test_a_block_outranks_anything_held_back() -> None:
    """Not a candidate is final: no missing fact can turn a blocked cell back into a candidate."""
    blocked = result(Tri.NOT_MET, recorded=True)
    assert verdict([REQUIREMENT_UNKNOWN, blocked]) is Verdict.NOT_CANDIDATE
    assert verdict([blocked, REQUIREMENT_UNKNOWN]) is Verdict.NOT_CANDIDATE


@pytest.mark.parametrize("pending", [OPEN_CONFIRMATION, OPEN_INTRA], ids=["pre-procedure", "intra-procedure"])
def test_an_unrecorded_confirmation_is_pending_and_leaves_a_candidate(pending: CriterionResult) -> None:
    assert pending.open_confirmation
    assert not pending.holds_back
    assert verdict([MET, pending]) is Verdict.CANDIDATE


@pytest.mark.parametrize(
    "kind", [{"confirmation": True}, {"phase": "intra_procedure"}], ids=["pre-procedure", "intra-procedure"]
)
def test_a_confirmation_recorded_as_failed_blocks(kind: dict[str, Any]) -> None:
    failed = result(Tri.NOT_MET, recorded=True, **kind)
    assert not failed.open_confirmation
    assert verdict([MET, failed]) is Verdict.NOT_CANDIDATE


@pytest.mark.parametrize(
    "kind", [{"confirmation": True}, {"phase": "intra_procedure"}], ids=["pre-procedure", "intra-procedure"]
)
def test_a_confirmation_something_recorded_speaks_against_holds_the_cell(kind: dict[str, Any]) -> None:
    """A recorded part speaks against it and it is still unknown: under way, not merely pending."""
    under_way = result(Tri.UNKNOWN, contested=True, **kind)
    assert not under_way.open_confirmation
    assert under_way.holds_back
    assert verdict([MET, under_way]) is Verdict.UNDETERMINED


@pytest.mark.parametrize(
    "kind",
    [{}, {"confirmation": True}, {"when_not_met": "condition"}],
    ids=["requirement", "confirmation", "condition-only"],
)
@pytest.mark.parametrize("value", [Tri.MET, Tri.UNKNOWN])
def test_a_reconcile_item_holds_the_cell_whatever_the_logic_said(kind: dict[str, Any], value: Tri) -> None:
    contradicted = result(value, conflicts=("reconcile: a contradicts b",), **kind)
    assert not contradicted.open_confirmation
    assert contradicted.holds_back
    assert verdict([MET, contradicted]) is Verdict.UNDETERMINED


@pytest.mark.parametrize("value", [Tri.NOT_MET, Tri.UNKNOWN])
def test_a_condition_only_criterion_never_blocks_or_holds(value: Tri) -> None:
    condition = result(value, recorded=value is Tri.NOT_MET, when_not_met="condition")
    assert not condition.holds_back
    assert verdict([MET, condition]) is Verdict.CANDIDATE


def test_a_criterion_that_is_not_a_confirmation_is_never_pending() -> None:
    assert not REQUIREMENT_UNKNOWN.open_confirmation
    assert not MET.open_confirmation
    met_confirmation = result(Tri.MET, recorded=True, confirmation=True)
    assert not met_confirmation.open_confirmation


# --- whole records --------------------------------------------------------------------------------------


def example_01(**changes: Any) -> PatientRecord:
    data: dict[str, Any] = yaml.safe_load(EXAMPLE_01.read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    data.update(changes)
    return PatientRecord.model_validate(data)


def set_side(record: PatientRecord, level: str, side: str, **facts: Any) -> PatientRecord:
    data = record.model_dump(mode="json", exclude_none=True)
    for lvl in data["imaging"]["levels"]:
        if lvl["level"] == level:
            for sd in lvl["sides"]:
                if sd["side"] == side:
                    sd.update(facts)
                    if facts.get("laminar_shelf", True) is None:
                        del sd["laminar_shelf"]
    return PatientRecord.model_validate(data)


def epidurogram(appreciated: bool) -> dict[str, Any]:
    return {"epidurogram": [{"level": "L4-L5", "side": "left", "appreciated": appreciated}]}


def pending_ids(record: PatientRecord, ref: str, side: Side) -> list[str]:
    cell = assess_candidacy(record, load_ruleset(ref)).cell(L45, side)
    return [r.criterion.id for r in cell.pending]


@pytest.mark.parametrize("ref", ALL_SETS)
def test_example_01_is_a_candidate_with_the_epidurogram_pending(ref: str) -> None:
    candidacy = assess_candidacy(example_01(), load_ruleset(ref))
    for side in (LEFT, RIGHT):
        cell = candidacy.cell(L45, side)
        assert cell.verdict is Verdict.CANDIDATE
        assert cell.pending[-1].criterion.id == "epidurogram_appreciated", "intra-procedure checks come last"
        assert cell.missing_facts == []
    assert candidacy.cell(Level.L3_L4, LEFT).verdict is Verdict.NOT_CANDIDATE


@pytest.mark.parametrize("ref", ALL_SETS)
def test_an_epidurogram_not_appreciated_makes_that_side_not_a_candidate(ref: str) -> None:
    """The issue's surviving mutant: a failed intra-procedure confirmation must block its own cell only."""
    candidacy = assess_candidacy(example_01(procedure=epidurogram(False)), load_ruleset(ref))
    left, right = candidacy.cell(L45, LEFT), candidacy.cell(L45, RIGHT)
    assert left.verdict is Verdict.NOT_CANDIDATE
    assert "epidurogram_appreciated" not in [r.criterion.id for r in left.pending]
    assert [r.criterion.id for r in left.by_value(Tri.NOT_MET, Phase.INTRA_PROCEDURE)] == [
        "epidurogram_appreciated"
    ]
    assert right.verdict is Verdict.CANDIDATE
    assert right.pending[-1].criterion.id == "epidurogram_appreciated"


@pytest.mark.parametrize("ref", ALL_SETS)
def test_an_appreciated_epidurogram_confirms_the_candidate(ref: str) -> None:
    record = example_01(procedure=epidurogram(True))
    cell = assess_candidacy(record, load_ruleset(ref)).cell(L45, LEFT)
    assert cell.verdict is Verdict.CANDIDATE
    assert "epidurogram_appreciated" not in pending_ids(record, ref, LEFT)


def test_textbook_1_1_0_laminar_shelf_recorded_absent_blocks_that_side() -> None:
    record = set_side(example_01(), "L4-L5", "left", laminar_shelf=False)
    candidacy = assess_candidacy(record, load_ruleset("textbook@1.1.0"))
    assert candidacy.cell(L45, LEFT).verdict is Verdict.NOT_CANDIDATE
    assert candidacy.cell(L45, RIGHT).verdict is Verdict.CANDIDATE


def test_textbook_1_1_0_laminar_shelf_unrecorded_is_pending_before_the_procedure() -> None:
    record = set_side(example_01(), "L4-L5", "left", laminar_shelf=None)
    cell = assess_candidacy(record, load_ruleset("textbook@1.1.0")).cell(L45, LEFT)
    assert cell.verdict is Verdict.CANDIDATE
    ids = pending_ids(record, "textbook@1.1.0", LEFT)
    assert "laminar_shelf_present" in ids
    assert ids.index("laminar_shelf_present") < ids.index("epidurogram_appreciated")
    assert cell.missing_facts == []


def test_textbook_1_0_0_laminar_shelf_unrecorded_holds_the_cell() -> None:
    """Before 1.1.0 the shelf was a requirement, not a confirmation: unknown keeps the cell undetermined."""
    record = set_side(example_01(), "L4-L5", "left", laminar_shelf=None)
    cell = assess_candidacy(record, load_ruleset("textbook@1.0.0")).cell(L45, LEFT)
    assert cell.verdict is Verdict.UNDETERMINED
    assert cell.missing_facts == ["imaging.levels[L4-L5].sides[left].laminar_shelf"]


def test_an_antithrombotic_whose_hold_is_not_recorded_holds_the_cell() -> None:
    """A medication review under way (agent named, hold not decided) is not merely pending."""
    safety = {
        "bleeding_disorder": False,
        "antithrombotics": [{"agent": "clopidogrel"}],
        "systemic_infection": False,
        "local_infection": False,
    }
    cell = assess_candidacy(example_01(safety=safety), load_ruleset("textbook")).cell(L45, LEFT)
    assert cell.verdict is Verdict.UNDETERMINED
    assert cell.missing_facts == ["safety.antithrombotics[0].can_be_held"]
    assert "antithrombotics_can_be_held" not in [r.criterion.id for r in cell.pending]


def test_an_antithrombotic_that_can_be_held_becomes_a_condition_of_the_candidacy() -> None:
    safety = {
        "bleeding_disorder": False,
        "antithrombotics": [{"agent": "clopidogrel", "can_be_held": True}],
        "systemic_infection": False,
        "local_infection": False,
    }
    cell = assess_candidacy(example_01(safety=safety), load_ruleset("textbook")).cell(L45, LEFT)
    assert cell.verdict is Verdict.CANDIDATE
    assert [c.action for c in cell.conditions if "clopidogrel" in c.action.lower()]
    assert all(isinstance(c, Condition) and c.source and c.url for c in cell.conditions)


def test_contradicting_slip_readings_hold_both_sides_and_are_asked_for_first() -> None:
    """A Meyerding grade 0 beside a 6 mm slip is a reconcile item, named before any other fact to document."""
    data: dict[str, Any] = yaml.safe_load(EXAMPLE_01.read_text(encoding="utf-8"))
    l45 = next(lvl for lvl in data["imaging"]["levels"] if lvl["level"] == "L4-L5")
    l45["slip_mm"] = 6
    del l45["sides"][0]["foraminal_stenosis"]
    candidacy = assess_candidacy(PatientRecord.model_validate(data), load_ruleset("textbook@1.1.0"))
    left, right = candidacy.cell(L45, LEFT), candidacy.cell(L45, RIGHT)
    assert left.verdict is Verdict.UNDETERMINED and right.verdict is Verdict.UNDETERMINED
    assert right.missing_facts == right.conflicts and len(right.conflicts) == 1
    assert right.conflicts[0].startswith("reconcile: ") and "slip_mm = 6" in right.conflicts[0]
    assert left.missing_facts[0] == right.conflicts[0]
    assert "imaging.levels[L4-L5].sides[left].foraminal_stenosis" in left.missing_facts[1:]


def test_asking_for_a_cell_that_was_not_assessed_names_it() -> None:
    empty = Candidacy(load_ruleset("textbook"), ())
    with pytest.raises(KeyError) as raised:
        empty.cell(L45, LEFT)
    assert raised.value.args == ((L45, LEFT),)


def test_a_rule_set_never_assessed_before_is_compiled_and_gives_the_same_verdicts() -> None:
    """Criteria are compiled once per rule set object: a new object must be compiled, not served stale."""
    packaged = load_ruleset("textbook@1.1.0")
    fresh = packaged.model_copy()
    record = example_01(procedure=epidurogram(False))
    verdicts = [(c.level, c.side, c.verdict) for c in assess_candidacy(record, fresh).cells if c.level is L45]
    assert verdicts == [(L45, LEFT, Verdict.NOT_CANDIDATE), (L45, RIGHT, Verdict.CANDIDATE)]


def test_a_copy_with_other_criteria_never_reuses_the_originals_compiled_criteria() -> None:
    """The compiled criteria live in the rule set object: a copy (which shares pydantic's private state)
    with the epidurogram check removed is compiled afresh, after the original was compiled and assessed."""
    packaged = load_ruleset("textbook@1.1.0")
    record = example_01(procedure=epidurogram(False))
    assert assess_candidacy(record, packaged).cell(L45, LEFT).verdict is Verdict.NOT_CANDIDATE
    kept = [c for c in packaged.criteria if c.id != "epidurogram_appreciated"]
    trimmed = packaged.model_copy(update={"criteria": kept})
    assert trimmed.runner_store() is not packaged.runner_store()
    assert assess_candidacy(record, trimmed).cell(L45, LEFT).verdict is Verdict.CANDIDATE
    assert assess_candidacy(record, packaged).cell(L45, LEFT).verdict is Verdict.NOT_CANDIDATE
    assert copy.deepcopy(packaged).runner_store() == {}


def test_rule_sets_made_and_dropped_in_turn_each_get_their_own_verdicts() -> None:
    """Short-lived rule sets (addresses are reused after garbage collection): none is served another's."""
    packaged = load_ruleset("textbook@1.1.0")
    record = example_01(procedure=epidurogram(False))
    kept = [c for c in packaged.criteria if c.id != "epidurogram_appreciated"]
    for i in range(40):
        rules = packaged.model_copy(update={"criteria": kept if i % 2 else list(packaged.criteria)})
        expected = Verdict.CANDIDATE if i % 2 else Verdict.NOT_CANDIDATE
        assert assess_candidacy(record, rules).cell(L45, LEFT).verdict is expected, i
        del rules
        gc.collect()


@pytest.mark.parametrize("ref", ALL_SETS)
def test_run_criterion_gives_each_cells_explanation(ref: str) -> None:
    """The public single-criterion entry point agrees with the levels x sides loop, criterion by criterion."""
    rules = load_ruleset(ref)
    record = example_01(procedure=epidurogram(False))
    on = record.on_date()
    for cell in run_candidacy(record, rules, on).cells:
        for found in cell.results:
            assert run_criterion(found.criterion, record, rules, cell.level, cell.side, on) == found.node


def test_run_criterion_compiles_a_criterion_from_outside_the_rule_set() -> None:
    rules = load_ruleset("mild-trial@1.1.0")
    record = example_01()
    (age,) = [c for c in rules.criteria if c.id == "age_at_least_minimum"]
    stricter = age.model_copy(update={"test": parse_expr({"fact": "patient.age", "op": "ge", "value": 80})})
    assert run_criterion(age, record, rules, None, None, record.on_date()).value is Tri.MET
    assert run_criterion(stricter, record, rules, None, None, record.on_date()).value is Tri.NOT_MET


def test_run_criterion_needs_the_cell_its_scope_reads() -> None:
    rules = load_ruleset("textbook@1.1.0")
    side_criterion = next(c for c in rules.criteria if c.scope is Scope.SIDE)
    level_criterion = next(c for c in rules.criteria if c.scope is Scope.LEVEL)
    record, on = example_01(), dt.date(2026, 11, 1)
    with pytest.raises(ValueError, match=r"^a level_side-scoped criterion needs a level and a side$"):
        run_criterion(side_criterion, record, rules, L45, None, on)
    with pytest.raises(ValueError, match=r"^a level-scoped criterion needs a level$"):
        run_criterion(level_criterion, record, rules, None, LEFT, on)
    assert run_criterion(level_criterion, record, rules, L45, None, on).value is not None


def test_run_candidacy_reads_the_as_of_date_it_is_given() -> None:
    """Age from the birth date turns on the date passed in, not on any clock."""
    data: dict[str, Any] = yaml.safe_load(EXAMPLE_01.read_text(encoding="utf-8"))
    data["patient"] = {"birth_date": "1960-06-01", "sex": "male"}
    record = PatientRecord.model_validate(data)
    rules = load_ruleset("mild-trial@1.1.0")
    (age,) = [c for c in rules.criteria if c.id == "age_at_least_minimum"]
    before = run_candidacy(record, rules, dt.date(2025, 5, 31)).cell(L45, LEFT)
    after = run_candidacy(record, rules, dt.date(2025, 6, 1)).cell(L45, LEFT)
    assert next(r for r in before.results if r.criterion is age).value is Tri.NOT_MET
    assert next(r for r in after.results if r.criterion is age).value is Tri.MET


def test_a_reconcile_item_is_asked_for_first_even_when_the_logic_around_it_settled() -> None:
    """An any-of met by another reading still carries its contradiction: document it before anything else."""
    unknown = CriterionResult(
        criterion("age"), Node("age", Tri.UNKNOWN, (("patient.age_years", None),), ("patient.age_years",))
    )
    settled = result(Tri.MET, recorded=True, conflicts=("reconcile: grade 0 contradicts slip 6 mm",))
    cell = Cell(L45, LEFT, verdict([unknown, settled]), (unknown, settled))
    assert cell.verdict is Verdict.UNDETERMINED
    assert cell.missing_facts == ["reconcile: grade 0 contradicts slip 6 mm", "patient.age_years"]


@pytest.mark.parametrize(
    ("care", "detail"),
    [
        (
            {"months": 1, "physical_therapy": False},
            "(not yet met: conservative care for 1 month, no physical therapy)",
        ),
        (None, "(not documented)"),
    ],
    ids=["too-short", "not-documented"],
)
def test_conservative_care_not_yet_tried_is_a_sourced_condition_of_the_candidacy(
    care: dict[str, Any] | None, detail: str
) -> None:
    """Textbook 1.1.0: a condition-only criterion; the candidate carries it, saying what is known."""
    data: dict[str, Any] = yaml.safe_load(EXAMPLE_01.read_text(encoding="utf-8"))
    data["conservative_care"] = care or {}
    rules = load_ruleset("textbook@1.1.0")
    for side in (LEFT, RIGHT):
        cell = assess_candidacy(PatientRecord.model_validate(data), rules).cell(L45, side)
        assert cell.verdict is Verdict.CANDIDATE
        (gate,) = cell.gates
        assert gate.action.startswith("After an adequate trial of conservative care")
        assert detail in gate.action
        assert gate.action.endswith(")")
        assert gate.url.startswith("https://") and gate.source
        assert gate.verification == "P"  # the rule set's tag for this condition, shown with it
        assert gate in cell.conditions


def test_a_confirmation_with_a_part_recorded_and_nothing_against_it_stays_pending() -> None:
    """The left ABI normal and the right not measured: nothing speaks against it yet."""
    partly = result(Tri.UNKNOWN, recorded=True, confirmation=True)
    assert partly.open_confirmation
    assert verdict([MET, partly]) is Verdict.CANDIDATE
