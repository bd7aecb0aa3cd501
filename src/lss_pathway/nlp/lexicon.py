"""Typed, compiled form of the YAML rule files under ``nlp/rules``.

Rules are data so that a reviewer can read and change them without touching code, and so that each fact's
evidence can cite the rule that produced it. Each file carries a version; the extractor reports both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from lss_pathway.domain.packaged import packaged_yaml

_PACKAGE = "lss_pathway.nlp.rules"


@dataclass(frozen=True)
class TokenRule:
    id: str
    type: str
    pattern: str
    value: str | None = None
    cause: str | None = None
    blocks_normal: bool = False


@dataclass(frozen=True)
class SectionRule:
    id: str
    name: str
    reads: bool
    pattern: str


@dataclass(frozen=True)
class LevelRule:
    id: str
    pattern: str
    fixed: str | None = None


@dataclass(frozen=True)
class ValueRule:
    id: str
    value: str
    pattern: str


@dataclass(frozen=True)
class NoteRule:
    id: str
    kind: str
    pattern: str


@dataclass(frozen=True)
class Lexicon:
    version: str
    tokens: tuple[TokenRule, ...]
    scanner: re.Pattern[str]


@dataclass(frozen=True)
class Structure:
    version: str
    sections: tuple[SectionRule, ...]
    section_header: re.Pattern[str]
    levels: tuple[LevelRule, ...]
    level_scanner: re.Pattern[str]
    level_range: re.Pattern[str]
    level_header: str
    modality: tuple[ValueRule, ...]
    modality_scanner: re.Pattern[str]
    date: re.Pattern[str]
    title_date: re.Pattern[str]
    notes: tuple[NoteRule, ...]
    note_scanner: re.Pattern[str]


def _alternation(patterns: list[str]) -> re.Pattern[str]:
    """One scanner whose group ``r<i>`` tells which rule matched; leftmost match, then rule order.

    The word-start check is made once, before the alternatives, so that the scanner skips the inside of
    words without trying every rule there (a threefold speed-up over checking it per rule)."""
    parts = [f"(?P<r{i}>(?:{p})(?![A-Za-z0-9]))" for i, p in enumerate(patterns)]
    # a rule may start at a word start, or anywhere on punctuation (the comma after "narrowing,")
    return re.compile("(?:(?<![A-Za-z0-9])|(?=[^A-Za-z0-9]))(?:" + "|".join(parts) + ")", re.IGNORECASE)


def matched_index(match: re.Match[str]) -> int:
    name = match.lastgroup
    assert name is not None
    return int(name[1:])


def _load(name: str) -> dict[str, Any]:
    data = packaged_yaml(_PACKAGE, name)
    assert isinstance(data, dict), f"{name}: not a mapping"
    return data


@cache
def lexicon() -> Lexicon:
    data = _load("lexicon.yaml")
    tokens = tuple(TokenRule(**entry) for entry in data["tokens"])
    ids = [t.id for t in tokens]
    assert len(ids) == len(set(ids)), "lexicon rule ids must be unique"
    return Lexicon(str(data["version"]), tokens, _alternation([t.pattern for t in tokens]))


@cache
def structure() -> Structure:
    data = _load("structure.yaml")
    sections = tuple(SectionRule(**entry) for entry in data["sections"])
    header = re.compile(
        r"^[ \t]*(?:" + "|".join(f"(?P<r{i}>{s.pattern})" for i, s in enumerate(sections)) + r")[ \t]*"
        r"(?::[ \t]*|[ \t]*$)",
        re.IGNORECASE | re.MULTILINE,
    )
    levels = tuple(LevelRule(**entry) for entry in data["levels"])
    modality = tuple(ValueRule(**entry) for entry in data["modality"])
    notes = tuple(NoteRule(**entry) for entry in data["notes"])
    return Structure(
        version=str(data["version"]),
        sections=sections,
        section_header=header,
        levels=levels,
        level_scanner=_alternation([lv.pattern for lv in levels]),
        level_range=re.compile(data["level_range"], re.IGNORECASE),
        level_header=str(data["level_header"]),
        modality=modality,
        modality_scanner=_alternation([m.pattern for m in modality]),
        date=re.compile(data["date"], re.IGNORECASE),
        title_date=re.compile(data["title_date"]),
        notes=notes,
        note_scanner=_alternation([n.pattern for n in notes]),
    )
