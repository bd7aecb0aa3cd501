"""Each cauda equina feature with its own onset: the shared reading of the triage and the rule sets.

GIRFT (2023) asks about features that are *new or worsening* within 14 days; a feature recorded as new is
an emergency whatever another feature's history. A normal neurological examination documents that there
is no deficit in either leg. Sexual dysfunction as the only feature is unlikely to be cauda equina
syndrome (GIRFT's own note), so it is classed for specialist review rather than as an emergency on its
own. The 14-day window and the 200 mL post-void residual are passed in by the caller, which holds them as
sourced data.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lss_pathway.domain.record import PatientRecord
from lss_pathway.domain.vocabulary import Grade

CORE_FEATURES = ("saddle_anaesthesia", "new_bladder_bowel_dysfunction", "bilateral_leg_deficit")
SACRAL_FEATURES = ("saddle_anaesthesia", "new_bladder_bowel_dysfunction")
FEATURES = (*CORE_FEATURES, "sexual_dysfunction")


class Onset(StrEnum):
    ABSENT = "absent"
    NEW = "new"
    """Began or worsened within the window (by its own onset, or the shared one)."""
    LONG_STANDING = "long_standing"
    ONSET_NOT_RECORDED = "onset_not_recorded"
    NOT_DOCUMENTED = "not_documented"


@dataclass(frozen=True, slots=True)
class Feature:
    id: str
    onset: Onset
    days: int | None
    fact: str
    """The record field that documents the feature (for a derived "no", the examination)."""


def both_legs_deficit(record: PatientRecord) -> bool | None:
    """As recorded; else a normal neurological examination documents that there is none."""
    recorded = record.red_flags.bilateral_leg_deficit
    if recorded is not None:
        return recorded
    return False if record.exam.neurologic_deficit is Grade.NONE else None


def features(record: PatientRecord, recent_days: int) -> list[Feature]:
    flags = record.red_flags
    out = []
    for feature in FEATURES:
        present = both_legs_deficit(record) if feature == "bilateral_leg_deficit" else getattr(flags, feature)
        fact = f"red_flags.{feature}"
        if feature == "bilateral_leg_deficit" and flags.bilateral_leg_deficit is None and present is False:
            fact = "exam.neurologic_deficit"
        days = flags.onset_days(feature)
        if present is None:
            onset = Onset.NOT_DOCUMENTED
        elif not present:
            onset = Onset.ABSENT
        elif days is None:
            onset = Onset.ONSET_NOT_RECORDED
        elif days < recent_days:
            onset = Onset.NEW
        else:
            onset = Onset.LONG_STANDING
        out.append(Feature(feature, onset, days, fact))
    return out


def emergency(record: PatientRecord, recent_days: int, residual_ml: float) -> bool | None:
    """Whether the core features make this suspected cauda equina syndrome, as far as the record says.

    True when a core feature is new (its own onset, or the shared onset, which counts from the most recent
    change of any feature) or its onset is not recorded (presumed recent, GIRFT's safe reading: the one
    answer that learning a fact can lift), a motor deficit is progressive, or long-standing saddle or
    bladder symptoms come with a residual at or above ``residual_ml``. None while that cannot be ruled out:
    a core feature not documented, or long-standing saddle or bladder symptoms without a residual. Sexual
    dysfunction is left out (see the module note); the rule sets confirm it separately.
    """
    flags = record.red_flags
    if flags.progressive_motor_deficit is True:
        return True
    core = [f for f in features(record, recent_days) if f.id in CORE_FEATURES]
    if any(f.onset in (Onset.NEW, Onset.ONSET_NOT_RECORDED) for f in core):
        return True
    sacral_chronic = any(f.onset is Onset.LONG_STANDING and f.id in SACRAL_FEATURES for f in core)
    residual = flags.post_void_residual_ml
    if sacral_chronic and residual is not None and residual >= residual_ml:
        return True
    if flags.progressive_motor_deficit is None or any(f.onset is Onset.NOT_DOCUMENTED for f in core):
        return None
    if sacral_chronic and residual is None:
        return None
    return False


def long_standing_cleared(record: PatientRecord, recent_days: int) -> bool | None:
    """Long-standing core features need a specialist's review before an elective procedure.

    True when none is present (every core feature documented) or the review cleared them; False when the
    review did not; None until the features are documented or, with one present, the review is recorded.
    """
    core = [f for f in features(record, recent_days) if f.id in CORE_FEATURES]
    if any(f.onset is Onset.NOT_DOCUMENTED for f in core):
        return None
    if not any(f.onset is not Onset.ABSENT for f in core):
        return True
    return record.red_flags.specialist_review_cleared
