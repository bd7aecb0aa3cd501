"""Metamorphic checks: the same anatomy stored in another voxel order, flipped or on an oblique grid."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pytest

from lss_pathway.imaging.phantom import Tube, make_grid, rotation, spine_phantom
from lss_pathway.imaging.pipeline import measure_study
from lss_pathway.imaging.profiles import load_profile
from lss_pathway.imaging.volume import load_study

PROFILE = load_profile("manual")
TUBE = Tube(area_mm2=90.0, aspect=0.75, tilt_deg=(12.0, 8.0))


def _numbers(paths: list[Path]) -> list[float | None]:
    result = measure_study(load_study(paths, PROFILE), PROFILE)
    out: list[float | None] = []
    for level in result.levels:
        out += [level.canal_area_min.value, level.canal_area_midplane.value, level.ap_diameter.value]
    return out


def _save(tmp_path: Path, name: str, data: np.ndarray[Any, Any], affine: np.ndarray[Any, Any]) -> Path:
    path = tmp_path / f"{name}.nii.gz"
    nib.save(nib.Nifti1Image(data.astype(np.int16), affine), str(path))
    return path


def _reorient(
    data: np.ndarray[Any, Any], affine: np.ndarray[Any, Any], perm: tuple[int, ...], flips: tuple[bool, ...]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The same voxels in another axis order and direction, with the affine that keeps them in place."""
    out = np.transpose(data, perm)
    new = affine.copy()
    new[:, :3] = affine[:, list(perm)]
    for axis, flip in enumerate(flips):
        if flip:
            out = np.flip(out, axis)
            new[:3, 3] += new[:3, axis] * (out.shape[axis] - 1)
            new[:3, axis] = -new[:3, axis]
    return np.ascontiguousarray(out), new


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, Any]:
    grid = make_grid((0.8, 0.8, 2.0))
    phantom = spine_phantom(grid, TUBE, soft=False)
    folder = tmp_path_factory.mktemp("orientation")
    return _save(folder, "ref", phantom.labels, grid.affine), phantom.labels, grid.affine


def _orientations(seed: int, count: int) -> list[tuple[tuple[int, ...], tuple[bool, ...]]]:
    rng = random.Random(seed)
    perms = [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)]
    cases = [
        (p, (a, b, c)) for p in perms for a in (False, True) for b in (False, True) for c in (False, True)
    ]
    return rng.sample(cases, count)


@pytest.mark.parametrize(("perm", "flips"), _orientations(16, 5))
def test_permuted_and_flipped_copies_give_identical_numbers(
    tmp_path: Path, reference: tuple[Path, Any, Any], perm: tuple[int, ...], flips: tuple[bool, ...]
) -> None:
    path, labels, affine = reference
    data, moved = _reorient(labels, affine, perm, flips)
    expected = _numbers([path])
    assert expected and all(v is not None for v in expected)
    assert _numbers([_save(tmp_path, "moved", data, moved)]) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("soft", [True, False])
def test_oblique_grid_gives_the_same_area_within_tolerance(measure: Callable[..., Any], soft: bool) -> None:
    straight = measure(TUBE, (1.0, 1.0, 1.0), soft=soft)[1].levels[0]
    oblique_grid = make_grid((1.0, 1.0, 1.0), orientation=rotation(17.0, -11.0))
    oblique = measure(TUBE, grid=oblique_grid, soft=soft)[1].levels[0]
    tolerance = 0.02 if soft else 0.05
    for a, b in (
        (straight.canal_area_min, oblique.canal_area_min),
        (straight.ap_diameter, oblique.ap_diameter),
    ):
        assert a.value is not None and b.value is not None
        assert abs(a.value - b.value) / a.value <= tolerance
    assert oblique.canal_area_min.value is not None
    assert abs(oblique.canal_area_min.value - TUBE.area_mm2) / TUBE.area_mm2 <= tolerance


def test_resampling_to_another_voxel_size_gives_the_same_area(measure: Callable[..., Any]) -> None:
    fine = measure(TUBE, (0.9, 0.9, 0.9))[1].levels[0].canal_area_min.value
    coarse = measure(TUBE, (0.6, 0.6, 3.0))[1].levels[0].canal_area_min.value
    assert fine is not None and coarse is not None
    assert abs(fine - coarse) / TUBE.area_mm2 <= 0.02


def test_padding_the_volume_with_background_changes_nothing(
    tmp_path: Path, reference: tuple[Path, Any, Any]
) -> None:
    """The study is cropped to its labelled structures; a larger field of view must give the same numbers."""
    path, labels, affine = reference
    padded = np.pad(labels, ((30, 7), (12, 40), (0, 0)))
    moved = affine.copy()
    moved[:3, 3] -= affine[:3, :3] @ np.array([30.0, 12.0, 0.0])
    assert _numbers([_save(tmp_path, "padded", padded, moved)]) == pytest.approx(_numbers([path]), rel=1e-9)
