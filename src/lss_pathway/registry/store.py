"""Writing to and reading from the registry: every change is checked first, then written in one transaction
together with its audit entry, so a rejected change leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from lss_pathway import __version__
from lss_pathway.clinical.instruments.outcome_data import OUTCOMES_VERSION
from lss_pathway.clinical.outcomes.data import BASELINE, Schedule, schedules
from lss_pathway.registry.db import writer
from lss_pathway.registry.errors import Conflict, InvalidInput, NotFound
from lss_pathway.registry.models import (
    SEVERITIES,
    SOURCES,
    AdverseEvent,
    AssessmentRow,
    AuditEntry,
    Complication,
    FollowUp,
    Procedure,
    ProcedureLevel,
    QuestionnaireResponse,
    ScheduleRow,
    Subject,
    SubjectLink,
    TimePointRow,
)
from lss_pathway.registry.validate import (
    check_follow_up_date,
    check_procedure,
    check_study_id,
    check_subject,
    choice,
    score_responses,
)

SCORER_VERSION = f"outcomes-{OUTCOMES_VERSION}/lss-pathway-{__version__}"
MILD_CPT = "0275T"


def new_study_id() -> str:
    """A random study id (80 bits); it carries nothing from the patient and is never derived from an MRN."""
    return "S" + secrets.token_hex(10).upper()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class Complaint:
    """A coded complication or adverse event (no free text): a code, a severity and, for surgeons, a date."""

    code: str
    severity: str = "minor"
    occurred_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class FollowUpResult:
    id: int
    time_point: str
    day: int | None
    in_window: bool | None
    scores: dict[str, float | None]


class Registry:
    """The registry on one engine; each public method is one transaction."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)  # reads
        self.writes = sessionmaker(writer(engine), expire_on_commit=False)

    # --- setup ------------------------------------------------------------------------------------------

    def install_schedules(self, available: Iterable[Schedule] | None = None) -> list[str]:
        """Store the packaged schedules not stored yet; returns the ``id@version`` of those added."""
        added = []
        with self.writes.begin() as session:
            for sched in available if available is not None else schedules():
                found = session.scalar(
                    select(ScheduleRow).where(
                        ScheduleRow.schedule_id == sched.id, ScheduleRow.version == sched.version
                    )
                )
                if found is not None:
                    continue
                row = ScheduleRow(schedule_id=sched.id, version=sched.version, title=sched.title)
                row.time_points = [
                    TimePointRow(
                        code=tp.code,
                        label=tp.label,
                        target_day=tp.target_day,
                        window_before=tp.window_before,
                        window_after=tp.window_after,
                    )
                    for tp in sched.time_points
                ]
                session.add(row)
                session.flush()
                _audit(
                    session,
                    "system",
                    "insert",
                    "schedules",
                    f"{sched.id}@{sched.version}",
                    "install",
                    None,
                    {"title": sched.title, "time_points": [tp.code for tp in sched.time_points]},
                )
                added.append(f"{sched.id}@{sched.version}")
        return added

    # --- subjects ---------------------------------------------------------------------------------------

    def enrol(
        self,
        *,
        actor: str,
        reason: str,
        schedule_id: str = "lss-default",
        age: int | None = None,
        sex: str | None = None,
        enrolled_on: dt.date | None = None,
        link: tuple[str, str] | None = None,
        study_id: str | None = None,
    ) -> str:
        """Enrol a subject under a new random study id; ``link`` (system, identifier) goes to the linkage."""
        check_subject(age, sex)
        if study_id is not None:
            check_study_id(study_id)
        with self.writes.begin() as session:
            sched = session.scalar(
                select(ScheduleRow)
                .where(ScheduleRow.schedule_id == schedule_id)
                .order_by(ScheduleRow.id.desc())
                .limit(1)
            )
            if sched is None:
                raise InvalidInput(
                    f"schedule '{schedule_id}' is not installed (run `lss registry init`)", "schedule"
                )
            subject = Subject(
                study_id=study_id or new_study_id(),
                schedule_pk=sched.id,
                age_at_enrolment=age,
                sex=sex,
                enrolled_on=enrolled_on or dt.date.today(),
            )
            session.add(subject)
            _flush(session, "study_id", "a subject with this study id already exists")
            if link is not None:
                session.add(SubjectLink(subject_pk=subject.id, system=link[0], identifier=link[1]))
                _flush(session, "link", "this identifier is already linked to another subject")
            _audit(
                session,
                actor,
                "insert",
                "subjects",
                subject.study_id,
                reason,
                None,
                {
                    "schedule": f"{sched.schedule_id}@{sched.version}",
                    "age": age,
                    "sex": sex,
                    "linked": link is not None,
                },
            )
            return subject.study_id

    def _subject(self, session: Session, study_id: str) -> Subject:
        subject = session.scalar(select(Subject).where(Subject.study_id == study_id))
        if subject is None:
            raise NotFound(f"no subject with study id '{study_id}'", "study_id")
        return subject

    def _index(self, session: Session, subject: Subject) -> Procedure | None:
        return session.scalar(
            select(Procedure).where(Procedure.subject_pk == subject.id, Procedure.is_index.is_(True))
        )

    # --- procedures -------------------------------------------------------------------------------------

    def add_procedure(
        self,
        study_id: str,
        *,
        actor: str,
        reason: str,
        performed_on: dt.date,
        levels: Sequence[tuple[str, str]],
        operator: str | None = None,
        kind: str = "mild",
        complications: Sequence[Complaint] = (),
    ) -> int:
        """Record a procedure: the first is the index procedure, later ones are outcomes (reoperations)."""
        check_procedure(kind, levels, [c.severity for c in complications])
        for i, c in enumerate(complications):
            if c.occurred_on is not None and c.occurred_on < performed_on:
                raise InvalidInput("a complication cannot precede its procedure", f"complications[{i}]")
        with self.writes.begin() as session:
            subject = self._subject(session, study_id)
            index = self._index(session, subject)
            if index is not None and performed_on <= index.performed_on:
                raise InvalidInput(
                    f"a later procedure must be after the index procedure ({index.performed_on})",
                    "performed_on",
                )
            if index is None:
                baseline = session.scalar(
                    select(FollowUp.collected_on)
                    .join(TimePointRow)
                    .where(FollowUp.subject_pk == subject.id, TimePointRow.code == BASELINE)
                )
                if baseline is not None and baseline > performed_on:
                    raise InvalidInput(
                        f"the baseline was collected after this date ({baseline})", "performed_on"
                    )
            procedure = Procedure(
                subject_pk=subject.id,
                performed_on=performed_on,
                is_index=index is None,
                kind=kind,
                cpt_code=MILD_CPT if kind in ("mild", "repeat_mild") else None,
                operator=operator,
                levels=[ProcedureLevel(level=lv, side=sd) for lv, sd in levels],
                complications=[
                    Complication(code=c.code, severity=c.severity, occurred_on=c.occurred_on or performed_on)
                    for c in complications
                ],
            )
            session.add(procedure)
            _flush(session, "performed_on", "this subject already has an index procedure")
            _audit(
                session,
                actor,
                "insert",
                "procedures",
                f"{study_id}/{procedure.id}",
                reason,
                None,
                {
                    "performed_on": performed_on.isoformat(),
                    "kind": kind,
                    "index": procedure.is_index,
                    "levels": [f"{lv} {sd}" for lv, sd in levels],
                    "complications": [c.code for c in complications],
                },
            )
            return procedure.id

    # --- follow-ups -------------------------------------------------------------------------------------

    def add_follow_up(
        self,
        study_id: str,
        time_point: str,
        *,
        actor: str,
        reason: str,
        collected_on: dt.date,
        responses: Mapping[str, Any],
        source: str = "patient",
        adverse_events: Sequence[Complaint] = (),
        collected_at: dt.datetime | None = None,
    ) -> FollowUpResult:
        """Score and store the questionnaires of one time point; a second one for the same point is a 409."""
        scored = score_responses(responses, source)
        for i, event in enumerate(adverse_events):
            choice(event.severity, SEVERITIES, f"adverse_events[{i}].severity")
        with self.writes.begin() as session:
            subject = self._subject(session, study_id)
            tp = session.scalar(
                select(TimePointRow).where(
                    TimePointRow.schedule_pk == subject.schedule_pk, TimePointRow.code == time_point
                )
            )
            if tp is None:
                codes = session.scalars(
                    select(TimePointRow.code).where(TimePointRow.schedule_pk == subject.schedule_pk)
                ).all()
                raise InvalidInput(
                    f"'{time_point}' is not in this subject's schedule ({', '.join(codes)})", "time_point"
                )
            index = self._index(session, subject)
            day = check_follow_up_date(
                time_point, collected_on, None if index is None else index.performed_on
            )
            in_window = (
                None
                if day is None
                else tp.target_day - tp.window_before <= day <= (tp.target_day + tp.window_after)
            )
            at = collected_at or dt.datetime.combine(collected_on, dt.time(12), dt.UTC)
            follow_up = FollowUp(
                subject_pk=subject.id,
                time_point_pk=tp.id,
                collected_on=collected_on,
                source=source,
                responses=[
                    QuestionnaireResponse(
                        instrument=instrument,
                        answers=dict(responses[instrument]),
                        score=result.value,
                        components=dict(result.components),
                        answered=result.answered,
                        expected=result.expected,
                        scorer_version=SCORER_VERSION,
                        collected_at=at,
                    )
                    for instrument, result in scored.items()
                ],
                adverse_events=[AdverseEvent(code=e.code, severity=e.severity) for e in adverse_events],
            )
            session.add(follow_up)
            _flush(session, "time_point", f"subject {study_id} already has a '{time_point}' follow-up")
            values = {i: r.value for i, r in scored.items()}
            _audit(
                session,
                actor,
                "insert",
                "follow_ups",
                f"{study_id}/{time_point}",
                reason,
                None,
                {
                    "collected_on": collected_on.isoformat(),
                    "source": source,
                    "scores": values,
                    "adverse_events": [e.code for e in adverse_events],
                },
            )
            return FollowUpResult(follow_up.id, time_point, day, in_window, values)

    def correct_score_source(
        self, study_id: str, time_point: str, source: str, *, actor: str, reason: str
    ) -> None:
        """Change who filled in a follow-up (patient or clinician); the audit keeps the value before."""
        choice(source, SOURCES, "source")
        with self.writes.begin() as session:
            subject = self._subject(session, study_id)
            follow_up = session.scalar(
                select(FollowUp)
                .join(TimePointRow)
                .where(FollowUp.subject_pk == subject.id, TimePointRow.code == time_point)
                .with_for_update(of=FollowUp)  # the audit's "before" must be the value this change replaces
            )
            if follow_up is None:
                raise NotFound(f"subject {study_id} has no '{time_point}' follow-up", "time_point")
            before = follow_up.source
            follow_up.source = source
            _audit(
                session,
                actor,
                "update",
                "follow_ups",
                f"{study_id}/{time_point}",
                reason,
                {"source": before},
                {"source": source},
            )

    # --- assessments ------------------------------------------------------------------------------------

    def store_assessment(
        self, study_id: str, assessment: Mapping[str, Any], input_bytes: bytes, *, actor: str, reason: str
    ) -> int:
        """Keep an assessment exactly as produced (its JSON, rule set, tool version and input digest)."""
        try:
            ruleset = assessment["ruleset"]
            ruleset_id, ruleset_version = str(ruleset["id"]), str(ruleset["version"])
            tool_version = str(assessment["tool_version"])
            assessed_on = dt.date.fromisoformat(str(assessment["assessment_date"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"not an lss-pathway assessment ({exc})", "assessment") from exc
        with self.writes.begin() as session:
            subject = self._subject(session, study_id)
            row = AssessmentRow(
                subject_pk=subject.id,
                assessed_on=assessed_on,
                ruleset_id=ruleset_id,
                ruleset_version=ruleset_version,
                tool_version=tool_version,
                input_digest="sha256:" + hashlib.sha256(input_bytes).hexdigest(),
                assessment_json=json.dumps(assessment, sort_keys=True, separators=(",", ":")),
            )
            session.add(row)
            session.flush()
            _audit(
                session,
                actor,
                "insert",
                "assessments",
                f"{study_id}/{row.id}",
                reason,
                None,
                {"ruleset": f"{ruleset_id}@{ruleset_version}", "input_digest": row.input_digest},
            )
            return row.id

    def stored_assessment(self, assessment_id: int) -> dict[str, Any]:
        with self.sessions() as session:
            row = session.get(AssessmentRow, assessment_id)
            if row is None:
                raise NotFound(f"no assessment {assessment_id}", "assessment")
            data: dict[str, Any] = json.loads(row.assessment_json)
            return data

    # --- reading ----------------------------------------------------------------------------------------

    def count(self, model: type[Any]) -> int:
        with self.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)

    def audit_trail(self, entity_key_prefix: str | None = None) -> list[dict[str, Any]]:
        with self.sessions() as session:
            query = select(AuditEntry).order_by(AuditEntry.id)
            if entity_key_prefix:
                query = query.where(AuditEntry.entity_key.startswith(entity_key_prefix))
            return [
                {
                    "at": e.at.isoformat(),
                    "actor": e.actor,
                    "action": e.action,
                    "entity": e.entity,
                    "key": e.entity_key,
                    "reason": e.reason,
                    "before": e.before,
                    "after": e.after,
                }
                for e in session.scalars(query)
            ]


def _flush(session: Session, field: str, message: str) -> None:
    """Flush pending rows; a unique-key violation becomes a 409 Conflict naming the field."""
    try:
        session.flush()
    except IntegrityError as exc:
        text = str(exc.orig).lower()
        if "unique" in text or "duplicate" in text:
            raise Conflict(message, field) from exc
        raise InvalidInput(f"rejected by the database: {exc.orig}", field) from exc


def _audit(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    key: str,
    reason: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    session.add(
        AuditEntry(
            at=_now(),
            actor=actor,
            action=action,
            entity=entity,
            entity_key=key,
            reason=reason,
            before=before,
            after=after,
        )
    )
