"""Controlled vocabularies for graded findings; ``None`` elsewhere always means unknown, never 'none'."""

from __future__ import annotations

from enum import StrEnum


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


class Grade(StrEnum):
    """Four-step severity used for central, foraminal and lateral-recess stenosis and for deficits."""

    NONE = "none"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class Schizas(StrEnum):
    """Schizas 2010 morphological grade of the dural sac (A1-A4 are sub-grades of A)."""

    A = "A"
    A1 = "A1"
    A2 = "A2"
    A3 = "A3"
    A4 = "A4"
    B = "B"
    C = "C"
    D = "D"


class StenosisCause(StrEnum):
    LF_HYPERTROPHY = "lf_hypertrophy"
    DISC = "disc"
    FACET = "facet"
    OSTEOPHYTE = "osteophyte"
    MIXED = "mixed"


class Modality(StrEnum):
    MRI = "MRI"
    CT = "CT"
    CT_MYELOGRAM = "CT_myelogram"


class Pulse(StrEnum):
    PALPABLE = "palpable"
    DIMINISHED = "diminished"
    ABSENT = "absent"


class Response(StrEnum):
    """Response to an epidural steroid injection."""

    NONE = "none"
    PARTIAL = "partial"
    GOOD = "good"


class ProcedureType(StrEnum):
    LAMINECTOMY = "laminectomy"
    LAMINOTOMY = "laminotomy"
    FUSION = "fusion"
    INTERSPINOUS_SPACER = "interspinous_spacer"
    MILD = "mild"
    DISCECTOMY = "discectomy"
    OTHER = "other"


class PathwayStep(StrEnum):
    """Steps of the LSS treatment pathway, least to most invasive after urgent evaluation."""

    URGENT_SURGICAL_EVALUATION = "urgent_surgical_evaluation"
    SPECIALIST_REVIEW = "specialist_review"
    VASCULAR_WORKUP = "vascular_workup"
    CONSERVATIVE_CARE = "conservative_care"
    EPIDURAL_STEROID_INJECTION = "epidural_steroid_injection"
    MILD = "mild"
    INTERSPINOUS_SPACER = "interspinous_spacer"
    OPEN_DECOMPRESSION = "open_decompression"
    DECOMPRESSION_WITH_FUSION = "decompression_with_fusion"


# --- spellings clinics write, read into the vocabulary above ------------------------------------------------
# Each maps to exactly one value; anything else is left for validation to refuse with the allowed list.

_GRADE_ORDER = (Grade.NONE, Grade.MILD, Grade.MODERATE, Grade.SEVERE)
_PULSE_WORDS = {
    "0": Pulse.ABSENT,
    "0+": Pulse.ABSENT,
    "1+": Pulse.DIMINISHED,
    "2+": Pulse.PALPABLE,  # the 0-4 scale: 2+ is a normal pulse, 3+ and 4+ are bounding
    "3+": Pulse.PALPABLE,
    "4+": Pulse.PALPABLE,
    "normal": Pulse.PALPABLE,
    "present": Pulse.PALPABLE,
    "weak": Pulse.DIMINISHED,
    "not palpable": Pulse.ABSENT,
    "non palpable": Pulse.ABSENT,
    "nonpalpable": Pulse.ABSENT,
}
_ROMAN = {"0": 0, "i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5}


def _words(value: str) -> str:
    return " ".join(value.strip().lower().replace("-", " ").replace("_", " ").split())


def parse_grade(value: object) -> object:
    """Case-insensitive grades; a range ("moderate-to-severe") takes its higher end, like the report reader.

    The higher end is the reading that never makes a severe foramen look passable.
    """
    if not isinstance(value, str):
        return value
    words = _words(value)
    ends = words.split(" to ")
    if len(ends) == 2 and all(end in _GRADE_ORDER for end in ends):
        return max((Grade(end) for end in ends), key=_GRADE_ORDER.index)
    return words if words in _GRADE_ORDER else value


def parse_pulse(value: object) -> object:
    """The 0-4+ scale and the usual words (2+ and "normal" are palpable, 1+ diminished, 0 absent)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return value
    words = _words(value)
    if words in {p.value for p in Pulse}:
        return words
    return _PULSE_WORDS.get(words, _PULSE_WORDS.get(value.strip().lower(), value))


def parse_meyerding(value: object) -> object:
    """Meyerding grades as reports write them: roman numerals (I-V), optionally after "grade"."""
    if not isinstance(value, str):
        return value
    words = _words(value).removeprefix("grade ").strip()
    return _ROMAN.get(words, value)


def parse_modality(value: object) -> object:
    """MRI, CT or CT myelogram in any case, with a space, hyphen or underscore."""
    if not isinstance(value, str):
        return value
    words = _words(value)
    return {"mri": Modality.MRI, "ct": Modality.CT, "ct myelogram": Modality.CT_MYELOGRAM}.get(words, value)
