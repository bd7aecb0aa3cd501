"""Neurogenic versus vascular claudication, with the features and ABI bands that drove the call.

Neurogenic: provoked by walking or standing, relieved by sitting or bending forward, tolerates cycling,
pulses present. Vascular: relieved by standing still, calf-predominant, reduced pulses, ABI <= 0.90
(AHA/ACC 2016). Both patterns together are *mixed*; too little information is *indeterminate*. Unknown
facts are never counted for or against either side.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from lss_pathway.clinical.diagnosis import diagnosis_data
from lss_pathway.clinical.reference import reference
from lss_pathway.domain.anatomy import SIDES, Side
from lss_pathway.domain.record import PatientRecord
from lss_pathway.domain.vocabulary import Pulse


class Pattern(StrEnum):
    NEUROGENIC = "neurogenic"
    VASCULAR = "vascular"
    MIXED = "mixed"
    INDETERMINATE = "indeterminate"


class AbiBand(StrEnum):
    ABNORMAL = "abnormal"
    BORDERLINE = "borderline"
    NORMAL = "normal"
    NONCOMPRESSIBLE = "noncompressible"


@dataclass(frozen=True, slots=True)
class Evidence:
    feature: str
    favours: str  # "neurogenic" or "vascular"
    fact: str


@dataclass(frozen=True, slots=True)
class LegIndex:
    side: Side
    abi: float | None
    band: AbiBand | None
    tbi: float | None
    tbi_abnormal: bool | None


@dataclass(frozen=True, slots=True)
class Constellation:
    """A Nadeau 2013 symptom constellation: present only when every part is, absent when any part is not."""

    id: str
    label: str
    favours: str
    present: bool | None
    likelihood_ratio: str
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Differential:
    pattern: Pattern
    evidence: tuple[Evidence, ...]
    legs: tuple[LegIndex, ...]
    advice: tuple[str, ...]
    constellations: tuple[Constellation, ...] = ()


def _two_decimals(value: float) -> float:
    """Round half up as written (0.995 -> 1.00), not by the float's binary value as ``round`` does."""
    return float(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def abi_band(abi: float) -> AbiBand:
    """AHA/ACC 2016 bands, rounding to two decimals first so that 0.905 cannot fall between bands."""
    bands = reference()["abi"]
    value = _two_decimals(abi)
    if value <= bands["abnormal_max"]:
        return AbiBand.ABNORMAL
    if value <= bands["borderline_max"]:
        return AbiBand.BORDERLINE
    if value <= bands["normal_max"]:
        return AbiBand.NORMAL
    return AbiBand.NONCOMPRESSIBLE


def _leg(record: PatientRecord, side: Side) -> LegIndex:
    abi = getattr(record.exam.abi, side.value)
    tbi = getattr(record.exam.tbi, side.value)
    tbi_abnormal = None if tbi is None else _two_decimals(tbi) <= reference()["abi"]["tbi_abnormal_max"]
    return LegIndex(side, abi, None if abi is None else abi_band(abi), tbi, tbi_abnormal)


def _index_normal(leg: LegIndex) -> bool:
    """A measured index rules out arterial disease on this leg: a normal ABI (1.00-1.40; a borderline one
    leaves the pulse to count), or a normal TBI where the ABI is non-compressible or was not measured."""
    if leg.band is AbiBand.NORMAL:
        return True
    return leg.tbi_abnormal is False and leg.band in (None, AbiBand.NONCOMPRESSIBLE)


def differentiate(record: PatientRecord) -> Differential:
    s, exam = record.symptoms, record.exam
    legs = tuple(_leg(record, side) for side in SIDES)
    evidence: list[Evidence] = []

    def note(present: bool | None, feature: str, favours: str, fact: str) -> None:
        if present:
            evidence.append(Evidence(feature, favours, fact))

    note(s.provoked_by_standing, "provoked by standing alone", "neurogenic", "symptoms.provoked_by_standing")
    note(s.relieved_by_sitting, "relieved by sitting", "neurogenic", "symptoms.relieved_by_sitting")
    note(s.relieved_by_flexion, "relieved by bending forward", "neurogenic", "symptoms.relieved_by_flexion")
    note(s.tolerates_cycling, "tolerates cycling (flexed)", "neurogenic", "symptoms.tolerates_cycling")
    note(
        s.relieved_by_standing_still,
        "relieved by standing still",
        "vascular",
        "symptoms.relieved_by_standing_still",
    )
    note(s.calf_predominant, "calf-predominant symptoms", "vascular", "symptoms.calf_predominant")
    note(
        s.provoked_by_standing is False,
        "not provoked by standing alone",
        "vascular",
        "symptoms.provoked_by_standing",
    )
    note(s.tolerates_cycling is False, "cycling provokes symptoms", "vascular", "symptoms.tolerates_cycling")
    for side in SIDES:
        pulse = getattr(exam.pedal_pulses, side.value)
        fact = f"exam.pedal_pulses.{side.value}"
        note(pulse is Pulse.PALPABLE, f"pedal pulses palpable ({side})", "neurogenic", fact)
        note(pulse in (Pulse.DIMINISHED, Pulse.ABSENT), f"pedal pulses {pulse} ({side})", "vascular", fact)
    for leg in legs:
        if leg.band is AbiBand.ABNORMAL:
            note(
                True, f"ABI {leg.abi:.2f} abnormal, <= 0.90 ({leg.side})", "vascular", f"exam.abi.{leg.side}"
            )
        elif leg.band is AbiBand.NORMAL:
            note(True, f"ABI {leg.abi:.2f} normal ({leg.side})", "neurogenic", f"exam.abi.{leg.side}")
        if leg.tbi_abnormal:
            note(
                True, f"TBI {leg.tbi:.2f} abnormal, <= 0.70 ({leg.side})", "vascular", f"exam.tbi.{leg.side}"
            )

    provoked = s.provoked_by_walking is True or s.provoked_by_standing is True
    relieved_by_posture = s.relieved_by_sitting is True or s.relieved_by_flexion is True
    neurogenic = provoked and relieved_by_posture
    objective_pad = any(leg.band is AbiBand.ABNORMAL or leg.tbi_abnormal for leg in legs)
    # Pulses decide only where no index was measured (AHA/ACC 2016): a diabetic's weak pedal pulse beside
    # a normal ABI, or a non-compressible ABI with a normal TBI, is not vascular evidence.
    reduced_pulses = any(
        getattr(exam.pedal_pulses, leg.side.value) in (Pulse.DIMINISHED, Pulse.ABSENT)
        and not _index_normal(leg)
        for leg in legs
    )
    vascular = s.relieved_by_standing_still is True or objective_pad or reduced_pulses

    if neurogenic and vascular:
        pattern = Pattern.MIXED
    elif neurogenic:
        pattern = Pattern.NEUROGENIC
    elif vascular:
        pattern = Pattern.VASCULAR
    else:
        pattern = Pattern.INDETERMINATE

    advice: list[str] = []
    for leg in legs:
        if leg.band is AbiBand.NONCOMPRESSIBLE and leg.tbi is None:
            advice.append(
                f"ABI {leg.abi:.2f} on the {leg.side} is non-compressible (> 1.40): "
                "measure a toe-brachial index"
            )
    if pattern in (Pattern.VASCULAR, Pattern.MIXED):
        advice.append("Vascular features present: vascular work-up before attributing symptoms to stenosis")
    if (
        pattern is Pattern.NEUROGENIC
        and all(leg.abi is None for leg in legs)
        and not any(getattr(exam.pedal_pulses, side.value) is Pulse.PALPABLE for side in SIDES)
    ):
        advice.append("Pedal pulses and ABI not recorded: examine pulses, measure ABI if reduced")
    if pattern is Pattern.INDETERMINATE:
        advice.append(
            "Document provocation (walking, standing) and relief (sitting, bending forward, standing still)"
        )
    return Differential(pattern, tuple(evidence), legs, tuple(advice), _constellations(record))


def _all_of(parts: dict[str, bool | None]) -> tuple[bool | None, tuple[str, ...]]:
    if any(v is False for v in parts.values()):
        return False, ()
    missing = tuple(k for k, v in parts.items() if v is None)
    return (None, missing) if missing else (True, ())


def _constellations(record: PatientRecord) -> tuple[Constellation, ...]:
    nadeau = diagnosis_data()["nadeau2013"]
    s = record.symptoms
    neuro, neuro_missing = _all_of(
        {
            "symptoms.relieved_by_flexion": s.relieved_by_flexion,
            "symptoms.above_knee": s.above_knee,
            "symptoms.provoked_by_standing": s.provoked_by_standing,
            "symptoms.relieved_by_sitting": s.relieved_by_sitting,
        }
    )
    vascular, vascular_missing = _all_of(
        {
            "symptoms.calf_predominant": s.calf_predominant,
            "symptoms.relieved_by_standing_still": s.relieved_by_standing_still,
        }
    )
    nc, vc = nadeau["neurogenic_constellation"], nadeau["vascular_constellation"]
    return (
        Constellation(
            "nadeau_neurogenic", nc["label"], "neurogenic", neuro, f"PLR {nc['plr']:g}", neuro_missing
        ),
        Constellation(
            "nadeau_vascular", vc["label"], "vascular", vascular, f"PLR {vc['plr']:g}", vascular_missing
        ),
    )
