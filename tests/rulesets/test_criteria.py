"""One unit test per packaged criterion: a minimal record that meets it, one that fails it, one unknown.

Every criterion id of every packaged rule set must appear in ``CASES``; a new criterion without its unit
test fails ``test_every_packaged_criterion_has_a_unit_test``. Records are hand-written and minimal, and
evaluated at the criterion's own scope (L4-L5, left side, where it applies).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

import pytest

from lss_pathway.criteria.evaluate import Node, evaluate
from lss_pathway.criteria.facts import Context, Scope
from lss_pathway.criteria.logic import Tri
from lss_pathway.criteria.ruleset import Criterion, RuleSet
from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.record import PatientRecord
from lss_pathway.rulesets.catalog import available, load_ruleset

ON = "2026-11-01"
LEVEL = Level.L4_L5
SIDE = Side.LEFT
M, N, U = Tri.MET, Tri.NOT_MET, Tri.UNKNOWN
BLOCKS = "not met, or unknown"  # anything but MET: the cell cannot be a candidate on this criterion


def lvl(**facts: Any) -> dict[str, Any]:
    return {"imaging": {"levels": [{"level": "L4-L5", **facts}]}}


def sd(**facts: Any) -> dict[str, Any]:
    return {"imaging": {"levels": [{"level": "L4-L5", "sides": [{"side": "left", **facts}]}]}}


class Cases(NamedTuple):
    met: dict[str, Any]
    not_met: dict[str, Any]
    unknown: dict[str, Any]


NO_RED_FLAGS = {
    "saddle_anaesthesia": False,
    "new_bladder_bowel_dysfunction": False,
    "progressive_motor_deficit": False,
    "bilateral_leg_deficit": False,
    "sexual_dysfunction": False,
}

CASES: dict[str, Cases] = {
    # --- textbook ---------------------------------------------------------------------------------------
    "neurogenic_claudication": Cases(
        {"symptoms": {"leg_symptoms": True, "provoked_by_walking": True, "relieved_by_sitting": True}},
        {"symptoms": {"leg_symptoms": False}},
        {},
    ),
    "not_vascular_claudication": Cases(
        {
            "symptoms": {"relieved_by_standing_still": False},
            "exam": {"pedal_pulses": {"left": "palpable", "right": "palpable"}},
        },
        {"symptoms": {"relieved_by_standing_still": True}},
        {},
    ),
    "no_cauda_equina_signs": Cases(
        {"red_flags": NO_RED_FLAGS},
        {"red_flags": {"saddle_anaesthesia": True}},
        {},
    ),
    "no_severe_neurologic_deficit": Cases(
        {"exam": {"neurologic_deficit": "moderate"}},
        {"exam": {"neurologic_deficit": "severe"}},
        {},
    ),
    "no_infection": Cases(
        {"safety": {"systemic_infection": False, "local_infection": False}},
        {"safety": {"local_infection": True}},
        {},
    ),
    "no_bleeding_disorder": Cases(
        {"safety": {"bleeding_disorder": False}},
        {"safety": {"bleeding_disorder": True}},
        {},
    ),
    "antithrombotics_can_be_held": Cases(
        {"safety": {"antithrombotics": []}},
        {"safety": {"antithrombotics": [{"agent": "clopidogrel", "can_be_held": False}]}},
        {},
    ),
    "central_stenosis_from_lf": Cases(
        lvl(canal_area_mm2=80, dominant_cause="lf_hypertrophy"),
        lvl(canal_area_mm2=80, dominant_cause="disc"),
        {},
    ),
    "no_instability": Cases(
        lvl(instability=False, translation_mm=1.0, angulation_deg=2.0),
        lvl(instability=True, translation_mm=5.0, angulation_deg=12.0),
        {},
    ),
    "spondylolisthesis_below_grade_2": Cases(
        lvl(meyerding_grade=1),
        lvl(meyerding_grade=2, slip_percent=35),
        {},
    ),
    "no_prior_surgery_at_level": Cases(
        {"prior_procedures": []},
        {"prior_procedures": [{"type": "laminectomy", "levels": ["L4-L5"]}]},
        {},
    ),
    "lf_hypertrophy_on_side": Cases(
        sd(lf_hypertrophy=True),
        sd(lf_hypertrophy=False, lf_thickness_mm=3.0),
        {},
    ),
    "no_severe_foraminal_or_lateral_stenosis": Cases(
        sd(foraminal_stenosis="moderate", lateral_recess_stenosis="moderate"),
        sd(foraminal_stenosis="severe"),
        {},
    ),
    "laminar_shelf_present": Cases(
        sd(laminar_shelf=True),
        sd(laminar_shelf=False),
        {},
    ),
    "epidurogram_appreciated": Cases(
        {"procedure": {"epidurogram": [{"level": "L4-L5", "side": "left", "appreciated": True}]}},
        {"procedure": {"epidurogram": [{"level": "L4-L5", "side": "left", "appreciated": False}]}},
        {},
    ),
    # --- mild-trial -------------------------------------------------------------------------------------
    "age_at_least_minimum": Cases({"patient": {"age_years": 65}}, {"patient": {"age_years": 64}}, {}),
    "claudication_duration": Cases(
        {"symptoms": {"duration_months": 3}}, {"symptoms": {"duration_months": 2.9}}, {}
    ),
    "failed_conservative_care": Cases(
        {
            "conservative_care": {
                "months": 3,
                "physical_therapy": True,
                "home_exercise": True,
                "analgesics": True,
            }
        },
        {"conservative_care": {"physical_therapy": False}},
        {},
    ),
    "recent_cross_sectional_imaging": Cases(
        {"imaging": {"modality": "MRI", "date": "2026-05-01"}},
        {"imaging": {"modality": "MRI", "date": "2024-01-01"}},
        {},
    ),
    "baseline_disability": Cases({"baseline": {"odi_percent": 40}}, {"baseline": {"odi_percent": 20}}, {}),
    "baseline_pain": Cases({"baseline": {"nprs": 7}}, {"baseline": {"nprs": 3}}, {}),
    "can_walk_minimum": Cases(
        {"symptoms": {"walking_tolerance_m": 100}}, {"symptoms": {"walking_tolerance_m": 0}}, {}
    ),
    "no_recent_esi": Cases(
        {"conservative_care": {"esi_count": 0}},
        {"conservative_care": {"esi_count": 2, "last_esi_date": "2026-10-01"}},
        {},
    ),
    "slip_within_trial_limit": Cases(
        lvl(meyerding_grade=0),
        lvl(meyerding_grade=1, slip_mm=6),
        {},
    ),
    "lf_thickness_on_side": Cases(sd(lf_thickness_mm=3.0), sd(lf_thickness_mm=2.0), {}),
    # --- cms-ncd-150.13 ---------------------------------------------------------------------------------
    "medicare_beneficiary": Cases(
        {"coverage": {"medicare_beneficiary": True}}, {"coverage": {"medicare_beneficiary": False}}, {}
    ),
    "enrolled_in_ced_study": Cases(
        {"coverage": {"ced_study_enrolled": True}}, {"coverage": {"ced_study_enrolled": False}}, {}
    ),
}

# Boundary values and other cases worth pinning: (criterion id, record, expected).
BOUNDARIES: list[Any] = [
    # LF: mild-trial ">= 2.5 mm" is met at exactly 2.5.
    pytest.param("lf_thickness_on_side", sd(lf_thickness_mm=2.5), M, id="lf-2.5-met"),
    pytest.param("lf_thickness_on_side", sd(lf_thickness_mm=2.49), N, id="lf-2.49-not-met"),
    pytest.param("lf_hypertrophy_on_side", sd(lf_hypertrophy=False, lf_thickness_mm=4.0), M, id="lf-4.0-met"),
    pytest.param("lf_hypertrophy_on_side", sd(lf_hypertrophy=False, lf_thickness_mm=3.99), N, id="lf-3.99"),
    pytest.param(
        "lf_hypertrophy_on_side", sd(lf_hypertrophy=True, lf_thickness_mm=2.0), M, id="lf-flag-wins"
    ),
    pytest.param("lf_hypertrophy_on_side", sd(lf_thickness_mm=3.0), U, id="lf-thin-flag-unknown"),
    # Canal area "< 100": 100 is not stenosis, 99.9 is (the other measures of stenosis unknown or agreeing).
    pytest.param(
        "central_stenosis_from_lf",
        lvl(canal_area_mm2=100, central_stenosis="mild", schizas="A", dominant_cause="lf_hypertrophy"),
        N,
        id="canal-100-not-met",
    ),
    pytest.param(
        "central_stenosis_from_lf",
        lvl(canal_area_mm2=99.9, dominant_cause="lf_hypertrophy"),
        M,
        id="canal-99.9-met",
    ),
    pytest.param(
        "central_stenosis_from_lf",
        lvl(canal_area_mm2=100, dominant_cause="lf_hypertrophy"),
        BLOCKS,
        id="canal-100-alone",
    ),
    pytest.param(
        "central_stenosis_from_lf",
        lvl(canal_area_mm2=99.9, central_stenosis="severe", schizas="C", dominant_cause="lf_hypertrophy"),
        M,
        id="canal-99.9-measures-agree",
    ),
    pytest.param(
        "central_stenosis_from_lf",
        lvl(central_stenosis="moderate", dominant_cause="mixed"),
        M,
        id="moderate-mixed",
    ),
    # Schizas is shown in the grading but is not part of the rule: alone it settles nothing.
    pytest.param(
        "central_stenosis_from_lf", lvl(schizas="B", dominant_cause="lf_hypertrophy"), U, id="schizas-B"
    ),
    pytest.param("central_stenosis_from_lf", lvl(canal_area_mm2=50), U, id="cause-unknown"),
    pytest.param("central_stenosis_from_lf", lvl(canal_area_mm2=50, dominant_cause="facet"), N, id="facet"),
    # ABI: "> 0.90 and <= 1.40" (palpable pulses on the right settle that leg).
    pytest.param(
        "not_vascular_claudication",
        {
            "symptoms": {"relieved_by_standing_still": False},
            "exam": {
                "pedal_pulses": {"left": "absent", "right": "palpable"},
                "abi": {"left": 0.90},
                "tbi": {"left": 0.5},
            },
        },
        N,
        id="abi-0.90-not-met",
    ),
    pytest.param(
        "not_vascular_claudication",
        {
            "symptoms": {"relieved_by_standing_still": False},
            "exam": {
                "pedal_pulses": {"left": "absent", "right": "palpable"},
                "abi": {"left": 0.91},
                "tbi": {"left": 0.5},
            },
        },
        M,
        id="abi-0.91-met",
    ),
    pytest.param(
        "not_vascular_claudication",
        {
            "symptoms": {"relieved_by_standing_still": False},
            "exam": {
                "pedal_pulses": {"left": "palpable", "right": "diminished"},
                "abi": {"right": 1.40},
                "tbi": {"right": 0.5},
            },
        },
        M,
        id="abi-1.40-met",
    ),
    pytest.param(
        "not_vascular_claudication",
        {
            "symptoms": {"relieved_by_standing_still": False},
            "exam": {
                "pedal_pulses": {"left": "palpable", "right": "diminished"},
                "abi": {"right": 1.41},
                "tbi": {"right": 0.5},
            },
        },
        N,
        id="abi-1.41-noncompressible",
    ),
    pytest.param(
        "not_vascular_claudication",
        {
            "symptoms": {"relieved_by_standing_still": False},
            "exam": {
                "pedal_pulses": {"left": "palpable", "right": "absent"},
                "abi": {"right": 0.5},
                "tbi": {"right": 0.71},
            },
        },
        M,
        id="tbi-0.71-met",
    ),
    pytest.param(
        "not_vascular_claudication",
        {
            "symptoms": {"relieved_by_standing_still": False},
            "exam": {
                "pedal_pulses": {"left": "palpable", "right": "absent"},
                "abi": {"right": 0.5},
                "tbi": {"right": 0.70},
            },
        },
        N,
        id="tbi-0.70-not-met",
    ),
    pytest.param(
        "not_vascular_claudication",
        {"symptoms": {"relieved_by_standing_still": False}, "exam": {"pedal_pulses": {"left": "palpable"}}},
        U,
        id="right-leg-unknown",
    ),
    # Age 65 exactly, from age_years or from birth date.
    pytest.param("age_at_least_minimum", {"patient": {"birth_date": "1961-11-01"}}, M, id="65th-birthday"),
    pytest.param("age_at_least_minimum", {"patient": {"birth_date": "1961-11-02"}}, N, id="day-before-65"),
    pytest.param("claudication_duration", {"symptoms": {"duration_months": 2.99}}, N, id="duration-2.99"),
    pytest.param(
        "failed_conservative_care",
        {
            "conservative_care": {
                "months": 2.9,
                "physical_therapy": True,
                "home_exercise": True,
                "analgesics": True,
            }
        },
        N,
        id="care-2.9-months",
    ),
    pytest.param(
        "failed_conservative_care",
        {"conservative_care": {"months": 6, "physical_therapy": True, "home_exercise": True}},
        U,
        id="care-analgesics-unknown",
    ),
    # Imaging exactly 12 calendar months old is "within 12 months"; a day more is not.
    pytest.param(
        "recent_cross_sectional_imaging",
        {"imaging": {"modality": "MRI", "date": "2025-11-01"}},
        M,
        id="img-12-mo",
    ),
    pytest.param(
        "recent_cross_sectional_imaging",
        {"assessment_date": "2024-11-01", "imaging": {"modality": "CT", "date": "2023-11-01"}},
        M,
        id="img-12-mo-across-leap-day",
    ),
    pytest.param(
        "recent_cross_sectional_imaging",
        {"imaging": {"modality": "MRI", "date": "2025-10-31"}},
        N,
        id="img-12-mo-and-a-day",
    ),
    pytest.param(
        "recent_cross_sectional_imaging",
        {"imaging": {"modality": "CT_myelogram", "date": "2026-10-01"}},
        M,
        id="img-ct-myelogram",
    ),
    pytest.param(
        "recent_cross_sectional_imaging", {"imaging": {"date": "2026-10-01"}}, U, id="img-modality-unknown"
    ),
    pytest.param("baseline_disability", {"baseline": {"odi_percent": 31}}, M, id="odi-31"),
    pytest.param("baseline_disability", {"baseline": {"odi_percent": 30.99}}, N, id="odi-30.99"),
    pytest.param("baseline_pain", {"baseline": {"nprs": 5}}, M, id="nprs-5"),
    pytest.param("baseline_pain", {"baseline": {"nprs": 4.99}}, N, id="nprs-4.99"),
    pytest.param("can_walk_minimum", {"symptoms": {"walking_tolerance_m": 3.05}}, M, id="walk-3.05"),
    pytest.param("can_walk_minimum", {"symptoms": {"walking_tolerance_m": 3.04}}, N, id="walk-3.04"),
    # ESI exactly 8 weeks (56 days) before the assessment date is outside the washout.
    pytest.param(
        "no_recent_esi",
        {"conservative_care": {"esi_count": 1, "last_esi_date": "2026-09-06"}},
        M,
        id="esi-8-weeks",
    ),
    pytest.param(
        "no_recent_esi",
        {"conservative_care": {"esi_count": 1, "last_esi_date": "2026-09-07"}},
        N,
        id="esi-55-days",
    ),
    pytest.param("no_recent_esi", {"conservative_care": {"esi_count": 1}}, U, id="esi-date-unknown"),
    pytest.param("slip_within_trial_limit", lvl(meyerding_grade=1, slip_mm=5.0), M, id="slip-5.0mm"),
    pytest.param("slip_within_trial_limit", lvl(meyerding_grade=1, slip_mm=5.01), N, id="slip-5.01mm"),
    pytest.param("slip_within_trial_limit", lvl(meyerding_grade=1), U, id="slip-mm-unknown"),
    # Instability: translation "< 4 mm" and angulation "< 10 degrees".
    pytest.param(
        "no_instability", lvl(instability=False, translation_mm=3.99, angulation_deg=9.99), M, id="dyn-below"
    ),
    pytest.param(
        "no_instability", lvl(instability=True, translation_mm=4.0, angulation_deg=0), N, id="transl-4.0"
    ),
    pytest.param(
        "no_instability", lvl(instability=True, translation_mm=0, angulation_deg=10.0), N, id="angul-10"
    ),
    pytest.param("no_instability", lvl(translation_mm=1.0), U, id="angulation-unknown"),
    # A level reported unstable is a contraindication whatever else is known.
    pytest.param("no_instability", lvl(instability=True), N, id="instability-flag-alone"),
    pytest.param(
        "no_instability",
        lvl(instability=True, translation_mm=1.0, angulation_deg=2.0),
        BLOCKS,
        id="instability-flag-small-motion-conflict",
    ),
    pytest.param(
        "no_instability",
        lvl(instability=False, translation_mm=5.0),
        BLOCKS,
        id="stable-flag-large-motion-conflict",
    ),
    pytest.param("no_instability", lvl(translation_mm=5.0), N, id="translation-5-alone"),
    # Meyerding: grade I (<= 25 %) is within the indication; grade II or more is not.
    pytest.param("spondylolisthesis_below_grade_2", lvl(slip_percent=25), M, id="slip-25pct"),
    pytest.param(
        "spondylolisthesis_below_grade_2", lvl(meyerding_grade=2, slip_percent=26), N, id="slip-26pct"
    ),
    pytest.param("spondylolisthesis_below_grade_2", lvl(meyerding_grade=0), M, id="grade-0"),
    pytest.param("spondylolisthesis_below_grade_2", lvl(meyerding_grade=2), N, id="grade-2-alone"),
    pytest.param("spondylolisthesis_below_grade_2", lvl(slip_percent=30), N, id="slip-30pct-alone"),
    pytest.param(
        "no_severe_neurologic_deficit", {"exam": {"neurologic_deficit": "none"}}, M, id="deficit-none"
    ),
    pytest.param(
        "no_severe_neurologic_deficit", {"exam": {"neurologic_deficit": "mild"}}, M, id="deficit-mild"
    ),
    pytest.param(
        "no_cauda_equina_signs",
        {"red_flags": {"saddle_anaesthesia": False, "new_bladder_bowel_dysfunction": False}},
        U,
        id="one-red-flag-unknown",
    ),
    pytest.param(
        "no_cauda_equina_signs", {"red_flags": {"progressive_motor_deficit": True}}, N, id="motor-deficit"
    ),
    pytest.param("no_infection", {"safety": {"systemic_infection": False}}, U, id="local-infection-unknown"),
    pytest.param(
        "antithrombotics_can_be_held",
        {"safety": {"antithrombotics": [{"agent": "warfarin", "can_be_held": True}]}},
        M,
        id="warfarin-holdable",
    ),
    pytest.param(
        "antithrombotics_can_be_held",
        {"safety": {"antithrombotics": [{"agent": "warfarin"}]}},
        U,
        id="warfarin-hold-unknown",
    ),
    pytest.param(
        "no_prior_surgery_at_level",
        {"prior_procedures": [{"type": "fusion", "levels": ["L5-S1"]}]},
        M,
        id="prior-other-level",
    ),
    pytest.param(
        "no_prior_surgery_at_level", {"prior_procedures": [{"type": "mild"}]}, U, id="prior-levels-unknown"
    ),
    pytest.param(
        "no_severe_foraminal_or_lateral_stenosis",
        sd(lateral_recess_stenosis="severe"),
        N,
        id="lateral-severe",
    ),
    pytest.param(
        "no_severe_foraminal_or_lateral_stenosis", sd(foraminal_stenosis="mild"), U, id="lateral-unknown"
    ),
    pytest.param(
        "epidurogram_appreciated",
        {"procedure": {"epidurogram": [{"level": "L4-L5", "side": "right", "appreciated": True}]}},
        U,
        id="epidurogram-other-side",
    ),
]


# --- helpers ---------------------------------------------------------------------------------------------


def _all_rulesets() -> list[RuleSet]:
    return [load_ruleset(entry.ref) for entry in available()]


def _pairs() -> list[Any]:
    return [
        pytest.param(rules.ref, criterion.id, id=f"{rules.id}:{criterion.id}")
        for rules in _all_rulesets()
        for criterion in rules.criteria
    ]


def _boundary_pairs() -> list[Any]:
    out = []
    for case in BOUNDARIES:
        criterion_id, data, expected = case.values
        for rules in _all_rulesets():
            if any(c.id == criterion_id for c in rules.criteria):
                out.append(pytest.param(rules.ref, criterion_id, data, expected, id=f"{rules.id}:{case.id}"))
    return out


def _criterion(rules: RuleSet, criterion_id: str) -> Criterion:
    return next(c for c in rules.criteria if c.id == criterion_id)


def evaluate_at_scope(criterion: Criterion, data: dict[str, Any], rules: RuleSet) -> Node:
    record = PatientRecord.model_validate({"assessment_date": ON, **data})
    on = record.on_date()
    if criterion.scope is Scope.PATIENT:
        ctx = Context(record, on)
    else:
        findings = record.imaging.level(LEVEL)
        if criterion.scope is Scope.LEVEL:
            ctx = Context(record, on, LEVEL, None, findings)
        else:
            side_findings = findings.side(SIDE) if findings is not None else None
            ctx = Context(record, on, LEVEL, SIDE, findings, side_findings)
    return evaluate(criterion.test, ctx, rules)


# --- the tests ---------------------------------------------------------------------------------------------


def test_every_packaged_criterion_has_a_unit_test() -> None:
    packaged = {c.id for rules in _all_rulesets() for c in rules.criteria}
    assert packaged - set(CASES) == set(), "criteria without a unit test in CASES"


def test_no_stale_cases() -> None:
    packaged = {c.id for rules in _all_rulesets() for c in rules.criteria}
    assert set(CASES) - packaged == set(), "CASES lists criteria that no packaged rule set has"


@pytest.mark.parametrize(("ref", "criterion_id"), _pairs())
def test_met(ref: str, criterion_id: str) -> None:
    rules = load_ruleset(ref)
    node = evaluate_at_scope(_criterion(rules, criterion_id), CASES[criterion_id].met, rules)
    assert node.value is Tri.MET
    assert node.missing == ()


@pytest.mark.parametrize(("ref", "criterion_id"), _pairs())
def test_not_met(ref: str, criterion_id: str) -> None:
    rules = load_ruleset(ref)
    node = evaluate_at_scope(_criterion(rules, criterion_id), CASES[criterion_id].not_met, rules)
    assert node.value is Tri.NOT_MET
    assert node.missing == ()
    assert node.conditions == ()


@pytest.mark.parametrize(("ref", "criterion_id"), _pairs())
def test_unknown(ref: str, criterion_id: str) -> None:
    rules = load_ruleset(ref)
    node = evaluate_at_scope(_criterion(rules, criterion_id), CASES[criterion_id].unknown, rules)
    assert node.value is Tri.UNKNOWN
    assert node.missing, "an unknown criterion must say what to document"
    assert node.conditions == ()


@pytest.mark.parametrize(("ref", "criterion_id", "data", "expected"), _boundary_pairs())
def test_boundaries(ref: str, criterion_id: str, data: dict[str, Any], expected: Tri | str) -> None:
    rules = load_ruleset(ref)
    node = evaluate_at_scope(_criterion(rules, criterion_id), data, rules)
    if expected == BLOCKS:
        assert node.value is not Tri.MET
    else:
        assert node.value is expected
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
def test_conflicting_instability_findings_never_meet_the_criterion(data: dict[str, Any]) -> None:
    """The flag and the measurements are two readings of one finding; disagreement is never reassurance."""
    rules = load_ruleset("textbook")
    node = evaluate_at_scope(_criterion(rules, "no_instability"), data, rules)
    assert node.value is not Tri.MET
    if node.value is Tri.UNKNOWN:
        assert any(m.startswith("reconcile conflicting findings") for m in node.missing), node.missing


def test_grade_and_percent_agree_on_a_grade_i_slip() -> None:
    rules = load_ruleset("textbook")
    data = lvl(meyerding_grade=1, slip_percent=10, slip_mm=3)
    assert (
        evaluate_at_scope(_criterion(rules, "spondylolisthesis_below_grade_2"), data, rules).value is Tri.MET
    )


def test_boundary_dates_are_what_they_claim() -> None:
    on = dt.date.fromisoformat(ON)
    assert (on - dt.date(2026, 9, 6)).days == 56
    assert (on - dt.date(2025, 11, 1)).days == 365
    assert (dt.date(2024, 11, 1) - dt.date(2023, 11, 1)).days == 366
