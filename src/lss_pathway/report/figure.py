"""The report's imaging figure: canal area and ligamentum flavum thickness per level, against thresholds.

The thresholds are data, not constants: the dural sac bands come from the clinical reference and the LF
cut-offs from whatever comparisons the assessment's rule set makes on ``side.lf_thickness_mm``, so the
figure shows exactly the numbers the verdicts were decided with. The SVG keeps text as text (searchable
once WeasyPrint has made the PDF) and is byte-identical for the same assessment.
"""

from __future__ import annotations

import io
import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lss_pathway.assess import Assessment
from lss_pathway.clinical.reference import reference, source
from lss_pathway.criteria.expressions import OPS
from lss_pathway.criteria.ruleset import RuleSet, Verification
from lss_pathway.criteria.thresholds import fact_thresholds
from lss_pathway.domain.anatomy import LEVELS, SIDES

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

LF_FACT = "side.lf_thickness_mm"
NO_IMAGING = "No imaging measurements recorded"

# Okabe-Ito colours: distinct for the common colour-vision deficiencies, and of different lightness so
# that they still separate in greyscale; the right side is also hatched.
_INK = "#222222"
_MUTED = "#595959"
_GRID = "#d9d9d9"
_CANAL = "#56B4E9"
_SIDE_STYLE: dict[str, tuple[str, str | None]] = {"left": ("#0072B2", None), "right": ("#E69F00", "////")}
_AREA_LINES = (
    ("#000000", (0, (5, 2))),
    ("#B84A00", "-"),
    ("#000000", ":"),
)  # dark vermillion: visible in grey
_LF_LINES = ((0, (5, 2)), "-", (0, (1, 1.5)), "-.")

# Arial, Helvetica and Liberation Sans share metrics, so the layout measured here holds in whichever of
# them the browser or WeasyPrint picks; DejaVu Sans is the installed last resort. The whole list is written
# into the SVG, so matplotlib and the renderer resolve the same font on the same machine.
_RC: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "lss-pathway-figure",
    "svg.id": None,
    "font.family": "sans-serif",
    "font.sans-serif": ["Arial", "Helvetica", "Liberation Sans", "DejaVu Sans"],
    "font.size": 9,
    "axes.titlesize": 9.5,
    "axes.labelsize": 8.5,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "hatch.linewidth": 0.6,
    "hatch.color": _INK,
    "axes.edgecolor": _MUTED,
    "xtick.color": _INK,
    "ytick.color": _INK,
    "text.color": _INK,
}
_SMALL = 7.5
# rcParams are process-global and matplotlib is not thread-safe; one figure is drawn at a time.
_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class Threshold:
    """One horizontal line; ``source`` is a short citation and ``verification`` its tag (V, P, R, U)."""

    value: float
    label: str
    source: str
    verification: str


@dataclass(frozen=True, slots=True)
class FigureData:
    levels: tuple[str, ...]
    canal_area_mm2: tuple[float | None, ...]
    lf_thickness_mm: dict[str, tuple[float | None, ...]]  # side value -> per level
    area_thresholds: tuple[Threshold, ...]
    lf_thresholds: tuple[Threshold, ...]

    @property
    def empty(self) -> bool:
        """Nothing measured at all: the report then leaves the figure out instead of plotting blanks."""
        values = [*self.canal_area_mm2, *(v for series in self.lf_thickness_mm.values() for v in series)]
        return all(v is None for v in values)


# --- data -------------------------------------------------------------------------------------------------


def figure_data(assessment: Assessment) -> FigureData:
    """What the figure plots, kept apart from drawing so it can be tested and captioned without matplotlib."""
    imaging = assessment.record.imaging
    areas: list[float | None] = []
    lf: dict[str, list[float | None]] = {side.value: [] for side in SIDES}
    for level in LEVELS:
        found = imaging.level(level)
        areas.append(None if found is None else found.canal_area_mm2)
        for side in SIDES:
            cell = None if found is None else found.side(side)
            lf[side.value].append(None if cell is None else cell.lf_thickness_mm)
    return FigureData(
        levels=tuple(level.value for level in LEVELS),
        canal_area_mm2=tuple(areas),
        lf_thickness_mm={side: tuple(values) for side, values in lf.items()},
        area_thresholds=area_thresholds(),
        lf_thresholds=lf_thresholds(assessment.rules),
    )


