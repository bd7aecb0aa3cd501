"""Benchmark: the printable report for one patient (examples/01), step by step.

Median and p95 over repeats of: the HTML result page's view (no figure), the figure (matplotlib SVG),
the whole report HTML, and the PDF (WeasyPrint). The clinician waits for the PDF after a click, so the
figure to watch is the last one. Run: ``make bench-report`` or ``python benchmarks/bench_report.py``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from lss_pathway.assess import assess
from lss_pathway.domain.parsing import parse_record
from lss_pathway.report.figure import stenosis_figure_svg
from lss_pathway.report.html import render_report_html
from lss_pathway.report.pdf import html_to_pdf
from lss_pathway.report.view import report_view

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "01-bilateral-l45-candidate.yaml"


def _time(step: Callable[[], object], repeats: int) -> tuple[float, float]:
    step()  # warm up: imports, template compilation, font discovery
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    a = assess(parse_record(EXAMPLE.read_text(), "yaml"))
    html = render_report_html(a)
    steps: list[tuple[str, Callable[[], object]]] = [
        ("view (grid, reasons, to-do)", lambda: report_view(a)),
        ("figure (SVG)", lambda: stenosis_figure_svg(a)),
        ("report HTML incl. figure", lambda: render_report_html(a)),
        ("PDF from HTML", lambda: html_to_pdf(html)),
    ]
    print(f"report benchmark, {EXAMPLE.name}, {args.repeats} repeats")
    for name, step in steps:
        median, p95 = _time(step, args.repeats if "PDF" not in name else max(5, args.repeats // 3))
        print(f"  {name:<30} median {median:8.2f} ms   p95 {p95:8.2f} ms")


if __name__ == "__main__":
    main()
