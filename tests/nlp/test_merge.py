"""Merging report facts into a record: fill the unknown, never overwrite, report disagreements."""

from __future__ import annotations

import datetime as dt

from lss_pathway.domain.record import PatientRecord
from lss_pathway.nlp import extract
from lss_pathway.nlp.merge import merge_extraction

REPORT = "MRI LUMBAR SPINE\nFINDINGS:\nL4-5: Severe central canal stenosis. Mild left foraminal stenosis.\n"


def record(**imaging: object) -> PatientRecord:
    return PatientRecord.model_validate({"assessment_date": "2026-01-10", "imaging": imaging})


def test_unknown_facts_are_filled_and_listed() -> None:
    merged = merge_extraction(record(), extract(REPORT))
    level = merged.record.imaging.levels[0]
    assert level.central_stenosis == "severe"
    assert merged.record.imaging.modality == "MRI"
    assert {e.path for e in merged.filled} >= {"imaging.levels[L4-L5].central_stenosis", "imaging.modality"}
    assert merged.conflicts == []


def test_disagreement_is_a_conflict_and_the_record_value_stays() -> None:
    start = record(levels=[{"level": "L4-L5", "central_stenosis": "moderate"}])
    merged = merge_extraction(start, extract(REPORT))
    assert merged.record.imaging.levels[0].central_stenosis == "moderate"
    (conflict,) = merged.conflicts
    assert conflict.path == "imaging.levels[L4-L5].central_stenosis"
    assert conflict.report_value == "severe"
    assert "Severe central canal stenosis" in conflict.evidence.span.sentence


def test_agreeing_facts_are_not_conflicts() -> None:
    start = record(
        levels=[
            {
                "level": "L4-L5",
                "central_stenosis": "severe",
                "sides": [{"side": "left", "foraminal_stenosis": "mild"}],
            }
        ]
    )
    merged = merge_extraction(start, extract(REPORT))
    assert merged.conflicts == []
    assert "imaging.levels[L4-L5].sides[left].foraminal_stenosis" in merged.agreed


def test_a_study_dated_after_the_assessment_is_not_merged() -> None:
    merged = merge_extraction(record(), extract("DATE: 2026-03-01\n" + REPORT))
    assert merged.record.imaging.date is None
    assert [c.path for c in merged.conflicts] == ["imaging.date"]
    assert merged.record.on_date() == dt.date(2026, 1, 10)
