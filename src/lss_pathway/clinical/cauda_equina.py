"""Cauda equina triage: tell the emergency apart from the chronic sacral symptoms of LSS.

Suspect cauda equina syndrome (GIRFT 2023) when bladder or bowel disturbance, saddle numbness or a deficit
in both legs began or worsened in the last 14 days, each feature judged on its own onset; a post-void
residual of 200 mL or more makes it more likely (below 200 mL does not exclude it). Perineal or bladder
symptoms that are long-standing and come only with walking are the cauda-equina type of LSS: a reason for
specialist review, not for an emergency MRI. Sexual dysfunction as the only feature is unlikely to be CES
(GIRFT's note) and goes to specialist review too. When the timing is not recorded, the safe reading is
"suspected". A normal neurological examination documents that there is no deficit in either leg.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from lss_pathway.domain import cauda_equina as ces
from lss_pathway.domain.packaged import packaged_yaml
from lss_pathway.domain.record import PatientRecord


class CesStatus(StrEnum):
    EMERGENCY = "suspected_ces_emergency"
    CHRONIC_LSS = "chronic_lss_sacral_symptoms"
    ESTABLISHED = "established_symptoms_specialist_review"
    NONE = "no_ces_features"
    NOT_SCREENED = "not_fully_screened"

    @property
    def label(self) -> str:
        return {
            "suspected_ces_emergency": "suspected cauda equina syndrome: emergency",
            "chronic_lss_sacral_symptoms": "chronic walking-related sacral symptoms (LSS pattern)",
            "established_symptoms_specialist_review": "long-standing symptoms: specialist review",
            "no_ces_features": "no cauda equina features",
            "not_fully_screened": "not fully screened",
        }[self.value]


@dataclass(frozen=True, slots=True)
class CesTriage:
    status: CesStatus
    features: tuple[str, ...]
    unknown: tuple[str, ...]
    notes: tuple[str, ...]
    action: str | None
    source: str
    url: str

    @property
    def urgent(self) -> bool:
        return self.status is CesStatus.EMERGENCY


@cache
def _data() -> dict[str, Any]:
    data: dict[str, Any] = packaged_yaml("lss_pathway.clinical", "data/diagnosis-1.1.0.yaml")
    return data


def ces_thresholds() -> tuple[int, float]:
    """GIRFT's recent-onset window (days) and the post-void residual (mL) that raises suspicion."""
    rules = _data()["cauda_equina"]
    return int(rules["recent_days"]), float(rules["post_void_residual_ml"])


_LABELS = {
    "new_bladder_bowel_dysfunction": "bladder or bowel disturbance",
    "saddle_anaesthesia": "saddle numbness",
    "bilateral_leg_deficit": "deficit in both legs",
    "sexual_dysfunction": "sexual dysfunction",
}


def triage(record: PatientRecord) -> CesTriage:
    """Each feature is judged on its own onset: one new feature is an emergency whatever the others'."""
    rules = _data()["cauda_equina"]
    source = _data()["sources"][rules["source"]]
    recent, residual = ces_thresholds()
    found = ces.features(record, recent)
    present = [f for f in found if f.onset not in (ces.Onset.ABSENT, ces.Onset.NOT_DOCUMENTED)]
    labels = tuple(_LABELS[f.id] for f in present)
    unknown = tuple(f"red_flags.{f.id}" for f in found if f.onset is ces.Onset.NOT_DOCUMENTED)
    flags = record.red_flags
    notes: list[str] = []
    pvr = flags.post_void_residual_ml
    pvr_high = pvr is not None and pvr >= residual
    if pvr is not None:
        notes.append(
            f"post-void residual {pvr:g} mL: "
            + (
                "makes CES significantly more likely"
                if pvr_high
                else f"below {residual:g} mL, which does not exclude CES"
            )
        )

    def result(status: CesStatus, action: str | None) -> CesTriage:
        return CesTriage(status, labels, unknown, tuple(notes), action, source["citation"], source["url"])

    if not present:
        if any(f.onset is ces.Onset.NOT_DOCUMENTED for f in found if f.id in ces.CORE_FEATURES):
            notes.append("not every cauda equina feature was asked about")
            return result(CesStatus.NOT_SCREENED, None)
        return result(CesStatus.NONE, None)
    core = [f for f in present if f.id in ces.CORE_FEATURES]
    new = [f for f in present if f.onset in (ces.Onset.NEW, ces.Onset.ONSET_NOT_RECORDED)]
    for feature in new:
        when = (
            "onset not recorded" if feature.days is None else f"began or worsened {feature.days} day(s) ago"
        )
        notes.append(f"{_LABELS[feature.id]}: {when}")
    if new and core:
        if any(f.days is None for f in new):
            notes.append("onset not recorded: treated as recent until shown to be long-standing")
        return result(CesStatus.EMERGENCY, rules["emergency_action"])
    if pvr_high and any(f.id in ces.SACRAL_FEATURES for f in core):
        notes.append(f"residual >= {residual:g} mL")
        return result(CesStatus.EMERGENCY, rules["emergency_action"])
    if not core:
        notes.append("sexual dysfunction as the only feature is unlikely to be cauda equina syndrome (GIRFT)")
    for feature in present:
        if feature.onset is ces.Onset.LONG_STANDING:
            notes.append(f"{_LABELS[feature.id]}: present for {feature.days} days")
    if flags.specialist_review_cleared is not None:
        notes.append(
            "specialist review recorded: "
            + ("cleared for an elective procedure" if flags.specialist_review_cleared else "not cleared")
        )
    sacral = [f for f in core if f.id in ces.SACRAL_FEATURES]
    if sacral and flags.sacral_symptoms_walking_only is True:
        notes.append("sacral symptoms come only while walking")
        return result(CesStatus.CHRONIC_LSS, rules["chronic_action"])
    if sacral and flags.sacral_symptoms_walking_only is None:
        notes.append("whether they occur only with walking is not recorded")
    return result(CesStatus.ESTABLISHED, rules["established_action"])
