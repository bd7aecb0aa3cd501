"""Benchmark: the printable report for one patient (examples/01), step by step, then whole requests.

Median and p95 over repeats of: the HTML result page's view (no figure), the figure (matplotlib SVG),
the whole report HTML, the PDF (WeasyPrint), and the clinic app's requests in-process (the form page,
submitting it for the result page, and the PDF download). What a clinician waits for after a click is
the last two. Run: ``make bench-report`` or ``python benchmarks/bench_report.py``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from lss_pathway.api.settings import ServiceSettings
from lss_pathway.assess import assess
from lss_pathway.domain.parsing import parse_record
from lss_pathway.report.figure import stenosis_figure_svg
from lss_pathway.report.html import render_report_html
from lss_pathway.report.pdf import html_to_pdf
from lss_pathway.report.view import report_view
from lss_pathway.server.app import create_app
from lss_pathway.web.form import record_to_form

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
    record = parse_record(EXAMPLE.read_text(), "yaml")
    a = assess(record)
    html = render_report_html(a)
    client = TestClient(create_app(ServiceSettings()))
    form = record_to_form(record)

    def post(path: str) -> None:
        response = client.post(path, data=form)
        assert response.status_code == 200, response.status_code

    fresh = iter(range(1, 10**6))

    def post_new_patient(path: str) -> None:
        """A measurement nobody submitted before, so the figure is drawn rather than reused."""
        changed = {**form, "imaging.L4-L5.canal_area_mm2": f"{68 + next(fresh) / 1000:.3f}"}
        response = client.post(path, data=changed)
        assert response.status_code == 200, response.status_code

    steps: list[tuple[str, Callable[[], object]]] = [
        ("view (grid, reasons, to-do)", lambda: report_view(a)),
        ("figure (SVG), drawn", lambda: stenosis_figure_svg(a, cached=False)),
        ("figure (SVG), same again", lambda: stenosis_figure_svg(a)),
        ("report HTML, figure reused", lambda: render_report_html(a)),
        ("PDF from HTML", lambda: html_to_pdf(html)),
        ("GET / (the form)", lambda: client.get("/")),
        ("POST /assess, new patient", lambda: post_new_patient("/assess")),
        ("POST /assess, same again", lambda: post("/assess")),
        ("POST /report.pdf after result", lambda: post("/report.pdf")),
    ]
    print(f"report benchmark, {EXAMPLE.name}, {args.repeats} repeats")
    for name, step in steps:
        median, p95 = _time(step, args.repeats if "PDF" not in name else max(5, args.repeats // 3))
        print(f"  {name:<32} median {median:8.2f} ms   p95 {p95:8.2f} ms")


if __name__ == "__main__":
    main()