def short_citation(citation: str) -> str:
    """Author and journal, without the finding that follows the first ': ' in the stored citations."""
    return citation.split(": ", 1)[0].strip()


def area_thresholds() -> tuple[Threshold, ...]:
    """Every ``<meaning>_below_mm2`` band of the reference, in its order (relative 100, absolute 75)."""
    found = []
    for key, band in reference()["stenosis"].items():
        if not key.endswith("_below_mm2"):
            continue
        value = float(band["value"])
        meaning = key.removesuffix("_below_mm2").replace("_", " ")
        found.append(
            Threshold(
                value=value,
                label=f"{meaning} stenosis < {value:g} mm²",
                source=short_citation(source(band["source"])["citation"]),
                verification=str(band["verification"]),
            )
        )
    return tuple(found)


def lf_thresholds(rules: RuleSet) -> tuple[Threshold, ...]:
    """The distinct LF cut-offs the rule set tests, found by walking its criteria (names are not assumed).

    Each is labelled with the requirement for candidacy (a ``not`` flips the operator) and the rule set's
    ref, since the same patient is judged against different cut-offs by different rule sets.
    """
    found = []
    for t in fact_thresholds(rules, LF_FACT):
        cited = rules.sources.get(t.source)
        found.append(
            Threshold(
                value=t.value,
                label=f"{rules.ref}: {OPS[t.op]} {t.value:g} mm",
                source=short_citation(cited.citation) if cited is not None else t.source,
                verification=t.verification.value,
            )
        )
    return tuple(found)


# --- caption ----------------------------------------------------------------------------------------------


def _tag(verification: str) -> str:
    try:
        return f"[{verification}] {Verification(verification).label}"
    except ValueError:
        return f"[{verification}]"


def _cited(t: Threshold) -> str:
    return f"{t.label} ({t.source}; {_tag(t.verification)})"


def _unmeasured(levels: Sequence[str]) -> str:
    return f"; not measured at {', '.join(levels)}" if levels else ""


def figure_caption(data: FigureData) -> str:
    """Two sentences that carry the plotted values and the thresholds' sources: the alt text and caption."""
    if data.empty:
        return f"{NO_IMAGING}: there is no canal area or ligamentum flavum thickness to plot."
    areas = [f"{lv} {v:g}" for lv, v in zip(data.levels, data.canal_area_mm2, strict=True) if v is not None]
    area_text = f"{', '.join(areas)} mm²" if areas else "none measured"
    area_missing = [lv for lv, v in zip(data.levels, data.canal_area_mm2, strict=True) if v is None]
    if areas:
        area_text += _unmeasured(area_missing)
    bands = " and ".join(_cited(t) for t in data.area_thresholds)
    first = f"Dural sac cross-sectional area per level ({area_text}) against {bands}."

    sides = list(data.lf_thickness_mm)
    pairs, lf_missing = [], []
    for i, level in enumerate(data.levels):
        values = [data.lf_thickness_mm[s][i] for s in sides]
        if all(v is None for v in values):
            lf_missing.append(level)
        elif any(v is None for v in values):  # words, not "n/m": the caption is also the alt text
            known = [f"{s} {v:g}" for s, v in zip(sides, values, strict=True) if v is not None]
            unknown = [s for s, v in zip(sides, values, strict=True) if v is None]
            pairs.append(f"{level} {', '.join(known)} ({', '.join(unknown)} not measured)")
        else:
            pairs.append(f"{level} {'/'.join(f'{v:g}' for v in values)}")
    lf_text = f"{', '.join(pairs)} mm" + _unmeasured(lf_missing) if pairs else "none measured"
    if data.lf_thresholds:
        against = "against " + " and ".join(_cited(t) for t in data.lf_thresholds)
    else:
        against = "with no threshold line: the rule set has no ligamentum flavum thickness criterion"
    second = f"Ligamentum flavum thickness per level, {'/'.join(sides)} ({lf_text}), {against}."
    return f"{first} {second}"


