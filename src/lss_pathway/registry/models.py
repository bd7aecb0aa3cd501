"""The registry schema as typed SQLAlchemy 2 models; Alembic migrations create and change it.

Patient identifiers live only in ``subject_links``, which no export reads. Every other table is keyed by
a random study id. Dates are calendar dates; exports turn them into day offsets from the index procedure.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

LEVELS = ("L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1")
SIDES = ("left", "right")
SOURCES = ("patient", "clinician")
PROCEDURE_KINDS = ("mild", "repeat_mild", "decompression", "fusion", "interspinous_spacer", "other")
SEVERITIES = ("minor", "serious")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ScheduleRow(Base):
    """A versioned follow-up schedule, copied from packaged data so a programme's choice is stored."""

    __tablename__ = "schedules"
    __table_args__ = (UniqueConstraint("schedule_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    time_points: Mapped[list[TimePointRow]] = relationship(
        back_populates="schedule", order_by="TimePointRow.target_day"
    )


class TimePointRow(Base):
    __tablename__ = "time_points"
    __table_args__ = (UniqueConstraint("schedule_pk", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_pk: Mapped[int] = mapped_column(ForeignKey("schedules.id"))
    code: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(100))
    target_day: Mapped[int] = mapped_column(Integer)
    window_before: Mapped[int] = mapped_column(Integer)
    window_after: Mapped[int] = mapped_column(Integer)
    schedule: Mapped[ScheduleRow] = relationship(back_populates="time_points")


class Subject(Base):
    """A registry subject under a random study id; age in whole years at enrolment, never a birth date."""

    __tablename__ = "subjects"
    __table_args__ = (
        CheckConstraint("age_at_enrolment IS NULL OR age_at_enrolment BETWEEN 0 AND 130", name="age"),
        CheckConstraint("sex IS NULL OR sex IN ('female', 'male', 'other')", name="sex"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[str] = mapped_column(String(32), unique=True)
    schedule_pk: Mapped[int] = mapped_column(ForeignKey("schedules.id"))
    age_at_enrolment: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str | None] = mapped_column(String(8))
    enrolled_on: Mapped[dt.date] = mapped_column(Date)
    schedule: Mapped[ScheduleRow] = relationship()


class SubjectLink(Base):
    """The only place a local identifier (e.g. an MRN) may be kept; exports never read this table."""

    __tablename__ = "subject_links"
    __table_args__ = (UniqueConstraint("system", "identifier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_pk: Mapped[int] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"), unique=True)
    system: Mapped[str] = mapped_column(String(100))
    identifier: Mapped[str] = mapped_column(String(100))


class AssessmentRow(Base):
    """An assessment exactly as the tool produced it, so it re-renders the same after a rule set changes."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_pk: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    assessed_on: Mapped[dt.date] = mapped_column(Date)
    ruleset_id: Mapped[str] = mapped_column(String(100))
    ruleset_version: Mapped[str] = mapped_column(String(32))
    tool_version: Mapped[str] = mapped_column(String(32))
    input_digest: Mapped[str] = mapped_column(String(71))  # "sha256:" + 64 hex
    assessment_json: Mapped[str] = mapped_column(Text)


class Procedure(Base):
    """A spine procedure; the subject's index mild procedure, or a later one (an outcome: reoperation)."""

    __tablename__ = "procedures"
    __table_args__ = (
        CheckConstraint(_in("kind", PROCEDURE_KINDS), name="kind"),
        Index(
            "uq_procedures_one_index",
            "subject_pk",
            unique=True,
            sqlite_where=text("is_index"),
            postgresql_where=text("is_index"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_pk: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    performed_on: Mapped[dt.date] = mapped_column(Date)
    is_index: Mapped[bool] = mapped_column(Boolean)
    kind: Mapped[str] = mapped_column(String(32))
    cpt_code: Mapped[str | None] = mapped_column(String(10))
    operator: Mapped[str | None] = mapped_column(String(100))
    levels: Mapped[list[ProcedureLevel]] = relationship(cascade="all, delete-orphan")
    complications: Mapped[list[Complication]] = relationship(cascade="all, delete-orphan")


class ProcedureLevel(Base):
    __tablename__ = "procedure_levels"
    __table_args__ = (
        UniqueConstraint("procedure_pk", "level", "side"),
        CheckConstraint(_in("level", LEVELS), name="level"),
        CheckConstraint(_in("side", SIDES), name="side"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_pk: Mapped[int] = mapped_column(ForeignKey("procedures.id", ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(String(8))
    side: Mapped[str] = mapped_column(String(8))


class Complication(Base):
    """A surgeon-reported complication of a procedure (coded; no free text)."""

    __tablename__ = "complications"
    __table_args__ = (CheckConstraint(_in("severity", SEVERITIES), name="severity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_pk: Mapped[int] = mapped_column(ForeignKey("procedures.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    occurred_on: Mapped[dt.date] = mapped_column(Date)


class FollowUp(Base):
    """One subject at one scheduled time point; the unique key is what stops a duplicate follow-up."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        UniqueConstraint("subject_pk", "time_point_pk"),
        CheckConstraint(_in("source", SOURCES), name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_pk: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    time_point_pk: Mapped[int] = mapped_column(ForeignKey("time_points.id"))
    collected_on: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(16))
    time_point: Mapped[TimePointRow] = relationship()
    responses: Mapped[list[QuestionnaireResponse]] = relationship(cascade="all, delete-orphan")
    adverse_events: Mapped[list[AdverseEvent]] = relationship(cascade="all, delete-orphan")


class QuestionnaireResponse(Base):
    """Answers by item id (never item wording), the score computed at entry and the scorer's version."""

    __tablename__ = "questionnaire_responses"
    __table_args__ = (
        UniqueConstraint("follow_up_pk", "instrument"),
        CheckConstraint("instrument IN ('odi', 'nprs', 'zcq')", name="instrument"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_pk: Mapped[int] = mapped_column(ForeignKey("follow_ups.id", ondelete="CASCADE"))
    instrument: Mapped[str] = mapped_column(String(8))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    score: Mapped[float | None] = mapped_column(Float)
    components: Mapped[dict[str, Any]] = mapped_column(JSON)
    answered: Mapped[int] = mapped_column(Integer)
    expected: Mapped[int] = mapped_column(Integer)
    scorer_version: Mapped[str] = mapped_column(String(32))
    collected_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AdverseEvent(Base):
    """A patient-reported adverse event, kept apart from the surgeon-reported complications."""

    __tablename__ = "adverse_events"
    __table_args__ = (CheckConstraint(_in("severity", SEVERITIES), name="severity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_pk: Mapped[int] = mapped_column(ForeignKey("follow_ups.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))


class AuditEntry(Base):
    """Append-only: written in the same transaction as the change; triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(64))
    entity_key: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AccessToken(Base):
    """An API credential, stored only as its SHA-256; the role decides read-only or data entry."""

    __tablename__ = "access_tokens"
    __table_args__ = (CheckConstraint("role IN ('read', 'write', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
