"""Spinal level parsing: the spellings clinicians write, and clear refusals for everything else."""

from __future__ import annotations

import pytest

from lss_pathway.domain.anatomy import LEVELS, Level, UnsupportedLevelError, parse_level


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("L4-L5", Level.L4_L5),
        ("L4-5", Level.L4_L5),
        ("L4/5", Level.L4_L5),
        ("L4/L5", Level.L4_L5),
        ("l4l5", Level.L4_L5),
        ("L5-S1", Level.L5_S1),
        ("L5/S1", Level.L5_S1),
        ("L5-1", Level.L5_S1),
        (" L3-4 ", Level.L3_L4),
        ("L1-L2", Level.L1_L2),
        ("L2-3", Level.L2_L3),
    ],
)
def test_accepts_common_spellings(text: str, expected: Level) -> None:
    assert parse_level(text) is expected


@pytest.mark.parametrize(("text", "expected"), [("l45", Level.L4_L5), ("L34", Level.L3_L4)])
def test_accepts_unseparated_digits_as_the_docstring_promises(text: str, expected: Level) -> None:
    # parse_level's docstring lists ``l45`` among the accepted spellings.
    assert parse_level(text) is expected


def test_canonical_level_passes_through() -> None:
    assert parse_level(Level.L4_L5) is Level.L4_L5


def test_exactly_the_five_lumbar_levels_are_supported() -> None:
    assert [lv.value for lv in LEVELS] == ["L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1"]


@pytest.mark.parametrize("text", ["L5-L6", "L6-S1", "L5-6", "l6s1"])
def test_transitional_anatomy_is_refused_as_such(text: str) -> None:
    with pytest.raises(UnsupportedLevelError) as info:
        parse_level(text)
    message = str(info.value)
    assert "transitional" in message
    assert "L6" in message
    assert "L4-L5" in message  # says what is supported


@pytest.mark.parametrize("text", ["T12-L1", "S1-S2", "t12/l1"])
def test_levels_outside_the_lumbar_range_are_unsupported(text: str) -> None:
    with pytest.raises(UnsupportedLevelError) as info:
        parse_level(text)
    message = str(info.value)
    assert text in message
    assert "transitional" not in message
    assert "L1-L2" in message and "L5-S1" in message


def test_unsupported_level_error_is_a_value_error() -> None:
    assert issubclass(UnsupportedLevelError, ValueError)


def test_a_vertebra_is_not_a_level() -> None:
    with pytest.raises(ValueError, match="vertebra") as info:
        parse_level("L4")
    assert not isinstance(info.value, UnsupportedLevelError)
    assert "L4-L5" in str(info.value)


@pytest.mark.parametrize("text", ["banana", "", "4-5", "L-5", "L4--L5x"])
def test_nonsense_is_not_a_spinal_level(text: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_level(text)
    assert not isinstance(info.value, UnsupportedLevelError)
    assert "L1-L2" in str(info.value)
