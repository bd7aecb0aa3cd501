"""Each cauda equina feature with its own onset, and the record field that documents it."""

from __future__ import annotations

from typing import Any

import pytest

from lss_pathway.domain.cauda_equina import Onset, emergency, features
from lss_pathway.domain.record import PatientRecord


def record(red_flags: dict[str, Any], deficit: str | None = None) -> PatientRecord:
    data: dict[str, Any] = {"assessment_date": "2026-11-01", "red_flags": red_flags}
    if deficit is not None:
        data["exam"] = {"neurologic_deficit": deficit}
    return PatientRecord.model_validate(data)


def leg_deficit(rec: PatientRecord) -> tuple[Onset, str]:
    feature = next(f for f in features(rec, 14) if f.id == "bilateral_leg_deficit")
    return feature.onset, feature.fact


@pytest.mark.parametrize(
    ("flags", "deficit", "expected"),
    [
        ({}, "none", (Onset.ABSENT, "exam.neurologic_deficit")),
        ({"bilateral_leg_deficit": False}, "none", (Onset.ABSENT, "red_flags.bilateral_leg_deficit")),
        ({}, None, (Onset.NOT_DOCUMENTED, "red_flags.bilateral_leg_deficit")),
        ({}, "mild", (Onset.NOT_DOCUMENTED, "red_flags.bilateral_leg_deficit")),
        (
            {"bilateral_leg_deficit": True},
            "none",
            (Onset.ONSET_NOT_RECORDED, "red_flags.bilateral_leg_deficit"),
        ),
    ],
    ids=["normal-exam", "recorded-no", "nothing", "one-sided-exam", "recorded-yes"],
)
def test_a_normal_examination_documents_no_deficit_in_either_leg(
    flags: dict[str, Any], deficit: str | None, expected: tuple[Onset, str]
) -> None:
    """Only a derived "no" points at the examination; anything still to document points at the red flag."""
    assert leg_deficit(record(flags, deficit)) == expected


def test_other_features_are_documented_by_their_own_red_flag() -> None:
    rec = record({"saddle_anaesthesia": True, "sacral_onset_days": 20}, "none")
    saddle = next(f for f in features(rec, 14) if f.id == "saddle_anaesthesia")
    assert (saddle.onset, saddle.days, saddle.fact) == (
        Onset.LONG_STANDING,
        20,
        "red_flags.saddle_anaesthesia",
    )


NONE_PRESENT = {
    "saddle_anaesthesia": False,
    "new_bladder_bowel_dysfunction": False,
    "bilateral_leg_deficit": False,
    "sexual_dysfunction": False,
}


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({**NONE_PRESENT, "progressive_motor_deficit": False}, False),
        (NONE_PRESENT, None),
        ({**NONE_PRESENT, "progressive_motor_deficit": True}, True),
        ({"progressive_motor_deficit": False, "saddle_anaesthesia": False}, None),
    ],
    ids=["all-clear", "motor-progression-not-asked", "progressive-weakness", "core-feature-not-asked"],
)
def test_the_emergency_cannot_be_ruled_out_until_everything_is_asked(
    flags: dict[str, Any], expected: bool | None
) -> None:
    assert emergency(record(flags), 14, 200.0) is expected


@pytest.mark.parametrize(("residual", "expected"), [(None, None), (150, False), (200, True)])
def test_long_standing_saddle_symptoms_turn_on_the_post_void_residual(
    residual: float | None, expected: bool | None
) -> None:
    flags: dict[str, Any] = {
        **NONE_PRESENT,
        "saddle_anaesthesia": True,
        "sacral_onset_days": 400,
        "progressive_motor_deficit": False,
    }
    if residual is not None:
        flags["post_void_residual_ml"] = residual
    assert emergency(record(flags), 14, 200.0) is expected
