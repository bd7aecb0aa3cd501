"""Neurogenic versus vascular claudication, and the AHA/ACC 2016 ABI bands."""

from __future__ import annotations

from typing import Any

import pytest

from lss_pathway.clinical.claudication import AbiBand, Pattern, abi_band, differentiate
from lss_pathway.domain.anatomy import Side
from lss_pathway.domain.record import PatientRecord


def record(**sections: Any) -> PatientRecord:
    return PatientRecord.model_validate({"assessment_date": "2026-11-01", **sections})


NEUROGENIC_SYMPTOMS = {
    "leg_symptoms": True,
    "provoked_by_walking": True,
    "provoked_by_standing": True,
    "relieved_by_sitting": True,
    "relieved_by_flexion": True,
}
PALPABLE = {"pedal_pulses": {"left": "palpable", "right": "palpable"}}

VASCULAR_SYMPTOMS = {
    "leg_symptoms": True,
    "provoked_by_walking": True,
    "relieved_by_standing_still": True,
    "calf_predominant": True,
}
LOW_ABI = {"abi": {"left": 0.6, "right": 0.6}}


# --- ABI bands (AHA/ACC 2016: <= 0.90 abnormal, 0.91-0.99 borderline, 1.00-1.40 normal, > 1.40 NC) ------


@pytest.mark.parametrize(
    ("abi", "band"),
    [
        (0.40, AbiBand.ABNORMAL),
        (0.90, AbiBand.ABNORMAL),
        (0.91, AbiBand.BORDERLINE),
        (0.95, AbiBand.BORDERLINE),
        (0.99, AbiBand.BORDERLINE),
        (1.00, AbiBand.NORMAL),
        (1.20, AbiBand.NORMAL),
        (1.40, AbiBand.NORMAL),
        (1.41, AbiBand.NONCOMPRESSIBLE),
        (2.00, AbiBand.NONCOMPRESSIBLE),
    ],
)
def test_abi_bands_at_the_published_edges(abi: float, band: AbiBand) -> None:
    assert abi_band(abi) is band


@pytest.mark.parametrize(
    ("abi", "band"),
    [
        (0.905, AbiBand.BORDERLINE),  # 0.91 to two decimals
        (0.904, AbiBand.ABNORMAL),  # 0.90
        (0.9049, AbiBand.ABNORMAL),
        (0.994, AbiBand.BORDERLINE),  # 0.99
        (1.404, AbiBand.NORMAL),  # 1.40
        (1.4049, AbiBand.NORMAL),
        (1.405, AbiBand.NONCOMPRESSIBLE),  # 1.41
    ],
)
def test_abi_is_rounded_to_two_decimals_before_banding(abi: float, band: AbiBand) -> None:
    assert abi_band(abi) is band


def test_abi_half_way_to_one_rounds_up_to_normal() -> None:
    # Recorded to two decimals, 0.995 is 1.00 (normal), just as 0.905 is 0.91 (borderline).
    assert abi_band(0.995) is AbiBand.NORMAL


# --- patterns --------------------------------------------------------------------------------------------


def test_classic_neurogenic_pattern() -> None:
    result = differentiate(record(symptoms=NEUROGENIC_SYMPTOMS, exam=PALPABLE))
    assert result.pattern is Pattern.NEUROGENIC
    favours = {e.favours for e in result.evidence}
    assert favours == {"neurogenic"}
    facts = {e.fact for e in result.evidence}
    assert {"symptoms.relieved_by_sitting", "symptoms.relieved_by_flexion"} <= facts
    assert {"exam.pedal_pulses.left", "exam.pedal_pulses.right"} <= facts
    assert not any("vascular" in a.lower() for a in result.advice)


def test_walking_provoked_and_relieved_by_sitting_is_enough_for_neurogenic() -> None:
    symptoms = {"provoked_by_walking": True, "relieved_by_sitting": True}
    assert differentiate(record(symptoms=symptoms)).pattern is Pattern.NEUROGENIC


def test_neurogenic_without_pulses_or_abi_advises_examining_them() -> None:
    result = differentiate(record(symptoms=NEUROGENIC_SYMPTOMS))
    assert result.pattern is Pattern.NEUROGENIC
    assert any("pulses" in a.lower() and "abi" in a.lower() for a in result.advice)


