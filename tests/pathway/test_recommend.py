"""Pathway recommendations from the textbook rule set, on hand-built records."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from lss_pathway.assess import Assessment, assess
from lss_pathway.domain.record import PatientRecord
from lss_pathway.domain.vocabulary import PathwayStep
from lss_pathway.pathway.recommend import Recommendation

AFTER_URGENT = "only after the urgent evaluation"


def side(name: str, **overrides: Any) -> dict[str, Any]:
    """A side meeting the textbook side criteria: LF >= 4 mm, no severe foraminal stenosis, laminar shelf."""
    return {
        "side": name,
        "lf_thickness_mm": 5.5,
        "foraminal_stenosis": "mild",
        "lateral_recess_stenosis": "none",
        "laminar_shelf": True,
        **overrides,
    }


def stenotic_level(name: str = "L4-L5", **overrides: Any) -> dict[str, Any]:
    """A level meeting the textbook level criteria: < 100 mm2 from LF hypertrophy, stable, no slip."""
    return {
        "level": name,
        "canal_area_mm2": 70,
        "dominant_cause": "lf_hypertrophy",
        "instability": False,
        "translation_mm": 1.0,
        "angulation_deg": 3.0,
        "meyerding_grade": 0,
        "sides": [side("left"), side("right")],
        **overrides,
    }


CANDIDATE: dict[str, Any] = {
    "assessment_date": "2026-11-01",
    "patient": {"age_years": 72, "sex": "male"},
    "symptoms": {
        "leg_symptoms": True,
        "provoked_by_walking": True,
        "relieved_by_sitting": True,
        "relieved_by_flexion": True,
        "relieved_by_standing_still": False,
    },
    "red_flags": {
        "saddle_anaesthesia": False,
        "new_bladder_bowel_dysfunction": False,
        "progressive_motor_deficit": False,
        "bilateral_leg_deficit": False,
        "sexual_dysfunction": False,
    },
    "exam": {
        "neurologic_deficit": "mild",
        "pedal_pulses": {"left": "palpable", "right": "palpable"},
        "abi": {"left": 1.1, "right": 1.05},
    },
    "conservative_care": {
        "months": 6,
        "physical_therapy": True,
        "home_exercise": True,
        "analgesics": True,
        "esi_count": 2,
        "last_esi_date": "2026-05-01",
        "esi_response": "partial",
    },
    "safety": {
        "bleeding_disorder": False,
        "antithrombotics": [{"agent": "clopidogrel", "can_be_held": True}],
        "systemic_infection": False,
        "local_infection": False,
    },
    "prior_procedures": [],
    "imaging": {"modality": "MRI", "date": "2026-09-01", "levels": [stenotic_level()]},
}


NO_ESI: dict[str, Any] = {"esi_count": 0, "last_esi_date": None, "esi_response": None}
"""No injection yet (the candidate's date and response of its last one would contradict a count of 0)."""


def build(**changes: Any) -> dict[str, Any]:
    """The candidate record with some sections updated (dicts merged one level deep)."""
    data = copy.deepcopy(CANDIDATE)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return data


def run(data: dict[str, Any]) -> Assessment:
    return assess(PatientRecord.model_validate(data), "textbook")


def steps(result: Assessment) -> list[PathwayStep]:
    return [r.step for r in result.pathway]


def step(result: Assessment, which: PathwayStep) -> Recommendation:
    for rec in result.pathway:
        if rec.step is which:
            return rec
    raise AssertionError(f"{which} not recommended; got {steps(result)}")


def assert_enum_order(result: Assessment) -> None:
    order = list(PathwayStep)
    indices = [order.index(s) for s in steps(result)]
    assert indices == sorted(indices)
    assert len(set(indices)) == len(indices), "a step is recommended once"


# --- the candidate -------------------------------------------------------------------------------------


def test_candidate_cells_give_a_mild_step_with_levels_and_conditions() -> None:
    result = run(build())
    assert steps(result) == [PathwayStep.MILD]
    mild = step(result, PathwayStep.MILD)
    assert mild.levels == ["L4-L5 left", "L4-L5 right"]
    reason = " ".join(mild.reasons)
    # ASRA 2018: clopidogrel is stopped 7 days before a high-risk procedure.
    assert "clopidogrel" in reason
    assert "7 days" in reason
    assert mild.title


def test_no_conditions_when_no_antithrombotics() -> None:
    result = run(build(safety={"antithrombotics": []}))
    mild = step(result, PathwayStep.MILD)
    assert mild.levels == ["L4-L5 left", "L4-L5 right"]
    assert "conditions" not in " ".join(mild.reasons)


def test_mild_lists_only_the_candidate_levels() -> None:
    levels = [
        stenotic_level("L4-L5"),
        stenotic_level("L3-L4", canal_area_mm2=90),
        stenotic_level("L5-S1", canal_area_mm2=120),
    ]
    result = run(build(imaging={"levels": levels}))
    # L5-S1 at 120 mm2 is not stenotic, so not a candidate.
    assert sorted(step(result, PathwayStep.MILD).levels) == [
        "L3-L4 left",
        "L3-L4 right",
        "L4-L5 left",
        "L4-L5 right",
    ]


# --- red flags -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"red_flags": {"saddle_anaesthesia": True}},
        {"red_flags": {"new_bladder_bowel_dysfunction": True}},
        {"red_flags": {"progressive_motor_deficit": True}},
        {"exam": {"neurologic_deficit": "severe"}},
    ],
)
def test_red_flag_puts_urgent_evaluation_first(change: dict[str, Any]) -> None:
    data = build(**change, conservative_care={"months": 1, **NO_ESI})
    result = run(data)
    assert steps(result)[0] is PathwayStep.URGENT_SURGICAL_EVALUATION
    assert len(result.pathway) > 1, "elective steps are still listed"
    for rec in result.pathway[1:]:
        assert rec.reasons[0] == AFTER_URGENT, rec
    urgent = result.pathway[0]
    assert AFTER_URGENT not in urgent.reasons
    assert PathwayStep.MILD not in steps(result)
    assert_enum_order(result)