# --- drawing ----------------------------------------------------------------------------------------------


@contextmanager
def _style() -> Iterator[None]:
    """The figure's rc settings, under the lock: rcParams are global and read while drawing and saving."""
    import matplotlib

    with _LOCK, matplotlib.rc_context(_RC):
        yield


def _frame(ax: Axes, data: FigureData, title: str, ylabel: str) -> None:
    ax.set_title(title, loc="left", fontweight="bold")
    ax.set_ylabel(ylabel)
    ax.set_xticks(range(len(data.levels)), data.levels)
    ax.set_xlim(-0.6, len(data.levels) - 0.4)
    ax.tick_params(axis="x", length=0)
    ax.grid(axis="y", color=_GRID, linewidth=0.5, zorder=0)
    ax.set_axisbelow(True)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)


def _value_label(ax: Axes, x: float, value: float) -> None:
    ax.annotate(
        f"{value:g}",
        (x, value),
        xytext=(0, 1.5),
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontsize=_SMALL,
        zorder=4,  # over a threshold line that crosses the number, which stays readable on white
        bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"},
    )


def _not_measured(ax: Axes, x: float, text: str = "not\nmeasured") -> None:
    """At the baseline, in axes height, so a missing value never reads as a zero-height bar."""
    ax.text(
        x,
        0.015,
        text,
        transform=ax.get_xaxis_transform(),
        ha="center",
        va="bottom",
        fontsize=_SMALL,
        color=_MUTED,
        style="italic",
        linespacing=1.0,
    )


def _legend(ax: Axes, handles: list[Artist], ncols: int) -> None:
    """Below the panel rather than over the bars, so it never hides a measurement."""
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.13),
        ncols=ncols,
        frameon=False,
        handlelength=2.2,
        columnspacing=1.2,
        borderaxespad=0,
    )


def _top(values: Sequence[float | None], thresholds: Sequence[Threshold], floor: float) -> float:
    """Headroom above the tallest bar or line for its value label."""
    known = [v for v in values if v is not None] + [t.value for t in thresholds]
    return max([floor, *known]) * 1.16


def _canal_panel(ax: Axes, data: FigureData) -> None:
    _frame(ax, data, "Dural sac cross-sectional area", "Area (mm²)")
    for x, value in enumerate(data.canal_area_mm2):
        if value is None:
            _not_measured(ax, x)
            continue
        ax.bar(x, value, width=0.6, color=_CANAL, edgecolor=_INK, linewidth=0.6, zorder=2)
        _value_label(ax, x, value)
    lines: list[Artist] = [
        ax.axhline(t.value, color=color, linestyle=dashes, linewidth=1.4, zorder=3, label=t.label)
        for (color, dashes), t in zip(itertools.cycle(_AREA_LINES), data.area_thresholds)
    ]
    ax.set_ylim(0, _top(data.canal_area_mm2, data.area_thresholds, 1.0))
    _legend(ax, lines, ncols=1)


