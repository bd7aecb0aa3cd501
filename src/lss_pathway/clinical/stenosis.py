"""Radiological central stenosis per level, and the levels ranked for attention.

Area bands: below 100 mm2 relative, below 75 mm2 absolute; AP diameter below 12 mm relative, below 10 mm
absolute (CT cut points, labelled with the study's modality); Schizas B relative, C and D absolute
(reference data). A stated grade counts too;
when area and grade disagree the more severe reading is kept and both are shown, so a clinician sees the
conflict rather than a silently chosen value.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lss_pathway.clinical.reference import reference
from lss_pathway.domain.anatomy import Level
from lss_pathway.domain.record import LevelFindings, PatientRecord
from lss_pathway.domain.vocabulary import Grade, Schizas


class Stenosis(StrEnum):
    ABSOLUTE = "absolute"
    RELATIVE = "relative"
    MILD = "mild"
    NONE = "none"
    UNKNOWN = "unknown"


_SEVERITY = {
    Stenosis.ABSOLUTE: 4,
    Stenosis.RELATIVE: 3,
    Stenosis.MILD: 2,
    Stenosis.NONE: 1,
    Stenosis.UNKNOWN: 0,
}
_FROM_GRADE = {
    Grade.SEVERE: Stenosis.ABSOLUTE,
    Grade.MODERATE: Stenosis.RELATIVE,
    Grade.MILD: Stenosis.MILD,
    Grade.NONE: Stenosis.NONE,
}
_FROM_SCHIZAS = {Schizas.C: Stenosis.ABSOLUTE, Schizas.D: Stenosis.ABSOLUTE, Schizas.B: Stenosis.RELATIVE}


@dataclass(frozen=True, slots=True)
class LevelStenosis:
    level: Level
    category: Stenosis
    canal_area_mm2: float | None
    basis: tuple[str, ...]
    rank: int = 0

    @property
    def present(self) -> bool:
        return self.category in (Stenosis.ABSOLUTE, Stenosis.RELATIVE)


def grade_level(findings: LevelFindings, modality: str | None = None) -> LevelStenosis:
    bands = reference()["stenosis"]
    relative, absolute = bands["relative_below_mm2"]["value"], bands["absolute_below_mm2"]["value"]
    readings: list[tuple[Stenosis, str]] = []
    area = findings.canal_area_mm2
    if area is not None:
        if area < absolute:
            readings.append((Stenosis.ABSOLUTE, f"dural sac area {area:g} mm2 < {absolute:g} mm2"))
        elif area < relative:
            readings.append((Stenosis.RELATIVE, f"dural sac area {area:g} mm2 < {relative:g} mm2"))
        else:
            readings.append((Stenosis.NONE, f"dural sac area {area:g} mm2 >= {relative:g} mm2"))
    ap = findings.ap_diameter_mm
    if ap is not None:
        on = f" on {modality}" if modality else ""
        ap_relative, ap_absolute = (
            bands["ap_relative_below_mm"]["value"],
            bands["ap_absolute_below_mm"]["value"],
        )
        if ap < ap_absolute:
            readings.append((Stenosis.ABSOLUTE, f"canal AP diameter {ap:g} mm{on} < {ap_absolute:g} mm"))
        elif ap < ap_relative:
            readings.append((Stenosis.RELATIVE, f"canal AP diameter {ap:g} mm{on} < {ap_relative:g} mm"))
        else:
            readings.append((Stenosis.NONE, f"canal AP diameter {ap:g} mm{on} >= {ap_relative:g} mm"))
    if findings.central_stenosis is not None:
        readings.append(
            (_FROM_GRADE[findings.central_stenosis], f"central stenosis graded {findings.central_stenosis}")
        )
    if findings.schizas is not None:
        readings.append(
            (_FROM_SCHIZAS.get(findings.schizas, Stenosis.NONE), f"Schizas grade {findings.schizas}")
        )
    if not readings:
        return LevelStenosis(
            findings.level, Stenosis.UNKNOWN, None, ("no area, AP diameter or grade recorded",)
        )
    category = max((r[0] for r in readings), key=lambda s: _SEVERITY[s])
    basis = tuple(r[1] for r in readings)
    if len({r[0] for r in readings}) > 1:
        basis += ("readings disagree; the most severe is shown",)
    return LevelStenosis(findings.level, category, area, basis)


def grade_levels(record: PatientRecord) -> list[LevelStenosis]:
    """Every imaged level, most stenotic first; ties go to the smaller area, then the more common level."""
    order = {Level(v): i for i, v in enumerate(reference()["level_prevalence"]["order"])}
    modality = None if record.imaging.modality is None else record.imaging.modality.value
    graded = [grade_level(f, modality) for f in record.imaging.levels]
    graded.sort(
        key=lambda g: (
            -_SEVERITY[g.category],
            g.canal_area_mm2 if g.canal_area_mm2 is not None else float("inf"),
            order[g.level],
        )
    )
    return [
        LevelStenosis(g.level, g.category, g.canal_area_mm2, g.basis, rank=i + 1)
        for i, g in enumerate(graded)
    ]
