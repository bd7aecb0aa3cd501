"""Cauda equina triage: tell the emergency apart from the chronic sacral symptoms of LSS.

Suspect cauda equina syndrome (GIRFT 2023) when bladder or bowel disturbance, saddle numbness, a deficit in
both legs or sexual dysfunction began or worsened in the last 14 days; a post-void residual of 200 mL or
more makes it more likely (below 200 mL does not exclude it). Perineal or bladder symptoms that are
long-standing and come only with walking are the cauda-equina type of LSS: a reason for specialist
review, not for an emergency MRI. When the timing is not recorded, the safe reading is "suspected".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

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
    data: dict[str, Any] = packaged_yaml("lss_pathway.clinical", "data/diagnosis-1.0.0.yaml")
    return data


_FEATURES = (
    ("new_bladder_bowel_dysfunction", "bladder or bowel disturbance"),
    ("saddle_anaesthesia", "saddle numbness"),
    ("bilateral_leg_deficit", "deficit in both legs"),
    ("sexual_dysfunction", "sexual dysfunction"),
)


def triage(record: PatientRecord) -> CesTriage:
    rules = _data()["cauda_equina"]
    source = _data()["sources"][rules["source"]]
    flags = record.red_flags
    present = tuple(label for field, label in _FEATURES if getattr(flags, field) is True)
    unknown = tuple(f"red_flags.{field}" for field, _ in _FEATURES if getattr(flags, field) is None)
    notes: list[str] = []
    pvr = flags.post_void_residual_ml
    pvr_high = pvr is not None and pvr >= rules["post_void_residual_ml"]
    if pvr is not None:
        notes.append(
            f"post-void residual {pvr:g} mL: "
            + (
                "makes CES significantly more likely"
                if pvr_high
                else "below 200 mL, which does not exclude CES"
            )
        )

    def result(status: CesStatus, action: str | None) -> CesTriage:
        return CesTriage(status, present, unknown, tuple(notes), action, source["citation"], source["url"])

    if not present:
        if unknown:
            notes.append("not every cauda equina feature was asked about")
            return result(CesStatus.NOT_SCREENED, None)
        return result(CesStatus.NONE, None)
    days = flags.sacral_onset_days
    if days is None:
        notes.append("onset not recorded: treated as recent until shown to be long-standing")
        return result(CesStatus.EMERGENCY, rules["emergency_action"])
    if days < rules["recent_days"] or pvr_high:
        notes.append(
            f"began or worsened {days} day(s) ago" if days < rules["recent_days"] else "residual >= 200 mL"
        )
        return result(CesStatus.EMERGENCY, rules["emergency_action"])
    if flags.sacral_symptoms_walking_only is True:
        notes.append(f"present for {days} days, only while walking")
        return result(CesStatus.CHRONIC_LSS, rules["chronic_action"])
    notes.append(
        f"present for {days} days"
        + (
            ""
            if flags.sacral_symptoms_walking_only is False
            else "; whether they occur only with walking is not recorded"
        )
    )
    return result(CesStatus.ESTABLISHED, rules["established_action"])
