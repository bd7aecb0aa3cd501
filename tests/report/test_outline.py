"""The canal outline figure: every level's area is in the SVG as text, and the same outlines give the
same bytes."""

from __future__ import annotations

import re

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("matplotlib")

from lss_pathway.report.outline import CanalOutline, outline_caption, outline_figure_svg  # noqa: E402


def _ellipse(a_mm: float, b_mm: float, step: float = 0.2, half: float = 12.0) -> object:
    axis = np.arange(-half, half + step / 2, step)
    u, v = np.meshgrid(axis, axis, indexing="ij")
    return ((u / a_mm) ** 2 + (v / b_mm) ** 2 <= 1.0).astype(np.float32)


def _outlines() -> list[CanalOutline]:
    return [
        CanalOutline("L3-L4", 131.9, 124.0, 139.8, "resliced perpendicular", _ellipse(5.6, 7.5), 0.2),
        CanalOutline("L4-L5", 72.4, 66.1, 78.7, "resliced perpendicular", _ellipse(4.0, 5.8), 0.2),
        CanalOutline("L5-S1", 98.0, None, None, "cosine-corrected axial", _ellipse(5.0, 6.2), 0.2),
    ]


def test_each_levels_area_is_text_in_the_svg() -> None:
    svg = outline_figure_svg(_outlines())
    texts = " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg))
    for level, area in (("L3-L4", "131.9 mm² [124.0, 139.8]"), ("L4-L5", "72.4 mm² [66.1, 78.7]")):
        assert level in texts and area in texts
    assert "98.0 mm²" in texts  # no interval: the area alone
    assert "<path" in svg  # the outlines themselves


def test_same_outlines_give_the_same_bytes_and_different_ones_do_not() -> None:
    first, second = outline_figure_svg(_outlines()), outline_figure_svg(_outlines())
    assert first == second
    changed = _outlines()
    changed[1] = CanalOutline("L4-L5", 72.5, 66.1, 78.7, "resliced perpendicular", _ellipse(4.0, 5.8), 0.2)
    assert outline_figure_svg(changed) != first


def test_the_caption_carries_every_area_and_the_method() -> None:
    caption = outline_caption(_outlines())
    assert "L4-L5 72.4 mm² [66.1, 78.7]" in caption and "L5-S1 98.0 mm²" in caption
    assert "cosine-corrected axial" in caption and "resliced perpendicular" in caption
    assert "no outline" in outline_caption([])
