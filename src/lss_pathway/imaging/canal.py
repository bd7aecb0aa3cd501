"""Canal (dural sac) cross-sectional area and AP diameter at a level, perpendicular to the centreline.

Two methods, chosen from the voxel shape:

- **resliced perpendicular** (near-isotropic voxels): the mask is sampled by trilinear interpolation on a
  fine grid in the plane perpendicular to the centreline, and the samples are summed;
- **cosine-corrected axial** (a 2-D stack of thick slices): the area on the acquired slice is multiplied by
  the cosine of the angle between the centreline and the slice normal, which is exact for a straight
  canal cut obliquely (an oblique section of a cylinder has area A / cos θ) and needs no interpolation
  across thick slices.

Both report the area at the disc mid-plane and the minimum within ± half the disc height. A section that
is empty, falls apart into two components, or touches the edge of the field of view is refused with the
reason rather than measured wrongly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lss_pathway.imaging.centreline import Centreline, section_axes
from lss_pathway.imaging.levels import LevelPlane
from lss_pathway.imaging.measurement import Measured, unknown
from lss_pathway.imaging.volume import Study

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]
    Mask = npt.NDArray[np.float32]

RESLICE = "resliced perpendicular"
AXIAL = "cosine-corrected axial"
ANISOTROPY_FOR_AXIAL = 1.5
RESLICE_STEP_MM = 0.2
WINDOW_STEP_MM = 0.5
MIN_COMPONENT_MM2 = 2.0
# Interval terms, calibrated on the phantoms (docs/imaging-measurement.md): the edge term scales with the
# perimeter times the in-plane voxel size; the tangent of an estimated centreline is taken as uncertain by
# 2 degrees, which matters through tan(tilt) for the cosine correction.
EDGE_FACTOR_SOFT = 0.04
EDGE_FACTOR_BINARY = 0.25
TANGENT_ERROR_RAD = math.radians(2.0)


@dataclass(frozen=True)
class Section:
    area: float
    ap: float
    tilt_deg: float
    problem: str | None = None


def choose_method(spacing: tuple[float, float, float]) -> str:
    return AXIAL if max(spacing) / min(spacing) > ANISOTROPY_FOR_AXIAL else RESLICE


def is_soft(mask: Mask) -> bool:
    import numpy as np

    sample = mask[mask > 0]
    return bool(np.any((sample > 0.001) & (sample < 0.999)))


def _components(values: FloatArray, cell_area: float) -> int:
    """Components of the section (8-connected at half occupancy) of at least a few mm² or 5 %."""
    import numpy as np
    from scipy import ndimage

    parts, count = ndimage.label(values >= 0.5, structure=np.ones((3, 3)))
    if count <= 1:
        return int(count)
    sizes = ndimage.sum(values, parts, index=range(1, count + 1)) * cell_area
    total = float(np.sum(sizes))
    return int(np.count_nonzero(sizes >= max(MIN_COMPONENT_MM2, 0.05 * total)))


def _chord(study: Study, mask: Mask, centre: FloatArray, direction: FloatArray, reach: float) -> float:
    """Length of mask along a line through ``centre`` (sum of interpolated occupancy times the step)."""
    import numpy as np
    from scipy import ndimage

    step = RESLICE_STEP_MM / 2
    offsets = np.arange(-reach, reach + step, step)
    points = centre + offsets[:, None] * direction
    values = ndimage.map_coordinates(mask, study.voxel(points).T, order=1, mode="constant", cval=0.0)
    return float(values.sum() * step)


def _tilt(tangent: FloatArray, normal: FloatArray) -> float:
    import numpy as np

    return float(np.degrees(np.arccos(min(1.0, abs(float(np.dot(tangent, normal)))))))


def _slice_normal(study: Study, axis: int) -> FloatArray:
    import numpy as np

    cols = [study.affine[:3, a] for a in range(3) if a != axis]
    n = np.cross(cols[0], cols[1])
    return np.asarray(n / np.linalg.norm(n), dtype=np.float64)


def section_values(
    study: Study, mask: Mask, line: Centreline, s: float, radius: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The mask sampled on the plane perpendicular to the centreline at arc length ``s``.

    Returns the occupancy on a square grid of ``RESLICE_STEP_MM`` cells (rows along the anterior
    direction, columns towards the patient's left), the samples' voxel coordinates, and the grid's
    in-plane offsets in mm (u anterior, v left).
    """
    import numpy as np
    from scipy import ndimage

    centre, tangent = line.position(s)
    ap, left = section_axes(tangent)
    n = math.ceil(radius / RESLICE_STEP_MM)
    grid = np.arange(-n, n + 1) * RESLICE_STEP_MM
    u, v = np.meshgrid(grid, grid, indexing="ij")
    points = centre + u[..., None] * ap + v[..., None] * left
    voxels = study.voxel(points.reshape(-1, 3))
    values = ndimage.map_coordinates(mask, voxels.T, order=1, mode="constant", cval=0.0).reshape(u.shape)
    return values, voxels, np.stack([u, v])


