"""Clinic spellings read into the vocabulary: each maps to one value, anything else is still refused."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from lss_pathway.domain.record import PatientRecord
from lss_pathway.domain.vocabulary import Grade, Modality, Pulse


def _level(**facts: Any) -> PatientRecord:
    return PatientRecord.model_validate({"imaging": {"levels": [{"level": "L4-L5", **facts}]}})


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("Severe", Grade.SEVERE),
        ("moderate-to-severe", Grade.SEVERE),  # a range takes its higher end, as the report reader does
        ("Mild to moderate", Grade.MODERATE),
        ("none_to_mild", Grade.MILD),
        ("moderate", Grade.MODERATE),
    ],
)
def test_grades_as_reports_write_them(written: str, read: Grade) -> None:
    found = _level(central_stenosis=written, sides=[{"side": "left", "foraminal_stenosis": written}])
    level = found.imaging.levels[0]
    assert level.central_stenosis is read and level.sides[0].foraminal_stenosis is read


@pytest.mark.parametrize("written", ["severe to mild to none", "moderately severe", "critical", "2"])
def test_other_grade_words_are_still_refused(written: str) -> None:
    with pytest.raises(ValidationError, match="central_stenosis"):
        _level(central_stenosis=written)


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("2+", Pulse.PALPABLE),
        ("3+", Pulse.PALPABLE),
        ("1+", Pulse.DIMINISHED),
        ("0", Pulse.ABSENT),
        (0, Pulse.ABSENT),
        ("Not palpable", Pulse.ABSENT),
        ("weak", Pulse.DIMINISHED),
        ("Palpable", Pulse.PALPABLE),
    ],
)
def test_pulses_on_the_0_to_4_scale_and_in_words(written: object, read: Pulse) -> None:
    record = PatientRecord.model_validate({"exam": {"pedal_pulses": {"left": written}}})
    assert record.exam.pedal_pulses.left is read


@pytest.mark.parametrize("written", ["5+", "bounding?", True])
def test_other_pulse_words_are_still_refused(written: object) -> None:
    with pytest.raises(ValidationError, match="pedal_pulses"):
        PatientRecord.model_validate({"exam": {"pedal_pulses": {"left": written}}})


@pytest.mark.parametrize(("written", "read"), [("I", 1), ("ii", 2), ("Grade III", 3), ("0", 0), (1, 1)])
def test_meyerding_in_roman_numerals(written: object, read: int) -> None:
    assert _level(meyerding_grade=written).imaging.levels[0].meyerding_grade == read


@pytest.mark.parametrize("written", ["VI", "IIII", "grade"])
def test_other_meyerding_spellings_are_refused(written: str) -> None:
    with pytest.raises(ValidationError, match="meyerding_grade"):
        _level(meyerding_grade=written)


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("mri", Modality.MRI),
        ("Ct", Modality.CT),
        ("CT myelogram", Modality.CT_MYELOGRAM),
        ("ct-myelogram", Modality.CT_MYELOGRAM),
    ],
)
def test_modality_in_any_case(written: str, read: Modality) -> None:
    assert PatientRecord.model_validate({"imaging": {"modality": written}}).imaging.modality is read


def test_brand_names_and_abbreviations_take_their_ingredient() -> None:
    for written, agent in (
        ("Plavix", "clopidogrel"),
        ("ELIQUIS", "apixaban"),
        ("asa", "aspirin"),
        ("Acetylsalicylic acid", "aspirin"),
    ):
        record = PatientRecord.model_validate({"safety": {"antithrombotics": [{"agent": written}]}})
        assert [a.agent for a in record.safety.antithrombotics or []] == [agent]


def test_a_misspelt_brand_name_is_refused_with_its_ingredient_as_the_hint() -> None:
    with pytest.raises(ValidationError, match="Did you mean 'apixaban'"):
        PatientRecord.model_validate({"safety": {"antithrombotics": [{"agent": "elliquis"}]}})


def test_dose_dependent_and_combination_brands_are_not_guessed() -> None:
    for name in ("Lovenox", "Aggrenox"):
        with pytest.raises(ValidationError, match="unknown antithrombotic agent"):
            PatientRecord.model_validate({"safety": {"antithrombotics": [{"agent": name}]}})


@pytest.mark.parametrize("typed", ["asprin", "aspirn", "asperin", "aspririn", "Aspirine"])
def test_a_misspelt_aspirin_is_hinted_as_aspirin_not_another_nsaid(typed: str) -> None:
    """Issue 10: the hint once pointed to oxaprozin; already right on main, kept by this test."""
    with pytest.raises(ValidationError, match="Did you mean 'aspirin'\\?"):
        PatientRecord.model_validate({"safety": {"antithrombotics": [{"agent": typed}]}})
