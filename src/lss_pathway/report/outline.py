"""The canal outline figure: each level's narrowest section, resliced perpendicular to the canal, with its
measured area, so a reader sees the shape behind the number on the canal-area plot.

Drawn from plain data (the imaging edge fills :class:`CanalOutline`), in the style and under the lock of
:mod:`lss_pathway.report.figure`: text stays text, and the same outlines give byte-identical SVG.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lss_pathway.report.figure import _CANAL, _INK, _MUTED, _SMALL, svg_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

SCALE_BAR_MM = 5.0
MAX_PANELS = 6


@dataclass(frozen=True)
class CanalOutline:
    level: str
    area_mm2: float
    low: float | None
    high: float | None
    method: str
    occupancy: Any  # 2-D mask fractions; rows anterior, columns towards the patient's left
    step_mm: float

    def area_text(self) -> str:
        interval = "" if self.low is None or self.high is None else f" [{self.low:.1f}, {self.high:.1f}]"
        return f"{self.area_mm2:.1f} mm²{interval}"


def outline_caption(outlines: Sequence[CanalOutline]) -> str:
    """One sentence carrying every level's area: the alt text and caption."""
    if not outlines:
        return "No canal section was measured, so there is no outline to draw."
    areas = "; ".join(f"{o.level} {o.area_text()}" for o in outlines)
    methods = sorted({o.method for o in outlines})
    return (
        f"Dural sac outline at each level's narrowest section, resliced perpendicular to the canal "
        f"centreline (anterior up, patient's left to the right), with the area measured there: {areas} "
        f"(interval in brackets; method: {', '.join(methods)})."
    )


def _panel(ax: Axes, outline: CanalOutline) -> None:
    import numpy as np

    occupancy = np.asarray(outline.occupancy, dtype=np.float64)
    rows, cols = occupancy.shape
    u = (np.arange(rows) - (rows - 1) / 2) * outline.step_mm
    v = (np.arange(cols) - (cols - 1) / 2) * outline.step_mm
    ax.contourf(v, u, occupancy, levels=[0.5, 1.5], colors=[_CANAL])
    ax.contour(v, u, occupancy, levels=[0.5], colors=[_INK], linewidths=0.8)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color(_MUTED)
        spine.set_linewidth(0.5)
    ax.set_title(outline.level, fontweight="bold")
    ax.set_xlabel(outline.area_text(), fontsize=_SMALL)
    left, bottom = v[0] + 0.08 * (v[-1] - v[0]), u[0] + 0.08 * (u[-1] - u[0])
    ax.plot([left, left + SCALE_BAR_MM], [bottom, bottom], color=_INK, linewidth=1.2)
    ax.text(left + SCALE_BAR_MM / 2, bottom, f"{SCALE_BAR_MM:g} mm", ha="center", va="bottom", fontsize=6.5)
    ax.text(0.5, 0.98, "A", transform=ax.transAxes, ha="center", va="top", fontsize=6.5, color=_MUTED)
    ax.text(0.98, 0.5, "L", transform=ax.transAxes, ha="right", va="center", fontsize=6.5, color=_MUTED)


def _draw(outlines: Sequence[CanalOutline]) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    shown = list(outlines)[:MAX_PANELS]
    if not shown:
        fig = Figure(figsize=(7.2, 0.8))
        fig.text(0.5, 0.5, "No canal section measured: no outline to draw", ha="center", color=_MUTED)
        return fig
    fig = Figure(figsize=(7.2, 1.9), layout=ConstrainedLayoutEngine(w_pad=0.03, h_pad=0.03, wspace=0.04))
    axes = fig.subplots(1, MAX_PANELS if len(shown) > 3 else len(shown), squeeze=False)[0]
    for ax, outline in zip(axes, shown, strict=False):
        _panel(ax, outline)
    for ax in axes[len(shown) :]:
        ax.set_visible(False)
    return fig


def outline_figure_svg(outlines: Sequence[CanalOutline]) -> str:
    """Standalone SVG: text as text, no date, fixed ids, so the same outlines give the same bytes."""
    return svg_text(lambda: _draw(outlines), "Canal outline per level", outline_caption(outlines))
