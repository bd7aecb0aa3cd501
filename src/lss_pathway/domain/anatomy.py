"""Spinal levels and sides, the two axes on which mild is decided."""

from __future__ import annotations

import re
from enum import StrEnum


class Level(StrEnum):
    L1_L2 = "L1-L2"
    L2_L3 = "L2-L3"
    L3_L4 = "L3-L4"
    L4_L5 = "L4-L5"
    L5_S1 = "L5-S1"


class Side(StrEnum):
    LEFT = "left"
    RIGHT = "right"


LEVELS: tuple[Level, ...] = tuple(Level)
SIDES: tuple[Side, ...] = tuple(Side)

_SEGMENT = re.compile(r"^\s*([LTS])(\d{1,2})\s*(?:[-/ ]?\s*([LTS])?(\d{1,2}))?\s*$", re.IGNORECASE)


class UnsupportedLevelError(ValueError):
    """A level outside L1-L2..L5-S1, such as a transitional L6 segment."""


def parse_level(text: str) -> Level:
    """Accept the spellings clinicians write (``L4-5``, ``L4/L5``, ``l45``) and return the canonical level.

    Levels outside the lumbar range, and transitional anatomy (L6, sacralised L5), are refused with a
    message that says so, because the rule sets have no data for them.
    """
    if isinstance(text, Level):
        return text
    match = _SEGMENT.match(str(text))
    if match is None:
        raise ValueError(f"'{text}' is not a spinal level; expected one of {', '.join(LEVELS)}")
    region1, num1, region2, num2 = match.groups()
    if num2 is None and region1.upper() == "L" and len(num1) == 2:
        num1, num2 = num1[0], num1[1]  # "L45": two lumbar vertebrae written without a separator
    upper = f"{region1.upper()}{num1}"
    if num2 is None:
        raise ValueError(f"'{text}' names a vertebra, not a level; expected one of {', '.join(LEVELS)}")
    if region2 is None:
        region2 = "S" if (region1.upper() == "L" and num1 == "5" and num2 == "1") else region1
    lower = f"{region2.upper()}{num2}"
    candidate = f"{upper}-{lower}"
    for level in LEVELS:
        if level.value == candidate:
            return level
    if "L6" in (upper, lower) or candidate == "L5-L6":
        raise UnsupportedLevelError(
            f"'{text}': transitional anatomy (an L6 segment) is not supported yet; "
            f"supported levels are {', '.join(LEVELS)}"
        )
    raise UnsupportedLevelError(
        f"'{text}' is outside the lumbar levels this tool supports ({', '.join(LEVELS)})"
    )