def test_classic_vascular_pattern() -> None:
    result = differentiate(record(symptoms=VASCULAR_SYMPTOMS, exam=LOW_ABI))
    assert result.pattern is Pattern.VASCULAR
    assert {e.favours for e in result.evidence} == {"vascular"}
    facts = {e.fact for e in result.evidence}
    assert {
        "symptoms.relieved_by_standing_still",
        "symptoms.calf_predominant",
        "exam.abi.left",
        "exam.abi.right",
    } <= facts
    assert all(leg.band is AbiBand.ABNORMAL for leg in result.legs)
    assert any("vascular work-up" in a.lower() for a in result.advice)


def test_low_abi_alone_is_vascular() -> None:
    result = differentiate(record(exam={"abi": {"left": 1.1, "right": 0.85}}))
    assert result.pattern is Pattern.VASCULAR


@pytest.mark.parametrize("pulse", ["diminished", "absent"])
def test_reduced_pulses_alone_are_vascular(pulse: str) -> None:
    result = differentiate(record(exam={"pedal_pulses": {"left": pulse}}))
    assert result.pattern is Pattern.VASCULAR
    assert any(e.fact == "exam.pedal_pulses.left" and e.favours == "vascular" for e in result.evidence)


def test_abnormal_tbi_is_vascular() -> None:
    # TBI <= 0.70 is abnormal and diagnostic of PAD (AHA/ACC 2016), e.g. behind a non-compressible ABI.
    result = differentiate(record(exam={"abi": {"left": 1.5}, "tbi": {"left": 0.6}}))
    assert result.pattern is Pattern.VASCULAR
    assert any(e.fact == "exam.tbi.left" for e in result.evidence)
    left = next(leg for leg in result.legs if leg.side is Side.LEFT)
    assert left.band is AbiBand.NONCOMPRESSIBLE
    assert left.tbi_abnormal is True


def test_normal_tbi_is_not_vascular() -> None:
    result = differentiate(
        record(symptoms=NEUROGENIC_SYMPTOMS, exam={"abi": {"left": 1.5}, "tbi": {"left": 0.8}})
    )
    assert result.pattern is Pattern.NEUROGENIC
    left = next(leg for leg in result.legs if leg.side is Side.LEFT)
    assert left.tbi_abnormal is False


def test_both_patterns_are_mixed() -> None:
    symptoms = {**NEUROGENIC_SYMPTOMS, "relieved_by_standing_still": True, "calf_predominant": True}
    result = differentiate(record(symptoms=symptoms, exam=LOW_ABI))
    assert result.pattern is Pattern.MIXED
    assert {e.favours for e in result.evidence} == {"neurogenic", "vascular"}
    assert any("vascular work-up" in a.lower() for a in result.advice)


def test_neurogenic_symptoms_with_low_abi_are_mixed() -> None:
    result = differentiate(record(symptoms=NEUROGENIC_SYMPTOMS, exam={**PALPABLE, "abi": {"left": 0.8}}))
    assert result.pattern is Pattern.MIXED


def test_nothing_known_is_indeterminate() -> None:
    result = differentiate(record())
    assert result.pattern is Pattern.INDETERMINATE
    assert result.evidence == ()
    assert all(leg.abi is None and leg.band is None and leg.tbi is None for leg in result.legs)
    assert any("provocation" in a.lower() for a in result.advice)


def test_provocation_without_relief_is_indeterminate() -> None:
    assert differentiate(record(symptoms={"provoked_by_walking": True})).pattern is Pattern.INDETERMINATE


def test_borderline_abi_is_not_evidence_either_way() -> None:
    result = differentiate(record(exam={"abi": {"left": 0.95}}))
    assert result.pattern is Pattern.INDETERMINATE
    assert result.evidence == ()


# --- advice and evidence ---------------------------------------------------------------------------------


def test_noncompressible_abi_without_tbi_advises_toe_brachial_index() -> None:
    result = differentiate(record(symptoms=NEUROGENIC_SYMPTOMS, exam={**PALPABLE, "abi": {"right": 1.55}}))
    advice = [a for a in result.advice if "toe-brachial" in a]
    assert len(advice) == 1
    assert "right" in advice[0]
    right = next(leg for leg in result.legs if leg.side is Side.RIGHT)
    assert right.band is AbiBand.NONCOMPRESSIBLE
    # A non-compressible ABI is uninterpretable: it is evidence for neither pattern.
    assert not any(e.fact == "exam.abi.right" for e in result.evidence)


