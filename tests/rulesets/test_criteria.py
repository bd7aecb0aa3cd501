"""One unit test per packaged criterion: a minimal record that meets it, one that fails it, one unknown.

Every criterion id of every packaged rule set must appear in the table of its version (``CASES`` for the
1.0.0 sets, ``CASES_1_1`` for 1.1.0, where several criteria changed meaning); a new criterion without its
unit test fails ``test_every_packaged_criterion_has_a_unit_test``. Records are hand-written and minimal,
and evaluated at the criterion's own scope (L4-L5, left side, where it applies). A consistency criterion
is never "not met": its failing case must come out unknown with a reconcile item.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

import pytest

from lss_pathway.criteria.evaluate import Node, evaluate
from lss_pathway.criteria.facts import Scope
from lss_pathway.criteria.logic import Tri
from lss_pathway.criteria.python_runner import Context
from lss_pathway.criteria.ruleset import Criterion, Kind, RuleSet
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


# --- 1.1.0 (issue 9): what changed meaning, and what is new ---------------------------------------------

NORMAL_LEGS = {"pedal_pulses": {"left": "palpable", "right": "palpable"}}
CES_CLEAR = {
    "saddle_anaesthesia": False,
    "new_bladder_bowel_dysfunction": False,
    "progressive_motor_deficit": False,
}

CASES_1_1: dict[str, Cases] = {
    **{k: v for k, v in CASES.items() if k not in ("no_cauda_equina_signs", "central_stenosis_from_lf")},
    "not_vascular_claudication": Cases(
        {"exam": NORMAL_LEGS},
        {
            "exam": {
                "pedal_pulses": {"left": "absent", "right": "palpable"},
                "abi": {"left": 0.6},
                "tbi": {"left": 0.5},
                "vascular_cause_excluded": False,
            }
        },
        {"symptoms": {"relieved_by_standing_still": False}},
    ),
    "no_abnormal_vascular_index": Cases(
        {"exam": {"abi": {"left": 1.1, "right": 1.0}}},
        {"exam": {"abi": {"left": 0.6, "right": 1.0}, "vascular_cause_excluded": False}},
        {"exam": NORMAL_LEGS},
    ),
    "no_vascular_relief_pattern": Cases(
        {"symptoms": {"relieved_by_standing_still": False}},
        {
            "symptoms": {"relieved_by_standing_still": True},
            "exam": {"exercise_abi_normal": False, "vascular_cause_excluded": False},
        },
        {"symptoms": {"relieved_by_standing_still": True}},
    ),
    "no_cauda_equina_emergency": Cases(
        {"red_flags": CES_CLEAR, "exam": {"neurologic_deficit": "none"}},
        {"red_flags": {**CES_CLEAR, "new_bladder_bowel_dysfunction": True, "bladder_bowel_onset_days": 3}},
        {"red_flags": CES_CLEAR, "exam": {"neurologic_deficit": "mild"}},
    ),
    "long_standing_cauda_equina_features_reviewed": Cases(
        {"red_flags": {**CES_CLEAR, "bilateral_leg_deficit": False}},
        {
            "red_flags": {
                **CES_CLEAR,
                "bilateral_leg_deficit": True,
                "bilateral_leg_deficit_onset_days": 400,
                "specialist_review_cleared": False,
            }
        },
        {"red_flags": {**CES_CLEAR, "bilateral_leg_deficit": True, "bilateral_leg_deficit_onset_days": 400}},
    ),
    "no_new_sexual_dysfunction": Cases(
        {"red_flags": {"sexual_dysfunction": False}},
        {"red_flags": {"sexual_dysfunction": True, "sexual_dysfunction_onset_days": 5}},
        {},
    ),
    "neurologic_readings_agree": Cases(
        {"red_flags": {"bilateral_leg_deficit": False}, "exam": {"neurologic_deficit": "none"}},
        {"red_flags": {"bilateral_leg_deficit": True}, "exam": {"neurologic_deficit": "none"}},
        {},
    ),
    "conservative_care_tried": Cases(
        {
            "conservative_care": {
                "months": 3,
                "physical_therapy": True,
                "home_exercise": True,
                "analgesics": True,
            }
        },
        {"conservative_care": {"months": 1, "physical_therapy": False}},
        {},
    ),
    "central_canal_stenosis": Cases(lvl(canal_area_mm2=80), lvl(canal_area_mm2=130), {}),
    "lf_is_a_cause_of_stenosis": Cases(lvl(dominant_cause="mixed"), lvl(dominant_cause="facet"), {}),
    "no_instability": Cases(
        lvl(instability=False),
        lvl(translation_mm=5.0),
        lvl(instability=None),
    ),
    "slip_readings_agree": Cases(lvl(meyerding_grade=1, slip_mm=4), lvl(meyerding_grade=0, slip_mm=10), {}),
    "no_prior_surgery_at_level": Cases(
        {"prior_procedures": []},
        {"prior_procedures": [{"type": "laminectomy", "levels": ["L4-L5"]}], **sd(laminar_shelf=False)},
        {},
    ),
    "lf_hypertrophy_on_side": Cases(
        sd(lf_hypertrophy=True),
        sd(lf_hypertrophy=False, lf_thickness_mm=3.0),
        {},
    ),
    "no_severe_foraminal_or_lateral_stenosis": Cases(
        sd(foraminal_stenosis="moderate"), sd(foraminal_stenosis="severe"), sd(lateral_recess_stenosis="mild")
    ),
    "no_severe_lateral_recess_stenosis": Cases(
        sd(lateral_recess_stenosis="moderate"),
        sd(lateral_recess_stenosis="severe"),
        sd(foraminal_stenosis="mild"),
    ),
    "no_lumbar_surgery_in_prior_year": Cases(
        {"prior_procedures": [{"type": "discectomy", "levels": ["L4-L5"], "date": "2026-06-01"}]},
        {"prior_procedures": [{"type": "mild", "levels": ["L3-L4"], "date": "2026-03-01"}]},
        {"prior_procedures": [{"type": "fusion", "levels": ["L5-S1"]}]},
    ),
}

BOUNDARIES_1_1: list[Any] = [
    # Item 1: either documentation of stability suffices; disagreement is a reconcile item.
    pytest.param("no_instability", lvl(instability=False), M, id="i1-stable-flag-alone"),
    pytest.param("no_instability", lvl(translation_mm=1.0), M, id="i1-small-translation-alone"),
    pytest.param(
        "no_instability", lvl(instability=False, translation_mm=5.0), U, id="i1-flag-vs-translation"
    ),
    pytest.param("no_instability", lvl(instability=True, translation_mm=1.0), U, id="i1-unstable-vs-small"),
    pytest.param("no_instability", lvl(instability=True), N, id="i1-unstable-flag-alone"),
    pytest.param("no_instability", lvl(translation_mm=3.99), M, id="i1-translation-3.99"),
    pytest.param("no_instability", lvl(translation_mm=4.0), N, id="i1-translation-4.0"),
    # Item 2: angulation is not a reading of instability in 1.1.0 (7-14 degrees is normal, Hayes 1989).
    pytest.param("no_instability", lvl(angulation_deg=11), U, id="i2-angulation-alone-decides-nothing"),
    pytest.param("no_instability", lvl(translation_mm=2, angulation_deg=25), M, id="i2-translation-decides"),
    # Item 3: the core screen negative and a normal examination settle the emergency question.
    pytest.param(
        "no_cauda_equina_emergency",
        {"red_flags": CES_CLEAR, "exam": {"neurologic_deficit": "none"}},
        M,
        id="i3-core-negative-normal-exam",
    ),
    pytest.param(
        "no_new_sexual_dysfunction", {"red_flags": CES_CLEAR}, U, id="i3-sexual-dysfunction-is-a-confirmation"
    ),
    # Item 4: long-standing features wait for the specialist review, then clear.
    pytest.param(
        "no_cauda_equina_emergency",
        {
            "red_flags": {
                **CES_CLEAR,
                "bilateral_leg_deficit": True,
                "bilateral_leg_deficit_onset_days": 400,
            },
        },
        M,
        id="i4-chronic-bilateral-deficit-not-emergency",
    ),
    pytest.param(
        "long_standing_cauda_equina_features_reviewed",
        {
            "red_flags": {
                **CES_CLEAR,
                "bilateral_leg_deficit": True,
                "bilateral_leg_deficit_onset_days": 400,
                "specialist_review_cleared": True,
            }
        },
        M,
        id="i4-reviewed-and-cleared",
    ),
    pytest.param(
        "no_new_sexual_dysfunction",
        {
            "red_flags": {
                "sexual_dysfunction": True,
                "sexual_dysfunction_onset_days": 2000,
                "specialist_review_cleared": True,
            }
        },
        M,
        id="i4-long-standing-erectile-dysfunction-reviewed",
    ),
    pytest.param(
        "no_new_sexual_dysfunction",
        {"red_flags": {"sexual_dysfunction": True}},
        U,
        id="i4-sexual-dysfunction-onset-unknown",
    ),
    pytest.param(
        "no_cauda_equina_emergency",
        {
            "red_flags": {**CES_CLEAR, "saddle_anaesthesia": True, "saddle_anaesthesia_onset_days": 500},
            "exam": {"neurologic_deficit": "none"},
        },
        U,
        id="i4-chronic-saddle-needs-residual",
    ),
    pytest.param(
        "no_cauda_equina_emergency",
        {
            "red_flags": {
                **CES_CLEAR,
                "saddle_anaesthesia": True,
                "saddle_anaesthesia_onset_days": 500,
                "post_void_residual_ml": 200,
            },
            "exam": {"neurologic_deficit": "none"},
        },
        N,
        id="i4-chronic-saddle-residual-200",
    ),
    # Item 5: relief on standing still asks for an exercise ABI; it does not block on its own.
    pytest.param(
        "no_vascular_relief_pattern",
        {"symptoms": {"relieved_by_standing_still": True}, "exam": {"exercise_abi_normal": True}},
        M,
        id="i5-exercise-abi-normal",
    ),
    pytest.param(
        "not_vascular_claudication",
        {"symptoms": {"relieved_by_standing_still": True}, "exam": NORMAL_LEGS},
        M,
        id="i5-standing-still-not-in-the-leg-rule",
    ),
    # Item 6: prior surgery at the level (textbook): only open surgery counts, and the shelf decides.
    pytest.param(
        "no_prior_surgery_at_level",
        {"prior_procedures": [{"type": "mild", "levels": ["L4-L5"]}]},
        M,
        id="i6-prior-mild",
    ),
    pytest.param(
        "no_prior_surgery_at_level",
        {"prior_procedures": [{"type": "other", "levels": ["L4-L5"]}]},
        M,
        id="i6-prior-other",
    ),
    pytest.param(
        "no_prior_surgery_at_level",
        {"prior_procedures": [{"type": "laminotomy", "levels": ["L4-L5"]}], **sd(laminar_shelf=True)},
        M,
        id="i6-laminotomy-shelf-documented",
    ),
    pytest.param(
        "no_prior_surgery_at_level",
        {"prior_procedures": [{"type": "laminotomy", "levels": ["L4-L5"]}]},
        U,
        id="i6-laminotomy-shelf-unknown",
    ),
    # Item 7: Schizas and AP diameter are evidence of central stenosis.
    pytest.param("central_canal_stenosis", lvl(schizas="C"), M, id="i7-schizas-C"),
    pytest.param("central_canal_stenosis", lvl(schizas="B"), M, id="i7-schizas-B"),
    pytest.param("central_canal_stenosis", lvl(schizas="A2"), N, id="i7-schizas-A2"),
    pytest.param("central_canal_stenosis", lvl(ap_diameter_mm=9), M, id="i7-ap-9"),
    pytest.param("central_canal_stenosis", lvl(ap_diameter_mm=11.99), M, id="i7-ap-11.99"),
    pytest.param("central_canal_stenosis", lvl(ap_diameter_mm=12), N, id="i7-ap-12"),
    pytest.param("central_canal_stenosis", lvl(canal_area_mm2=99.9), M, id="canal-99.9"),
    pytest.param("central_canal_stenosis", lvl(canal_area_mm2=100), N, id="canal-100"),
    pytest.param("central_canal_stenosis", lvl(central_stenosis="moderate"), M, id="grade-moderate"),
    pytest.param("central_canal_stenosis", lvl(central_stenosis="mild"), N, id="grade-mild"),
    # Item 8: a measured abnormal index is never overridden by a palpable pulse.
    pytest.param(
        "no_abnormal_vascular_index",
        {"exam": {"pedal_pulses": {"left": "palpable"}, "abi": {"left": 0.60, "right": 1.0}}},
        U,
        id="i8-abi-0.60-with-pulse",
    ),
    pytest.param(
        "no_abnormal_vascular_index", {"exam": {"abi": {"left": 0.90, "right": 1.0}}}, U, id="i8-abi-0.90"
    ),
    pytest.param(
        "no_abnormal_vascular_index", {"exam": {"abi": {"left": 0.91, "right": 1.0}}}, M, id="i8-abi-0.91"
    ),
    pytest.param(
        "no_abnormal_vascular_index",
        {"exam": {"abi": {"left": 1.41, "right": 1.0}}},
        U,
        id="i8-abi-1.41-no-tbi",
    ),
    pytest.param(
        "no_abnormal_vascular_index",
        {"exam": {"abi": {"left": 1.41, "right": 1.0}, "tbi": {"left": 0.71}}},
        M,
        id="i8-abi-1.41-tbi-0.71",
    ),
    pytest.param(
        "no_abnormal_vascular_index",
        {"exam": {"abi": {"left": 1.5, "right": 1.0}, "tbi": {"left": 0.65}}},
        U,
        id="i8-tbi-0.65-pending-workup",
    ),
    pytest.param(
        "no_abnormal_vascular_index",
        {"exam": {"abi": {"left": 0.6, "right": 1.0}, "vascular_cause_excluded": True}},
        M,
        id="i8-workup-excludes-vascular-cause",
    ),
    # Item 10: LF flag and thickness are two readings of one finding.
    pytest.param(
        "lf_hypertrophy_on_side", sd(lf_hypertrophy=False, lf_thickness_mm=5.5), U, id="i10-lf-conflict"
    ),
    pytest.param("lf_hypertrophy_on_side", sd(lf_thickness_mm=4.0), N, id="minor-lf-4.0-is-not-more-than-4"),
    pytest.param("lf_hypertrophy_on_side", sd(lf_thickness_mm=4.01), M, id="minor-lf-4.01"),
    pytest.param(
        "central_canal_stenosis", lvl(canal_area_mm2=70, central_stenosis="mild"), U, id="i10-area-grade"
    ),
    pytest.param("slip_readings_agree", lvl(meyerding_grade=1, slip_mm=0), U, id="i10-grade-1-no-slip"),
    # Item 1 (found on clinic-style records): a report that grades the foramina but not the recesses decides.
    pytest.param(
        "no_severe_foraminal_or_lateral_stenosis", sd(foraminal_stenosis="mild"), M, id="i1-foramina-graded"
    ),
    pytest.param("no_severe_lateral_recess_stenosis", sd(), U, id="i1-recess-a-confirmation"),
    # Item 11: the claims study's 12-month exclusion.
    pytest.param(
        "no_lumbar_surgery_in_prior_year",
        {"prior_procedures": [{"type": "laminectomy", "levels": ["L2-L3"], "date": "2025-11-01"}]},
        M,
        id="i11-12-months",
    ),
    pytest.param(
        "no_lumbar_surgery_in_prior_year",
        {"prior_procedures": [{"type": "laminectomy", "levels": ["L2-L3"], "date": "2025-11-02"}]},
        N,
        id="i11-a-day-inside",
    ),
    pytest.param("no_lumbar_surgery_in_prior_year", {"prior_procedures": []}, M, id="i11-none"),
    # Item 12: conservative care is a condition, reported with the value recorded.
    pytest.param(
        "conservative_care_tried",
        {
            "conservative_care": {
                "months": 2.99,
                "physical_therapy": True,
                "home_exercise": True,
                "analgesics": True,
            }
        },
        N,
        id="i12-2.99-months",
    ),
]

# Boundary cases that pin one rule set's reading of a criterion id another set defines differently.
ONLY_IN = {
    "i6-prior-mild": "textbook",
    "i6-prior-other": "textbook",
    "i6-laminotomy-shelf-documented": "textbook",
    "i6-laminotomy-shelf-unknown": "textbook",
}

TABLES: dict[str, tuple[dict[str, Cases], list[Any]]] = {
    "1.0.0": (CASES, BOUNDARIES),
    "1.1.0": (CASES_1_1, BOUNDARIES_1_1),
}


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
            criterion_id, data, expected = case.values
            if ONLY_IN.get(case.id, rules.id) != rules.id:
                continue
            if any(c.id == criterion_id for c in rules.criteria):
                out.append(pytest.param(rules.ref, criterion_id, data, expected, id=f"{rules.ref}:{case.id}"))
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
    for version, (cases, _) in TABLES.items():
        packaged = {c.id for rules in _all_rulesets() if rules.version == version for c in rules.criteria}
        assert packaged - set(cases) == set(), f"{version}: criteria without a unit test"
        assert set(cases) - packaged == set(), f"{version}: cases for criteria no packaged rule set has"


def test_every_packaged_version_has_a_table() -> None:
    assert {rules.version for rules in _all_rulesets()} <= set(TABLES)


@pytest.mark.parametrize(("ref", "criterion_id"), _pairs())
def test_met(ref: str, criterion_id: str) -> None:
    rules = load_ruleset(ref)
    node = evaluate_at_scope(_criterion(rules, criterion_id), _cases(rules)[criterion_id].met, rules)
    assert node.value is Tri.MET
    assert node.missing == ()


@pytest.mark.parametrize(("ref", "criterion_id"), _pairs())
def test_not_met(ref: str, criterion_id: str) -> None:
    rules = load_ruleset(ref)
    criterion = _criterion(rules, criterion_id)
    node = evaluate_at_scope(criterion, _cases(rules)[criterion_id].not_met, rules)
    if criterion.kind is Kind.CONSISTENCY:
        assert node.value is Tri.UNKNOWN and node.conflicts, "contradicting readings must be reconciled"
        return
    assert node.value is Tri.NOT_MET
    assert node.missing == ()
    assert node.conditions == ()


@pytest.mark.parametrize(("ref", "criterion_id"), _pairs())
def test_unknown(ref: str, criterion_id: str) -> None:
    rules = load_ruleset(ref)
    criterion = _criterion(rules, criterion_id)
    node = evaluate_at_scope(criterion, _cases(rules)[criterion_id].unknown, rules)
    if criterion.kind is Kind.CONSISTENCY:
        assert node.value is Tri.MET, "a consistency check with nothing recorded has nothing to reconcile"
        return
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
    rules = load_ruleset("textbook@1.0.0")
    node = evaluate_at_scope(_criterion(rules, "no_instability"), data, rules)
    assert node.value is not Tri.MET
    if node.value is Tri.UNKNOWN:
        assert any(m.startswith("reconcile: ") for m in node.missing), node.missing


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


@pytest.mark.parametrize("ref", ["mild-trial@1.1.0", "cms-ncd-150.13@1.1.0"])
def test_trial_and_coverage_sets_keep_excluding_any_prior_procedure_at_the_level(ref: str) -> None:
    # Issue 9, item 6: only textbook relaxes the exclusion; the trials exclude any prior procedure.
    rules = load_ruleset(ref)
    criterion = _criterion(rules, "no_prior_surgery_at_level")
    for kind in ("mild", "other", "discectomy"):
        data = {"prior_procedures": [{"type": kind, "levels": ["L4-L5"]}], **sd(laminar_shelf=True)}
        assert evaluate_at_scope(criterion, data, rules).value is Tri.NOT_MET