def resliced_section(study: Study, mask: Mask, line: Centreline, s: float, radius: float) -> Section:
    import numpy as np
    from scipy import ndimage

    centre, tangent = line.position(s)
    ap, left = section_axes(tangent)
    values, voxels, (u, v) = section_values(study, mask, line, s, radius)
    tilt = _tilt(tangent, _slice_normal(study, line.slice_axis))
    cell = RESLICE_STEP_MM**2
    area = float(values.sum() * cell)
    if area <= MIN_COMPONENT_MM2:
        return Section(area, 0.0, tilt, "the canal mask is empty in this section")
    limits = np.array(study.shape) - 1
    outside = np.any((voxels < -0.01) | (voxels > limits + 0.01), axis=1).reshape(u.shape)
    # the dilation is needed only when the plane leaves the volume, which most sections do not
    near_outside = ndimage.binary_dilation(outside, iterations=2) if outside.any() else outside
    border = np.zeros_like(outside)
    border[[0, -1], :] = True
    border[:, [0, -1]] = True
    if np.any(values[near_outside | border] > 0.01):
        return Section(area, 0.0, tilt, "the canal touches the edge of the field of view in this section")
    if _components(values, cell) > 1:
        return Section(area, 0.0, tilt, "the canal mask falls into two or more components in this section")
    weight = values / values.sum()
    c = centre + float((u * weight).sum()) * ap + float((v * weight).sum()) * left
    ap_len = _chord(study, mask, c, ap, radius)
    return Section(area, ap_len, tilt)


def axial_section(study: Study, mask: Mask, line: Centreline, index: int, radius: float) -> Section:
    import numpy as np

    axis = line.slice_axis
    k = int(line.slices[index])
    plane = np.take(mask, k, axis=axis).astype(np.float64)
    others = [a for a in range(3) if a != axis]
    pixel = float(np.linalg.norm(np.cross(study.affine[:3, others[0]], study.affine[:3, others[1]])))
    normal = _slice_normal(study, axis)
    tangent = line.tangents[index]
    cos = abs(float(np.dot(tangent, normal)))
    tilt = _tilt(tangent, normal)
    raw = float(plane.sum() * pixel)
    if raw <= MIN_COMPONENT_MM2:
        return Section(raw * cos, 0.0, tilt, "the canal mask is empty on this slice")
    if np.any(plane[[0, -1], :] > 0.01) or np.any(plane[:, [0, -1]] > 0.01):
        return Section(raw * cos, 0.0, tilt, "the canal touches the edge of the field of view on this slice")
    if _components(plane, pixel) > 1:
        return Section(raw * cos, 0.0, tilt, "the canal mask falls into two or more components on this slice")
    grid = np.indices(plane.shape, dtype=np.float64)
    voxel = np.zeros(3)
    voxel[others[0]] = (grid[0] * plane).sum() / plane.sum()
    voxel[others[1]] = (grid[1] * plane).sum() / plane.sum()
    voxel[axis] = k
    centroid = study.world(voxel[None, :])[0]
    ap, _ = section_axes(tangent)
    # The in-slice direction whose projection along the canal is the AP direction; its chord, scaled by
    # the projection's shrinkage 1/|e|, is the AP diameter in the perpendicular plane.
    e = ap - (float(np.dot(ap, normal)) / float(np.dot(tangent, normal))) * tangent
    length = float(np.linalg.norm(e))
    ap_len = _chord(study, mask, centroid, e / length, radius * length) / length
    return Section(raw * cos, ap_len, tilt)


