"""The rule files load, compile, have unique ids and carry versions (evidence cites those ids)."""

from __future__ import annotations

import re

from lss_pathway.nlp.lexicon import lexicon, structure


def test_lexicon_rules_have_unique_ids_and_a_version() -> None:
    lex = lexicon()
    ids = [t.id for t in lex.tokens]
    assert len(ids) == len(set(ids))
    assert re.fullmatch(r"\d+\.\d+\.\d+", lex.version)


def test_every_pattern_compiles_on_its_own() -> None:
    for rule in lexicon().tokens:
        re.compile(rule.pattern, re.IGNORECASE)
    for level in structure().levels:
        re.compile(level.pattern, re.IGNORECASE)


def test_grade_rules_name_a_grade_or_are_the_range_rule() -> None:
    grades = [t for t in lexicon().tokens if t.type == "grade"]
    assert {t.value for t in grades} == {None, "mild", "moderate", "severe"}


def test_sections_that_are_never_read() -> None:
    unread = {s.name for s in structure().sections if not s.reads}
    assert unread == {"history", "technique", "comparison"}
