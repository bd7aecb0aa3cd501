"""The registry store on both engines: what is written, what is refused, and that refusals write nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from tests.registry.helpers import answers, odi

from lss_pathway.registry.errors import Conflict, InvalidInput, NotFound
from lss_pathway.registry.models import AuditEntry, FollowUp, QuestionnaireResponse, Subject, SubjectLink
from lss_pathway.registry.store import Complaint, Registry

DAY0 = dt.date(2025, 3, 3)
WHO = {"actor": "tester", "reason": "test"}


def treated(registry: Registry) -> str:
    study_id = registry.enrol(age=71, sex="female", link=("urn:mrn:test", "12345"), **WHO)
    registry.add_follow_up(
        study_id, "baseline", collected_on=DAY0 - dt.timedelta(days=7), responses=answers(25, 7), **WHO
    )
    registry.add_procedure(
        study_id, performed_on=DAY0, levels=[("L4-L5", "left"), ("L4-L5", "right")], operator="dr-a", **WHO
    )
    return study_id


def test_engine_settings(registry: Registry) -> None:
    with registry.engine.connect() as conn:
        if registry.engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        else:
            assert conn.exec_driver_sql("SHOW server_version").scalar().startswith("15")


def test_study_ids_are_random_and_identifiers_live_only_in_the_link_table(registry: Registry) -> None:
    first = registry.enrol(link=("urn:mrn:test", "12345"), **WHO)
    second = registry.enrol(link=("urn:mrn:test", "12346"), **WHO)
    assert first != second and "12345" not in first and len(first) == 21
    with registry.sessions() as s:
        assert (
            s.scalar(select(SubjectLink.identifier).join(Subject).where(Subject.study_id == first)) == "12345"
        )
    assert "12345" not in str(registry.audit_trail())


def test_follow_up_is_scored_and_audited_in_the_same_transaction(registry: Registry) -> None:
    study_id = treated(registry)
    result = registry.add_follow_up(
        study_id,
        "3m",
        collected_on=DAY0 + dt.timedelta(days=95),
        responses=answers(10, 3),
        source="clinician",
        **WHO,
    )
    assert result.scores == {"odi": 20.0, "nprs": 3.0}
    assert result.day == 95 and result.in_window is True
    with registry.sessions() as s:
        stored = s.scalars(
            select(QuestionnaireResponse).where(QuestionnaireResponse.instrument == "odi")
        ).all()
        assert sorted(r.score for r in stored) == [20.0, 50.0]
        assert all(r.scorer_version.startswith("outcomes-") for r in stored)
        assert stored[-1].answers == odi(10)
    trail = registry.audit_trail(study_id)
    assert [(e["entity"], e["key"]) for e in trail] == [
        ("subjects", study_id),
        ("follow_ups", f"{study_id}/baseline"),
        ("procedures", trail[2]["key"]),
        ("follow_ups", f"{study_id}/3m"),
    ]
    assert trail[-1]["after"]["scores"] == {"odi": 20.0, "nprs": 3.0}


def test_out_of_window_is_stored_and_flagged(registry: Registry) -> None:
    study_id = treated(registry)
    result = registry.add_follow_up(
        study_id, "6w", collected_on=DAY0 + dt.timedelta(days=80), responses=answers(10, 3), **WHO
    )
    assert result.in_window is False and result.day == 80


def _rows(registry: Registry) -> tuple[int, int, int]:
    return registry.count(FollowUp), registry.count(QuestionnaireResponse), registry.count(AuditEntry)


@pytest.mark.parametrize(
    ("time_point", "days", "responses", "error", "field"),
    [
        (
            "3m",
            95,
            {"odi": {**odi(10), "walking": 6}, "nprs": {"nprs": 3}},
            InvalidInput,
            "responses.odi.answers.walking",
        ),
        ("3m", 95, {"nprs": {"nprs": 11}}, InvalidInput, "responses.nprs.answers.nprs"),
        ("3m", -2, answers(10, 3), InvalidInput, "collected_on"),
        ("9m", 270, answers(10, 3), InvalidInput, "time_point"),
        ("baseline", -3, answers(10, 3), Conflict, "time_point"),
        ("3m", 95, {"promis": {}}, InvalidInput, "responses.promis"),
    ],
    ids=[
        "odi-out-of-range",
        "nprs-out-of-range",
        "before-procedure",
        "unknown-time-point",
        "duplicate",
        "unknown-instrument",
    ],
)
def test_bad_follow_up_is_refused_and_writes_nothing(
    registry: Registry,
    time_point: str,
    days: int,
    responses: dict[str, object],
    error: type[Exception],
    field: str,
) -> None:
    study_id = treated(registry)
    before = _rows(registry)
    with pytest.raises(error) as caught:
        registry.add_follow_up(
            study_id, time_point, collected_on=DAY0 + dt.timedelta(days=days), responses=responses, **WHO
        )
    assert caught.value.field == field  # type: ignore[attr-defined]
    assert _rows(registry) == before


def test_unknown_subject_is_not_found(registry: Registry) -> None:
    before = _rows(registry)
    with pytest.raises(NotFound, match="no subject"):
        registry.add_follow_up("SNOTHERE", "3m", collected_on=DAY0, responses=answers(1, 1), **WHO)
    assert _rows(registry) == before


def test_follow_up_before_any_procedure_is_refused(registry: Registry) -> None:
    study_id = registry.enrol(**WHO)
    with pytest.raises(InvalidInput, match="no index procedure"):
        registry.add_follow_up(study_id, "6w", collected_on=DAY0, responses=answers(1, 1), **WHO)


def test_later_procedure_is_a_reoperation_and_levels_are_checked(registry: Registry) -> None:
    study_id = treated(registry)
    reop = registry.add_procedure(
        study_id,
        performed_on=DAY0 + dt.timedelta(days=300),
        kind="decompression",
        levels=[("L3-L4", "left")],
        complications=[Complaint("dural_tear")],
        **WHO,
    )
    assert reop > 0
    with pytest.raises(InvalidInput, match="after the index procedure"):
        registry.add_procedure(study_id, performed_on=DAY0, levels=[("L4-L5", "left")], **WHO)
    with pytest.raises(InvalidInput) as caught:
        registry.add_procedure(
            study_id, performed_on=DAY0 + dt.timedelta(days=400), levels=[("L6-S1", "left")], **WHO
        )
    assert caught.value.field == "levels[0].level"


def test_audit_log_is_append_only(registry: Registry) -> None:
    treated(registry)
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"), registry.engine.begin() as conn:
            conn.execute(text(statement))
    assert {e["actor"] for e in registry.audit_trail()} == {"system", "tester"}


def test_a_correction_keeps_the_value_before_in_the_audit(registry: Registry) -> None:
    study_id = treated(registry)
    registry.correct_score_source(study_id, "baseline", "clinician", actor="nurse", reason="entered by phone")
    last = registry.audit_trail(study_id)[-1]
    assert (last["action"], last["before"], last["after"], last["reason"]) == (
        "update",
        {"source": "patient"},
        {"source": "clinician"},
        "entered by phone",
    )


def test_stored_assessment_comes_back_exactly(registry: Registry) -> None:
    from pathlib import Path

    from lss_pathway.assess import assess
    from lss_pathway.domain.parsing import parse_record

    raw = (Path(__file__).parents[2] / "examples" / "01-bilateral-l45-candidate.yaml").read_bytes()
    produced = assess(parse_record(raw.decode(), "yaml")).to_dict()
    study_id = registry.enrol(**WHO)
    row = registry.store_assessment(study_id, produced, raw, **WHO)
    assert registry.stored_assessment(row) == produced
    trail = registry.audit_trail(study_id)[-1]["after"]
    assert trail["ruleset"] == f"{produced['ruleset']['id']}@{produced['ruleset']['version']}"
    assert trail["input_digest"].startswith("sha256:") and len(trail["input_digest"]) == 71


def test_reads_do_not_wait_for_an_open_write(registry: Registry) -> None:
    from lss_pathway.registry.db import writer

    study_id = treated(registry)
    with writer(registry.engine).begin() as held:  # a writer holds the write lock (SQLite: BEGIN IMMEDIATE)
        held.execute(text("UPDATE subjects SET sex = 'male' WHERE study_id = :s"), {"s": study_id})
        with registry.sessions() as session:  # a report reading meanwhile sees the committed value at once
            assert session.scalar(select(Subject.sex).where(Subject.study_id == study_id)) == "female"
