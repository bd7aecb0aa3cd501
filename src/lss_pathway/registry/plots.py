"""SVG plots for the registry pages: a Kaplan-Meier curve with its band, and a score over time.

Text stays text in the SVG; colours are Okabe-Ito, with line styles that also separate in grey.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

_RC: dict[RcKeyType, Any] = {"svg.fonttype": "none", "svg.hashsalt": "lss-registry", "font.size": 9}
_BLUE, _ORANGE, _INK = "#0072B2", "#E69F00", "#222222"


@contextmanager
def _axes() -> Iterator[tuple[Any, list[str]]]:
    """A fresh figure's axes, and a list that receives the SVG (text kept as text) when the block ends."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    svg: list[str] = []
    with matplotlib.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(5.2, 2.8))
        try:
            yield ax, svg
            ax.set_xlabel("days since procedure")
            buffer = io.StringIO()
            fig.savefig(buffer, format="svg", bbox_inches="tight")
            text = buffer.getvalue()
            svg.append(text[text.index("<svg") :])
        finally:
            plt.close(fig)


def km_svg(steps: Sequence[dict[str, Any]], title: str) -> str:
    """Step plot of survival with its 95% band, from the report's (already suppressed) steps."""
    with _axes() as (ax, svg):
        days = [0] + [s["day"] for s in steps]
        surv = [1.0] + [s["survival"] for s in steps]
        low = [1.0] + [s["ci95"][0] for s in steps]
        high = [1.0] + [s["ci95"][1] for s in steps]
        ax.fill_between(days, low, high, step="post", color=_BLUE, alpha=0.2, label="95% CI")
        ax.step(days, surv, where="post", color=_BLUE, label="Kaplan-Meier")
        ax.set_ylim(0, 1.02)
        ax.set_ylabel("proportion")
        ax.set_title(title)
        ax.legend(loc="lower left", frameon=False)
    return svg[0]


def trajectory_svg(
    rows: Sequence[dict[str, Any]], paths: dict[str, list[tuple[int, float]]] | None, label: str
) -> str:
    """Median with IQR per time point (cohort), and optionally one subject's own path."""
    with _axes() as (ax, svg):
        shown = [r for r in rows if r.get("median") is not None]
        if shown:
            days = [r["day"] for r in shown]
            ax.fill_between(
                days,
                [r["q1"] for r in shown],
                [r["q3"] for r in shown],
                color=_BLUE,
                alpha=0.2,
                label="cohort IQR",
            )
            ax.plot(days, [r["median"] for r in shown], color=_BLUE, marker="o", label="cohort median")
        for path in (paths or {}).values():
            ax.plot(
                [d for d, _ in path],
                [v for _, v in path],
                color=_ORANGE,
                linestyle="--",
                marker="s",
                label="this patient",
            )
        ax.set_ylabel(label)
        ax.legend(loc="upper right", frameon=False)
    return svg[0]
