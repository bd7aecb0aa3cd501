"""A subject's stored assessments as a timeline: when, under which rule set, and what each one decided.

The summary is read from the stored JSON as it was written, so an assessment made under an older rule set
or tool version still shows what it said then. Days count from the index procedure, like the other
registry pages, so the page shows no calendar dates.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, select

from lss_pathway.registry.models import AssessmentRow, Procedure, Subject


def _cells(stored: dict[str, Any], verdict: str) -> list[str]:
    """The ``LEVEL side`` cells with this verdict; an unreadable shape gives none rather than an error."""
    cells = stored.get("candidacy")
    if not isinstance(cells, list):
        return []
    return [
        f"{c.get('level')} {c.get('side')}"
        for c in cells
        if isinstance(c, dict) and c.get("verdict") == verdict
    ]


def assessment_timeline(engine: Engine, study_id: str) -> list[dict[str, Any]]:
    """Every stored assessment of one subject, oldest first, with its candidate and undetermined cells."""
    with engine.connect() as conn:
        subject_pk = conn.execute(select(Subject.id).where(Subject.study_id == study_id)).scalar_one_or_none()
        if subject_pk is None:
            return []
        index_on = conn.execute(
            select(Procedure.performed_on).where(Procedure.subject_pk == subject_pk, Procedure.is_index)
        ).scalar_one_or_none()
        rows = conn.execute(
            select(
                AssessmentRow.id,
                AssessmentRow.assessed_on,
                AssessmentRow.ruleset_id,
                AssessmentRow.ruleset_version,
                AssessmentRow.tool_version,
                AssessmentRow.input_digest,
                AssessmentRow.assessment_json,
            )
            .where(AssessmentRow.subject_pk == subject_pk)
            .order_by(AssessmentRow.assessed_on, AssessmentRow.id)
        ).all()
        timeline = []
        for row in rows:
            stored = json.loads(row.assessment_json)
            timeline.append(
                {
                    "id": row.id,
                    "day": None if index_on is None else (row.assessed_on - index_on).days,
                    "ruleset": f"{row.ruleset_id}@{row.ruleset_version}",
                    "tool_version": row.tool_version,
                    "input_digest": row.input_digest,
                    "candidate": _cells(stored, "candidate"),
                    "undetermined": _cells(stored, "undetermined"),
                }
            )
    return timeline