def section_radius(study: Study, mask: Mask, line: Centreline) -> float:
    """Half-width of the sampled plane: the canal's largest distance from its centreline, plus margin."""
    import numpy as np

    ijk = np.argwhere(mask > 0.01)
    xyz = study.world(ijk[:: max(1, len(ijk) // 20000)].astype(np.float64))
    s = line.project(xyz)
    centres = np.stack([np.interp(s, line.arc, line.points[:, d]) for d in range(3)], axis=1)
    reach = float(np.max(np.linalg.norm(xyz - centres, axis=1))) if len(xyz) else 10.0
    return min(reach + 3 * max(study.spacing), 60.0)


def _perimeter(area: float, ap: float) -> float:
    """Ramanujan's ellipse perimeter for the section's area and AP diameter (a circle if AP is unusable)."""
    a = ap / 2 if ap > 0 else math.sqrt(area / math.pi)
    b = area / (math.pi * a)
    h = ((a - b) / (a + b)) ** 2
    return math.pi * (a + b) * (1 + 3 * h / (10 + math.sqrt(4 - 3 * h)))


def area_half_width(
    area: float, ap: float, in_plane_mm: float, soft: bool, method: str, tilt_deg: float
) -> float:
    """Half-width of the area interval from the voxel size, the mask type, the method and the tilt."""
    edge = (EDGE_FACTOR_SOFT if soft else EDGE_FACTOR_BINARY) * _perimeter(area, ap) * in_plane_mm
    tilt = area * math.tan(math.radians(min(tilt_deg, 80.0))) * TANGENT_ERROR_RAD if method == AXIAL else 0.0
    return edge + tilt


def ap_half_width(largest_in_plane_mm: float, soft: bool) -> float:
    """A chord has two edges, each placed to within a fraction of a voxel (a whole one when binary)."""
    return (0.15 if soft else 1.0) * largest_in_plane_mm


@dataclass(frozen=True)
class CanalAtLevel:
    midplane: Measured
    minimum: Measured
    ap: Measured
    narrowest_s: float | None = None  # arc length of the narrowest section (for the outline figure)


def measure_canal(
    study: Study, mask: Mask, line: Centreline, plane: LevelPlane, method: str, radius: float, soft: bool
) -> CanalAtLevel:
    import numpy as np

    voxel = study.spacing
    others = [voxel[a] for a in range(3) if a != line.slice_axis]
    in_plane = max(voxel) if method == RESLICE else math.sqrt(others[0] * others[1])
    s0, h = plane.s, plane.half_height_mm
    area_name, ap_name = "canal area", "AP diameter"

    def refuse(reason: str) -> CanalAtLevel:
        return CanalAtLevel(
            unknown(area_name, "mm2", reason, method, voxel_mm=voxel),
            unknown(area_name, "mm2", reason, method, voxel_mm=voxel),
            unknown(ap_name, "mm", reason, method, voxel_mm=voxel),
        )

    if s0 - h < line.arc[0] - 0.5 or s0 + h > line.arc[-1] + 0.5:
        return refuse("the canal mask ends within this level's window (cropped or incomplete segmentation)")
    gaps = [k for k in line.gaps if abs(line.slice_arc(k) - s0) <= h + voxel[line.slice_axis]]
    if gaps:
        return refuse(f"the canal mask is empty on slice {gaps[0]} within this level's window")
    if method == RESLICE:
        positions = [s0, *np.arange(s0 - h, s0 + h + 1e-9, WINDOW_STEP_MM)]
        sections = [resliced_section(study, mask, line, float(s), radius) for s in positions]
        mid = sections[0]
        window = sections[1:]
        window_s = [float(s) for s in positions[1:]]
    else:
        inside = [i for i, a in enumerate(line.arc) if abs(a - s0) <= h]
        nearest = sorted(range(len(line.arc)), key=lambda i: abs(line.arc[i] - s0))[:2]
        indices = sorted(set(inside) | set(nearest))
        sections_by = {i: axial_section(study, mask, line, i, radius) for i in indices}
        window = [sections_by[i] for i in inside] or [sections_by[nearest[0]]]
        window_s = [float(line.arc[i]) for i in (inside or nearest[:1])]
        a, b = sorted(nearest)
        fa, fb = sections_by[a], sections_by[b]
        span = line.arc[b] - line.arc[a]
        w = 0.0 if span == 0 else min(1.0, max(0.0, (s0 - line.arc[a]) / span))
        problem = fa.problem or fb.problem
        mid = Section(
            fa.area * (1 - w) + fb.area * w,
            fa.ap * (1 - w) + fb.ap * w,
            fa.tilt_deg * (1 - w) + fb.tilt_deg * w,
        )
        mid = Section(mid.area, mid.ap, mid.tilt_deg, problem)
    problem = next((x.problem for x in [mid, *window] if x.problem), None)
    if problem:
        return refuse(problem)
    areas = np.array([x.area for x in window])
    if len(areas) >= 3:  # a running median of three keeps one noisy section from setting the minimum
        padded = np.concatenate([[areas[0]], areas, [areas[-1]]])
        areas = np.median(np.stack([padded[:-2], padded[1:-1], padded[2:]]), axis=0)
    at = int(np.argmin(areas))
    narrowest = window[at]

    def area(value: float, x: Section) -> Measured:
        hw = area_half_width(value, x.ap, in_plane, soft, method, x.tilt_deg)
        return Measured(
            area_name,
            "mm2",
            round(value, 2),
            round(value - hw, 2),
            round(value + hw, 2),
            method,
            round(x.tilt_deg, 1),
            voxel,
        )

    ap_hw = ap_half_width(max(others) if method == AXIAL else max(voxel), soft)
    return CanalAtLevel(
        area(mid.area, mid),
        area(float(areas[at]), narrowest),
        Measured(
            ap_name,
            "mm",
            round(narrowest.ap, 2),
            round(narrowest.ap - ap_hw, 2),
            round(narrowest.ap + ap_hw, 2),
            method,
            round(narrowest.tilt_deg, 1),
            voxel,
        ),
        window_s[at],
    )