def _lf_panel(ax: Axes, data: FigureData, ruleset_ref: str) -> None:
    _frame(ax, data, "Ligamentum flavum thickness", "Thickness (mm)")
    sides = list(data.lf_thickness_mm)
    width = 0.8 / max(len(sides), 1)
    one_side_missing = False
    for i in range(len(data.levels)):
        values = [data.lf_thickness_mm[s][i] for s in sides]
        if all(v is None for v in values):
            _not_measured(ax, i)
            continue
        for k, (side, value) in enumerate(zip(sides, values, strict=True)):
            x = i + (k - (len(sides) - 1) / 2) * width
            if value is None:
                _not_measured(ax, x, "n/m")
                one_side_missing = True
                continue
            color, hatch = _SIDE_STYLE.get(side, (_CANAL, None))
            ax.bar(
                x,
                value,
                width=width * 0.92,
                color=color,
                hatch=hatch,
                edgecolor=_INK,
                linewidth=0.6,
                zorder=2,
            )
            _value_label(ax, x, value)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Artist] = [
        Patch(
            facecolor=_SIDE_STYLE.get(s, (_CANAL, None))[0],
            hatch=_SIDE_STYLE.get(s, (_CANAL, None))[1],
            edgecolor=_INK,
            linewidth=0.6,
            label=s.capitalize(),
        )
        for s in sides
    ]
    for dashes, t in zip(itertools.cycle(_LF_LINES), data.lf_thresholds):
        handles.append(
            ax.axhline(t.value, color="#000000", linestyle=dashes, linewidth=1.4, zorder=3, label=t.label)
        )
    if one_side_missing:
        handles.append(Line2D([], [], linestyle="none", label="n/m: not measured"))
    lf_values = [v for series in data.lf_thickness_mm.values() for v in series]
    headroom = 1.0 if data.lf_thresholds else 1.3  # room for the message at the top
    ax.set_ylim(0, _top(lf_values, data.lf_thresholds, 1.0) * headroom)
    if not data.lf_thresholds:
        ax.text(
            0.5,
            0.97,
            f"{ruleset_ref} has no ligamentum flavum\nthickness threshold to draw",
            transform=ax.transAxes,
            ha="center",
            va="top",
            fontsize=_SMALL,
            color=_MUTED,
            style="italic",
        )
    _legend(ax, handles, ncols=len(sides))


def _draw(data: FigureData, ruleset_ref: str) -> Figure:
    """Build the figure; call inside ``_style()`` so that fonts and sizes are the figure's own."""
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    if data.empty:
        fig = Figure(figsize=(7.2, 0.8))
        fig.text(0.5, 0.5, f"{NO_IMAGING}: nothing to plot", ha="center", va="center", color=_MUTED)
        return fig
    fig = Figure(figsize=(7.2, 3.0), layout=ConstrainedLayoutEngine(w_pad=0.04, h_pad=0.04, wspace=0.06))
    canal, lf = fig.subplots(1, 2)
    _canal_panel(canal, data)
    _lf_panel(lf, data, ruleset_ref)
    return fig


_CACHE: OrderedDict[tuple[object, ...], str] = OrderedDict()
_CACHE_SIZE = 64
_CACHE_LOCK = threading.Lock()


def stenosis_figure_svg(assessment: Assessment, *, cached: bool = True) -> str:
    """The figure as standalone SVG text: text kept as text, no date, fixed ids, so reruns are identical.

    Drawing takes ~0.1 s, and the result page, its printable report and its PDF draw the same figure, so
    recent drawings are kept, keyed by everything that is drawn.
    """
    data = figure_data(assessment)
    ref = assessment.rules.ref
    if not cached:
        return _render_svg(data, ref)
    lf = tuple(sorted(data.lf_thickness_mm.items()))
    key = (ref, data.levels, data.canal_area_mm2, lf, data.area_thresholds, data.lf_thresholds)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    svg = _render_svg(data, ref)
    with _CACHE_LOCK:
        _CACHE[key] = svg
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return svg


def _render_svg(data: FigureData, ref: str) -> str:
    return svg_text(lambda: _draw(data, ref), "Imaging measurements per level", figure_caption(data))


def svg_text(draw: Callable[[], Figure], title: str, description: str) -> str:
    """Draw in the figures' style and save as SVG with no date, so the same drawing gives the same bytes."""
    out = io.StringIO()
    with _style():
        draw().savefig(out, format="svg", metadata={"Date": None, "Title": title, "Description": description})
    return out.getvalue()
