"""Reference cases for every packaged criterion, as plain data that any runner is held to.

For each criterion of each packaged version: a minimal record fragment that meets it, one that fails it
and one that leaves it unknown (``CASES``, ``CASES_1_1``), plus boundary cases (``BOUNDARIES``,
``BOUNDARIES_1_1``; the ``i*`` ids name the items of the issue that changed a criterion's meaning in
1.1.0). Every case is evaluated at L4-L5, left side (where the criterion's scope reaches) on 2026-11-01,
the record's assessment date. Nothing here imports the engine: the Python runner and any compiled runner
read the same cases (``tests/rulesets/test_criteria.py``, through the ``runner`` fixture).
"""

from __future__ import annotations

from typing import Any, NamedTuple

AS_OF = "2026-11-01"
"""The as-of date of every case, also written into each record as its assessment date."""
LEVEL = "L4-L5"
SIDE = "left"
M, N, U = "met", "not_met", "unknown"
BLOCKS = "not met, or unknown"  # anything but MET: the cell cannot be a candidate on this criterion


class Cases(NamedTuple):
    """One criterion's three reference records (fragments; the assessment date is added)."""

    met: dict[str, Any]
    not_met: dict[str, Any]
    unknown: dict[str, Any]


class Boundary(NamedTuple):
    """A record at or near one of a criterion's edges, and the value every runner must give."""

    criterion: str
    record: dict[str, Any]
    expected: str
    id: str
    level: str = LEVEL
    side: str = SIDE
    as_of: str = AS_OF


def lvl(**facts: Any) -> dict[str, Any]:
    return {"imaging": {"levels": [{"level": "L4-L5", **facts}]}}


