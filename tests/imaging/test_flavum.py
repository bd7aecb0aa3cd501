"""LF thickness on bands of known thickness, per side; the proxy is labelled and never LF."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from lss_pathway.imaging.flavum import PROXY_METHOD, thickness
from lss_pathway.imaging.phantom import Band, Tube, make_grid, rasterise, rotation, spine_phantom
from lss_pathway.imaging.pipeline import measure_study
from lss_pathway.imaging.profiles import load_profile
from lss_pathway.imaging.volume import Study

PROFILE = load_profile("manual")


def _cases(seed: int, count: int) -> list[tuple[float, float, tuple[float, float, float]]]:
    rng = random.Random(seed)
    thicknesses = [1.5, 2.5, 3.0, 4.0, 5.5, 8.0]
    angles = [0.0, 15.0, 30.0, 45.0, 60.0]
    voxels = [(1.0, 1.0, 1.0), (0.5, 0.5, 0.5), (0.6, 0.6, 3.0)]
    cases = [(t, a, v) for t in thicknesses for a in angles for v in voxels]
    return rng.sample(cases, count)


@pytest.mark.parametrize(("true_mm", "angle", "voxels"), _cases(16, 7))
def test_soft_band_thickness_within_0_2_mm(
    true_mm: float, angle: float, voxels: tuple[float, float, float]
) -> None:
    import numpy as np

    # the band turns ``angle`` in the axial plane; on near-isotropic voxels it also tilts out of it
    out_of_plane = 0.0 if max(voxels) / min(voxels) > 1.5 else 20.0
    normal = rotation(out_of_plane, 0.0) @ axial_turn(angle) @ np.array([0.0, 1.0, 0.0])
    band = Band((0.3, -0.2, 0.1), tuple(normal), true_mm, 9.0, 9.0)  # type: ignore[arg-type]
    grid = make_grid(voxels, extent_mm=((-12, 12), (-12, 12), (-12, 12)))
    mask = rasterise(grid, band.signed, soft=True)
    empty = np.zeros(grid.shape, dtype=np.int32)
    m = thickness(Study(grid.affine, grid.shape, None, empty, empty), mask, soft=True)
    assert m.value is not None, m.reason
    assert abs(m.value - true_mm) <= 0.2, (m.value, true_mm)
    assert m.low is not None and m.high is not None and m.low <= true_mm <= m.high


def axial_turn(degrees: float) -> Any:
    import numpy as np

    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def test_a_band_thinner_than_the_slices_along_its_normal_keeps_truth_in_its_wider_interval() -> None:
    """Thick slices cannot resolve 0.2 mm across themselves; the interval widens with the voxel instead."""
    import numpy as np

    normal = rotation(60.0, 30.0) @ np.array([0.0, 1.0, 0.0])
    band = Band((0.3, -0.2, 0.1), tuple(normal), 2.5, 9.0, 9.0)  # type: ignore[arg-type]
    grid = make_grid((0.6, 0.6, 3.0), extent_mm=((-12, 12), (-12, 12), (-12, 12)))
    mask = rasterise(grid, band.signed, soft=True)
    empty = np.zeros(grid.shape, dtype=np.int32)
    m = thickness(Study(grid.affine, grid.shape, None, empty, empty), mask, soft=True)
    assert m.value is not None and m.low is not None and m.high is not None
    assert m.low <= 2.5 <= m.high
    assert m.high - m.low > 0.8  # honest about the slice thickness


@pytest.mark.parametrize(("true_mm", "angle"), [(2.5, 0.0), (4.0, 45.0)])
def test_binary_band_thickness_is_inside_its_wider_interval(true_mm: float, angle: float) -> None:
    import numpy as np

    normal = rotation(angle, 0.0) @ np.array([0.0, 1.0, 0.0])
    band = Band((0.2, 0.1, -0.3), tuple(normal), true_mm, 9.0, 9.0)  # type: ignore[arg-type]
    grid = make_grid((0.8, 0.8, 0.8), extent_mm=((-12, 12), (-12, 12), (-12, 12)))
    mask = rasterise(grid, band.signed, soft=False)
    empty = np.zeros(grid.shape, dtype=np.int32)
    m = thickness(Study(grid.affine, grid.shape, None, empty, empty), mask, soft=False)
    assert m.value is not None and m.low is not None and m.high is not None
    assert m.low <= true_mm <= m.high
    assert abs(m.value - true_mm) <= 0.8


def test_each_side_is_measured_at_its_level(measure: Callable[..., Any]) -> None:
    tube = Tube(area_mm2=110.0, tilt_deg=(10.0, 5.0))
    _, result = measure(tube, (0.8, 0.8, 0.8), lf_thickness_mm={"left": 2.4, "right": 5.2}, lf_angle_deg=30.0)
    sides = {s.side: s.lf_thickness for s in result.levels[0].sides}
    assert sides["left"].value == pytest.approx(2.4, abs=0.2)
    assert sides["right"].value == pytest.approx(5.2, abs=0.2)


def test_one_label_for_both_sides_is_split_at_the_midline(as_study: Callable[..., Any]) -> None:
    grid = make_grid((0.8, 0.8, 0.8))
    phantom = spine_phantom(grid, Tube(area_mm2=110.0), lf_thickness_mm={"left": 3.0, "right": 6.0})
    study = as_study(phantom, grid)
    study.flavum_either = study.flavum_left + study.flavum_right
    study.flavum_left = study.flavum_right = None
    sides = {s.side: s.lf_thickness for s in measure_study(study, PROFILE).levels[0].sides}
    assert sides["left"].value == pytest.approx(3.0, abs=0.2)
    assert sides["right"].value == pytest.approx(6.0, abs=0.2)


def test_without_an_lf_label_only_a_flagged_proxy_is_reported(as_study: Callable[..., Any]) -> None:
    import numpy as np

    grid = make_grid((0.8, 0.8, 0.8))
    phantom = spine_phantom(grid, Tube(area_mm2=110.0), soft=False)
    study = as_study(phantom, grid)
    # a lamina-like posterior element 4 mm behind the sac on both sides
    a, _ = phantom.tube.semi_axes
    centres = grid.centres()
    posterior = ((centres[:, 1] < -(a + 4.0)) & (centres[:, 1] > -(a + 10.0))).reshape(grid.shape)
    study.posterior = posterior.astype(np.float32)
    level = measure_study(study, PROFILE).levels[0]
    for side in level.sides:
        assert side.lf_thickness.value is None
        assert "no ligamentum flavum label" in (side.lf_thickness.reason or "")
        assert side.proxy_gap is not None and side.proxy_gap.proxy
        assert side.proxy_gap.method == PROXY_METHOD
        assert side.proxy_gap.value is not None and side.proxy_gap.value > 0
