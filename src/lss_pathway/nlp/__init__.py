"""Radiology report reading: lumbar MRI / CT / CT-myelogram text in, imaging section with evidence out.

The default extractor is rule-based, its rules data files under ``nlp/rules`` (see docs/report-reading.md).
:class:`Extractor` is the interface a model-based reader would implement behind the same output schema;
none is shipped, because no model weights are available to this project.
"""

from __future__ import annotations

from typing import Protocol

from lss_pathway.nlp.schema import Evidence, Extraction, Note, NoteKind, Span

__all__ = ["Evidence", "Extraction", "Extractor", "Note", "NoteKind", "RuleExtractor", "Span", "extract"]


class Extractor(Protocol):
    """Anything that reads a report into an :class:`Extraction` (rules today; a model could follow)."""

    def __call__(self, text: str, report_id: str | None = None) -> Extraction: ...


class RuleExtractor:
    """The shipped extractor: lexicon and structure rules, no model, no network."""

    def __call__(self, text: str, report_id: str | None = None) -> Extraction:
        from lss_pathway.nlp.assemble import assemble

        return assemble(text, report_id)


def extract(text: str, report_id: str | None = None) -> Extraction:
    """Read one report with the rule extractor."""
    return RuleExtractor()(text, report_id)