def test_noncompressible_abi_with_tbi_needs_no_tbi_advice() -> None:
    result = differentiate(record(exam={"abi": {"right": 1.55}, "tbi": {"right": 0.85}}))
    assert not any("toe-brachial" in a for a in result.advice)


def _value_at(rec: PatientRecord, dotted: str) -> Any:
    value: Any = rec
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


@pytest.mark.parametrize(
    "sections",
    [
        {},
        {"symptoms": {"provoked_by_walking": True}},
        {"symptoms": {"relieved_by_sitting": True, "calf_predominant": None}},
        {"exam": {"pedal_pulses": {"left": "palpable"}, "abi": {"right": 1.1}}},
        {"symptoms": {"provoked_by_standing": False, "tolerates_cycling": False}},
        {"symptoms": NEUROGENIC_SYMPTOMS, "exam": {"abi": {"left": 0.7}}},
    ],
)
def test_unknown_facts_never_appear_as_evidence(sections: dict[str, Any]) -> None:
    rec = record(**sections)
    for evidence in differentiate(rec).evidence:
        assert _value_at(rec, evidence.fact) is not None, evidence


def test_unknown_standing_and_cycling_are_not_counted_against_neurogenic() -> None:
    result = differentiate(record(symptoms={"provoked_by_walking": True, "relieved_by_flexion": True}))
    assert result.pattern is Pattern.NEUROGENIC
    assert not any(e.favours == "vascular" for e in result.evidence)


def test_known_negatives_count_as_vascular_features() -> None:
    # Nadeau 2013: absence of symptoms on standing alone argues against LSS.
    result = differentiate(record(symptoms={"provoked_by_standing": False, "tolerates_cycling": False}))
    facts = {e.fact for e in result.evidence if e.favours == "vascular"}
    assert facts == {"symptoms.provoked_by_standing", "symptoms.tolerates_cycling"}


def test_a_toe_brachial_index_of_exactly_0_70_is_abnormal() -> None:
    """AHA/ACC 2016: TBI <= 0.70 is abnormal, so the cut point itself counts as arterial disease."""
    result = differentiate(record(exam={"abi": {"left": 1.5}, "tbi": {"left": 0.70}}))
    left = next(leg for leg in result.legs if leg.side is Side.LEFT)
    assert left.tbi_abnormal is True
    assert result.pattern in (Pattern.VASCULAR, Pattern.MIXED)


@pytest.mark.parametrize(
    "exam",
    [
        {"abi": {"left": 1.48, "right": 1.52}, "tbi": {"left": 0.78, "right": 0.81}},  # diabetic, calcified
        {"abi": {"left": 1.1, "right": 1.05}},
        {"tbi": {"left": 0.9, "right": 0.85}},
    ],
)
def test_a_normal_measured_index_outweighs_a_weak_pulse(exam: dict[str, Any]) -> None:
    """Clinical review D4: pulses decide only where no index was measured (AHA/ACC 2016)."""
    weak = {"pedal_pulses": {"left": "diminished", "right": "diminished"}, **exam}
    result = differentiate(record(symptoms=NEUROGENIC_SYMPTOMS, exam=weak))
    assert result.pattern is Pattern.NEUROGENIC


@pytest.mark.parametrize(
    "exam",
    [
        {"abi": {"left": 0.95, "right": 1.1}},  # borderline on the weak side: the pulse still counts
        {"abi": {"left": 1.5, "right": 1.1}},  # non-compressible without a TBI
        {"abi": {"right": 1.1}},  # the weak leg not measured
    ],
)
def test_a_weak_pulse_still_counts_where_its_leg_has_no_normal_index(exam: dict[str, Any]) -> None:
    weak = {"pedal_pulses": {"left": "diminished", "right": "palpable"}, **exam}
    assert differentiate(record(symptoms=NEUROGENIC_SYMPTOMS, exam=weak)).pattern is Pattern.MIXED
