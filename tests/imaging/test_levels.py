"""Levels from disc labels or vertebra pairs, named from the vertebrae; transitional anatomy kept as is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lss_pathway.domain.anatomy import Level
from lss_pathway.imaging.phantom import DISC_OFFSET, Tube, make_grid, spine_phantom
from lss_pathway.imaging.pipeline import measure_study
from lss_pathway.imaging.profiles import available_profiles, load_profile

PROFILE = load_profile("manual")
TALL = ((-22.0, 22.0), (-20.0, 32.0), (-62.0, 62.0))


def test_every_lumbar_level_is_named_cranial_first(as_study: Callable[..., Any]) -> None:
    grid = make_grid((1.5, 1.5, 1.5), extent_mm=TALL)
    vertebrae = ("L1", "L2", "L3", "L4", "L5", "S1")
    phantom = spine_phantom(
        grid, Tube(area_mm2=100.0), vertebrae=vertebrae, soft=False, disc_height_mm=5.0, body_height_mm=13.0
    )
    result = measure_study(as_study(phantom, grid), PROFILE)
    assert [lv.level for lv in result.levels] == list(Level)
    for lv in result.levels:
        assert lv.half_height_mm is not None and abs(lv.half_height_mm - 2.5) <= 1.0
        assert lv.basis.startswith("disc label")


def test_an_l6_is_reported_and_never_renumbered(as_study: Callable[..., Any]) -> None:
    grid = make_grid((1.5, 1.5, 1.5), extent_mm=TALL)
    phantom = spine_phantom(grid, Tube(area_mm2=100.0), vertebrae=("L4", "L5", "L6", "S1"), soft=False)
    result = measure_study(as_study(phantom, grid), PROFILE)
    assert [lv.name for lv in result.levels] == ["L4-L5", "L5-L6", "L6-S1"]
    assert [lv.level for lv in result.levels] == [Level.L4_L5, None, None]
    assert any("L6" in note and "transitional" in note for note in result.notes)


def test_without_disc_labels_the_mid_plane_lies_between_the_vertebrae(as_study: Callable[..., Any]) -> None:
    grid = make_grid((1.0, 1.0, 1.0))
    phantom = spine_phantom(grid, Tube(area_mm2=100.0), soft=False, disc_height_mm=6.0)
    labels = phantom.labels.copy()
    labels[labels >= DISC_OFFSET] = 0
    phantom.labels = labels
    result = measure_study(as_study(phantom, grid), PROFILE)
    (level,) = result.levels
    assert level.name == "L4-L5" and "no disc label" in level.basis
    assert level.half_height_mm is not None and abs(level.half_height_mm - 3.0) <= 1.0
    assert level.canal_area_min.value is not None
    assert abs(level.canal_area_min.value - 100.0) / 100.0 <= 0.05


def test_every_profile_loads_and_names_a_canal_or_says_it_has_none() -> None:
    names = available_profiles()
    assert {"spineps", "totalsegmentator", "totalspineseg", "spider", "manual"} <= set(names)
    for name in names:
        profile = load_profile(name)
        assert profile.source
        assert isinstance(profile.canal, list)
    assert load_profile("spineps").canal == [60, 61]  # the dural sac holds the cord
    assert load_profile("totalsegmentator").canal == []  # spinal_cord is not the dural sac
    assert load_profile("spineps").disc_labels()[123] == ("L4", "")
    assert np.isin(list(load_profile("totalspineseg").discs), [202, 203, 204, 205, 206, 207]).all()
