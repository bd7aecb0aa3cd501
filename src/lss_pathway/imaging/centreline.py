"""The canal centreline: a smoothed curve through the canal's centroid on each slice, with its tangent.

Slices are taken along the voxel axis best aligned with the canal, so that a tilted or curved canal is
still crossed by every slice. Each centroid is replaced by a local quadratic fit over a window of the
neighbouring centroids (a few millimetres either way), which smooths segmentation noise while
following a lordotic curve; the tangent is the fit's derivative. Slices inside the canal's extent with no
canal voxels are kept as gaps, so that a measurement across them can be refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lss_pathway.imaging.volume import Study

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

SMOOTHING_HALF_WINDOW_MM = 8.0
ANTERIOR = (0.0, 1.0, 0.0)  # RAS world: +y is anterior, +x is the patient's right, +z superior
LEFT = (-1.0, 0.0, 0.0)


@dataclass(frozen=True)
class Centreline:
    slice_axis: int
    slices: npt.NDArray[np.int64]  # slice index of each point (canal present)
    points: FloatArray  # (n, 3) smoothed, world mm
    tangents: FloatArray  # (n, 3) unit, pointing towards increasing slice index (and arc length)
    arc: FloatArray  # (n,) arc length from the first point, mm
    gaps: tuple[int, ...]  # slice indices inside the canal's extent with no canal voxels

    def position(self, s: float) -> tuple[FloatArray, FloatArray]:
        """Point and unit tangent at arc length ``s`` (linear between fitted points)."""
        import numpy as np

        p = np.array([np.interp(s, self.arc, self.points[:, d]) for d in range(3)])
        t = np.array([np.interp(s, self.arc, self.tangents[:, d]) for d in range(3)])
        return p, t / np.linalg.norm(t)

    def project(self, xyz: FloatArray) -> FloatArray:
        """Arc-length coordinate of each world point (n, 3): nearest centreline point plus the offset."""
        import numpy as np
        from scipy.spatial import cKDTree

        _, nearest = cKDTree(self.points).query(xyz)
        along = np.einsum("ij,ij->i", xyz - self.points[nearest], self.tangents[nearest])
        return np.asarray(self.arc[nearest] + along, dtype=np.float64)

    def slice_arc(self, k: float) -> float:
        import numpy as np

        return float(np.interp(k, self.slices.astype(np.float64), self.arc))


def section_axes(tangent: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Unit anterior and patient-left directions in the plane perpendicular to ``tangent``."""
    import numpy as np

    ap = np.array(ANTERIOR) - np.dot(ANTERIOR, tangent) * tangent
    ap /= np.linalg.norm(ap)
    left = np.cross(tangent, ap)  # superior x anterior = left in RAS
    return ap, left / np.linalg.norm(left)


def best_slice_axis(study: Study, mask: npt.NDArray[np.float32]) -> int:
    """The voxel axis closest to the mask's principal direction (its long axis)."""
    import numpy as np

    ijk = np.argwhere(mask > 0.5).astype(np.float64)
    if len(ijk) < 3:
        return 2
    xyz = study.world(ijk)
    xyz -= xyz.mean(axis=0)
    _, _, vt = np.linalg.svd(xyz[:: max(1, len(xyz) // 20000)], full_matrices=False)
    principal = vt[0]
    axes = study.affine[:3, :3] / np.linalg.norm(study.affine[:3, :3], axis=0)
    return int(np.argmax(np.abs(principal @ axes)))


def fit_centreline(study: Study, mask: npt.NDArray[np.float32]) -> Centreline | None:
    """None when fewer than two slices hold the canal."""
    import numpy as np

    axis = best_slice_axis(study, mask)
    moved = np.moveaxis(mask, axis, -1)
    weights = moved.sum(axis=(0, 1))
    present = np.flatnonzero(weights > 0)
    if len(present) < 2:
        return None
    grid = np.indices(moved.shape[:2], dtype=np.float64)
    centroids = []
    for k in present:
        w = moved[:, :, k].astype(np.float64)
        ij = [(grid[0] * w).sum() / w.sum(), (grid[1] * w).sum() / w.sum()]
        voxel = np.zeros(3)
        others = [a for a in range(3) if a != axis]
        voxel[others[0]], voxel[others[1]], voxel[axis] = ij[0], ij[1], k
        centroids.append(voxel)
    raw = study.world(np.array(centroids))
    step = study.spacing[axis]
    half = max(2, round(SMOOTHING_HALF_WINDOW_MM / step))
    points = np.empty_like(raw)
    derivs = np.empty_like(raw)
    ks = present.astype(np.float64)
    for n, at in enumerate(ks):
        near = np.abs(ks - at) <= half
        x = ks[near] - at
        degree = min(2, int(near.sum()) - 1)
        coeffs = np.polynomial.polynomial.polyfit(x, raw[near], degree)
        points[n] = coeffs[0]
        derivs[n] = coeffs[1]
    tangents = derivs / np.linalg.norm(derivs, axis=1, keepdims=True)
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
    gaps = tuple(int(k) for k in range(int(present[0]), int(present[-1]) + 1) if weights[k] == 0)
    return Centreline(axis, present.astype(np.int64), points, tangents, arc, gaps)
