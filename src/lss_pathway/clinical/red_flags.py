"""Red flags that route a patient to urgent surgical evaluation, or to specialist review, before any
elective step.

Every flag is reported, present or not: a flag that was never screened is listed as unknown so that its
absence is never assumed. A cauda equina feature is urgent when the triage makes it suspected cauda equina
syndrome (new, worsening or of unknown onset); a long-standing one calls for specialist review instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from lss_pathway.clinical.cauda_equina import CesTriage, triage
from lss_pathway.clinical.reference import reference, source
from lss_pathway.criteria.logic import Tri
from lss_pathway.domain.cauda_equina import both_legs_deficit
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
    urgent: bool = True
    """Present and urgent: an emergency or urgent surgical evaluation; else specialist review."""


def _observations(record: PatientRecord) -> dict[str, tuple[bool | None, str]]:
    deficit = record.exam.neurologic_deficit
    flags = record.red_flags
    return {
        "bilateral_leg_deficit": (
            both_legs_deficit(record),
            "red_flags.bilateral_leg_deficit"
            if flags.bilateral_leg_deficit is not None or deficit is None
            else "exam.neurologic_deficit",
        ),
        "sexual_dysfunction": (flags.sexual_dysfunction, "red_flags.sexual_dysfunction"),
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


_CES_FEATURES = {
    "saddle_anaesthesia",
    "new_bladder_bowel_dysfunction",
    "bilateral_leg_deficit",
    "sexual_dysfunction",
}


def screen(record: PatientRecord, ces: CesTriage | None = None) -> list[RedFlag]:
    """All red flags, present ones first, then unknown, then absent.

    The action for a cauda equina feature follows the triage: an emergency when recent, worsening or of
    unknown onset; specialist review when long-standing (the LSS pattern when it comes only on walking).
    """
    table = reference()["red_flags"]
    ces = ces or triage(record)
    flags = []
    for flag_id, (observed, fact) in _observations(record).items():
        entry = table[flag_id]
        cited = source(entry["source"])
        is_ces = flag_id in _CES_FEATURES
        action = ces.action if is_ces and ces.action is not None else entry["action"]
        urgent = ces.urgent if is_ces else True
        flags.append(
            RedFlag(
                flag_id,
                entry["label"],
                Tri.of(observed),
                action,
                fact,
                cited["citation"],
                cited["url"],
                urgent,
            )
        )
    order = {Tri.MET: 0, Tri.UNKNOWN: 1, Tri.NOT_MET: 2}
    return sorted(flags, key=lambda f: (order[f.status], not f.urgent))
