""" "Paste the MRI report": the report reader fills the form's imaging fields, each with its sentence.

A server round trip (the pages run no script): the posted form comes back with the blank imaging fields
filled from the report. A value the clinician already typed is never replaced; when the report says
otherwise, the report's value and sentence are shown beside it. What the reader left unknown stays blank
and is listed, with the reader's notes (hedged, ambiguous, ungraded findings), so that the clinician
confirms or corrects every value before assessing.

The reader itself is the ``nlp`` edge's, handed in by the composition root (``lss_pathway.server``): this
module knows only the shape of what a reader returns (``ReportReading``), so the web edge imports no
other edge.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from lss_pathway.domain import wording as words
from lss_pathway.domain.anatomy import LEVELS, SIDES
from lss_pathway.web.form import FormValues, all_fields, value_text

REPORT_FIELD = "report_text"
"""The textarea's name: not a record field, so it is never carried to the assessment."""
_SIDE_PATH = re.compile(r"^imaging\.levels\[(?P<level>[^\]]+)\]\.sides\[(?P<side>[^\]]+)\]\.(?P<name>\w+)$")
_LEVEL_PATH = re.compile(r"^imaging\.levels\[(?P<level>[^\]]+)\]\.(?P<name>\w+)$")
_IMAGING_SCALARS = ("imaging.modality", "imaging.date")


class Sentence(Protocol):
    """Where a reading was found (the reader's span)."""

    @property
    def section(self) -> str: ...
    @property
    def sentence(self) -> str: ...


class Evidence(Protocol):
    """One fact the reader found, with the words and rule it came from."""

    @property
    def value(self) -> bool | int | float | str: ...
    @property
    def text(self) -> str: ...
    @property
    def span(self) -> Sentence: ...
    @property
    def rule_id(self) -> str: ...
    @property
    def derived(self) -> str | None: ...


class Note(Protocol):
    """Something the reader could not settle (hedged, ambiguous, ungraded)."""

    @property
    def message(self) -> str: ...
    @property
    def level(self) -> str | None: ...
    @property
    def side(self) -> str | None: ...
    @property
    def span(self) -> Sentence | None: ...


class ReportReading(Protocol):
    """What a report reader returns: the facts by record path, and its notes."""

    @property
    def extractor(self) -> str: ...
    @property
    def evidence(self) -> Mapping[str, Evidence]: ...
    @property
    def notes(self) -> Sequence[Note]: ...


ReportReader = Callable[[str, str], ReportReading]
"""Reads a report's text (with a source label) into facts: ``lss_pathway.nlp.extract``, in the server."""


@dataclass(frozen=True, slots=True)
class FromReport:
    """A value the report gives for one form field, with what it was read from."""

    value: str
    words: str
    sentence: str
    section: str
    rule_id: str
    derived: str | None = None


@dataclass
class Prefill:
    values: FormValues
    filled: dict[str, FromReport] = field(default_factory=dict)
    """Fields filled from the report (they were blank)."""
    differs: dict[str, FromReport] = field(default_factory=dict)
    """Fields the clinician had filled differently: their value is kept, the report's shown beside it."""
    unknown: list[tuple[str, list[str]]] = field(default_factory=list)
    """Per imaging row (or "Study"), the columns still blank after reading."""
    notes: list[str] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)
    """Facts read that the form has no field for."""
    extractor: str = ""
    report_text: str = ""


def form_name(path: str) -> str | None:
    """The form field of a record path (``imaging.levels[L4-L5].sides[left].x``: ``imaging.L4-L5.left.x``)."""
    if m := _SIDE_PATH.match(path):
        return f"imaging.{m['level']}.{m['side']}.{m['name']}"
    if m := _LEVEL_PATH.match(path):
        return f"imaging.{m['level']}.{m['name']}"
    return path if path in _IMAGING_SCALARS else None


def _from(evidence: Evidence, value: str) -> FromReport:
    span = evidence.span
    return FromReport(
        value,
        evidence.text,
        " ".join(span.sentence.split()),
        span.section,
        evidence.rule_id,
        evidence.derived,
    )


def prefill(values: FormValues, text: str, read: ReportReader) -> Prefill:
    """The form values with the report's imaging facts in the blank fields, and what to show beside them."""
    extraction = read(text, "pasted report")
    fields = {f.name for f in all_fields()}
    out = Prefill(dict(values), extractor=extraction.extractor, report_text=text)
    for path, evidence in sorted(extraction.evidence.items()):
        name = form_name(path)
        shown = value_text(evidence.value)
        if name is None or name not in fields or shown is None:
            out.unplaced.append(f"{path} = {evidence.value} (\u201c{evidence.span.sentence.strip()}\u201d)")
            continue
        current = values.get(name)
        current = current if isinstance(current, str) else ""
        if not current.strip():
            out.values[name] = shown
            out.filled[name] = _from(evidence, shown)
        elif not _same(current, shown):
            out.differs[name] = _from(evidence, shown)
    out.unknown = _still_blank(out.values)
    out.notes = [_note(note) for note in extraction.notes]
    return out


def _note(note: Note) -> str:
    where = " ".join(part for part in (note.level, note.side) if part)
    sentence = f" (\u201c{' '.join(note.span.sentence.split())}\u201d)" if note.span else ""
    return f"{where + ': ' if where else ''}{note.message}{sentence}"


def _same(typed: str, read: str) -> bool:
    try:
        return float(typed) == float(read)
    except ValueError:
        return typed.strip().lower() == read.lower()


def _still_blank(values: FormValues) -> list[tuple[str, list[str]]]:
    def blank(name: str) -> bool:
        value = values.get(name)
        return not (value.strip() if isinstance(value, str) else value)

    rows: list[tuple[str, list[str]]] = []
    study = [
        label for name, label in (("imaging.modality", "modality"), ("imaging.date", "date")) if blank(name)
    ]
    if study:
        rows.append(("Study", study))
    for level in LEVELS:
        missing = [c.heading for a, c in words.LEVEL_COLUMNS.items() if blank(f"imaging.{level}.{a}")]
        if missing:
            rows.append((str(level), missing))
    for level in LEVELS:
        for side in SIDES:
            missing = [
                c.heading for a, c in words.SIDE_COLUMNS.items() if blank(f"imaging.{level}.{side}.{a}")
            ]
            if missing:
                rows.append((f"{level} {side}", missing))
    return rows