def test_red_flag_comes_before_vascular_workup() -> None:
    data = build(
        red_flags={"saddle_anaesthesia": True},
        symptoms={"relieved_by_standing_still": True},
        exam={"abi": {"left": 0.6, "right": 0.6}},
    )
    result = run(data)
    assert steps(result)[:2] == [PathwayStep.URGENT_SURGICAL_EVALUATION, PathwayStep.VASCULAR_WORKUP]
    assert step(result, PathwayStep.VASCULAR_WORKUP).reasons[0] == AFTER_URGENT


def test_no_red_flag_no_urgent_step_and_no_deferral() -> None:
    result = run(build(conservative_care={"months": 1}))
    assert PathwayStep.URGENT_SURGICAL_EVALUATION not in steps(result)
    assert all(AFTER_URGENT not in rec.reasons for rec in result.pathway)


# --- vascular --------------------------------------------------------------------------------------------


def test_vascular_pattern_gives_vascular_workup() -> None:
    data = build(
        symptoms={
            "relieved_by_sitting": None,
            "relieved_by_flexion": None,
            "relieved_by_standing_still": True,
            "calf_predominant": True,
        },
        exam={
            "pedal_pulses": {"left": "diminished", "right": "diminished"},
            "abi": {"left": 0.6, "right": 0.65},
        },
    )
    result = run(data)
    assert result.differential.pattern.value == "vascular"
    assert steps(result)[0] is PathwayStep.VASCULAR_WORKUP
    assert any("vascular" in r for r in step(result, PathwayStep.VASCULAR_WORKUP).reasons)
    # Low indices hold every cell undetermined pending the vascular work-up: mild is offered nowhere.
    assert all(c.verdict.value != "candidate" for c in result.candidacy.cells)
    assert PathwayStep.MILD not in steps(result) or step(result, PathwayStep.MILD).levels == []