def sd(**facts: Any) -> dict[str, Any]:
    return {"imaging": {"levels": [{"level": "L4-L5", "sides": [{"side": "left", **facts}]}]}}


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
BOUNDARIES: list[Boundary] = [
    # LF: mild-trial ">= 2.5 mm" is met at exactly 2.5.
    Boundary("lf_thickness_on_side", sd(lf_thickness_mm=2.5), M, id="lf-2.5-met"),
    Boundary("lf_thickness_on_side", sd(lf_thickness_mm=2.49), N, id="lf-2.49-not-met"),
    Boundary("lf_hypertrophy_on_side", sd(lf_hypertrophy=False, lf_thickness_mm=4.0), M, id="lf-4.0-met"),
    Boundary("lf_hypertrophy_on_side", sd(lf_hypertrophy=False, lf_thickness_mm=3.99), N, id="lf-3.99"),
    Boundary("lf_hypertrophy_on_side", sd(lf_hypertrophy=True, lf_thickness_mm=2.0), M, id="lf-flag-wins"),
    Boundary("lf_hypertrophy_on_side", sd(lf_thickness_mm=3.0), U, id="lf-thin-flag-unknown"),
    # Canal area "< 100": 100 is not stenosis, 99.9 is (the other measures of stenosis unknown or agreeing).
    Boundary(
        "central_stenosis_from_lf",
        lvl(canal_area_mm2=100, central_stenosis="mild", schizas="A", dominant_cause="lf_hypertrophy"),
        N,
        id="canal-100-not-met",
    ),
    Boundary(
        "central_stenosis_from_lf",
        lvl(canal_area_mm2=99.9, dominant_cause="lf_hypertrophy"),
        M,
        id="canal-99.9-met",
    ),
    Boundary(
        "central_stenosis_from_lf",
        lvl(canal_area_mm2=100, dominant_cause="lf_hypertrophy"),
        BLOCKS,
        id="canal-100-alone",
    ),
    Boundary(
        "central_stenosis_from_lf",
        lvl(canal_area_mm2=99.9, central_stenosis="severe", schizas="C", dominant_cause="lf_hypertrophy"),
        M,
        id="canal-99.9-measures-agree",
    ),
    Boundary(
        "central_stenosis_from_lf",
        lvl(central_stenosis="moderate", dominant_cause="mixed"),
        M,
        id="moderate-mixed",
    ),
    # Schizas is shown in the grading but is not part of the rule: alone it settles nothing.
    Boundary(
        "central_stenosis_from_lf", lvl(schizas="B", dominant_cause="lf_hypertrophy"), U, id="schizas-B"
    ),
    Boundary("central_stenosis_from_lf", lvl(canal_area_mm2=50), U, id="cause-unknown"),
    Boundary("central_stenosis_from_lf", lvl(canal_area_mm2=50, dominant_cause="facet"), N, id="facet"),
    # ABI: "> 0.90 and <= 1.40" (palpable pulses on the right settle that leg).
    Boundary(
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
    Boundary(
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
    Boundary(
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
    Boundary(
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
    Boundary(
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
    Boundary(
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
    Boundary(
        "not_vascular_claudication",
        {"symptoms": {"relieved_by_standing_still": False}, "exam": {"pedal_pulses": {"left": "palpable"}}},
        U,
        id="right-leg-unknown",
    ),
    # Age 65 exactly, from age_years or from birth date.
    Boundary("age_at_least_minimum", {"patient": {"birth_date": "1961-11-01"}}, M, id="65th-birthday"),
    Boundary("age_at_least_minimum", {"patient": {"birth_date": "1961-11-02"}}, N, id="day-before-65"),
    Boundary("claudication_duration", {"symptoms": {"duration_months": 2.99}}, N, id="duration-2.99"),
    Boundary(
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
    Boundary(
        "failed_conservative_care",
        {"conservative_care": {"months": 6, "physical_therapy": True, "home_exercise": True}},
        U,
        id="care-analgesics-unknown",
    ),
    # Imaging exactly 12 calendar months old is "within 12 months"; a day more is not.
    Boundary(
        "recent_cross_sectional_imaging",
        {"imaging": {"modality": "MRI", "date": "2025-11-01"}},
        M,
        id="img-12-mo",
    ),
    Boundary(
        "recent_cross_sectional_imaging",
        {"imaging": {"modality": "CT", "date": "2023-11-01"}},
        M,
        id="img-12-mo-across-leap-day",
        as_of="2024-11-01",
    ),
    Boundary(
        "recent_cross_sectional_imaging",
        {"imaging": {"modality": "MRI", "date": "2025-10-31"}},
        N,
        id="img-12-mo-and-a-day",
    ),
    Boundary(
        "recent_cross_sectional_imaging",
        {"imaging": {"modality": "CT_myelogram", "date": "2026-10-01"}},
        M,
        id="img-ct-myelogram",
    ),
    Boundary(
        "recent_cross_sectional_imaging", {"imaging": {"date": "2026-10-01"}}, U, id="img-modality-unknown"
    ),
    Boundary("baseline_disability", {"baseline": {"odi_percent": 31}}, M, id="odi-31"),
    Boundary("baseline_disability", {"baseline": {"odi_percent": 30.99}}, N, id="odi-30.99"),
    Boundary("baseline_pain", {"baseline": {"nprs": 5}}, M, id="nprs-5"),
    Boundary("baseline_pain", {"baseline": {"nprs": 4.99}}, N, id="nprs-4.99"),
    Boundary("can_walk_minimum", {"symptoms": {"walking_tolerance_m": 3.05}}, M, id="walk-3.05"),
    Boundary("can_walk_minimum", {"symptoms": {"walking_tolerance_m": 3.04}}, N, id="walk-3.04"),
    # ESI exactly 8 weeks (56 days) before the assessment date is outside the washout.
    Boundary(
        "no_recent_esi",
        {"conservative_care": {"esi_count": 1, "last_esi_date": "2026-09-06"}},
        M,
        id="esi-8-weeks",
    ),
    Boundary(
        "no_recent_esi",
        {"conservative_care": {"esi_count": 1, "last_esi_date": "2026-09-07"}},
        N,
        id="esi-55-days",
    ),
    Boundary("no_recent_esi", {"conservative_care": {"esi_count": 1}}, U, id="esi-date-unknown"),
    Boundary("slip_within_trial_limit", lvl(meyerding_grade=1, slip_mm=5.0), M, id="slip-5.0mm"),
    Boundary("slip_within_trial_limit", lvl(meyerding_grade=1, slip_mm=5.01), N, id="slip-5.01mm"),
    Boundary("slip_within_trial_limit", lvl(meyerding_grade=1), U, id="slip-mm-unknown"),
    # Instability: translation "< 4 mm" and angulation "< 10 degrees".
    Boundary(
        "no_instability", lvl(instability=False, translation_mm=3.99, angulation_deg=9.99), M, id="dyn-below"
    ),
    Boundary(
        "no_instability", lvl(instability=True, translation_mm=4.0, angulation_deg=0), N, id="transl-4.0"
    ),
    Boundary(
        "no_instability", lvl(instability=True, translation_mm=0, angulation_deg=10.0), N, id="angul-10"
    ),
    Boundary("no_instability", lvl(translation_mm=1.0), U, id="angulation-unknown"),
    # A level reported unstable is a contraindication whatever else is known.
    Boundary("no_instability", lvl(instability=True), N, id="instability-flag-alone"),
    Boundary(
        "no_instability",
        lvl(instability=True, translation_mm=1.0, angulation_deg=2.0),
        BLOCKS,
        id="instability-flag-small-motion-conflict",
    ),
    Boundary(
        "no_instability",
        lvl(instability=False, translation_mm=5.0),
        BLOCKS,
        id="stable-flag-large-motion-conflict",
    ),
    Boundary("no_instability", lvl(translation_mm=5.0), N, id="translation-5-alone"),
    # Meyerding: grade I (<= 25 %) is within the indication; grade II or more is not.
    Boundary("spondylolisthesis_below_grade_2", lvl(slip_percent=25), M, id="slip-25pct"),
    Boundary("spondylolisthesis_below_grade_2", lvl(meyerding_grade=2, slip_percent=26), N, id="slip-26pct"),
    Boundary("spondylolisthesis_below_grade_2", lvl(meyerding_grade=0), M, id="grade-0"),
    Boundary("spondylolisthesis_below_grade_2", lvl(meyerding_grade=2), N, id="grade-2-alone"),
    Boundary("spondylolisthesis_below_grade_2", lvl(slip_percent=30), N, id="slip-30pct-alone"),
    Boundary("no_severe_neurologic_deficit", {"exam": {"neurologic_deficit": "none"}}, M, id="deficit-none"),
    Boundary("no_severe_neurologic_deficit", {"exam": {"neurologic_deficit": "mild"}}, M, id="deficit-mild"),
    Boundary(
        "no_cauda_equina_signs",
        {"red_flags": {"saddle_anaesthesia": False, "new_bladder_bowel_dysfunction": False}},
        U,
        id="one-red-flag-unknown",
    ),
    Boundary(
        "no_cauda_equina_signs", {"red_flags": {"progressive_motor_deficit": True}}, N, id="motor-deficit"
    ),
    Boundary("no_infection", {"safety": {"systemic_infection": False}}, U, id="local-infection-unknown"),
    Boundary(
        "antithrombotics_can_be_held",
        {"safety": {"antithrombotics": [{"agent": "warfarin", "can_be_held": True}]}},
        M,
        id="warfarin-holdable",
    ),
    Boundary(
        "antithrombotics_can_be_held",
        {"safety": {"antithrombotics": [{"agent": "warfarin"}]}},
        U,
        id="warfarin-hold-unknown",
    ),
    Boundary(
        "no_prior_surgery_at_level",
        {"prior_procedures": [{"type": "fusion", "levels": ["L5-S1"]}]},
        M,
        id="prior-other-level",
    ),
    Boundary(
        "no_prior_surgery_at_level", {"prior_procedures": [{"type": "mild"}]}, U, id="prior-levels-unknown"
    ),
    Boundary(
        "no_severe_foraminal_or_lateral_stenosis",
        sd(lateral_recess_stenosis="severe"),
        N,
        id="lateral-severe",
    ),
    Boundary(
        "no_severe_foraminal_or_lateral_stenosis", sd(foraminal_stenosis="mild"), U, id="lateral-unknown"
    ),
    Boundary(
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

BOUNDARIES_1_1: list[Boundary] = [
    # Item 1: either documentation of stability suffices; disagreement is a reconcile item.
    Boundary("no_instability", lvl(instability=False), M, id="i1-stable-flag-alone"),
    Boundary("no_instability", lvl(translation_mm=1.0), M, id="i1-small-translation-alone"),
    Boundary("no_instability", lvl(instability=False, translation_mm=5.0), U, id="i1-flag-vs-translation"),
    Boundary("no_instability", lvl(instability=True, translation_mm=1.0), U, id="i1-unstable-vs-small"),
    Boundary("no_instability", lvl(instability=True), N, id="i1-unstable-flag-alone"),
    Boundary("no_instability", lvl(translation_mm=3.99), M, id="i1-translation-3.99"),
    Boundary("no_instability", lvl(translation_mm=4.0), N, id="i1-translation-4.0"),
    # Item 2: angulation is not a reading of instability in 1.1.0 (7-14 degrees is normal, Hayes 1989).
    Boundary("no_instability", lvl(angulation_deg=11), U, id="i2-angulation-alone-decides-nothing"),
    Boundary("no_instability", lvl(translation_mm=2, angulation_deg=25), M, id="i2-translation-decides"),
    # Item 3: the core screen negative and a normal examination settle the emergency question.
    Boundary(
        "no_cauda_equina_emergency",
        {"red_flags": CES_CLEAR, "exam": {"neurologic_deficit": "none"}},
        M,
        id="i3-core-negative-normal-exam",
    ),
    Boundary(
        "no_new_sexual_dysfunction", {"red_flags": CES_CLEAR}, U, id="i3-sexual-dysfunction-is-a-confirmation"
    ),
    # Item 4: long-standing features wait for the specialist review, then clear.
    Boundary(
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
    Boundary(
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
    Boundary(
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
    Boundary(
        "no_new_sexual_dysfunction",
        {"red_flags": {"sexual_dysfunction": True}},
        U,
        id="i4-sexual-dysfunction-onset-unknown",
    ),
    Boundary(
        "no_cauda_equina_emergency",
        {
            "red_flags": {**CES_CLEAR, "saddle_anaesthesia": True, "saddle_anaesthesia_onset_days": 500},
            "exam": {"neurologic_deficit": "none"},
        },
        U,
        id="i4-chronic-saddle-needs-residual",
    ),
    Boundary(
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
    Boundary(
        "no_vascular_relief_pattern",
        {"symptoms": {"relieved_by_standing_still": True}, "exam": {"exercise_abi_normal": True}},
        M,
        id="i5-exercise-abi-normal",
    ),
    Boundary(
        "not_vascular_claudication",
        {"symptoms": {"relieved_by_standing_still": True}, "exam": NORMAL_LEGS},
        M,
        id="i5-standing-still-not-in-the-leg-rule",
    ),
    # Item 6: prior surgery at the level (textbook): only open surgery counts, and the shelf decides.
    Boundary(
        "no_prior_surgery_at_level",
        {"prior_procedures": [{"type": "mild", "levels": ["L4-L5"]}]},
        M,
        id="i6-prior-mild",
    ),
    Boundary(
        "no_prior_surgery_at_level",
        {"prior_procedures": [{"type": "other", "levels": ["L4-L5"]}]},
        M,
        id="i6-prior-other",
    ),
    Boundary(
        "no_prior_surgery_at_level",
        {"prior_procedures": [{"type": "laminotomy", "levels": ["L4-L5"]}], **sd(laminar_shelf=True)},
        M,
        id="i6-laminotomy-shelf-documented",
    ),
    Boundary(
        "no_prior_surgery_at_level",
        {"prior_procedures": [{"type": "laminotomy", "levels": ["L4-L5"]}]},
        U,
        id="i6-laminotomy-shelf-unknown",
    ),
    # Item 7: Schizas and AP diameter are evidence of central stenosis.
    Boundary("central_canal_stenosis", lvl(schizas="C"), M, id="i7-schizas-C"),
    Boundary("central_canal_stenosis", lvl(schizas="B"), M, id="i7-schizas-B"),
    Boundary("central_canal_stenosis", lvl(schizas="A2"), N, id="i7-schizas-A2"),
    Boundary("central_canal_stenosis", lvl(ap_diameter_mm=9), M, id="i7-ap-9"),
    Boundary("central_canal_stenosis", lvl(ap_diameter_mm=11.99), M, id="i7-ap-11.99"),
    Boundary("central_canal_stenosis", lvl(ap_diameter_mm=12), N, id="i7-ap-12"),
    Boundary("central_canal_stenosis", lvl(canal_area_mm2=99.9), M, id="canal-99.9"),
    Boundary("central_canal_stenosis", lvl(canal_area_mm2=100), N, id="canal-100"),
    Boundary("central_canal_stenosis", lvl(central_stenosis="moderate"), M, id="grade-moderate"),
    Boundary("central_canal_stenosis", lvl(central_stenosis="mild"), N, id="grade-mild"),
    # Item 8: a measured abnormal index is never overridden by a palpable pulse.
    Boundary(
        "no_abnormal_vascular_index",
        {"exam": {"pedal_pulses": {"left": "palpable"}, "abi": {"left": 0.60, "right": 1.0}}},
        U,
        id="i8-abi-0.60-with-pulse",
    ),
    Boundary(
        "no_abnormal_vascular_index", {"exam": {"abi": {"left": 0.90, "right": 1.0}}}, U, id="i8-abi-0.90"
    ),
    Boundary(
        "no_abnormal_vascular_index", {"exam": {"abi": {"left": 0.91, "right": 1.0}}}, M, id="i8-abi-0.91"
    ),
    Boundary(
        "no_abnormal_vascular_index",
        {"exam": {"abi": {"left": 1.41, "right": 1.0}}},
        U,
        id="i8-abi-1.41-no-tbi",
    ),
    Boundary(
        "no_abnormal_vascular_index",
        {"exam": {"abi": {"left": 1.41, "right": 1.0}, "tbi": {"left": 0.71}}},
        M,
        id="i8-abi-1.41-tbi-0.71",
    ),
    Boundary(
        "no_abnormal_vascular_index",
        {"exam": {"abi": {"left": 1.5, "right": 1.0}, "tbi": {"left": 0.65}}},
        U,
        id="i8-tbi-0.65-pending-workup",
    ),
    Boundary(
        "no_abnormal_vascular_index",
        {"exam": {"abi": {"left": 0.6, "right": 1.0}, "vascular_cause_excluded": True}},
        M,
        id="i8-workup-excludes-vascular-cause",
    ),
    # Item 10: LF flag and thickness are two readings of one finding.
    Boundary(
        "lf_hypertrophy_on_side", sd(lf_hypertrophy=False, lf_thickness_mm=5.5), U, id="i10-lf-conflict"
    ),
    Boundary("lf_hypertrophy_on_side", sd(lf_thickness_mm=4.0), N, id="minor-lf-4.0-is-not-more-than-4"),
    Boundary("lf_hypertrophy_on_side", sd(lf_thickness_mm=4.01), M, id="minor-lf-4.01"),
    Boundary(
        "central_canal_stenosis", lvl(canal_area_mm2=70, central_stenosis="mild"), U, id="i10-area-grade"
    ),
    Boundary("slip_readings_agree", lvl(meyerding_grade=1, slip_mm=0), U, id="i10-grade-1-no-slip"),
    # Item 1 (found on clinic-style records): a report that grades the foramina but not the recesses decides.
    Boundary(
        "no_severe_foraminal_or_lateral_stenosis", sd(foraminal_stenosis="mild"), M, id="i1-foramina-graded"
    ),
    Boundary("no_severe_lateral_recess_stenosis", sd(), U, id="i1-recess-a-confirmation"),
    # Item 11: the claims study's 12-month exclusion.
    Boundary(
        "no_lumbar_surgery_in_prior_year",
        {"prior_procedures": [{"type": "laminectomy", "levels": ["L2-L3"], "date": "2025-11-01"}]},
        M,
        id="i11-12-months",
    ),
    Boundary(
        "no_lumbar_surgery_in_prior_year",
        {"prior_procedures": [{"type": "laminectomy", "levels": ["L2-L3"], "date": "2025-11-02"}]},
        N,
        id="i11-a-day-inside",
    ),
    Boundary("no_lumbar_surgery_in_prior_year", {"prior_procedures": []}, M, id="i11-none"),
    # Item 12: conservative care is a condition, reported with the value recorded.
    Boundary(
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

# --- textbook 1.2.0 (blind clinical review, tests/clinical_review): two criteria changed ----------------

# Criteria only the trial and coverage sets define; they have no 1.2.0 yet.
_TRIAL_AND_COVERAGE_ONLY = {
    "age_at_least_minimum",
    "baseline_disability",
    "baseline_pain",
    "can_walk_minimum",
    "claudication_duration",
    "enrolled_in_ced_study",
    "failed_conservative_care",
    "lf_thickness_on_side",
    "medicare_beneficiary",
    "no_lumbar_surgery_in_prior_year",
    "no_recent_esi",
    "recent_cross_sectional_imaging",
    "slip_within_trial_limit",
}
CASES_1_2: dict[str, Cases] = {
    **{k: v for k, v in CASES_1_1.items() if k not in _TRIAL_AND_COVERAGE_ONLY},
    # A long-standing one is met without a review; a new one blocks.
    "no_new_sexual_dysfunction": Cases(
        {"red_flags": {"sexual_dysfunction": True, "sexual_dysfunction_onset_days": 2000}},
        {"red_flags": {"sexual_dysfunction": True, "sexual_dysfunction_onset_days": 5}},
        {"red_flags": {"sexual_dysfunction": True}},
    ),
}

_CHANGED_IN_1_2 = {"i4-long-standing-erectile-dysfunction-reviewed"}
BOUNDARIES_1_2: list[Boundary] = [
    *(
        b
        for b in BOUNDARIES_1_1
        if b.id not in _CHANGED_IN_1_2 and b.criterion not in _TRIAL_AND_COVERAGE_ONLY
    ),
    # D3: GIRFT asks about new or deteriorating sexual dysfunction; a long-standing one needs no review.
    Boundary(
        "no_new_sexual_dysfunction",
        {"red_flags": {"sexual_dysfunction": True, "sexual_dysfunction_onset_days": 14}},
        M,
        id="r-d3-long-standing-needs-no-review",
    ),
    Boundary(
        "no_new_sexual_dysfunction",
        {"red_flags": {"sexual_dysfunction": True, "sexual_dysfunction_onset_days": 13}},
        N,
        id="r-d3-new-blocks",
    ),
    Boundary(
        "no_new_sexual_dysfunction",
        {
            "red_flags": {
                "sexual_dysfunction": True,
                "sexual_dysfunction_onset_days": 13,
                "specialist_review_cleared": True,
            }
        },
        N,
        id="r-d3-new-blocks-whatever-the-review",
    ),
    Boundary(
        "no_new_sexual_dysfunction",
        {"red_flags": {"sexual_dysfunction": True, "sacral_onset_days": 400}},
        U,
        id="r-d3-shared-onset-does-not-date-it",
    ),
    # D1: the foraminal value is unchanged; what changed is that it is a confirmation (tests/criteria).
    Boundary("no_severe_foraminal_or_lateral_stenosis", sd(), U, id="r-d1-foramina-not-graded"),
]

# Boundary cases that pin one rule set's reading of a criterion id another set defines differently.
ONLY_IN = {
    "i6-prior-mild": "textbook",
    "i6-prior-other": "textbook",
    "i6-laminotomy-shelf-documented": "textbook",
    "i6-laminotomy-shelf-unknown": "textbook",
}

TABLES: dict[str, tuple[dict[str, Cases], list[Boundary]]] = {
    "1.0.0": (CASES, BOUNDARIES),
    "1.1.0": (CASES_1_1, BOUNDARIES_1_1),
    "1.2.0": (CASES_1_2, BOUNDARIES_1_2),
}
