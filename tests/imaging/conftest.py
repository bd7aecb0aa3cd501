"""Phantom builders for the imaging tests: the expected values come from the analytic shapes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("scipy", reason="the imaging tests need the 'imaging' extra")
pytest.importorskip("nibabel", reason="the imaging tests need the 'imaging' extra")

from lss_pathway.imaging.measurement import StudyMeasurement
from lss_pathway.imaging.phantom import Grid, Phantom, Tube, make_grid, spine_phantom
from lss_pathway.imaging.pipeline import measure_study
from lss_pathway.imaging.profiles import load_profile
from lss_pathway.imaging.volume import Study, study_from_arrays

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "imaging"

Measure = Callable[..., tuple[Phantom, StudyMeasurement]]


def phantom_study(phantom: Phantom, grid: Grid) -> Study:
    """The manual-profile study of a phantom, with its soft masks in place of the thresholded labels."""
    study = study_from_arrays([phantom.labels], grid.affine, load_profile("manual"), "phantom", crop=False)
    study.canal = phantom.canal
    if "left" in phantom.flavum:
        study.flavum_left = phantom.flavum["left"]
    if "right" in phantom.flavum:
        study.flavum_right = phantom.flavum["right"]
    return study


@pytest.fixture
def measure() -> Measure:
    def run(
        tube: Tube,
        spacing: Sequence[float] = (1.0, 1.0, 1.0),
        soft: bool = True,
        grid: Grid | None = None,
        **kwargs: Any,
    ) -> tuple[Phantom, StudyMeasurement]:
        grid = grid or make_grid(spacing)
        phantom = spine_phantom(grid, tube, soft=soft, **kwargs)
        return phantom, measure_study(phantom_study(phantom, grid), load_profile("manual"))

    return run


@pytest.fixture
def shared_imaging() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared test data not found at {SHARED} (it sits beside the repository clone in CI)")
    return SHARED


@pytest.fixture
def as_study() -> Callable[[Phantom, Grid], Study]:
    return phantom_study
