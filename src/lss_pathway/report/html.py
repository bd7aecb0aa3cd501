"""The printable report as one self-contained HTML page (styles and figure inline, nothing fetched)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

from lss_pathway import __version__
from lss_pathway.assess import Assessment
from lss_pathway.report.paper import Paper
from lss_pathway.report.view import report_view

if TYPE_CHECKING:
    from lss_pathway.report.outline import CanalOutline


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def make_environment(*packages: str) -> Environment:
    """Templates from these packages' ``templates/`` (first match wins), autoescaped, strict on typos."""
    env = Environment(
        loader=ChoiceLoader([PackageLoader(package, "templates") for package in packages]),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["b64"] = b64
    return env


@cache
def environment() -> Environment:
    return make_environment("lss_pathway.report")


def figure_parts(a: Assessment) -> tuple[str | None, str | None]:
    """The SVG and its caption, or nothing when there is no imaging measurement to plot."""
    from lss_pathway.report.figure import figure_caption, figure_data, stenosis_figure_svg

    data = figure_data(a)
    if data.empty:
        return None, None
    return stenosis_figure_svg(a), figure_caption(data)


def render_report_html(
    a: Assessment,
    paper: Paper = Paper.A4,
    *,
    figure: bool = True,
    outlines: Sequence[CanalOutline] | None = None,
) -> str:
    """``outlines``: the canal sections measured from a segmentation, drawn beside the canal-area plot."""
    svg, caption = figure_parts(a) if figure else (None, None)
    outline_svg = outline_caption = None
    if outlines:
        from lss_pathway.report.outline import outline_caption as caption_of
        from lss_pathway.report.outline import outline_figure_svg

        outline_svg, outline_caption = outline_figure_svg(outlines), caption_of(outlines)
    return (
        environment()
        .get_template("report.html")
        .render(
            v=report_view(a),
            figure_svg=svg,
            figure_caption=caption,
            outline_svg=outline_svg,
            outline_caption=outline_caption,
            paper=paper.value,
            tool_version=__version__,
        )
    )
