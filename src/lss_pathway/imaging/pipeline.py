"""From a study's masks to the measurement report: centreline, levels, canal per level, LF per side."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lss_pathway.imaging import canal as canal_mod
from lss_pathway.imaging.centreline import Centreline, fit_centreline
from lss_pathway.imaging.flavum import measure_sides
from lss_pathway.imaging.levels import find_levels
from lss_pathway.imaging.measurement import LevelMeasurement, Measured, StudyMeasurement, unknown
from lss_pathway.imaging.profiles import LabelProfile
from lss_pathway.imaging.volume import Study

if TYPE_CHECKING:
    from lss_pathway.imaging.canal import CanalAtLevel
    from lss_pathway.imaging.centreline import Centreline as _Line

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SectionImage:
    """The resliced canal at a level's narrowest section, for the outline figure."""

    level: str
    area: Measured  # the narrowest area, as reported
    occupancy: Any  # 2-D array of mask fractions; rows anterior, columns towards the patient's left
    step_mm: float


def _quiet(_: str) -> None:
    return None


def measure_study(
    study: Study,
    profile: LabelProfile,
    method: str | None = None,
    progress: Progress = _quiet,
    sections: list[SectionImage] | None = None,
) -> StudyMeasurement:
    """Measure every level the labels show; anything that cannot be measured says why.

    Given a ``sections`` list, the narrowest section of each measured level is appended to it (resliced
    perpendicular to the centreline whatever the method, for display).
    """
    voxel = study.spacing
    notes = list(study.notes)
    chosen = method or canal_mod.choose_method(voxel)

    def report(levels: tuple[LevelMeasurement, ...]) -> StudyMeasurement:
        return StudyMeasurement(
            study.source, profile.name, study.full_shape or study.shape, voxel, chosen, levels, tuple(notes)
        )

    if study.canal is None:
        reason = (
            f"the {profile.name} profile has no canal / dural sac label"
            if not profile.canal
            else "the canal label is absent from the label map"
        )
        notes.append(reason)
    mask = study.canal
    progress("fitting the canal centreline")
    line = fit_centreline(study, mask) if mask is not None else None
    if line is None:
        line = _vertebral_axis(study)
        if line is None:
            notes.append("neither a canal nor vertebrae to place levels along")
            return report(())
    progress("locating the disc levels")
    planes, level_notes = find_levels(study, line, profile)
    notes += level_notes
    soft = mask is not None and canal_mod.is_soft(mask)
    radius = canal_mod.section_radius(study, mask, line) if mask is not None else 0.0
    levels = []
    for plane in planes:
        progress(f"measuring {plane.name}")
        if mask is None:
            reason = notes[0] if notes else "no canal label"
            mid = minimum = unknown("canal area", "mm2", reason, chosen, voxel_mm=voxel)
            ap = unknown("AP diameter", "mm", reason, chosen, voxel_mm=voxel)
        else:
            result = canal_mod.measure_canal(study, mask, line, plane, chosen, radius, soft)
            mid, minimum, ap = result.midplane, result.minimum, result.ap
            if sections is not None:
                _keep_section(sections, study, mask, line, plane.name, result, radius)
        levels.append(
            LevelMeasurement(
                name=plane.name,
                level=plane.level,
                basis=plane.basis,
                half_height_mm=round(plane.half_height_mm, 2),
                canal_area_midplane=mid,
                canal_area_min=minimum,
                ap_diameter=ap,
                sides=measure_sides(study, line, plane, planes),
                notes=plane.notes,
            )
        )
    return report(tuple(levels))


def _keep_section(
    sections: list[SectionImage],
    study: Study,
    mask: Any,
    line: _Line,
    name: str,
    result: CanalAtLevel,
    radius: float,
) -> None:
    if result.narrowest_s is None or not result.minimum.known:
        return
    values, _, _ = canal_mod.section_values(study, mask, line, result.narrowest_s, radius)
    sections.append(SectionImage(name, result.minimum, values, canal_mod.RESLICE_STEP_MM))


def _vertebral_axis(study: Study) -> Centreline | None:
    """A straight axis through the vertebrae when there is no canal label, so levels can still be named."""
    import numpy as np

    ijk = np.argwhere(study.vertebrae > 0)
    if len(ijk) < 20:
        return None
    xyz = study.world(ijk[:: max(1, len(ijk) // 20000)].astype(np.float64))
    centre = xyz.mean(axis=0)
    _, _, vt = np.linalg.svd(xyz - centre, full_matrices=False)
    t = vt[0] if vt[0][2] >= 0 else -vt[0]
    reach = float(np.max(np.abs((xyz - centre) @ t))) + 1.0
    points = np.stack([centre - reach * t, centre + reach * t])
    return Centreline(2, np.array([0, 1]), points, np.stack([t, t]), np.array([0.0, 2 * reach]), ())
