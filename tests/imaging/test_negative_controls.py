"""Sections that cannot be measured honestly are unknown, with the reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lss_pathway.imaging.phantom import Tube, make_grid, spine_phantom
from lss_pathway.imaging.pipeline import measure_study
from lss_pathway.imaging.profiles import load_profile

PROFILE = load_profile("manual")
TUBE = Tube(area_mm2=100.0)


def _level_position(phantom: Any, grid: Any) -> tuple[int, int, int]:
    """Voxel index of the disc mid-plane on the (untilted) tube axis."""
    along = phantom.level_positions["L4-L5"]
    ijk = np.linalg.inv(grid.affine) @ np.array([0.0, 0.0, along, 1.0])
    return round(float(ijk[0])), round(float(ijk[1])), round(float(ijk[2]))


def test_an_empty_slice_in_the_window_makes_the_level_unknown(as_study: Callable[..., Any]) -> None:
    grid = make_grid((0.8, 0.8, 2.0))
    phantom = spine_phantom(grid, TUBE, soft=False)
    _, _, k = _level_position(phantom, grid)
    phantom.canal[:, :, k] = 0
    level = measure_study(as_study(phantom, grid), PROFILE).levels[0]
    assert level.canal_area_min.value is None
    assert "empty" in (level.canal_area_min.reason or "")
    assert level.ap_diameter.value is None


def test_two_components_make_the_level_unknown(as_study: Callable[..., Any]) -> None:
    grid = make_grid((0.8, 0.8, 2.0))
    phantom = spine_phantom(grid, TUBE, soft=False)
    i, _, k = _level_position(phantom, grid)
    phantom.canal[i - 1 : i + 2, :, k - 1 : k + 2] = 0  # a sagittal cut splits the sac in two
    level = measure_study(as_study(phantom, grid), PROFILE).levels[0]
    assert level.canal_area_min.value is None
    assert "two or more components" in (level.canal_area_min.reason or "")


def test_a_canal_touching_the_field_of_view_edge_is_unknown(as_study: Callable[..., Any]) -> None:
    grid = make_grid((0.8, 0.8, 2.0), extent_mm=((-25, 25), (-4, 34), (-26, 26)))  # cuts the posterior sac
    phantom = spine_phantom(grid, TUBE, soft=False)
    level = measure_study(as_study(phantom, grid), PROFILE).levels[0]
    assert level.canal_area_min.value is None
    assert "edge of the field of view" in (level.canal_area_min.reason or "")


def test_no_canal_label_leaves_every_area_unknown_but_names_the_levels(as_study: Callable[..., Any]) -> None:
    grid = make_grid((1.0, 1.0, 1.0))
    phantom = spine_phantom(grid, TUBE, soft=False)
    study = as_study(phantom, grid)
    study.canal = None
    result = measure_study(study, PROFILE)
    assert [lv.name for lv in result.levels] == ["L4-L5"]
    assert result.levels[0].canal_area_min.value is None
    assert "canal label is absent" in (result.levels[0].canal_area_min.reason or "")
