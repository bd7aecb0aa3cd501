"""Red flags that route a patient to urgent surgical evaluation before any elective step.

Every flag is reported, present or not: a flag that was never screened is listed as unknown so that its
absence is never assumed.
"""

from __future__ import annotations

from dataclasses import dataclass

from lss_pathway.clinical.reference import reference, source
from lss_pathway.criteria.logic import Tri
from lss_pathway.domain.record import PatientRecord
from lss_pathway.domain.vocabulary import Grade


@dataclass(frozen=True, slots=True)
class RedFlag:
    id: str
    label: str
    status: Tri  # MET = present
    action: str
    fact: str
    source: str
    url: str


def _observations(record: PatientRecord) -> dict[str, tuple[bool | None, str]]:
    deficit = record.exam.neurologic_deficit
    return {
        "saddle_anaesthesia": (record.red_flags.saddle_anaesthesia, "red_flags.saddle_anaesthesia"),
        "new_bladder_bowel_dysfunction": (
            record.red_flags.new_bladder_bowel_dysfunction,
            "red_flags.new_bladder_bowel_dysfunction",
        ),
        "progressive_motor_deficit": (
            record.red_flags.progressive_motor_deficit,
            "red_flags.progressive_motor_deficit",
        ),
        "severe_neurologic_deficit": (
            None if deficit is None else deficit is Grade.SEVERE,
            "exam.neurologic_deficit",
        ),
    }


def screen(record: PatientRecord) -> list[RedFlag]:
    """All red flags, present ones first, then unknown, then absent."""
    table = reference()["red_flags"]
    flags = []
    for flag_id, (observed, fact) in _observations(record).items():
        entry = table[flag_id]
        cited = source(entry["source"])
        flags.append(
            RedFlag(
                flag_id,
                entry["label"],
                Tri.of(observed),
                entry["action"],
                fact,
                cited["citation"],
                cited["url"],
            )
        )
    order = {Tri.MET: 0, Tri.UNKNOWN: 1, Tri.NOT_MET: 2}
    return sorted(flags, key=lambda f: order[f.status])
