"""Cauda equina triage: the emergency (recent or worsening) apart from chronic walking-related symptoms."""

from __future__ import annotations

from typing import Any

import pytest

from lss_pathway.assess import assess
from lss_pathway.clinical.cauda_equina import CesStatus, triage
from lss_pathway.domain.record import PatientRecord
from lss_pathway.domain.vocabulary import PathwayStep

CLEAR = {
    "saddle_anaesthesia": False,
    "new_bladder_bowel_dysfunction": False,
    "bilateral_leg_deficit": False,
    "sexual_dysfunction": False,
}


def rec(**flags: Any) -> PatientRecord:
    return PatientRecord.model_validate({"assessment_date": "2026-11-01", "red_flags": flags})


CORE = [f for f in CLEAR if f != "sexual_dysfunction"]


@pytest.mark.parametrize("feature", CORE)
def test_each_feature_within_14_days_is_an_emergency(feature: str) -> None:
    result = triage(rec(**{**CLEAR, feature: True, "sacral_onset_days": 13}))
    assert result.status is CesStatus.EMERGENCY
    assert result.action is not None and "emergency MRI" in result.action


def test_day_14_is_no_longer_recent() -> None:
    result = triage(rec(**{**CLEAR, "saddle_anaesthesia": True, "sacral_onset_days": 14}))
    assert result.status is CesStatus.ESTABLISHED


def test_unknown_onset_is_treated_as_recent() -> None:
    result = triage(rec(**{**CLEAR, "new_bladder_bowel_dysfunction": True}))
    assert result.status is CesStatus.EMERGENCY
    assert any("onset not recorded" in n for n in result.notes)


def test_chronic_walking_only_symptoms_are_the_lss_pattern_not_an_emergency() -> None:
    result = triage(
        rec(
            **{
                **CLEAR,
                "saddle_anaesthesia": True,
                "sacral_onset_days": 400,
                "sacral_symptoms_walking_only": True,
            }
        )
    )
    assert result.status is CesStatus.CHRONIC_LSS
    assert not result.urgent
    assert result.action is not None and "not an emergency" in result.action


@pytest.mark.parametrize(("pvr", "status"), [(199, CesStatus.CHRONIC_LSS), (200, CesStatus.EMERGENCY)])
def test_post_void_residual_of_200_ml_escalates(pvr: float, status: CesStatus) -> None:
    flags = {
        **CLEAR,
        "new_bladder_bowel_dysfunction": True,
        "sacral_onset_days": 90,
        "sacral_symptoms_walking_only": True,
        "post_void_residual_ml": pvr,
    }
    result = triage(rec(**flags))
    assert result.status is status
    assert any(("does not exclude" in n) if pvr < 200 else ("more likely" in n) for n in result.notes)


def test_no_features_and_incomplete_screening() -> None:
    assert triage(rec(**CLEAR)).status is CesStatus.NONE
    partial = triage(rec(saddle_anaesthesia=False))
    assert partial.status is CesStatus.NOT_SCREENED
    assert "red_flags.sexual_dysfunction" in partial.unknown


def test_red_flag_action_follows_the_triage_and_still_blocks_candidacy() -> None:
    flags = {**CLEAR, "progressive_motor_deficit": False, "saddle_anaesthesia": True}
    chronic = {**flags, "sacral_onset_days": 300, "sacral_symptoms_walking_only": True}
    a = assess(PatientRecord.model_validate({"assessment_date": "2026-11-01", "red_flags": chronic}))
    saddle = next(f for f in a.red_flags if f.id == "saddle_anaesthesia")
    assert "not an emergency" in saddle.action
    # Not an emergency: a specialist review comes first, under its own title (issue 9, item 4).
    assert a.pathway[0].step is PathwayStep.SPECIALIST_REVIEW
    assert all(r.step is not PathwayStep.URGENT_SURGICAL_EVALUATION for r in a.pathway)
    assert all(c.verdict.value != "candidate" for c in a.candidacy.cells)


@pytest.mark.parametrize("onset", [{"sexual_dysfunction_onset_days": 3}, {}])
def test_sexual_dysfunction_alone_goes_to_specialist_review_not_emergency(onset: dict[str, int]) -> None:
    # GIRFT: low back pain with sexual dysfunction as the only other feature is unlikely to be CES.
    result = triage(rec(**{**CLEAR, "sexual_dysfunction": True, **onset}))
    assert result.status is CesStatus.ESTABLISHED
    assert any("unlikely" in note for note in result.notes)


def test_a_new_feature_is_an_emergency_whatever_another_features_history() -> None:
    # Issue 9, item 9: an old walking-only saddle symptom with a bladder disturbance that began 3 days ago.
    flags = {
        **CLEAR,
        "saddle_anaesthesia": True,
        "saddle_anaesthesia_onset_days": 700,
        "sacral_symptoms_walking_only": True,
        "new_bladder_bowel_dysfunction": True,
        "bladder_bowel_onset_days": 3,
    }
    assert triage(rec(**flags)).status is CesStatus.EMERGENCY


