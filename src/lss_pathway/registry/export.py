"""De-identified exports: CSV or Parquet tables, and a REDCap project (dictionary, events, flat records).

Safe Harbor by default: no dates (days from the index procedure instead), ages over 89 as "90+", no free
text (the operator's name is left out), no identifiers (the linkage table is never read). Record-level
rows are not small-cell suppressed (that applies to the aggregate report); share them under a data use
agreement.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from lss_pathway.clinical.instruments.nprs import NPRS_ITEM
from lss_pathway.clinical.instruments.odi import ODI_SECTIONS
from lss_pathway.clinical.instruments.zcq import ZCQ_ITEMS
from lss_pathway.registry.models import (
    AdverseEvent,
    Complication,
    FollowUp,
    Procedure,
    ProcedureLevel,
    QuestionnaireResponse,
    ScheduleRow,
    Subject,
    TimePointRow,
)

ZCQ_SCORES = ("symptom_severity", "physical_function", "satisfaction")


def age_group(age: int | None) -> str | None:
    """Safe Harbor: every age over 89 is aggregated into one "90+" category."""
    if age is None:
        return None
    return "90+" if age > 89 else str(age)


def deidentified_tables(engine: Engine, study_id: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Subjects, procedures, follow-ups and item answers, keyed by study id, dates as day offsets.

    With ``study_id``, only that subject's rows (its timeline).
    """
    with engine.connect() as conn:
        only = (
            None
            if study_id is None
            else conn.execute(select(Subject.id).where(Subject.study_id == study_id)).scalar_one_or_none()
        )
        if study_id is not None and only is None:
            return {"subjects": [], "procedures": [], "follow_ups": [], "answers": []}

        def mine(column: Any) -> list[Any]:
            return [] if only is None else [column == only]

        subjects = conn.execute(
            select(
                Subject.id,
                Subject.study_id,
                Subject.age_at_enrolment,
                Subject.sex,
                ScheduleRow.schedule_id,
                ScheduleRow.version,
            )
            .join(ScheduleRow, ScheduleRow.id == Subject.schedule_pk)
            .where(*mine(Subject.id))
            .order_by(Subject.id)
        ).all()
        index = dict(
            conn.execute(
                select(Procedure.subject_pk, Procedure.performed_on).where(
                    Procedure.is_index, *mine(Procedure.subject_pk)
                )
            ).all()
        )
        procedures = conn.execute(
            select(
                Procedure.id,
                Procedure.subject_pk,
                Procedure.performed_on,
                Procedure.is_index,
                Procedure.kind,
                Procedure.cpt_code,
            )
            .where(*mine(Procedure.subject_pk))
            .order_by(Procedure.subject_pk, Procedure.performed_on)
        ).all()
        levels: dict[int, list[str]] = {}
        for ppk, level, side in conn.execute(
            select(ProcedureLevel.procedure_pk, ProcedureLevel.level, ProcedureLevel.side)
            .join(Procedure, Procedure.id == ProcedureLevel.procedure_pk)
            .where(*mine(Procedure.subject_pk))
            .order_by(ProcedureLevel.id)
        ):
            levels.setdefault(ppk, []).append(f"{level} {side}")
        complications: dict[int, list[str]] = {}
        for ppk, code, severity in conn.execute(
            select(Complication.procedure_pk, Complication.code, Complication.severity)
            .join(Procedure, Procedure.id == Complication.procedure_pk)
            .where(*mine(Procedure.subject_pk))
            .order_by(Complication.id)
        ):
            complications.setdefault(ppk, []).append(f"{code}:{severity}")
        follow_ups = conn.execute(
            select(
                FollowUp.id, FollowUp.subject_pk, TimePointRow.code, FollowUp.collected_on, FollowUp.source
            )
            .join(TimePointRow, TimePointRow.id == FollowUp.time_point_pk)
            .where(*mine(FollowUp.subject_pk))
            .order_by(FollowUp.subject_pk, TimePointRow.target_day)
        ).all()
        responses = conn.execute(
            select(
                QuestionnaireResponse.follow_up_pk,
                QuestionnaireResponse.instrument,
                QuestionnaireResponse.answers,
                QuestionnaireResponse.score,
                QuestionnaireResponse.components,
                QuestionnaireResponse.scorer_version,
            )
            .join(FollowUp, FollowUp.id == QuestionnaireResponse.follow_up_pk)
            .where(*mine(FollowUp.subject_pk))
        ).all()
        events: dict[int, list[str]] = {}
        for fpk, code, severity in conn.execute(
            select(AdverseEvent.follow_up_pk, AdverseEvent.code, AdverseEvent.severity)
            .join(FollowUp, FollowUp.id == AdverseEvent.follow_up_pk)
            .where(*mine(FollowUp.subject_pk))
            .order_by(AdverseEvent.id)
        ):
            events.setdefault(fpk, []).append(f"{code}:{severity}")

    study = {s.id: s.study_id for s in subjects}

    def offset(subject_pk: int, on: Any) -> int | None:
        start = index.get(subject_pk)
        return None if start is None else (on - start).days

    by_follow_up: dict[int, dict[str, Any]] = {}
    item_rows: list[dict[str, Any]] = []
    fup_key = {f.id: (study[f.subject_pk], f.code) for f in follow_ups}
    for fpk, instrument, answers, score, components, scorer in responses:
        row = by_follow_up.setdefault(fpk, {})
        row[f"{instrument}_score"] = score
        if instrument == "zcq":
            for name in ZCQ_SCORES:
                row[f"zcq_{name}"] = components.get(name)
        row[f"{instrument}_scorer"] = scorer
        sid, code = fup_key[fpk]
        item_rows += [
            {"study_id": sid, "time_point": code, "instrument": instrument, "item": item, "answer": value}
            for item, value in sorted(answers.items())
        ]
    return {
        "subjects": [
            {
                "study_id": s.study_id,
                "age_group": age_group(s.age_at_enrolment),
                "sex": s.sex,
                "schedule": f"{s.schedule_id}@{s.version}",
            }
            for s in subjects
        ],
        "procedures": [
            {
                "study_id": study[p.subject_pk],
                "day": offset(p.subject_pk, p.performed_on),
                "index": p.is_index,
                "kind": p.kind,
                "cpt": p.cpt_code,
                "levels": ";".join(levels.get(p.id, [])),
                "complications": ";".join(complications.get(p.id, [])),
            }
            for p in procedures
        ],
        "follow_ups": [
            {
                "study_id": study[f.subject_pk],
                "time_point": f.code,
                "day": offset(f.subject_pk, f.collected_on),
                "source": f.source,
                "odi": by_follow_up.get(f.id, {}).get("odi_score"),
                "nprs": by_follow_up.get(f.id, {}).get("nprs_score"),
                **{f"zcq_{n}": by_follow_up.get(f.id, {}).get(f"zcq_{n}") for n in ZCQ_SCORES},
                "adverse_events": ";".join(events.get(f.id, [])),
            }
            for f in follow_ups
        ],
        "answers": item_rows,
    }


