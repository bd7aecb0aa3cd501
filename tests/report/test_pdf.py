"""The printable report as HTML and PDF: self-contained, on A4 and Letter, with the expected text.

PDF text is read back with poppler's pdftotext and pdfinfo (installed by ``make test``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lss_pathway.assess import Assessment, assess
from lss_pathway.domain.parsing import parse_record
from lss_pathway.report.html import render_report_html
from lss_pathway.report.paper import Paper
from lss_pathway.report.pdf import ExternalResourceRefused, html_to_pdf, render_report_pdf

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# Page sizes in PostScript points, from ISO 216 (210 x 297 mm) and ANSI letter (8.5 x 11 in).
PAGE_POINTS = {Paper.A4: (595.3, 841.9), Paper.LETTER: (612.0, 792.0)}


def _assessment(name: str, ruleset: str = "textbook") -> Assessment:
    return assess(parse_record((EXAMPLES / f"{name}.yaml").read_text(), "yaml"), ruleset)


def _poppler(tool: str, pdf: Path, *args: str) -> str:
    assert shutil.which(tool), f"{tool} is missing: run `make test`, which installs poppler-utils"
    command = [tool, *args, str(pdf), "-"] if tool == "pdftotext" else [tool, str(pdf)]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def candidate_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    path.write_bytes(render_report_pdf(_assessment("01-bilateral-l45-candidate"), Paper.A4))
    return path


def test_html_report_is_self_contained() -> None:
    html = render_report_html(_assessment("01-bilateral-l45-candidate"))
    assert not re.search(r"""(?:src|href)=["'](?!data:|#)""", html), "the report must not fetch anything"
    assert '<img src="data:image/svg+xml;base64,' in html


def test_html_report_states_rule_set_version_sources_and_disclaimer() -> None:
    a = _assessment("01-bilateral-l45-candidate", "mild-trial")
    html = render_report_html(a)
    assert f"<strong>{a.rules.id}</strong>, version <strong>{a.rules.version}</strong>" in html
    for source in a.rules.sources.values():
        if source.url in html:
            break
    else:
        pytest.fail("no source of the rule set is listed")
    assert "the decision rests with the treating clinician" in html


def test_pdf_pages_and_text(candidate_pdf: Path) -> None:
    info = _poppler("pdfinfo", candidate_pdf)
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    assert re.search(r"Tagged:\s+yes", info), "the PDF carries its structure for screen readers (PDF/UA)"
    assert re.search(r"Title:\s+LSS assessment: 01-bilateral-l45-candidate", info)
    assert 2 <= pages <= 8
    first = _poppler("pdftotext", candidate_pdf, "-f", "1", "-l", "1")
    assert "LSS assessment: 01-bilateral-l45-candidate" in first
    assert first.index("Red flags") < first.index("mild candidacy by level and side")
    assert f"page 1 of {pages}" in first
    text = _poppler("pdftotext", candidate_pdf)
    for expected in (
        "L4-L5",
        "candidate",
        "Facts to document",
        "Still to confirm, before or during the procedure",
        "Recommended next steps",
        "Rule set and sources",
        "textbook",
        "1.2.0",
        "the decision rests with the treating clinician",
    ):
        assert expected in text
    last = _poppler("pdftotext", candidate_pdf, "-f", str(pages), "-l", str(pages))
    assert "the decision rests with the treating clinician" in last


def test_the_figure_text_survives_into_the_pdf(candidate_pdf: Path) -> None:
    text = _poppler("pdftotext", candidate_pdf)
    assert "mm²" in text or "mm2" in text
    assert "100" in text and "75" in text


@pytest.mark.parametrize("paper", list(Paper))
def test_pdf_page_size(paper: Paper, tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(render_report_pdf(_assessment("02-unilateral-left-l45-candidate"), paper))
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", _poppler("pdfinfo", path))
    assert size is not None
    width, height = float(size.group(1)), float(size.group(2))
    assert (width, height) == pytest.approx(PAGE_POINTS[paper], abs=0.5)


def test_red_flags_lead_the_pdf(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(render_report_pdf(_assessment("09-cauda-equina-red-flags")))
    first = _poppler("pdftotext", path, "-f", "1", "-l", "1")
    assert re.search(r"Red flags: \d+ present", first)
    assert "PRESENT" in first.upper()


def test_pdf_rendering_refuses_external_resources() -> None:
    with pytest.raises(ExternalResourceRefused):
        html_to_pdf('<p>x</p><img src="http://198.51.100.1/tracker.png">')
    with pytest.raises(ExternalResourceRefused):
        html_to_pdf('<link rel="stylesheet" href="file:///etc/passwd">')
