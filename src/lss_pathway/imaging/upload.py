"""Measuring label maps that arrive as bytes (the service's ``POST /v1/measure``), with the same result as
``lss measure --format json`` gives for the same file.

The bytes are recognised by their content, not by a name: gzip (a ``.nii.gz``), a NIfTI-1 or NIfTI-2
header (a ``.nii``) or a DICOM preamble (a DICOM-SEG). The header's declared size is checked before any
voxel is read, so a small compressed upload cannot unpack into a volume that exhausts memory. Anything
unreadable is a :class:`SegmentationError` naming the problem, never a crash.
"""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lss_pathway.imaging.profiles import load_profile
from lss_pathway.imaging.volume import SegmentationError

if TYPE_CHECKING:
    from lss_pathway.imaging.measurement import StudyMeasurement

MAX_VOXELS = 256 * 1024 * 1024  # 1024 x 512 x 512: beyond any lumbar study's label map
_NIFTI_HEADER_SIZES = (348, 540)  # NIfTI-1, NIfTI-2


class VolumeTooLarge(SegmentationError):
    """The label map declares more voxels than the service measures."""


def _kind(data: bytes, name: str) -> str:
    """The file suffix the content calls for, or a SegmentationError saying what it is not."""
    if data[:2] == b"\x1f\x8b":
        return ".nii.gz"
    if data[128:132] == b"DICM":
        return ".dcm"
    if len(data) >= 4 and any(
        struct.unpack(order, data[:4])[0] in _NIFTI_HEADER_SIZES for order in ("<i", ">i")
    ):
        return ".nii"
    raise SegmentationError(
        f"the {name} is not a NIfTI (.nii, .nii.gz) or DICOM-SEG file (it starts with {data[:8].hex()})"
    )


def _check_size(path: Path, name: str) -> None:
    """Refuse a NIfTI whose header declares too many voxels, before reading them."""
    import nibabel as nib
    import numpy as np

    try:
        header: Any = nib.load(str(path)).header
        shape = tuple(int(n) for n in header.get_data_shape())
    except Exception as exc:  # nibabel raises several types for a garbled header
        raise SegmentationError(f"the {name} has no readable NIfTI header ({exc})") from exc
    voxels = int(np.prod(shape, dtype=np.int64)) if shape else 0
    if voxels > MAX_VOXELS:
        raise VolumeTooLarge(
            f"the {name} declares {'x'.join(map(str, shape))} voxels, more than the {MAX_VOXELS} "
            "measured here"
        )


def _write(folder: Path, data: bytes, stem: str) -> Path:
    if not data:
        raise SegmentationError(f"the {stem} is empty")
    path = folder / f"{stem}{_kind(data, stem)}"
    path.write_bytes(data)
    if path.suffix != ".dcm":
        _check_size(path, stem)
    return path


def measure_upload(
    segmentation: bytes, profile_name: str, image: bytes | None = None, source: str = "upload"
) -> StudyMeasurement:
    """Measure an uploaded label map (and check it against an uploaded source image, if one is given).

    ``source`` names the upload in the result (its file name, when the client sent one).

    Raises :class:`~lss_pathway.imaging.profiles.ProfileError` for an unknown profile and
    :class:`SegmentationError` (or :class:`VolumeTooLarge`) for anything wrong with the files.
    """
    from lss_pathway.imaging.pipeline import measure_study
    from lss_pathway.imaging.volume import check_image_grid, load_study

    profile = load_profile(profile_name)
    with tempfile.TemporaryDirectory(prefix="lss-measure-") as folder:
        try:
            study = load_study([_write(Path(folder), segmentation, "segmentation")], profile)
            if image is not None:
                check_image_grid(study, _write(Path(folder), image, "image"))
        except Exception as exc:  # an untrusted file fails in nibabel, gzip, zlib or numpy: all 422s
            # the file's own words, without the temporary folder it was written to
            message = str(exc).replace(f"{folder}/", "").replace(folder, "")
            if isinstance(exc, SegmentationError):
                raise type(exc)(message) from None
            raise SegmentationError(f"the label map cannot be read ({message})") from None
        study.source = source if image is None else f"{source} (image checked)"
        return measure_study(study, profile)
