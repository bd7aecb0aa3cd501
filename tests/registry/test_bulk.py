"""JSON Lines import: everything or nothing, with every refused line named."""

from __future__ import annotations

import json

import pytest
from tests.registry.helpers import answers

from lss_pathway.registry.bulk import import_lines
from lss_pathway.registry.errors import Conflict, InvalidInput
from lss_pathway.registry.models import AuditEntry, FollowUp, Procedure, Subject, SubjectLink
from lss_pathway.registry.store import Registry

WHO = {"actor": "importer", "reason": "test import"}


def line(sid: str, **changes: object) -> str:
    data: dict[str, object] = {
        "study_id": sid,
        "age": 75,
        "sex": "male",
        "link": {"system": "urn:mrn:site", "identifier": f"mrn-{sid}"},
        "procedures": [
            {"date": "2025-01-10", "kind": "mild", "levels": ["L4-L5 left", "L4-L5 right"]},
            {"date": "2025-11-01", "kind": "decompression", "levels": ["L4-L5 left"]},
        ],
        "follow_ups": [
            {"time_point": "baseline", "date": "2025-01-02", "responses": answers(25, 8)},
            {
                "time_point": "6m",
                "date": "2025-07-10",
                "responses": answers(10, 3),
                "adverse_events": [{"code": "new_numbness"}],
            },
        ],
    }
    data.update(changes)
    return json.dumps(data)


def counts(reg: Registry) -> tuple[int, ...]:
    return tuple(reg.count(m) for m in (Subject, SubjectLink, Procedure, FollowUp, AuditEntry))


def test_import_writes_everything_with_an_audit_entry_each(registry: Registry) -> None:
    before = counts(registry)
    summary = import_lines(registry.engine, [line("A1"), "", line("A2")], **WHO)
    assert (summary.subjects, summary.procedures, summary.follow_ups) == (2, 4, 4)
    assert tuple(a - b for a, b in zip(counts(registry), before, strict=True)) == (2, 2, 4, 4, 2)
    rows = registry.audit_trail("A1")
    assert rows[-1]["action"] == "import" and rows[-1]["after"]["follow_ups"] == 2


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            line("B", follow_ups=[{"time_point": "6m", "date": "2024-12-01", "responses": answers(3, 3)}]),
            "before the procedure",
        ),
        (
            line(
                "B",
                follow_ups=[{"time_point": "6m", "date": "2025-07-01", "responses": {"nprs": {"nprs": 12}}}],
            ),
            "nprs",
        ),
        (
            line("B", follow_ups=[{"time_point": "7m", "date": "2025-07-01", "responses": answers(3, 3)}]),
            "7m",
        ),
        (line("B", procedures=[{"date": "2025-01-10", "levels": ["L4-L5 middle"]}]), "middle"),
        (line("A1"), "study id appears twice"),
        ("{not json", "not JSON"),
        (line("X" * 40), "1-32 letters"),
    ],
    ids=[
        "before-procedure",
        "score-out-of-range",
        "unknown-time-point",
        "bad-side",
        "duplicate-in-file",
        "not-json",
        "long-id",
    ],
)
def test_one_bad_line_refuses_the_whole_file(registry: Registry, bad: str, message: str) -> None:
    before = counts(registry)
    with pytest.raises(InvalidInput, match=message) as caught:
        import_lines(registry.engine, [line("A1"), bad, line("A3")], **WHO)
    assert "line 2" in str(caught.value)
    assert counts(registry) == before


def test_study_id_already_in_the_database_is_a_conflict_and_nothing_is_written(registry: Registry) -> None:
    import_lines(registry.engine, [line("C1")], **WHO)
    before = counts(registry)
    with pytest.raises(Conflict):
        import_lines(registry.engine, [line("C2"), line("C1")], **WHO)
    assert counts(registry) == before


def test_duplicate_time_point_in_one_subject_is_refused(registry: Registry) -> None:
    dup = {"time_point": "6m", "date": "2025-07-10", "responses": answers(10, 3)}
    with pytest.raises(InvalidInput, match="second '6m'"):
        import_lines(registry.engine, [line("D", follow_ups=[dup, dup])], **WHO)
