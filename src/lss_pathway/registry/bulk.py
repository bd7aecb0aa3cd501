"""Bulk import of subjects with their procedures and follow-ups from JSON Lines, all or nothing.

Every line is checked with the same rules as a single write before anything is written; then the rows go
in with one executemany per table inside one transaction (with one audit entry per subject), so a bad
line anywhere leaves the database as it was. One line is one subject::

    {"study_id": "optional", "age": 71, "sex": "female", "schedule": "lss-default",
     "link": {"system": "urn:mrn:site", "identifier": "..."},
     "procedures": [{"date": "2025-03-03", "kind": "mild", "levels": ["L4-L5 left"], "operator": "op-1",
                     "complications": [{"code": "dural_tear", "severity": "minor"}]}],
     "follow_ups": [{"time_point": "baseline", "date": "2025-02-20", "source": "patient",
                     "responses": {"odi": {...}, "nprs": {"nprs": 7}},
                     "adverse_events": [{"code": "new_leg_pain", "severity": "minor"}]}]}
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, insert, select
from sqlalchemy.exc import IntegrityError

from lss_pathway.registry.db import writer
from lss_pathway.registry.errors import Conflict, InvalidInput
from lss_pathway.registry.models import (
    AdverseEvent,
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
from lss_pathway.registry.store import MILD_CPT, SCORER_VERSION, new_study_id
from lss_pathway.registry.validate import (
    check_follow_up_date,
    check_procedure,
    check_study_id,
    check_subject,
    choice,
    parse_date,
    parse_level_side,
    score_responses,
)

MAX_ERRORS_SHOWN = 20


@dataclass
class _Subject:
    row: dict[str, Any]
    link: tuple[str, str] | None
    procedures: list[tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]] = field(
        default_factory=list
    )
    follow_ups: list[tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]] = field(
        default_factory=list
    )


@dataclass(frozen=True, slots=True)
class ImportSummary:
    subjects: int
    procedures: int
    follow_ups: int
    study_ids: tuple[str, ...]


def _schedules(conn: Connection) -> dict[str, tuple[int, dict[str, int]]]:
    """Latest stored version of each schedule: its key and its time points' keys by code."""
    out: dict[str, tuple[int, dict[str, int]]] = {}
    for pk, schedule_id in conn.execute(
        select(ScheduleRow.id, ScheduleRow.schedule_id).order_by(ScheduleRow.id)
    ):
        out[schedule_id] = (pk, {})
    for schedule_pk, code, pk in conn.execute(
        select(TimePointRow.schedule_pk, TimePointRow.code, TimePointRow.id)
    ):
        for sched_pk, points in out.values():
            if sched_pk == schedule_pk:
                points[code] = pk
    return out


def _complaints(raw: Any, where: str) -> list[tuple[str, str]]:
    items = raw or []
    if not isinstance(items, list):
        raise InvalidInput("must be a list of {code, severity}", where)
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping) or not isinstance(item.get("code"), str):
            raise InvalidInput("must have a text code", f"{where}[{i}]")
        out.append((str(item["code"]), str(item.get("severity", "minor"))))
    return out