def test_new_sexual_dysfunction_beside_a_long_standing_feature_is_an_emergency() -> None:
    flags = {
        **CLEAR,
        "saddle_anaesthesia": True,
        "saddle_anaesthesia_onset_days": 700,
        "sexual_dysfunction": True,
        "sexual_dysfunction_onset_days": 5,
    }
    assert triage(rec(**flags)).status is CesStatus.EMERGENCY


def test_a_normal_neurological_examination_documents_no_deficit_in_either_leg() -> None:
    flags = {k: v for k, v in CLEAR.items() if k not in ("bilateral_leg_deficit", "sexual_dysfunction")}
    record = PatientRecord.model_validate(
        {"assessment_date": "2026-11-01", "red_flags": flags, "exam": {"neurologic_deficit": "none"}}
    )
    assert triage(record).status is CesStatus.NONE


@pytest.mark.parametrize(
    ("flags", "urgent"),
    [
        ({**CLEAR, "saddle_anaesthesia": True, "sacral_onset_days": 3}, True),
        ({**CLEAR, "new_bladder_bowel_dysfunction": True}, True),
        ({**CLEAR, "saddle_anaesthesia": True, "sacral_onset_days": 400}, False),
        ({**CLEAR, "sexual_dysfunction": True, "sexual_dysfunction_onset_days": 3}, False),
        ({"saddle_anaesthesia": False}, False),
        (CLEAR, False),
    ],
    ids=["new-saddle", "bladder-onset-unknown", "long-standing", "sexual-only", "not-screened", "clear"],
)
def test_only_suspected_cauda_equina_syndrome_is_urgent(flags: dict[str, Any], urgent: bool) -> None:
    assert triage(rec(**flags)).urgent is urgent


def test_the_triage_names_the_onset_of_each_new_feature() -> None:
    result = triage(rec(**{**CLEAR, "saddle_anaesthesia": True, "saddle_anaesthesia_onset_days": 5}))
    assert "saddle numbness: began or worsened 5 day(s) ago" in result.notes
    assert not any("onset not recorded" in n for n in result.notes)


def test_an_unrecorded_onset_is_named_and_presumed_recent() -> None:
    result = triage(rec(**{**CLEAR, "new_bladder_bowel_dysfunction": True}))
    assert "bladder or bowel disturbance: onset not recorded" in result.notes
    assert "onset not recorded: treated as recent until shown to be long-standing" in result.notes
    assert result.url.startswith("https://")


@pytest.mark.parametrize(
    ("cleared", "note"),
    [
        (True, "specialist review recorded: cleared for an elective procedure"),
        (False, "specialist review recorded: not cleared"),
    ],
)
def test_the_specialist_review_outcome_is_shown(cleared: bool, note: str) -> None:
    long_standing = {**CLEAR, "saddle_anaesthesia": True, "sacral_onset_days": 400}
    result = triage(rec(**long_standing, specialist_review_cleared=cleared))
    assert result.status is CesStatus.ESTABLISHED
    assert note in result.notes


@pytest.mark.parametrize(
    ("walking_only", "status", "note"),
    [
        (True, CesStatus.CHRONIC_LSS, "sacral symptoms come only while walking"),
        (None, CesStatus.ESTABLISHED, "whether they occur only with walking is not recorded"),
    ],
)
def test_long_standing_sacral_symptoms_say_whether_they_come_only_with_walking(
    walking_only: bool | None, status: CesStatus, note: str
) -> None:
    flags = {**CLEAR, "saddle_anaesthesia": True, "sacral_onset_days": 400}
    if walking_only is not None:
        flags["sacral_symptoms_walking_only"] = walking_only
    result = triage(rec(**flags))
    assert result.status is status
    assert note in result.notes


def test_long_standing_symptoms_not_limited_to_walking_get_prompt_specialist_assessment() -> None:
    result = triage(rec(**{**CLEAR, "saddle_anaesthesia": True, "sacral_onset_days": 400}))
    assert result.status is CesStatus.ESTABLISHED
    assert result.action is not None and "prompt specialist assessment" in result.action


def test_an_incompletely_screened_patient_is_told_so() -> None:
    result = triage(rec(saddle_anaesthesia=False))
    assert result.status is CesStatus.NOT_SCREENED
    assert "not every cauda equina feature was asked about" in result.notes


def test_a_high_residual_with_long_standing_sacral_symptoms_is_an_emergency_and_says_why() -> None:
    flags = {**CLEAR, "saddle_anaesthesia": True, "sacral_onset_days": 400, "post_void_residual_ml": 250}
    result = triage(rec(**flags))
    assert result.status is CesStatus.EMERGENCY
    assert "post-void residual 250 mL: makes CES significantly more likely" in result.notes
    assert "residual >= 200 mL" in result.notes


def test_sexual_dysfunction_alone_carries_girfts_note() -> None:
    result = triage(rec(**{**CLEAR, "sexual_dysfunction": True, "sexual_dysfunction_onset_days": 3}))
    note = "sexual dysfunction as the only feature is unlikely to be cauda equina syndrome (GIRFT)"
    assert note in result.notes
