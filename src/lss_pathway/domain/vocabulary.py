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
