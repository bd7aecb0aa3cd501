"""Merge facts read from a report into a patient record without overwriting what the record states.

A fact the record leaves unknown is filled from the report and listed as report-derived, with its
evidence. A fact both state with different values is a conflict: the record's value stays, and the
conflict is reported with the report's sentence so that the clinician reconciles it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict

from lss_pathway.domain.record import TODAY, PatientRecord
from lss_pathway.nlp.schema import Evidence, Extraction, FactValue


class Conflict(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str
    record_value: FactValue
    report_value: FactValue
    evidence: Evidence


class Merged(BaseModel):
    model_config = ConfigDict(frozen=True)

    record: PatientRecord
    filled: list[Evidence]
    conflicts: list[Conflict]
    agreed: list[str]


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def _same(a: Any, b: Any) -> bool:
    a, b = _plain(a), _plain(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) < 1e-9
    return str(a) == str(b)


def merge_extraction(record: PatientRecord, extraction: Extraction) -> Merged:
    today = dt.date.today()  # the as-of date of a record without an assessment date
    data = record.model_dump(mode="json", exclude_none=True)
    imaging = data.setdefault("imaging", {})
    levels = {entry["level"]: entry for entry in imaging.setdefault("levels", [])}
    filled: list[Evidence] = []
    conflicts: list[Conflict] = []
    agreed: list[str] = []
    for path, evidence in sorted(extraction.evidence.items()):
        if path == "imaging.date" and str(evidence.value) > record.on_date(today).isoformat():
            conflicts.append(
                Conflict(
                    path=path,
                    record_value=f"assessment date {record.on_date(today)}",
                    report_value=evidence.value,
                    evidence=evidence,
                )
            )
            continue  # a study dated after the assessment cannot describe it
        target, name = _target(imaging, levels, path)
        current = target.get(name)
        if current is None:
            target[name] = evidence.value
            filled.append(evidence)
        elif _same(current, evidence.value):
            agreed.append(path)
        else:
            conflicts.append(
                Conflict(path=path, record_value=current, report_value=evidence.value, evidence=evidence)
            )
    imaging["levels"] = list(levels.values())
    return Merged(
        record=PatientRecord.model_validate(data, context={TODAY: today}),
        filled=filled,
        conflicts=conflicts,
        agreed=agreed,
    )


def _target(
    imaging: dict[str, Any], levels: dict[str, dict[str, Any]], path: str
) -> tuple[dict[str, Any], str]:
    """The dict that holds ``path``'s value in the dumped record, created if absent, and the field name."""
    name = path.rsplit(".", 1)[1]
    if "levels[" not in path:
        return imaging, name
    level = path.split("levels[", 1)[1].split("]", 1)[0]
    entry = levels.setdefault(level, {"level": level})
    if ".sides[" not in path:
        return entry, name
    side = path.split(".sides[", 1)[1].split("]", 1)[0]
    sides = entry.setdefault("sides", [])
    for found in sides:
        if found["side"] == side:
            return found, name
    sides.append({"side": side})
    return sides[-1], name
