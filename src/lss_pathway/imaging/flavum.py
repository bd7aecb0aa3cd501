"""Ligamentum flavum thickness per side, and a labelled proxy when there is no LF label.

With an LF label, each side's LF near the level (split at the canal's mid-sagittal plane when one label
covers both sides) is upsampled x5 with linear interpolation of its soft mask, and the Euclidean distance
transform of the upsampled mask finds the thickest point (the centre of the largest inscribed sphere). A
binary distance transform alone is off by up to about a voxel, so the thickness is then measured at that
point as the shortest chord through it, over directions, of the interpolated soft mask: for a band this is
its thickness along its normal, with sub-voxel accuracy.

Without an LF label, the posterolateral gap between the dural sac and the posterior elements along a 45°
ray in the disc mid-plane is reported as a **proxy**. It contains the LF but also epidural fat, so it is
flagged and never written into a record's LF thickness: it can never satisfy an LF criterion.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from lss_pathway.imaging.centreline import ANTERIOR, Centreline, section_axes
from lss_pathway.imaging.levels import LevelPlane
from lss_pathway.imaging.measurement import Measured, SideMeasurement, unknown
from lss_pathway.imaging.volume import Study

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]
    Mask = npt.NDArray[np.float32]

UPSAMPLE = 5
LF_METHOD = "soft-mask EDT x5 (locate) + minimum chord (measure)"
PROXY_METHOD = "proxy: posterolateral soft-tissue gap between dural sac and posterior elements (45° ray)"
CHORD_STEP_MM = 0.1
# Half-width of the LF interval: a fixed part plus a part per millimetre of voxel size along the measured
# direction (calibrated on the phantom bands, docs/imaging-measurement.md).
LF_FIXED_SOFT, LF_PER_VOXEL_SOFT = 0.05, 0.15
LF_FIXED_BINARY, LF_PER_VOXEL_BINARY = 0.1, 0.5
LF_PER_LARGEST_VOXEL = 0.04  # thick slices perturb even an in-plane chord (the band's ends blur across them)


def _directions(count: int) -> FloatArray:
    """Evenly spread unit vectors on a hemisphere (a Fibonacci lattice)."""
    import numpy as np

    i = np.arange(count) + 0.5
    z = 1 - i / count
    r = np.sqrt(1 - z**2)
    phi = i * math.pi * (3 - math.sqrt(5))
    return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)


def _near(axis: FloatArray, degrees: float, count: int) -> FloatArray:
    import numpy as np

    local = _directions(count)
    local[:, :2] *= math.sin(math.radians(degrees))
    local[:, 2] = np.sqrt(1 - (local[:, :2] ** 2).sum(axis=1))
    helper = np.array([1.0, 0.0, 0.0]) if abs(axis[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    e1 = np.cross(axis, helper)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(axis, e1)
    return np.asarray(local[:, :1] * e1 + local[:, 1:2] * e2 + local[:, 2:] * axis, dtype=np.float64)


def _chords(study: Study, mask: Mask, point: FloatArray, directions: FloatArray, reach: float) -> FloatArray:
    """For each direction, the integral of the mask over the contiguous run through ``point``."""
    import numpy as np
    from scipy import ndimage

    offsets = np.arange(-reach, reach + CHORD_STEP_MM / 2, CHORD_STEP_MM)
    pts = point[None, None, :] + offsets[None, :, None] * directions[:, None, :]
    vox = study.voxel(pts.reshape(-1, 3)).T
    vals = ndimage.map_coordinates(mask, vox, order=1, mode="constant", cval=0.0).reshape(len(directions), -1)
    centre = len(offsets) // 2
    empty = vals < 1e-3
    before, after = empty[:, :centre], empty[:, centre:]
    # the run through the point: from just after the last empty sample before it to the first one after it
    lo = np.where(before.any(axis=1), centre - np.argmax(before[:, ::-1], axis=1), 0)
    hi = np.where(after.any(axis=1), centre + np.argmax(after, axis=1), len(offsets))
    index = np.arange(len(offsets))
    inside = (index[None, :] >= lo[:, None]) & (index[None, :] < hi[:, None])
    return np.asarray((vals * inside).sum(axis=1) * CHORD_STEP_MM, dtype=np.float64)


def _upsample(box: Mask) -> tuple[Mask, FloatArray]:
    """Trilinear x``UPSAMPLE`` interpolation, with the fine step of each axis in voxels.

    The n voxel centres of an axis become ``round(UPSAMPLE * n)`` evenly spaced samples from the first
    centre to the last, as ``ndimage.zoom(order=1, grid_mode=False)`` places them; done here as three
    separable passes of two-point weights, which is several times faster than zoom's general path.
    """
    import numpy as np

    out = box.astype(np.float32)
    steps = np.ones(3)
    for axis in range(3):
        n = out.shape[axis]
        if n < 2:
            continue
        m = round(UPSAMPLE * n)
        at = np.linspace(0.0, n - 1.0, m)
        steps[axis] = (n - 1) / (m - 1)
        low = np.minimum(at.astype(np.intp), n - 2)
        shape = [1, 1, 1]
        shape[axis] = m
        weight = (at - low).astype(np.float32).reshape(shape)
        out = np.take(out, low, axis=axis) * (1 - weight) + np.take(out, low + 1, axis=axis) * weight
    return out, steps


def _locate_thickest(
    mask: Mask, ijk: npt.NDArray[np.intp], voxel: FloatArray
) -> tuple[FloatArray, float] | None:
    """Voxel coordinates of the centre of the largest inscribed sphere, and its radius in mm.

    The mask around the structure is upsampled x5 (trilinear) and its Euclidean distance transform's
    maximum taken: on a binary mask the thickest point found on the acquired grid alone sits up to a
    voxel off, and the chord measured through it then crosses the staircase edges obliquely. Linear
    interpolation never exceeds the voxel values, so a mask with no voxel at half occupancy has no
    upsampled one either: None then.
    """
    import numpy as np
    from scipy import ndimage

    lo = np.maximum(ijk.min(axis=0) - 2, 0)
    hi = np.minimum(ijk.max(axis=0) + 3, np.array(mask.shape))
    up, step = _upsample(mask[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]])
    inside = up >= 0.5
    if not inside.any():
        return None
    fine = ndimage.distance_transform_edt(inside, sampling=voxel * step)
    at = np.array(np.unravel_index(int(np.argmax(fine)), fine.shape), dtype=np.float64)
    return np.asarray(lo + at * step, dtype=np.float64), float(fine.max())


def thickness(study: Study, mask: Mask, soft: bool) -> Measured:
    """Maximum local thickness of the structure in ``mask`` (one side's LF near one level)."""
    import numpy as np

    voxel = study.spacing
    ijk = np.argwhere(mask > 0.01)
    if len(ijk) == 0:
        return unknown(
            "LF thickness", "mm", "no ligamentum flavum voxels on this side at this level", LF_METHOD
        )
    located = _locate_thickest(mask, ijk, np.array(voxel))
    if located is None:
        return unknown(
            "LF thickness", "mm", "the ligamentum flavum mask is thinner than half a voxel", LF_METHOD
        )
    peak_ijk, depth = located
    point = study.world(peak_ijk[None, :])[0]
    reach = 2 * depth + 3 * max(voxel)
    coarse = _directions(300)
    chords = _chords(study, mask, point, coarse, reach)
    best = coarse[int(np.argmin(chords))]
    fine_dirs = _near(best, 10.0, 150)
    fine_chords = _chords(study, mask, point, fine_dirs, reach)
    value = float(min(chords.min(), fine_chords.min()))
    normal = fine_dirs[int(np.argmin(fine_chords))] if fine_chords.min() <= chords.min() else best
    axes = study.affine[:3, :3] / np.linalg.norm(study.affine[:3, :3], axis=0)
    along = float(np.sqrt(np.sum((normal @ axes) ** 2 * np.array(voxel) ** 2)))
    fixed, per = (LF_FIXED_SOFT, LF_PER_VOXEL_SOFT) if soft else (LF_FIXED_BINARY, LF_PER_VOXEL_BINARY)
    hw = fixed + per * along + LF_PER_LARGEST_VOXEL * max(voxel)
    return Measured(
        "LF thickness",
        "mm",
        round(value, 2),
        round(value - hw, 2),
        round(value + hw, 2),
        LF_METHOD,
        None,
        voxel,
    )


def _level_window(
    study: Study, line: Centreline, plane: LevelPlane, planes: list[LevelPlane], mask: Mask
) -> Mask:
    """The part of ``mask`` nearer this level than any other (and within 20 mm of it)."""
    import numpy as np

    out = np.zeros_like(mask)
    ijk = np.argwhere(mask > 0.001)
    if len(ijk) == 0:
        return out
    s = line.project(study.world(ijk.astype(np.float64)))
    keep = np.abs(s - plane.s) <= 20.0
    for other in planes:
        if other is not plane:
            keep &= np.abs(s - plane.s) <= np.abs(s - other.s)
    sel = ijk[keep]
    out[sel[:, 0], sel[:, 1], sel[:, 2]] = mask[sel[:, 0], sel[:, 1], sel[:, 2]]
    return out


def _split(study: Study, line: Centreline, mask: Mask) -> tuple[Mask, Mask]:
    """(left, right) halves of ``mask`` at the canal's mid-sagittal plane."""
    import numpy as np

    left = np.zeros_like(mask)
    right = np.zeros_like(mask)
    ijk = np.argwhere(mask > 0.001)
    if len(ijk) == 0:
        return left, right
    xyz = study.world(ijk.astype(np.float64))
    s = line.project(xyz)
    centres = np.stack([np.interp(s, line.arc, line.points[:, d]) for d in range(3)], axis=1)
    tangents = np.stack([np.interp(s, line.arc, line.tangents[:, d]) for d in range(3)], axis=1)
    tangents /= np.linalg.norm(tangents, axis=1, keepdims=True)
    ap = np.array(ANTERIOR) - (tangents @ np.array(ANTERIOR))[:, None] * tangents
    lateral = np.cross(tangents, ap)  # towards the patient's left, as in section_axes
    on_left = np.einsum("ij,ij->i", xyz - centres, lateral) >= 0
    i, j, k = ijk.T
    left[i[on_left], j[on_left], k[on_left]] = mask[i[on_left], j[on_left], k[on_left]]
    right[i[~on_left], j[~on_left], k[~on_left]] = mask[i[~on_left], j[~on_left], k[~on_left]]
    return left, right


def _proxy(study: Study, line: Centreline, plane: LevelPlane, side: str) -> Measured:
    import numpy as np
    from scipy import ndimage

    if study.posterior is None or study.canal is None:
        return unknown(
            "posterolateral gap (proxy)",
            "mm",
            "needs both a canal and posterior-element labels",
            PROXY_METHOD,
            proxy=True,
        )
    centre, tangent = line.position(plane.s)
    ap, lateral = section_axes(tangent)
    direction = -ap + (lateral if side == "left" else -lateral)
    direction /= np.linalg.norm(direction)
    offsets = np.arange(0, 40.0, 0.1)
    pts = centre + offsets[:, None] * direction
    vox = study.voxel(pts).T
    canal = ndimage.map_coordinates(study.canal, vox, order=1, mode="constant", cval=0.0)
    bone = ndimage.map_coordinates(study.posterior, vox, order=1, mode="constant", cval=0.0)
    out_of_sac = np.flatnonzero(canal < 0.5)
    if len(out_of_sac) == 0 or canal[0] < 0.5:
        return unknown(
            "posterolateral gap (proxy)",
            "mm",
            "the ray does not start inside the dural sac",
            PROXY_METHOD,
            proxy=True,
        )
    exit_at = out_of_sac[0]
    hits = np.flatnonzero(bone[exit_at:] >= 0.5)
    if len(hits) == 0:
        return unknown(
            "posterolateral gap (proxy)",
            "mm",
            "no posterior element along the posterolateral ray",
            PROXY_METHOD,
            proxy=True,
        )
    gap = float(hits[0] * 0.1)
    hw = max(study.spacing)
    return Measured(
        "posterolateral gap (proxy)",
        "mm",
        round(gap, 2),
        round(max(gap - hw, 0.0), 2),
        round(gap + hw, 2),
        PROXY_METHOD,
        None,
        study.spacing,
        proxy=True,
    )


def measure_sides(
    study: Study, line: Centreline, plane: LevelPlane, planes: list[LevelPlane]
) -> tuple[SideMeasurement, ...]:
    import numpy as np

    masks: dict[str, Mask | None] = {"left": study.flavum_left, "right": study.flavum_right}
    if study.flavum_either is not None:
        near = _level_window(study, line, plane, planes, study.flavum_either)
        left, right = _split(study, line, near)
        for side, part in (("left", left), ("right", right)):
            own = masks[side]
            masks[side] = part if own is None else np.maximum(part, own)
    if all(m is None for m in masks.values()):
        reason = "no ligamentum flavum label in this segmentation"
        return tuple(
            SideMeasurement(
                side, unknown("LF thickness", "mm", reason, LF_METHOD), _proxy(study, line, plane, side)
            )
            for side in ("left", "right")
        )
    out = []
    for side in ("left", "right"):
        m = masks[side]
        if m is None:
            out.append(SideMeasurement(side, unknown("LF thickness", "mm", f"no {side} LF label", LF_METHOD)))
            continue
        near = _level_window(study, line, plane, planes, m)
        soft = bool(np.any((near > 0.001) & (near < 0.999)))
        out.append(SideMeasurement(side, thickness(study, near, soft)))
    return tuple(out)
