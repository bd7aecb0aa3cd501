"""A study's masks on one grid, in physical millimetres: loading, canonical orientation, cropping.

Label maps are reoriented to the closest canonical (RAS) voxel order with nibabel, which only permutes
and flips axes (no resampling), so any permutation or flip of the same data gives identical arrays. What
remains of an oblique affine is kept and used: every position and direction below is computed in world
millimetres through the affine, never in voxel units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lss_pathway.imaging.profiles import LabelProfile

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]
    Mask = npt.NDArray[np.float32]
    Labels = npt.NDArray[np.int32]


class SegmentationError(ValueError):
    """The label maps cannot be read or do not fit together."""


@dataclass
class Study:
    """Role masks (fractions 0..1, soft or binary) and instance labels on one grid."""

    affine: FloatArray
    shape: tuple[int, int, int]
    canal: Mask | None
    vertebrae: Labels  # 0 = none; else the profile's vertebra label
    discs: Labels
    posterior: Mask | None = None
    flavum_left: Mask | None = None
    flavum_right: Mask | None = None
    flavum_either: Mask | None = None
    source: str = "in-memory"
    notes: list[str] = field(default_factory=list)
    full_shape: tuple[int, int, int] | None = None  # before cropping to the labelled structures

    @property
    def spacing(self) -> tuple[float, float, float]:
        import numpy as np

        s = np.linalg.norm(self.affine[:3, :3], axis=0)
        return (float(s[0]), float(s[1]), float(s[2]))

    def world(self, ijk: FloatArray) -> FloatArray:
        """Voxel coordinates (n, 3) to world millimetres (n, 3)."""
        import numpy as np

        return np.asarray(ijk @ self.affine[:3, :3].T + self.affine[:3, 3], dtype=np.float64)

    def voxel(self, xyz: FloatArray) -> FloatArray:
        import numpy as np

        inv = np.linalg.inv(self.affine)
        return np.asarray(xyz @ inv[:3, :3].T + inv[:3, 3], dtype=np.float64)


def _canonical(path: Path) -> tuple[FloatArray, npt.NDArray[np.generic]]:
    import nibabel as nib
    import numpy as np

    from lss_pathway.imaging.dicom_seg import is_dicom, read_dicom_seg

    if not path.exists():
        raise SegmentationError(f"{path}: no such file")
    image: Any
    try:
        if is_dicom(path):
            affine, labels = read_dicom_seg(path)
            image = nib.Nifti1Image(labels, affine)  # type: ignore[no-untyped-call]
        else:
            image = nib.load(str(path))
    except Exception as exc:  # nibabel and highdicom raise several types for unreadable files
        raise SegmentationError(f"{path}: not a NIfTI or DICOM-SEG label map ({exc})") from exc
    image = nib.as_closest_canonical(image)  # type: ignore[no-untyped-call]
    data = np.asanyarray(image.dataobj)
    if data.ndim != 3:
        raise SegmentationError(f"{path}: expected a 3-D label map, found {data.ndim}-D")
    return np.asarray(image.affine, dtype=np.float64), data


def _select(maps: Sequence[npt.NDArray[np.generic]], labels: Sequence[int]) -> Mask | None:
    import numpy as np

    if not labels:
        return None
    out = np.zeros(maps[0].shape, dtype=np.float32)
    for data in maps:
        out = np.maximum(out, np.isin(data, labels).astype(np.float32))
    return out if out.any() else None


def _instances(maps: Sequence[npt.NDArray[np.generic]], labels: Sequence[int]) -> Labels:
    import numpy as np

    out = np.zeros(maps[0].shape, dtype=np.int32)
    for data in maps:
        hit = np.isin(data, labels) & (out == 0)
        out[hit] = data[hit].astype(np.int32)
    return out


CROP_MARGIN = 3  # voxels of background kept around the labelled structures


def _crop(
    maps: Sequence[npt.NDArray[np.generic]], affine: FloatArray
) -> tuple[list[npt.NDArray[np.generic]], FloatArray]:
    """The maps cut to the labelled structures plus a margin, with the affine that keeps them in place.

    Everything later scales with the voxels it touches, and a clinical volume is mostly background. A
    structure that reaches the true edge of the field of view still reaches the crop's edge (the crop
    never extends past the volume), so the edge checks see the same thing.
    """
    import numpy as np

    # Projections first (a NIfTI array is Fortran-ordered: reducing over the slice axis is a run of
    # contiguous OR-s), then the slice range only within the in-plane box: a full boolean copy of the
    # volume was most of the loading time.
    in_plane = np.zeros(maps[0].shape[:2], dtype=bool)
    for data in maps:
        in_plane |= np.any(data, axis=2)
    if not in_plane.any():
        return list(maps), affine
    hits = [np.flatnonzero(in_plane.any(axis=1)), np.flatnonzero(in_plane.any(axis=0))]
    rows = slice(int(hits[0][0]), int(hits[0][-1]) + 1)
    cols = slice(int(hits[1][0]), int(hits[1][-1]) + 1)
    along = np.zeros(maps[0].shape[2], dtype=bool)
    for data in maps:
        along |= np.any(data[rows, cols], axis=(0, 1))
    hits.append(np.flatnonzero(along))
    bounds = [
        (max(int(hit[0]) - CROP_MARGIN, 0), min(int(hit[-1]) + CROP_MARGIN + 1, maps[0].shape[axis]))
        for axis, hit in enumerate(hits)
    ]
    box = tuple(slice(lo, hi) for lo, hi in bounds)
    moved = affine.copy()
    moved[:3, 3] += affine[:3, :3] @ np.array([lo for lo, _ in bounds], dtype=np.float64)
    return [np.ascontiguousarray(data[box]) for data in maps], moved


def study_from_arrays(
    maps: Sequence[npt.NDArray[np.generic]],
    affine: FloatArray,
    profile: LabelProfile,
    source: str,
    crop: bool = True,
) -> Study:
    """Role masks from integer label maps that share one grid, as the profile names them.

    ``crop=False`` keeps the full grid, for callers that put masks of their own (soft phantoms) on it.
    """
    import numpy as np

    if maps[0].ndim != 3:
        raise SegmentationError(f"{source}: expected 3-D label maps")
    full = maps[0].shape
    affine = np.asarray(affine, dtype=np.float64)
    if crop:
        maps, affine = _crop(maps, affine)
    shape = maps[0].shape
    return Study(
        affine=affine,
        shape=(int(shape[0]), int(shape[1]), int(shape[2])),
        canal=_select(maps, profile.canal),
        vertebrae=_instances(maps, list(profile.vertebra_labels())),
        discs=_instances(maps, list(profile.disc_labels())),
        posterior=_select(maps, profile.posterior_elements),
        flavum_left=_select(maps, profile.flavum.left),
        flavum_right=_select(maps, profile.flavum.right),
        flavum_either=_select(maps, profile.flavum.either),
        source=source,
        full_shape=(int(full[0]), int(full[1]), int(full[2])),
    )


def load_study(paths: Sequence[Path], profile: LabelProfile) -> Study:
    """Read one or more NIfTI label maps of one study (e.g. SPINEPS's instance and subregion maps)."""
    import numpy as np

    if not paths:
        raise SegmentationError("no label map given")
    affine, first = _canonical(paths[0])
    maps = [first]
    for path in paths[1:]:
        other_affine, data = _canonical(path)
        if data.shape != first.shape or not np.allclose(other_affine, affine, atol=1e-3):
            raise SegmentationError(
                f"{path}: its grid ({data.shape}) differs from {paths[0]} ({first.shape}); "
                "the label maps of one study must share one grid"
            )
        maps.append(data)
    if any(np.issubdtype(m.dtype, np.floating) and not np.all(np.mod(m, 1) == 0) for m in maps):
        raise SegmentationError("label maps must hold whole-number labels (give probability maps separately)")
    return study_from_arrays(maps, affine, profile, ", ".join(p.name for p in paths))


def check_image_grid(study: Study, image: Path) -> None:
    """The segmentation must lie on the source image's grid, or its millimetres mean something else."""
    import numpy as np

    affine, data = _canonical(image)
    if tuple(data.shape) != (study.full_shape or study.shape):
        raise SegmentationError(f"{image}: the image grid differs from the segmentation's; resample first")
    # the study may be cropped: its first voxel must sit on a voxel of the image grid with the same axes
    offset = np.linalg.solve(affine[:3, :3], study.affine[:3, 3] - affine[:3, 3])
    if not np.allclose(affine[:3, :3], study.affine[:3, :3], atol=1e-3) or not np.allclose(
        offset, np.round(offset), atol=1e-3
    ):
        raise SegmentationError(f"{image}: the image grid differs from the segmentation's; resample first")
    study.source = f"{study.source} (image {image.name})"