def test_mixed_pattern_gives_vascular_workup() -> None:
    result = run(build(exam={"abi": {"left": 0.8, "right": 1.05}}))
    assert result.differential.pattern.value == "mixed"
    assert PathwayStep.VASCULAR_WORKUP in steps(result)


# --- conservative care -----------------------------------------------------------------------------------


def test_less_than_three_months_conservative_care() -> None:
    # ENCORE: >= 3 months of conservative care before mild.
    result = run(build(conservative_care={"months": 2}))
    assert steps(result)[0] is PathwayStep.CONSERVATIVE_CARE
    reason = " ".join(step(result, PathwayStep.CONSERVATIVE_CARE).reasons)
    assert "2 months" in reason
    assert "3" in reason


def test_three_months_conservative_care_is_enough() -> None:
    result = run(build(conservative_care={"months": 3}))
    assert PathwayStep.CONSERVATIVE_CARE not in steps(result)


def test_undocumented_conservative_care_is_flagged() -> None:
    care = {"months": None, "physical_therapy": None, "home_exercise": True, "analgesics": True}
    result = run(build(conservative_care=care))
    reasons = step(result, PathwayStep.CONSERVATIVE_CARE).reasons
    assert any("not documented" in r for r in reasons)
    assert any("physical therapy" in r for r in reasons)


def test_untried_modality_is_named() -> None:
    result = run(build(conservative_care={"home_exercise": False}))
    reasons = step(result, PathwayStep.CONSERVATIVE_CARE).reasons
    assert any("home exercise" in r for r in reasons)
    assert not any("physical therapy" in r for r in reasons)


def test_no_esi_yet_at_a_stenotic_level_offers_esi() -> None:
    result = run(build(conservative_care=NO_ESI))
    assert PathwayStep.EPIDURAL_STEROID_INJECTION in steps(result)
    assert PathwayStep.MILD in steps(result)


# --- routing away from mild ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "slip",
    [
        {"meyerding_grade": 2},
        {"meyerding_grade": None, "slip_percent": 40},
        {"meyerding_grade": 2, "slip_percent": 40},
    ],
    ids=["grade-only", "percent-only", "grade-and-percent"],
)
def test_grade_ii_slip_at_a_stenotic_level_routes_to_fusion(slip: dict[str, Any]) -> None:
    # Chapter: Meyerding grade II or higher (> 25 % slip) is outside the mild indication.
    result = run(build(imaging={"levels": [stenotic_level(**slip)]}))
    fusion = step(result, PathwayStep.DECOMPRESSION_WITH_FUSION)
    assert any(lv.startswith("L4-L5") for lv in fusion.levels)
    assert PathwayStep.MILD not in steps(result)


def test_reported_instability_at_a_stenotic_level_routes_to_fusion() -> None:
    level = stenotic_level(instability=True, translation_mm=None, angulation_deg=None)
    result = run(build(imaging={"levels": [level]}))
    fusion = step(result, PathwayStep.DECOMPRESSION_WITH_FUSION)
    assert any(lv.startswith("L4-L5") for lv in fusion.levels)


def test_instability_flag_contradicting_small_translation_is_a_reconcile_item_not_a_route() -> None:
    result = run(build(imaging={"levels": [stenotic_level(instability=True, translation_mm=1.0)]}))
    cell = result.candidacy.cells[6]  # L4-L5 left
    assert cell.verdict.value == "undetermined"
    assert cell.missing_facts[0].startswith("reconcile: ")
    assert "instability = yes" in cell.missing_facts[0] and "translation_mm = 1" in cell.missing_facts[0]
    assert PathwayStep.DECOMPRESSION_WITH_FUSION not in steps(result)


def test_measured_instability_routes_to_fusion() -> None:
    # Hayes 1989: >= 4 mm dynamic translation is instability.
    level = stenotic_level(instability=None, translation_mm=5, angulation_deg=4)
    result = run(build(imaging={"levels": [level]}))
    assert PathwayStep.DECOMPRESSION_WITH_FUSION in steps(result)


