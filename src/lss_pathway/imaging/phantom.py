"""Digital reference objects: a canal tube of known cross-section, discs, vertebrae and LF bands.

Used by the tests (whose expected values come from the analytic shapes, never from the measuring code),
by ``lss measure --demo`` and by the benchmark. The tube's cross-section perpendicular to its axis is an
ellipse or a smooth irregular outline of exactly known area; the axis is straight (tilted about two axes)
or a circular arc in the sagittal plane (a lordotic curve). Soft masks hold each voxel's fraction inside
the shape, found by supersampling the voxels that straddle the boundary; binary masks hold whether the
voxel centre is inside.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

# Labels of the "manual" profile.
CANAL, LF_LEFT, LF_RIGHT, POSTERIOR = 1, 2, 3, 4
VERTEBRA_LABELS = {"T12": 19, "L1": 20, "L2": 21, "L3": 22, "L4": 23, "L5": 24, "L6": 25, "S1": 26}
DISC_OFFSET = 100
SUBSTEP_MM = 0.2


def rotation(tilt_x_deg: float, tilt_y_deg: float) -> FloatArray:
    """Rotation about world x (a sagittal tilt) then about world y (a coronal tilt)."""
    import numpy as np

    a, b = math.radians(tilt_x_deg), math.radians(tilt_y_deg)
    rx = np.array([[1, 0, 0], [0, math.cos(a), -math.sin(a)], [0, math.sin(a), math.cos(a)]])
    ry = np.array([[math.cos(b), 0, math.sin(b)], [0, 1, 0], [-math.sin(b), 0, math.cos(b)]])
    return np.asarray(ry @ rx, dtype=np.float64)


@dataclass(frozen=True)
class Grid:
    shape: tuple[int, int, int]
    affine: FloatArray

    @property
    def spacing(self) -> tuple[float, float, float]:
        import numpy as np

        s = np.linalg.norm(self.affine[:3, :3], axis=0)
        return (float(s[0]), float(s[1]), float(s[2]))

    def centres(self) -> FloatArray:
        import numpy as np

        ijk = np.indices(self.shape, dtype=np.float64).reshape(3, -1).T
        return np.asarray(ijk @ self.affine[:3, :3].T + self.affine[:3, 3], dtype=np.float64)


def make_grid(
    spacing: Sequence[float],
    extent_mm: Sequence[tuple[float, float]] = ((-25, 25), (-32, 34), (-26, 26)),
    orientation: FloatArray | None = None,
    permutation: Sequence[int] = (0, 1, 2),
    flips: Sequence[bool] = (False, False, False),
) -> Grid:
    """A voxel grid covering ``extent_mm`` (world RAS), optionally rotated, permuted and flipped."""
    import numpy as np

    rot = np.eye(3) if orientation is None else orientation
    sizes = [round((hi - lo) / s) + 1 for (lo, hi), s in zip(extent_mm, spacing, strict=True)]
    lows = np.array([lo for lo, _ in extent_mm], dtype=np.float64)
    axes = rot * np.array(spacing)[None, :]  # column a: the world step of voxel axis a
    centre = (lows + np.array([hi for _, hi in extent_mm])) / 2
    origin = centre - axes @ ((np.array(sizes) - 1) / 2)
    affine = np.eye(4)
    affine[:3, :3] = axes
    affine[:3, 3] = origin
    # permute and flip the voxel axes; the world positions of the voxels stay the same set
    perm_axes = affine[:3, list(permutation)].copy()
    perm_sizes = [sizes[p] for p in permutation]
    new = np.eye(4)
    new[:3, :3] = perm_axes
    new[:3, 3] = origin
    for a, flip in enumerate(flips):
        if flip:
            new[:3, 3] = new[:3, 3] + new[:3, a] * (perm_sizes[a] - 1)
            new[:3, a] = -new[:3, a]
    return Grid((perm_sizes[0], perm_sizes[1], perm_sizes[2]), new)


@dataclass(frozen=True)
class Tube:
    """A canal of known perpendicular cross-section; ``radius_of_curvature`` bends it sagittally."""

    area_mm2: float = 120.0
    aspect: float = 0.7  # AP semi-axis / lateral semi-axis
    irregular: tuple[float, float] = (0.0, 0.0)  # amplitudes of cos(3φ) and sin(2φ) on the radius
    tilt_deg: tuple[float, float] = (0.0, 0.0)
    radius_of_curvature: float | None = None

    @property
    def semi_axes(self) -> tuple[float, float]:
        """(AP, lateral) semi-axes of the ellipse, or the base radius twice for an irregular outline."""
        if self.irregular != (0.0, 0.0):
            e1, e2 = self.irregular
            r0 = math.sqrt(self.area_mm2 / (math.pi * (1 + (e1**2 + e2**2) / 2)))
            return r0, r0
        lateral = math.sqrt(self.area_mm2 / (math.pi * self.aspect))
        return self.aspect * lateral, lateral

    @property
    def ap_diameter_mm(self) -> float:
        """The chord through the centroid along AP (φ = 0 and π) of the true outline."""
        a, _ = self.semi_axes
        if self.irregular == (0.0, 0.0):
            return 2 * a
        e1, _ = self.irregular
        return a * (1 + e1) + a * (1 - e1)  # r(0) + r(π); sin(2φ) vanishes at both

    def local(self, xyz: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(along, AP, left) coordinates of world points relative to the tube axis."""
        import numpy as np

        rot = rotation(*self.tilt_deg)
        q = xyz @ rot  # into the tube frame: x left-right, y AP, z along
        if self.radius_of_curvature is None:
            return q[:, 2], q[:, 1], -q[:, 0]
        big_r = self.radius_of_curvature
        # arc in the (y, z) plane, centre of curvature behind the canal (lordosis: concave posteriorly)
        dy, dz = q[:, 1] + big_r, q[:, 2]
        rho = np.sqrt(dy**2 + dz**2)
        return big_r * np.arctan2(dz, dy), rho - big_r, -q[:, 0]

    def radius_ratio(self, xyz: FloatArray) -> FloatArray:
        """≤ 1 inside the cross-section, > 1 outside (a level function of the outline)."""
        import numpy as np

        _, u, v = self.local(xyz)
        a, b = self.semi_axes
        if self.irregular == (0.0, 0.0):
            return np.asarray(np.sqrt((u / a) ** 2 + (v / b) ** 2), dtype=np.float64)
        e1, e2 = self.irregular
        phi = np.arctan2(v, u)
        r = a * (1 + e1 * np.cos(3 * phi) + e2 * np.sin(2 * phi))
        return np.asarray(np.hypot(u, v) / r, dtype=np.float64)

    @property
    def min_radius(self) -> float:
        a, b = self.semi_axes
        e1, e2 = self.irregular
        return min(a, b) * (1 - abs(e1) - abs(e2))


