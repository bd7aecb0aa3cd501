"""Red flags: all six always reported, present first, never assumed absent."""

from __future__ import annotations

from typing import Any

import pytest

from lss_pathway.clinical.red_flags import screen
from lss_pathway.criteria.logic import Tri
from lss_pathway.domain.record import PatientRecord

FLAG_IDS = {
    "saddle_anaesthesia",
    "new_bladder_bowel_dysfunction",
    "progressive_motor_deficit",
    "bilateral_leg_deficit",
    "sexual_dysfunction",
    "severe_neurologic_deficit",
}


def record(**sections: Any) -> PatientRecord:
    return PatientRecord.model_validate({"assessment_date": "2026-11-01", **sections})


ALL_CLEAR = {
    "red_flags": {
        "saddle_anaesthesia": False,
        "new_bladder_bowel_dysfunction": False,
        "progressive_motor_deficit": False,
        "bilateral_leg_deficit": False,
        "sexual_dysfunction": False,
    },
    "exam": {"neurologic_deficit": "none"},
}


def test_all_six_flags_reported_when_nothing_is_known() -> None:
    flags = screen(record())
    assert {f.id for f in flags} == FLAG_IDS
    assert len(flags) == 6
    assert all(f.status is Tri.UNKNOWN for f in flags)


def test_all_six_flags_reported_when_all_clear() -> None:
    flags = screen(record(**ALL_CLEAR))
    assert {f.id for f in flags} == FLAG_IDS
    assert all(f.status is Tri.NOT_MET for f in flags)


@pytest.mark.parametrize(
    ("sections", "flag", "fact"),
    [
        ({"red_flags": {"saddle_anaesthesia": True}}, "saddle_anaesthesia", "red_flags.saddle_anaesthesia"),
        (
            {"red_flags": {"new_bladder_bowel_dysfunction": True}},
            "new_bladder_bowel_dysfunction",
            "red_flags.new_bladder_bowel_dysfunction",
        ),
        (
            {"red_flags": {"progressive_motor_deficit": True}},
            "progressive_motor_deficit",
            "red_flags.progressive_motor_deficit",
        ),
        ({"exam": {"neurologic_deficit": "severe"}}, "severe_neurologic_deficit", "exam.neurologic_deficit"),
    ],
)
def test_each_flag_is_detected(sections: dict[str, Any], flag: str, fact: str) -> None:
    flags = screen(record(**sections))
    assert flags[0].id == flag
    assert flags[0].status is Tri.MET
    assert flags[0].fact == fact
    assert [f.id for f in flags if f.status is Tri.MET] == [flag]


@pytest.mark.parametrize(
    ("deficit", "status"), [("none", Tri.NOT_MET), ("mild", Tri.NOT_MET), ("moderate", Tri.NOT_MET)]
)
def test_non_severe_deficit_is_not_a_red_flag(deficit: str, status: Tri) -> None:
    flags = {f.id: f for f in screen(record(exam={"neurologic_deficit": deficit}))}
    assert flags["severe_neurologic_deficit"].status is status


def test_present_then_unknown_then_absent() -> None:
    flags = screen(
        record(
            red_flags={"saddle_anaesthesia": False, "progressive_motor_deficit": True},
            exam={"neurologic_deficit": "severe"},
        )
    )
    statuses = [f.status for f in flags]
    assert statuses == [Tri.MET, Tri.MET, Tri.UNKNOWN, Tri.UNKNOWN, Tri.UNKNOWN, Tri.NOT_MET]
    assert {f.id for f in flags[:2]} == {"progressive_motor_deficit", "severe_neurologic_deficit"}
    assert {f.id for f in flags[2:5]} == {
        "new_bladder_bowel_dysfunction",
        "bilateral_leg_deficit",
        "sexual_dysfunction",
    }
    assert flags[5].id == "saddle_anaesthesia"


def test_unknown_comes_before_absent() -> None:
    flags = screen(record(red_flags={"saddle_anaesthesia": False, "new_bladder_bowel_dysfunction": False}))
    assert [f.status for f in flags] == [Tri.UNKNOWN] * 4 + [Tri.NOT_MET] * 2


def test_each_flag_has_label_action_and_source() -> None:
    for flag in screen(record()):
        assert flag.label
        assert flag.action
        assert flag.source
        assert flag.url.startswith("https://")


def test_cauda_equina_flags_call_for_emergency_mri() -> None:
    flags = {f.id: f for f in screen(record())}
    for flag_id in ("saddle_anaesthesia", "new_bladder_bowel_dysfunction"):
        assert "MRI" in flags[flag_id].action
        assert "cauda equina" in flags[flag_id].action.lower()


def _ces(**flags: Any) -> PatientRecord:
    screened = {**ALL_CLEAR["red_flags"], **flags}
    return record(red_flags=screened, exam={"neurologic_deficit": "none"})


def test_new_saddle_anaesthesia_is_urgent_and_shown_first() -> None:
    flags = screen(_ces(saddle_anaesthesia=True, sacral_onset_days=3))
    first = flags[0]
    assert (first.id, first.status, first.urgent) == ("saddle_anaesthesia", Tri.MET, True)
    assert "emergency" in first.action.lower()


def test_long_standing_walking_only_saddle_symptoms_go_to_specialist_review_not_emergency() -> None:
    flags = screen(_ces(saddle_anaesthesia=True, sacral_onset_days=400, sacral_symptoms_walking_only=True))
    saddle = next(f for f in flags if f.id == "saddle_anaesthesia")
    assert saddle.status is Tri.MET
    assert not saddle.urgent
    assert "not an emergency" in saddle.action


def test_an_urgent_flag_is_listed_before_a_present_specialist_review_flag() -> None:
    """Progressive weakness (urgent) comes before long-standing sacral symptoms (specialist review)."""
    flags = screen(
        _ces(
            saddle_anaesthesia=True,
            sacral_onset_days=400,
            sacral_symptoms_walking_only=True,
            progressive_motor_deficit=True,
        )
    )
    present = [(f.id, f.urgent) for f in flags if f.status is Tri.MET]
    assert present == [("progressive_motor_deficit", True), ("saddle_anaesthesia", False)]


@pytest.mark.parametrize(
    ("flags", "exam", "fact"),
    [
        ({}, {}, "red_flags.bilateral_leg_deficit"),
        ({}, {"neurologic_deficit": "none"}, "exam.neurologic_deficit"),
        ({"bilateral_leg_deficit": True}, {"neurologic_deficit": "mild"}, "red_flags.bilateral_leg_deficit"),
    ],
    ids=["nothing-recorded", "normal-exam", "recorded-with-exam"],
)
def test_the_leg_deficit_flag_points_at_the_field_that_documents_it(
    flags: dict[str, Any], exam: dict[str, Any], fact: str
) -> None:
    flag = next(f for f in screen(record(red_flags=flags, exam=exam)) if f.id == "bilateral_leg_deficit")
    assert flag.fact == fact
