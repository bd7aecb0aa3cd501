"""What the report reader returns: the imaging section, the evidence behind each fact, and typed notes.

The imaging part validates as the record's :class:`~lss_pathway.domain.record.Imaging`, so it can be merged
into a patient record unchanged. Every fact in it has one :class:`Evidence` keyed by its record path, so a
clinician can check it against the sentence it came from. What the record has no field for (slip
direction, post-laminectomy levels, transitional anatomy, hedged findings, disagreements between the
FINDINGS and IMPRESSION sections) is kept as :class:`Note` items with their spans.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from lss_pathway.domain.record import Imaging

FactValue = str | float | int | bool


class NoteKind(StrEnum):
    SLIP_DIRECTION = "slip_direction"
    POST_LAMINECTOMY = "post_laminectomy"
    POST_OPERATIVE = "post_operative"
    TRANSITIONAL_ANATOMY = "transitional_anatomy"
    UNCERTAIN = "uncertain"
    SECTION_DISAGREEMENT = "section_disagreement"
    AMBIGUOUS = "ambiguous"
    UNGRADED = "ungraded"
    LESSER_SIDE = "lesser_side"
    SIDE_ASSUMED = "side_assumed"
    UNSUPPORTED_LEVEL = "unsupported_level"
    GRADE_RANGE = "grade_range"


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Span(Frozen):
    """Where in the report text (character offsets, end exclusive) and in which section."""

    section: str = Field(description="findings, impression, body (no header), history, technique, ...")
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    sentence: str = Field(description="The whole sentence the span sits in")


class Evidence(Frozen):
    path: str = Field(description="Record path, e.g. imaging.levels[L4-L5].sides[left].foraminal_stenosis")
    value: FactValue
    text: str = Field(description="The words the value was read from")
    span: Span
    rule_id: str = Field(description="Id of the lexicon rule that found the fact")
    cue_ids: list[str] = Field(default_factory=list, description="Ids of grade, side and negation cues used")
    derived: str | None = Field(None, description="Why a value was implied rather than stated, if it was")


class Note(Frozen):
    kind: NoteKind
    message: str
    level: str | None = None
    side: str | None = None
    path: str | None = None
    span: Span | None = None
    rule_id: str | None = None


class Extraction(Frozen):
    """The reader's whole answer for one report."""

    report_id: str | None = None
    extractor: str = Field(description="Extractor name and lexicon versions, e.g. rules/1.0.0+1.0.0")
    imaging: Imaging
    evidence: dict[str, Evidence] = Field(default_factory=dict)
    notes: list[Note] = Field(default_factory=list)