def test_grade_ii_slip_at_a_non_stenotic_level_does_not_route() -> None:
    levels = [
        stenotic_level(),
        stenotic_level("L5-S1", canal_area_mm2=130, meyerding_grade=2, slip_percent=40),
    ]
    result = run(build(imaging={"levels": levels}))
    assert PathwayStep.DECOMPRESSION_WITH_FUSION not in steps(result)
    assert step(result, PathwayStep.MILD).levels == ["L4-L5 left", "L4-L5 right"]


def test_severe_foraminal_stenosis_on_one_side_routes_that_side_to_open_decompression() -> None:
    level = stenotic_level(sides=[side("left"), side("right", foraminal_stenosis="severe")])
    result = run(build(imaging={"levels": [level]}))
    assert step(result, PathwayStep.OPEN_DECOMPRESSION).levels == ["L4-L5 right"]
    assert step(result, PathwayStep.MILD).levels == ["L4-L5 left"]


def test_severe_lateral_recess_stenosis_routes_to_open_decompression() -> None:
    level = stenotic_level(sides=[side("left", lateral_recess_stenosis="severe"), side("right")])
    result = run(build(imaging={"levels": [level]}))
    assert step(result, PathwayStep.OPEN_DECOMPRESSION).levels == ["L4-L5 left"]


def test_undetermined_stenotic_cells_ask_for_missing_facts() -> None:
    level = stenotic_level(sides=[side("left", lf_thickness_mm=None), side("right")])
    result = run(build(imaging={"levels": [level]}))
    mild = step(result, PathwayStep.MILD)
    assert mild.levels == ["L4-L5 right"]
    assert any("undetermined" in r and "L4-L5 left" in r for r in mild.reasons)


# --- ordering --------------------------------------------------------------------------------------------


def test_steps_follow_the_pathway_order_least_to_most_invasive() -> None:
    levels = [
        # candidate on the left, severe foraminal stenosis on the right -> mild + open decompression
        stenotic_level(sides=[side("left"), side("right", foraminal_stenosis="severe")]),
        # stenosis mainly from disc -> indirect decompression (interspinous spacer) per the rule set
        stenotic_level("L3-L4", canal_area_mm2=85, dominant_cause="disc"),
        # grade II slip, both measures documented -> decompression with fusion
        stenotic_level("L5-S1", canal_area_mm2=90, meyerding_grade=2, slip_percent=40),
    ]
    data = build(conservative_care={"months": 2, **NO_ESI}, imaging={"levels": levels})
    result = run(data)
    assert steps(result) == [
        PathwayStep.CONSERVATIVE_CARE,
        PathwayStep.EPIDURAL_STEROID_INJECTION,
        PathwayStep.MILD,
        PathwayStep.INTERSPINOUS_SPACER,
        PathwayStep.OPEN_DECOMPRESSION,
        PathwayStep.DECOMPRESSION_WITH_FUSION,
    ]
    assert_enum_order(result)


def test_urgent_and_vascular_precede_elective_steps() -> None:
    data = build(
        red_flags={"progressive_motor_deficit": True},
        symptoms={"relieved_by_standing_still": True},
        conservative_care={"months": 1, **NO_ESI},
        imaging={
            "levels": [stenotic_level(sides=[side("left"), side("right", foraminal_stenosis="severe")])]
        },
    )
    result = run(data)
    assert steps(result)[:3] == [
        PathwayStep.URGENT_SURGICAL_EVALUATION,
        PathwayStep.VASCULAR_WORKUP,
        PathwayStep.CONSERVATIVE_CARE,
    ]
    assert_enum_order(result)


def test_pathway_enum_order_is_least_to_most_invasive() -> None:
    assert [s.value for s in PathwayStep] == [
        "urgent_surgical_evaluation",
        "specialist_review",
        "vascular_workup",
        "conservative_care",
        "epidural_steroid_injection",
        "mild",
        "interspinous_spacer",
        "open_decompression",
        "decompression_with_fusion",
    ]


def test_every_step_has_a_title_and_a_reason() -> None:
    data = build(red_flags={"saddle_anaesthesia": True}, conservative_care={"months": None})
    for rec in run(data).pathway:
        assert rec.title
        assert rec.reasons