def _csv(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    buffer = io.StringIO()
    fields = list(columns if columns is not None else (rows[0].keys() if rows else []))
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row[k] for k in fields})
    return buffer.getvalue()


def write_tables(tables: dict[str, list[dict[str, Any]]], folder: Path, fmt: str) -> list[Path]:
    """One file per table, ``csv`` or ``parquet`` (Parquet needs pyarrow, in the registry extra)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in tables.items():
        path = folder / f"{name}.{fmt}"
        if fmt == "csv":
            path.write_text(_csv(rows), encoding="utf-8")
        elif fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.Table.from_pylist(rows), path)
        else:
            raise ValueError(f"unknown export format '{fmt}' (csv or parquet)")
        written.append(path)
    return written


# --- REDCap -----------------------------------------------------------------------------------------------

DICTIONARY_COLUMNS = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)


def _field(
    name: str,
    form: str,
    kind: str,
    label: str,
    *,
    choices: str = "",
    validation: str = "",
    low: str = "",
    high: str = "",
    note: str = "",
) -> dict[str, str]:
    row = dict.fromkeys(DICTIONARY_COLUMNS, "")
    row.update(
        {
            "Variable / Field Name": name,
            "Form Name": form,
            "Field Type": kind,
            "Field Label": label,
            "Choices, Calculations, OR Slider Labels": choices,
            "Field Note": note,
            "Text Validation Type OR Show Slider Number": validation,
            "Text Validation Min": low,
            "Text Validation Max": high,
        }
    )
    return row


def _codes(values: Iterable[int]) -> str:
    return " | ".join(f"{v}, {v}" for v in values)


def redcap_dictionary() -> list[dict[str, str]]:
    """REDCap data dictionary: items by id with the paraphrased labels, never questionnaire wording."""
    rows = [
        _field("record_id", "enrolment", "text", "Study id"),
        _field("age_group", "enrolment", "text", "Age at enrolment (90+ aggregated)"),
        _field("sex", "enrolment", "dropdown", "Sex", choices="female, female | male, male | other, other"),
        _field("proc_day", "procedure", "text", "Day of procedure (0 = index)", validation="integer"),
        _field("proc_kind", "procedure", "text", "Procedure kind"),
        _field("proc_levels", "procedure", "text", "Levels and sides treated"),
        _field("fu_day", "follow_up", "text", "Days from index procedure", validation="integer"),
        _field(
            "fu_source",
            "follow_up",
            "dropdown",
            "Completed by",
            choices="patient, patient | clinician, clinician",
        ),
        _field("fu_adverse_events", "follow_up", "text", "Patient-reported adverse events (codes)"),
    ]
    rows += [
        _field(f"odi_{sid}", "odi", "radio", f"ODI: {label}", choices=_codes(range(6)))
        for sid, label in ODI_SECTIONS
    ]
    rows.append(_field("odi_score", "odi", "text", "ODI %", validation="number", low="0", high="100"))
    rows.append(_field("nprs_nprs", "nprs", "radio", f"NPRS: {NPRS_ITEM[1]}", choices=_codes(range(11))))
    rows += [
        _field(f"zcq_{i.id}", "zcq", "radio", f"ZCQ: {i.label}", choices=_codes(i.allowed)) for i in ZCQ_ITEMS
    ]
    rows += [
        _field(f"zcq_{n}", "zcq", "text", f"ZCQ {n.replace('_', ' ')} mean", validation="number")
        for n in ZCQ_SCORES
    ]
    return rows


def unique_event_name(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:26] + "_arm_1"


def redcap_project(engine: Engine, schedule_id: str = "lss-default") -> dict[str, str]:
    """CSV texts for REDCap: ``dictionary``, ``events``, ``instrument_events`` and flat ``records``."""
    from lss_pathway.registry.reading import stored_schedule

    schedule = stored_schedule(engine, schedule_id)
    events = [
        {
            "event_name": tp.label,
            "arm_num": 1,
            "day_offset": tp.target_day,
            "offset_min": tp.window_before,
            "offset_max": tp.window_after,
            "unique_event_name": unique_event_name(tp.label),
        }
        for tp in schedule.time_points
    ]
    names = {tp.code: unique_event_name(tp.label) for tp in schedule.time_points}
    forms = ["follow_up", "odi", "nprs", "zcq"]
    mapping = [
        {"arm_num": 1, "unique_event_name": names["baseline"], "form": f} for f in ("enrolment", "procedure")
    ]
    mapping += [
        {"arm_num": 1, "unique_event_name": names[tp.code], "form": f}
        for tp in schedule.time_points
        for f in forms
    ]
    tables = deidentified_tables(engine)
    columns = [row["Variable / Field Name"] for row in redcap_dictionary()]
    records: list[dict[str, Any]] = []
    for s in tables["subjects"]:
        if not s["schedule"].startswith(f"{schedule_id}@"):
            continue
        index = next((p for p in tables["procedures"] if p["study_id"] == s["study_id"] and p["index"]), None)
        records.append(
            {
                "record_id": s["study_id"],
                "redcap_event_name": names["baseline"],
                "age_group": s["age_group"],
                "sex": s["sex"],
                "enrolment_complete": 2,
                **(
                    {}
                    if index is None
                    else {
                        "proc_day": 0,
                        "proc_kind": index["kind"],
                        "proc_levels": index["levels"],
                        "procedure_complete": 2,
                    }
                ),
            }
        )
    answers: dict[tuple[str, str], dict[str, Any]] = {}
    for a in tables["answers"]:
        answers.setdefault((a["study_id"], a["time_point"]), {})[f"{a['instrument']}_{a['item']}"] = a[
            "answer"
        ]
    for f in tables["follow_ups"]:
        if f["time_point"] not in names:
            continue
        row: dict[str, Any] = {
            "record_id": f["study_id"],
            "redcap_event_name": names[f["time_point"]],
            "fu_day": f["day"],
            "fu_source": f["source"],
            "fu_adverse_events": f["adverse_events"],
            "follow_up_complete": 2,
        }
        row.update(answers.get((f["study_id"], f["time_point"]), {}))
        if f["odi"] is not None:
            row["odi_score"] = f["odi"]
        for form in ("odi", "nprs", "zcq"):
            if any(key.startswith(f"{form}_") for key in row):
                row[f"{form}_complete"] = 2
        for n in ZCQ_SCORES:
            if f[f"zcq_{n}"] is not None:
                row[f"zcq_{n}"] = f[f"zcq_{n}"]
        records.append(row)
    record_columns = (
        ["record_id", "redcap_event_name"]
        + columns[1:]
        + [f"{form}_complete" for form in ("enrolment", "procedure", "follow_up", "odi", "nprs", "zcq")]
    )
    return {
        "dictionary": _csv(redcap_dictionary(), DICTIONARY_COLUMNS),
        "events": _csv(events),
        "instrument_events": _csv(mapping),
        "records": _csv(records, record_columns),
    }