def _prepare(data: Any, schedules: Mapping[str, tuple[int, dict[str, int]]], now: dt.datetime) -> _Subject:
    if not isinstance(data, Mapping):
        raise InvalidInput("each line must be a JSON object (one subject)")
    age, sex = data.get("age"), data.get("sex")
    check_subject(age, sex)
    schedule_id = str(data.get("schedule", "lss-default"))
    if schedule_id not in schedules:
        raise InvalidInput(f"schedule '{schedule_id}' is not installed (run `lss registry init`)", "schedule")
    schedule_pk, points = schedules[schedule_id]
    link_raw = data.get("link")
    link = None if link_raw is None else (str(link_raw["system"]), str(link_raw["identifier"]))
    procedures = sorted(
        (
            (parse_date(p.get("date"), f"procedures[{i}].date"), i, p)
            for i, p in enumerate(data.get("procedures") or [])
        ),
        key=lambda t: (t[0], t[1]),
    )
    index_on = procedures[0][0] if procedures else None
    enrolled = parse_date(data.get("enrolled_on", index_on or now.date()), "enrolled_on")
    subject = _Subject(
        {
            "study_id": check_study_id(data["study_id"]) if data.get("study_id") else new_study_id(),
            "schedule_pk": schedule_pk,
            "age_at_enrolment": age,
            "sex": sex,
            "enrolled_on": enrolled,
        },
        link,
    )
    seen_dates: set[dt.date] = set()
    for position, (on, i, p) in enumerate(procedures):
        if on in seen_dates:
            raise InvalidInput("two procedures on one day; record them as one", f"procedures[{i}].date")
        seen_dates.add(on)
        kind = str(p.get("kind", "mild"))
        levels = [
            parse_level_side(v, f"procedures[{i}].levels[{j}]") for j, v in enumerate(p.get("levels") or [])
        ]
        complications = _complaints(p.get("complications"), f"procedures[{i}].complications")
        try:
            check_procedure(kind, levels, [sev for _, sev in complications])
        except InvalidInput as exc:
            raise InvalidInput(exc.message, f"procedures[{i}].{exc.field}") from exc
        subject.procedures.append(
            (
                {
                    "performed_on": on,
                    "is_index": position == 0,
                    "kind": kind,
                    "cpt_code": MILD_CPT if kind in ("mild", "repeat_mild") else None,
                    "operator": p.get("operator"),
                },
                [{"level": lv, "side": sd} for lv, sd in levels],
                [{"code": c, "severity": sev, "occurred_on": on} for c, sev in complications],
            )
        )
    seen_points: set[str] = set()
    for i, f in enumerate(data.get("follow_ups") or []):
        where = f"follow_ups[{i}]"
        code = str(f.get("time_point"))
        if code not in points:
            raise InvalidInput(
                f"'{code}' is not in schedule {schedule_id} ({', '.join(points)})", f"{where}.time_point"
            )
        if code in seen_points:
            raise Conflict(f"a second '{code}' follow-up for this subject", f"{where}.time_point")
        seen_points.add(code)
        on = parse_date(f.get("date"), f"{where}.date")
        source = str(f.get("source", "patient"))
        try:
            check_follow_up_date(code, on, index_on)
            scored = score_responses(f.get("responses") or {}, source)
            events = _complaints(f.get("adverse_events"), "adverse_events")
            for j, (_, severity) in enumerate(events):
                choice(severity, ("minor", "serious"), f"adverse_events[{j}].severity")
        except InvalidInput as exc:
            raise InvalidInput(exc.message, f"{where}.{exc.field}") from exc
        at = dt.datetime.combine(on, dt.time(12), dt.UTC)
        subject.follow_ups.append(
            (
                {"time_point_pk": points[code], "collected_on": on, "source": source},
                [
                    {
                        "instrument": name,
                        "answers": dict(f["responses"][name]),
                        "score": r.value,
                        "components": dict(r.components),
                        "answered": r.answered,
                        "expected": r.expected,
                        "scorer_version": SCORER_VERSION,
                        "collected_at": at,
                    }
                    for name, r in scored.items()
                ],
                [{"code": c, "severity": sev} for c, sev in events],
            )
        )
    return subject


def _insert_returning(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    result = conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    return [int(pk) for pk in result.scalars()]


def _insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(table), rows)