@pytest.mark.parametrize("cause", ["facet", "osteophyte", "disc"])
def test_stenosis_mainly_not_from_lf_routes_to_open_decompression_as_well_as_a_spacer(cause: str) -> None:
    """Issue 9 (minor): facet or osteophyte stenosis is not served by a spacer alone."""
    result = run(build(imaging={"levels": [stenotic_level(dominant_cause=cause)]}))
    assert all(c.verdict.value != "candidate" for c in result.candidacy.cells)
    assert step(result, PathwayStep.OPEN_DECOMPRESSION).levels == ["L4-L5 left", "L4-L5 right"]
    assert step(result, PathwayStep.INTERSPINOUS_SPACER).levels == ["L4-L5 left", "L4-L5 right"]


def test_long_standing_feature_goes_to_specialist_review_not_urgent_evaluation() -> None:
    red_flags = {
        "saddle_anaesthesia": True,
        "saddle_anaesthesia_onset_days": 900,
        "post_void_residual_ml": 40,
    }
    result = run(build(red_flags=red_flags))
    assert steps(result)[0] is PathwayStep.SPECIALIST_REVIEW
    assert PathwayStep.URGENT_SURGICAL_EVALUATION not in steps(result)
    assert all(c.verdict.value != "candidate" for c in result.candidacy.cells)
    cleared = run(build(red_flags={**red_flags, "specialist_review_cleared": True}))
    assert step(cleared, PathwayStep.MILD).levels == ["L4-L5 left", "L4-L5 right"]


def test_a_patient_wide_criterion_not_met_routes_without_naming_a_level() -> None:
    """A severe deficit fails a patient-scoped criterion: urgent evaluation of the patient, not of a level."""
    result = run(build(exam={**CANDIDATE["exam"], "neurologic_deficit": "severe"}))
    urgent = step(result, PathwayStep.URGENT_SURGICAL_EVALUATION)
    assert urgent.levels == []
    assert any(r.startswith("not met: ") for r in urgent.reasons), urgent.reasons
    assert PathwayStep.MILD not in steps(result)


def _roots_only(left: dict[str, Any]) -> dict[str, Any]:
    """No ESI yet; L4-L5 has no central stenosis (132 mm2), only the given left-side root findings."""
    level = stenotic_level(
        canal_area_mm2=132, central_stenosis="none", sides=[side("left", **left), side("right")]
    )
    return build(conservative_care={"months": 4, **NO_ESI}, imaging={"modality": "MRI", "levels": [level]})


@pytest.mark.parametrize(
    "left",
    [
        {"foraminal_stenosis": "severe"},
        {"foraminal_stenosis": "moderate"},
        {"lateral_recess_stenosis": "severe"},
        {"lateral_recess_stenosis": "moderate"},
    ],
)
def test_nerve_root_narrowing_without_central_stenosis_offers_an_esi(left: dict[str, Any]) -> None:
    """Clinical review D6: a severe foraminal stenosis used to leave the pathway empty."""
    result = run(_roots_only(left))
    assert not any(s.present for s in result.stenosis), "the canal itself is not stenotic here"
    assert PathwayStep.EPIDURAL_STEROID_INJECTION in steps(result)


@pytest.mark.parametrize(
    ("left", "esi_count"),
    [
        ({"foraminal_stenosis": "mild"}, 0),
        ({"lateral_recess_stenosis": "mild"}, 0),
        ({"foraminal_stenosis": "severe"}, 2),
    ],
)
def test_no_esi_for_mild_root_narrowing_or_after_injections(left: dict[str, Any], esi_count: int) -> None:
    data = _roots_only(left)
    data["conservative_care"] = {**data["conservative_care"], "esi_count": esi_count}
    if esi_count:
        data["conservative_care"] |= {"last_esi_date": "2026-05-01", "esi_response": "partial"}
    assert PathwayStep.EPIDURAL_STEROID_INJECTION not in steps(run(data))