@dataclass(frozen=True)
class Band:
    """A flat plate of known thickness (an LF-like band)."""

    centre: tuple[float, float, float]
    normal: tuple[float, float, float]
    thickness_mm: float
    half_width_mm: float = 7.0
    half_length_mm: float = 7.0

    def signed(self, xyz: FloatArray) -> FloatArray:
        """A box distance bound: negative inside, positive outside."""
        import numpy as np

        n = np.array(self.normal, dtype=np.float64)
        n /= np.linalg.norm(n)
        helper = np.array([0.0, 0.0, 1.0]) if abs(n[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
        e1 = np.cross(n, helper)
        e1 /= np.linalg.norm(e1)
        e2 = np.cross(n, e1)
        d = xyz - np.array(self.centre)
        return np.asarray(
            np.maximum.reduce(
                [
                    np.abs(d @ n) - self.thickness_mm / 2,
                    np.abs(d @ e1) - self.half_width_mm,
                    np.abs(d @ e2) - self.half_length_mm,
                ]
            ),
            dtype=np.float64,
        )


def rasterise(
    grid: Grid, signed: Callable[[FloatArray], FloatArray], soft: bool, centres: FloatArray | None = None
) -> npt.NDArray[np.float32]:
    """Fraction of each voxel inside ``signed < 0`` (soft) or whether its centre is inside (binary).

    ``signed`` must be a lower bound of the distance to the boundary (in mm) so that voxels farther than
    their half-diagonal from it are settled without supersampling.
    """
    import numpy as np

    centres = grid.centres() if centres is None else centres
    d = signed(centres)
    if not soft:
        return (d <= 0).reshape(grid.shape).astype(np.float32)
    out = (d <= 0).astype(np.float32)
    half_diag = 0.5 * float(np.linalg.norm(grid.spacing))
    straddle = np.flatnonzero(np.abs(d) <= half_diag * 1.5)
    counts = [max(2, math.ceil(s / SUBSTEP_MM)) for s in grid.spacing]
    offs = [((np.arange(n) + 0.5) / n - 0.5) for n in counts]
    sub = np.stack(np.meshgrid(*offs, indexing="ij"), axis=-1).reshape(-1, 3) @ grid.affine[:3, :3].T
    for start in range(0, len(straddle), 2048):
        idx = straddle[start : start + 2048]
        pts = (centres[idx][:, None, :] + sub[None, :, :]).reshape(-1, 3)
        out[idx] = (signed(pts) <= 0).reshape(len(idx), -1).mean(axis=1)
    return out.reshape(grid.shape)


@dataclass
class Phantom:
    grid: Grid
    labels: npt.NDArray[np.int16]  # manual-profile label map (binary structures)
    canal: npt.NDArray[np.float32]  # the canal fraction (soft or binary)
    tube: Tube
    level_positions: dict[str, float]  # level name -> along-axis position of the disc mid-plane
    bands: dict[str, Band] = field(default_factory=dict)
    flavum: dict[str, npt.NDArray[np.float32]] = field(default_factory=dict)


def spine_phantom(
    grid: Grid,
    tube: Tube,
    vertebrae: Sequence[str] = ("L4", "L5"),
    soft: bool = True,
    disc_height_mm: float = 6.0,
    body_height_mm: float = 14.0,
    lf_thickness_mm: dict[str, float] | None = None,
    lf_angle_deg: float = 0.0,
) -> Phantom:
    """A canal tube with vertebral bodies and discs anterior to it, stacked along the tube axis."""
    import numpy as np

    centres = grid.centres()
    along, u, v = tube.local(centres)
    a, b = tube.semi_axes
    labels = np.zeros(len(centres), dtype=np.int16)
    pitch = disc_height_mm + body_height_mm
    n = len(vertebrae)
    # vertebra i occupies [top_i - body, top_i]; the column is centred on along = 0, cranial first
    tops = [(n * pitch - disc_height_mm) / 2 - i * pitch for i in range(n)]
    front = (u > a + 1.5) & (u < a + 26.0) & (np.abs(v) < b + 6.0)
    positions: dict[str, float] = {}
    for i, name in enumerate(vertebrae):
        body = front & (along <= tops[i]) & (along > tops[i] - body_height_mm)
        labels[body] = VERTEBRA_LABELS[name]
        if i + 1 < n:
            disc = front & (along <= tops[i] - body_height_mm) & (along > tops[i] - pitch)
            labels[disc] = DISC_OFFSET + VERTEBRA_LABELS[name]
            positions[f"{name}-{vertebrae[i + 1]}"] = tops[i] - body_height_mm - disc_height_mm / 2
    canal = rasterise(grid, lambda p: (tube.radius_ratio(p) - 1) * tube.min_radius, soft, centres)
    flat = canal.reshape(-1)
    labels[flat >= 0.5] = CANAL
    phantom = Phantom(grid, labels.reshape(grid.shape), canal, tube, positions)
    if lf_thickness_mm:
        for level, w in positions.items():
            for side, thick in lf_thickness_mm.items():
                band = _band_at(tube, w, side, thick, lf_angle_deg)
                mask = rasterise(grid, band.signed, soft, centres)
                phantom.bands[f"{level} {side}"] = band
                key = side
                phantom.flavum[key] = np.maximum(phantom.flavum.get(key, np.zeros_like(mask)), mask)
                label = LF_LEFT if side == "left" else LF_RIGHT
                phantom.labels[(mask >= 0.5) & (phantom.labels == 0)] = label
    return phantom


def _band_at(tube: Tube, along: float, side: str, thickness: float, angle_deg: float) -> Band:
    """A band behind the canal on one side, its normal turned ``angle_deg`` from AP towards that side."""
    import numpy as np

    a, _ = tube.semi_axes
    sign = 1.0 if side == "left" else -1.0
    theta = math.radians(angle_deg)
    # in the tube frame (x right, y anterior, z along); left is -x
    half_width = max(4.0, 0.8 * thickness)  # across: kept clear of the midline so the sides never touch
    centre_t = np.array([-sign * (half_width + 1.0), -(a + 2.0 + thickness / 2), along])
    normal_t = np.array([-sign * math.sin(theta), -math.cos(theta), 0.0])
    rot = rotation(*tube.tilt_deg)
    if tube.radius_of_curvature is None:
        centre, normal = rot @ centre_t, rot @ normal_t
    else:  # place on the arc: rotate about the centre of curvature
        big_r = tube.radius_of_curvature
        phi = along / big_r
        rho = big_r + centre_t[1]
        local = np.array([centre_t[0], rho * math.cos(phi) - big_r, rho * math.sin(phi)])
        bend = np.array([[1, 0, 0], [0, math.cos(phi), -math.sin(phi)], [0, math.sin(phi), math.cos(phi)]])
        centre, normal = rot @ local, rot @ (bend @ normal_t)
    return Band(
        (float(centre[0]), float(centre[1]), float(centre[2])),
        (float(normal[0]), float(normal[1]), float(normal[2])),
        thickness,
        half_width_mm=half_width,
        half_length_mm=max(5.0, thickness * 1.2),
    )
