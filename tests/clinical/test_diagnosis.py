"""Diagnosis support: published operating points only, honest post-test arithmetic, explicit settings."""

from __future__ import annotations

from typing import Any

import pytest

from lss_pathway.clinical.diagnosis import (
    cook_from_answers,
    cook_from_record,
    diagnosis_support,
    post_test_probability,
    score_cook,
    score_sshq,
)
from lss_pathway.domain.parsing import InputError
from lss_pathway.domain.record import PatientRecord

FIVE = [
    "bilateral",
    "leg_pain_exceeds_back_pain",
    "pain_walking_or_standing",
    "relief_sitting",
    "age_over_48",
]


def cook(n_true: int, unknown: int = 0) -> dict[str, bool | None]:
    values: list[bool | None] = [True] * n_true + [None] * unknown
    values += [False] * (5 - len(values))
    return dict(zip(FIVE, values, strict=True))


# Digest section 8: p = 0.408 with LR 4.6 gives 0.760; with LR 0.19 gives 0.116.
@pytest.mark.parametrize(("lr", "expected"), [(4.6, 0.760), (0.19, 0.116)])
def test_post_test_matches_the_cook_check(lr: float, expected: float) -> None:
    assert post_test_probability(0.408, [lr]) == pytest.approx(expected, abs=0.001)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 1.5])
def test_pretest_must_be_a_probability(bad: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        post_test_probability(bad, [2.0])


def test_cook_published_operating_points_only() -> None:
    assert score_cook(cook(0)).lr == 0.19
    assert score_cook(cook(4)).lr == 4.6
    for n in (1, 2, 3):
        result = score_cook(cook(n))
        assert result.lr is None
        assert "no likelihood ratio was published" in result.note


def test_cook_five_of_five_depends_on_the_named_reading() -> None:
    assert score_cook(cook(5), "exactly").lr is None
    assert score_cook(cook(5), "at_least").lr == 4.6
    # The default reading (diagnosis data 1.1.0) gives 5 of 5 the 4/5 operating point, stated in the output.
    assert score_cook(cook(5)).reading == "at_least"
    assert score_cook(cook(5)).lr == 4.6


def test_cook_unknowns_give_a_range_and_no_lr() -> None:
    result = score_cook(cook(3, unknown=1))
    assert (result.count_min, result.count_max) == (3, 4)
    assert result.count is None and result.lr is None


def test_cook_from_record_uses_age_over_48() -> None:
    rec = PatientRecord.model_validate(
        {
            "patient": {"age_years": 48},
            "symptoms": {
                "bilateral": True,
                "leg_pain_exceeds_back_pain": True,
                "provoked_by_walking": True,
                "relieved_by_sitting": True,
            },
        }
    )
    result = cook_from_record(rec)
    assert result.findings["age_over_48"] is False  # 48 is not over 48
    assert result.count == 4 and result.lr == 4.6


def test_cook_answers_are_validated() -> None:
    with pytest.raises(InputError) as err:
        cook_from_answers({"bilaterall": True, "relief_sitting": "yes"})
    text = str(err.value)
    assert "answers.bilaterall" in text and "Did you mean 'bilateral'" in text
    assert "answers.relief_sitting" in text


def answers(core: int, other: int, unknown: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {f"q{i}": i <= core for i in range(1, 5)}
    out |= {f"q{i}": i - 4 <= other for i in range(5, 11)}
    for key in unknown:
        out[key] = None
    return out


@pytest.mark.parametrize(
    ("core", "other", "more_than", "or_more"),
    [
        (4, 0, True, True),  # Q1-Q4 all yes
        (2, 3, True, True),
        (2, 2, False, True),
        (1, 2, False, True),
        (1, 3, False, True),
        (1, 1, False, False),
        (0, 6, False, False),
    ],
)
def test_sshq_rule_under_both_readings(core: int, other: int, more_than: bool, or_more: bool) -> None:
    assert score_sshq(answers(core, other), "more_than").positive is more_than
    assert score_sshq(answers(core, other), "or_more").positive is or_more


def test_sshq_default_is_stated_and_secondary() -> None:
    result = score_sshq(answers(4, 0))
    assert result.comparator == "more_than"
    assert result.source.verification == "S"


def test_sshq_unanswered_only_matters_when_it_could_change_the_result() -> None:
    decided = score_sshq(answers(4, 0, unknown=("q9", "q10")))
    assert decided.positive is True
    open_ = score_sshq(answers(2, 2, unknown=("q10",)))  # q10 yes would make 3 -> positive
    assert open_.positive is None and "q10" in open_.unanswered


def test_sshq_rejects_non_boolean_and_unknown_items() -> None:
    with pytest.raises(InputError) as err:
        score_sshq({"q1": 2, "q11": True})
    assert "answers.q1" in str(err.value) and "answers.q11" in str(err.value)


def full_record(**overrides: Any) -> PatientRecord:
    base: dict[str, Any] = {
        "assessment_date": "2026-11-01",
        "patient": {"age_years": 72},
        "symptoms": {
            "leg_symptoms": True,
            "bilateral": True,
            "provoked_by_walking": True,
            "provoked_by_standing": True,
            "relieved_by_sitting": True,
            "relieved_by_flexion": True,
        },
    }
    base.update(overrides)
    return PatientRecord.model_validate(base)


def test_findings_carry_their_published_lr() -> None:
    dx = diagnosis_support(full_record())
    lrs = {f.id: f.lr for f in dx.findings}
    assert lrs["age_over_70"] == 2.0
    assert lrs["bilateral_pain"] == 6.3
    assert lrs["improves_bending_forward"] == 6.4
    assert lrs["neurogenic_claudication"] == 3.7
    assert "wide-based gait" in dx.not_recorded
    assert not dx.post_test  # no pre-test probability, no post-test figures


def test_absent_findings_use_the_negative_lr_when_published() -> None:
    rec = full_record(
        symptoms={"bilateral": False, "relieved_by_flexion": False, "provoked_by_walking": False}
    )
    lrs = {f.id: (f.present, f.lr) for f in diagnosis_support(rec).findings}
    assert lrs["bilateral_pain"] == (False, 0.54)
    assert lrs["improves_bending_forward"] == (False, 0.52)
    assert lrs["neurogenic_claudication"] == (False, 0.23)


def test_combined_post_test_is_labelled_approximate() -> None:
    dx = diagnosis_support(full_record(), pretest=0.3)
    assert dx.approximate is True
    assert any("as if independent" in n for n in dx.notes)
    # The strongest single finding is exact: LR 6.4 at 30% -> 73%.
    assert dx.post_test["strongest_finding"] == pytest.approx(0.733, abs=0.001)
    assert dx.post_test["combined_findings"] > dx.post_test["strongest_finding"]


def test_consensus_checklist_reports_unknowns_and_has_no_score() -> None:
    dx = diagnosis_support(PatientRecord())
    assert len(dx.checklist) == 7
    assert all(item.present is None for item in dx.checklist)
    assert "No score" in dx.checklist_note