def prepare_lines(lines: Iterable[str], engine: Engine) -> list[_Subject]:
    """Parse and check every line; raise one ``InvalidInput`` listing the first problems by line number."""
    now = dt.datetime.now(dt.UTC)
    with engine.connect() as conn:
        schedules = _schedules(conn)
    prepared: list[_Subject] = []
    errors: list[str] = []
    seen_ids: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            subject = _prepare(json.loads(line), schedules, now)
            if subject.row["study_id"] in seen_ids:
                raise Conflict("study id appears twice in the file", "study_id")
            seen_ids.add(subject.row["study_id"])
            prepared.append(subject)
        except json.JSONDecodeError as exc:
            errors.append(f"line {number}: not JSON ({exc.msg})")
        except (InvalidInput, Conflict) as exc:
            errors.append(f"line {number}: {exc}")
        except (KeyError, TypeError, AttributeError) as exc:
            errors.append(f"line {number}: malformed ({exc!r})")
    if errors:
        shown = "; ".join(errors[:MAX_ERRORS_SHOWN])
        more = f" (and {len(errors) - MAX_ERRORS_SHOWN} more)" if len(errors) > MAX_ERRORS_SHOWN else ""
        raise InvalidInput(f"{len(errors)} line(s) refused, nothing imported: {shown}{more}", "import")
    return prepared


def import_lines(engine: Engine, lines: Iterable[str], *, actor: str, reason: str) -> ImportSummary:
    """Check every line, then write everything in one transaction (nothing when any line is refused)."""
    prepared = prepare_lines(lines, engine)
    t: dict[str, Table] = {
        str(m.__tablename__): cast(Table, m.__table__)
        for m in (
            Subject,
            SubjectLink,
            Procedure,
            ProcedureLevel,
            Complication,
            FollowUp,
            QuestionnaireResponse,
            AdverseEvent,
            AuditEntry,
        )
    }
    now = dt.datetime.now(dt.UTC)
    try:
        with writer(engine).begin() as conn:
            subject_pks = _insert_returning(conn, t["subjects"], [s.row for s in prepared])
            _insert(
                conn,
                t["subject_links"],
                [
                    {"subject_pk": pk, "system": s.link[0], "identifier": s.link[1]}
                    for pk, s in zip(subject_pks, prepared, strict=True)
                    if s.link is not None
                ],
            )
            procs = [(pk, p) for pk, s in zip(subject_pks, prepared, strict=True) for p in s.procedures]
            proc_pks = _insert_returning(
                conn, t["procedures"], [{**p[0], "subject_pk": pk} for pk, p in procs]
            )
            _insert(
                conn,
                t["procedure_levels"],
                [
                    {**lv, "procedure_pk": ppk}
                    for ppk, (_, p) in zip(proc_pks, procs, strict=True)
                    for lv in p[1]
                ],
            )
            _insert(
                conn,
                t["complications"],
                [
                    {**c, "procedure_pk": ppk}
                    for ppk, (_, p) in zip(proc_pks, procs, strict=True)
                    for c in p[2]
                ],
            )
            fups = [(pk, f) for pk, s in zip(subject_pks, prepared, strict=True) for f in s.follow_ups]
            fup_pks = _insert_returning(conn, t["follow_ups"], [{**f[0], "subject_pk": pk} for pk, f in fups])
            _insert(
                conn,
                t["questionnaire_responses"],
                [{**r, "follow_up_pk": fpk} for fpk, (_, f) in zip(fup_pks, fups, strict=True) for r in f[1]],
            )
            _insert(
                conn,
                t["adverse_events"],
                [{**e, "follow_up_pk": fpk} for fpk, (_, f) in zip(fup_pks, fups, strict=True) for e in f[2]],
            )
            _insert(
                conn,
                t["audit_log"],
                [
                    {
                        "at": now,
                        "actor": actor,
                        "action": "import",
                        "entity": "subjects",
                        "entity_key": s.row["study_id"],
                        "reason": reason,
                        "before": None,
                        "after": {
                            "procedures": len(s.procedures),
                            "follow_ups": len(s.follow_ups),
                            "linked": s.link is not None,
                        },
                    }
                    for s in prepared
                ],
            )
    except IntegrityError as exc:
        raise Conflict(f"import refused by the database, nothing imported: {exc.orig}", "import") from exc
    return ImportSummary(len(prepared), len(procs), len(fups), tuple(s.row["study_id"] for s in prepared))
