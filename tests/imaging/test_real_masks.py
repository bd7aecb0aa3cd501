"""Real label maps from ../shared/data/imaging: the pipeline runs per profile, stably and plausibly.

Accuracy is claimed on the phantoms only; here the checks are that real masks load with each profile,
that what cannot be measured says why, that reorienting or resampling the same mask changes nothing
material, and that the values are anatomically plausible.
"""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from lss_pathway.domain.anatomy import Level
from lss_pathway.imaging.measurement import StudyMeasurement
from lss_pathway.imaging.pipeline import measure_study
from lss_pathway.imaging.profiles import load_profile
from lss_pathway.imaging.volume import load_study

MRI = ("tptbox/sub-mri_seg-vert_label-6_msk.nii.gz", "tptbox/sub-mri_seg-subreg_label-6_msk.nii.gz")
CT = ("tptbox/sub-ct_seg-vert_label-22_msk.nii.gz", "tptbox/sub-ct_seg-subreg_label-22_msk.nii.gz")


def _measure(paths: list[Path], profile: str) -> StudyMeasurement:
    return measure_study(load_study(paths, load_profile(profile)), load_profile(profile))


def _areas(result: StudyMeasurement) -> list[float]:
    values = [lv.canal_area_min.value for lv in result.levels]
    assert all(v is not None for v in values), [lv.canal_area_min.reason for lv in result.levels]
    return [v for v in values if v is not None]


def test_cervical_mri_canal_is_measured_and_plausible_but_never_a_record_level(shared_imaging: Path) -> None:
    result = _measure([shared_imaging / p for p in MRI], "spineps")
    assert [lv.name for lv in result.levels] == ["C5-C6", "C6-C7"]
    assert all(lv.level is None for lv in result.levels)
    for area in _areas(result):
        assert 100.0 <= area <= 300.0  # cervical dural sac including the cord
    for lv in result.levels:
        assert lv.ap_diameter.value is not None and 8.0 <= lv.ap_diameter.value <= 18.0
        assert all(s.lf_thickness.value is None for s in lv.sides)  # SPINEPS has no LF class


def _rewrite(tmp_path: Path, source: Path, name: str, perm: tuple[int, int, int], flip: int) -> Path:
    image = nib.load(str(source))
    data = np.asanyarray(image.dataobj)
    affine = image.affine.copy()
    data = np.transpose(data, perm)
    affine[:, :3] = affine[:, list(perm)]
    data = np.flip(data, flip)
    affine[:3, 3] += affine[:3, flip] * (data.shape[flip] - 1)
    affine[:3, flip] = -affine[:3, flip]
    path = tmp_path / name
    nib.save(nib.Nifti1Image(np.ascontiguousarray(data), affine), str(path))
    return path


def test_cervical_mri_is_stable_under_reorientation(shared_imaging: Path, tmp_path: Path) -> None:
    original = _areas(_measure([shared_imaging / p for p in MRI], "spineps"))
    moved = [_rewrite(tmp_path, shared_imaging / p, f"m{n}.nii.gz", (2, 0, 1), 1) for n, p in enumerate(MRI)]
    assert _areas(_measure(moved, "spineps")) == pytest.approx(original, rel=1e-9)


def test_cervical_mri_is_stable_under_resampling(shared_imaging: Path, tmp_path: Path) -> None:
    """Every voxel split in two along one axis (nearest neighbour): the same shape on a finer grid."""
    original = _areas(_measure([shared_imaging / p for p in MRI], "spineps"))
    paths = []
    for n, p in enumerate(MRI):
        image = nib.load(str(shared_imaging / p))
        data = np.repeat(np.asanyarray(image.dataobj), 2, axis=0)
        affine = image.affine.copy()
        affine[:3, 3] -= affine[:3, 0] / 4  # the first half-voxel's centre
        affine[:3, 0] /= 2
        paths.append(tmp_path / f"r{n}.nii.gz")
        nib.save(nib.Nifti1Image(data, affine), str(paths[-1]))
    resampled = _areas(_measure(paths, "spineps"))
    for a, b in zip(original, resampled, strict=True):
        assert abs(a - b) / a <= 0.05


def test_lumbar_ct_crop_names_levels_but_has_no_canal_to_measure(shared_imaging: Path) -> None:
    result = _measure([shared_imaging / p for p in CT], "spineps")
    assert [lv.level for lv in result.levels] == [Level.L2_L3, Level.L3_L4]
    assert all("no disc label" in lv.basis for lv in result.levels)
    for lv in result.levels:
        assert lv.canal_area_min.value is None
        assert lv.canal_area_min.reason == "the canal label is absent from the label map"


def test_totalsegmentator_ct_levels_are_named_and_the_cord_is_not_taken_for_the_canal(
    shared_imaging: Path,
) -> None:
    result = _measure([shared_imaging / "totalsegmentator/example_seg.nii.gz"], "totalsegmentator")
    assert [lv.name for lv in result.levels] == ["T11-T12", "T12-L1", "L1-L2"]
    assert [lv.level for lv in result.levels] == [None, None, Level.L1_L2]
    assert all("no canal / dural sac label" in (lv.canal_area_min.reason or "") for lv in result.levels)


def test_totalsegmentator_mr_discs_are_found_but_left_unnamed(shared_imaging: Path) -> None:
    result = _measure([shared_imaging / "totalsegmentator/example_seg_mr.nii.gz"], "totalsegmentator-mr")
    assert len(result.levels) >= 2
    assert all(lv.level is None and "unnamed" in lv.name for lv in result.levels)
    assert any("do not name vertebrae" in note for note in result.notes)
