"""Reading the treated cohort out of the database as the core's ``Course`` values, in three queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import Engine, func, select

from lss_pathway.clinical.instruments.base import ScoreResult
from lss_pathway.clinical.outcomes.cohort import Course, Visit
from lss_pathway.clinical.outcomes.data import Schedule, TimePoint
from lss_pathway.registry.models import (
    FollowUp,
    Procedure,
    QuestionnaireResponse,
    ScheduleRow,
    Subject,
    TimePointRow,
)


def stored_schedule(engine: Engine, schedule_id: str = "lss-default") -> Schedule:
    """The latest stored version of a schedule, as the core's ``Schedule`` (its citation left out)."""
    from lss_pathway.clinical.outcomes.data import schedule as packaged

    with engine.connect() as conn:
        row = conn.execute(
            select(ScheduleRow.id, ScheduleRow.version, ScheduleRow.title)
            .where(ScheduleRow.schedule_id == schedule_id)
            .order_by(ScheduleRow.id.desc())
            .limit(1)
        ).first()
        if row is None:
            raise KeyError(f"schedule '{schedule_id}' is not installed")
        points = conn.execute(
            select(
                TimePointRow.code,
                TimePointRow.label,
                TimePointRow.target_day,
                TimePointRow.window_before,
                TimePointRow.window_after,
            )
            .where(TimePointRow.schedule_pk == row.id)
            .order_by(TimePointRow.target_day)
        ).all()
    source = packaged(schedule_id).source
    return Schedule(schedule_id, row.version, row.title, source, tuple(TimePoint(*p) for p in points))


def courses(engine: Engine, as_of: dt.date, schedule_id: str | None = None) -> list[Course]:
    """Every subject with an index procedure on or before ``as_of``, with scores per time point."""
    index_q = (
        select(Subject.id, Subject.study_id, Procedure.performed_on)
        .join(Procedure, Procedure.subject_pk == Subject.id)
        .where(Procedure.is_index.is_(True), Procedure.performed_on <= as_of)
    )
    if schedule_id is not None:
        index_q = index_q.join(ScheduleRow, ScheduleRow.id == Subject.schedule_pk).where(
            ScheduleRow.schedule_id == schedule_id
        )
    later_q = (
        select(Procedure.subject_pk, func.min(Procedure.performed_on))
        .where(Procedure.is_index.is_(False), Procedure.performed_on <= as_of)
        .group_by(Procedure.subject_pk)
    )
    visits_q = (
        select(
            FollowUp.subject_pk,
            TimePointRow.code,
            FollowUp.collected_on,
            QuestionnaireResponse.instrument,
            QuestionnaireResponse.score,
            QuestionnaireResponse.components,
            QuestionnaireResponse.answered,
            QuestionnaireResponse.expected,
        )
        .join(TimePointRow, TimePointRow.id == FollowUp.time_point_pk)
        .join(QuestionnaireResponse, QuestionnaireResponse.follow_up_pk == FollowUp.id)
        .where(FollowUp.collected_on <= as_of)
    )
    with engine.connect() as conn:
        index = {pk: (study_id, day) for pk, study_id, day in conn.execute(index_q)}
        later = {pk: day for pk, day in conn.execute(later_q) if pk in index}
        scores: dict[int, dict[str, tuple[dt.date, dict[str, ScoreResult]]]] = defaultdict(dict)
        for pk, code, collected_on, instrument, value, components, answered, expected in conn.execute(
            visits_q
        ):
            if pk not in index:
                continue
            entry = scores[pk].setdefault(code, (collected_on, {}))
            entry[1][instrument] = ScoreResult(
                instrument, value, "", answered, expected, None, (), components
            )
    out = []
    for pk, (study_id, performed_on) in index.items():
        visits = tuple(
            Visit(code, (collected_on - performed_on).days, found)
            for code, (collected_on, found) in scores.get(pk, {}).items()
        )
        reop = later.get(pk)
        out.append(
            Course(
                study_id,
                visits,
                (as_of - performed_on).days,
                None if reop is None else (reop - performed_on).days,
            )
        )
    return out
