"""Every rendering speaks the clinician's language (issue 17): no field paths, no truncated reasons.

Checks the terminal view, Markdown, the printable report (the PDF's HTML), the web result page and the CDS
card details for every example, and asserts specific clinical sentences for specific examples.
"""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from lss_pathway.api.cards import CardContext, OrderTarget, order_cards, patient_view_cards
from lss_pathway.api.settings import ServiceSettings
from lss_pathway.assess import Assessment, assess
from lss_pathway.criteria.candidacy import Verdict
from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.parsing import parse_record
from lss_pathway.domain.record import PatientRecord
from lss_pathway.report.cells import reason
from lss_pathway.report.html import render_report_html
from lss_pathway.report.markdown import render_markdown
from lss_pathway.report.terminal import render_assessment
from lss_pathway.server.app import create_app
from lss_pathway.web.form import record_to_form

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NAMES = sorted(p.stem for p in EXAMPLES.glob("*.yaml"))
# A field path: a record section, a dot and a field name (a sentence's "patient. The" has a space).
RAW_PATH = re.compile(
    r"\b(?:symptoms|red_flags|exam|safety|conservative_care|prior_procedures|imaging|patient|procedure|"
    r"baseline|coverage|level|side|cauda_equina)(?:\[[^\]]*\])?\.[a-z_]+"
)
TRUNCATED = ("(+", "more)", "…")


def _record(name: str) -> PatientRecord:
    return parse_record((EXAMPLES / f"{name}.yaml").read_text(), "yaml")


@cache
def _assessment(name: str) -> Assessment:
    return assess(_record(name))


class _Text(HTMLParser):
    """The text a reader sees: no tags, no attributes (the field path on hover lives in an attribute)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.skip += tag in ("style", "script")

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in ("style", "script")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def _visible(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def _terminal(a: Assessment) -> str:
    console = Console(width=200, record=True, color_system=None)
    console.print(render_assessment(a))
    return console.export_text()


def _cards(a: Assessment) -> str:
    ctx = CardContext(a.rules.ref)
    targets = [OrderTarget(level, side) for level in Level for side in Side]
    cards = patient_view_cards(a, ctx) + order_cards(a, targets, ctx, "order-select")
    return "\n".join(f"{c['summary']}\n{c['detail']}" for c in cards)


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(ServiceSettings(examples_dir=str(EXAMPLES))))


def _web_page(client: TestClient, name: str) -> str:
    response = client.post("/assess", data=dict(record_to_form(_record(name))))
    assert response.status_code == 200
    return _visible(response.text)


def _clean(text: str, where: str) -> None:
    paths = sorted(set(RAW_PATH.findall(text)))
    assert not paths, f"{where} shows field paths: {paths}"
    for mark in TRUNCATED:
        assert mark not in text, f"{where} shows a truncated reason ({mark!r})"


@pytest.mark.parametrize("name", NAMES)
def test_no_rendering_shows_a_field_path_or_a_truncated_reason(client: TestClient, name: str) -> None:
    a = _assessment(name)
    _clean(_terminal(a), "terminal")
    _clean(render_markdown(a), "Markdown")
    _clean(_visible(render_report_html(a, figure=False)), "printable report (PDF)")
    _clean(_web_page(client, name), "web page")
    _clean(_cards(a), "CDS cards")


@pytest.mark.parametrize("ruleset", ["mild-trial", "cms-ncd-150.13"])
@pytest.mark.parametrize("name", NAMES)
def test_other_rule_sets_are_worded_too(name: str, ruleset: str) -> None:
    _clean(render_markdown(assess(_record(name), ruleset)), f"Markdown under {ruleset}")


def _reason(name: str, level: Level, side: Side) -> str:
    a = _assessment(name)
    return reason(a.candidacy.cell(level, side), a.rules, a.record)


def test_a_level_without_stenosis_gives_the_area_and_grade() -> None:
    assert _reason("01-bilateral-l45-candidate", Level.L3_L4, Side.LEFT).startswith(
        "no central stenosis (dural sac area 132 mm², not below 100 mm²; central stenosis grade none)"
    )


def test_thin_ligamentum_flavum_is_stated_against_the_threshold() -> None:
    assert _reason("02-unilateral-left-l45-candidate", Level.L4_L5, Side.RIGHT) == (
        "no LF hypertrophy on this side (LF hypertrophy not reported; LF 2 mm, not more than 4 mm)"
    )


def test_slip_instability_foramen_shelf_and_drugs_give_their_values() -> None:
    assert _reason("04-grade2-spondylolisthesis-l45", Level.L4_L5, Side.LEFT) == (
        "spondylolisthesis grade II or higher (Meyerding grade 2, above 1; slip 35%, above 25%)"
    )
    assert _reason("05-dynamic-instability-l45", Level.L4_L5, Side.LEFT) == (
        "unstable on flexion-extension (translation 5 mm, not below 4 mm)"
    )
    assert _reason("11-severe-foraminal-right-l45", Level.L4_L5, Side.RIGHT) == (
        "severe foraminal stenosis (foraminal stenosis severe)"
    )
    assert _reason("13-no-laminar-shelf-left-l45", Level.L4_L5, Side.LEFT) == "no laminar shelf"
    assert "clopidogrel" in _reason("08-clopidogrel-cannot-be-held", Level.L4_L5, Side.LEFT)


def test_unreported_levels_are_one_line_in_every_rendering(client: TestClient) -> None:
    line = "L1-L2 and L2-L3 not described in the MRI report"
    a = _assessment("01-bilateral-l45-candidate")
    assert _terminal(a).count(line) == 2  # under the grid and in the facts to document
    markdown = render_markdown(a)
    assert f"{line}." in markdown and f"- [ ] {line}" in markdown
    assert "| L1-L2 |" not in markdown, "no undetermined row per side for a level the report leaves out"
    assert line in _visible(render_report_html(a, figure=False))
    assert line in _web_page(client, "01-bilateral-l45-candidate")
    assert line in _cards(a)
    assert "No lumbar level described in the imaging report" in render_markdown(
        _assessment("10-imaging-missing")
    )


def _undetermined_record() -> PatientRecord:
    """Example 01 with the L4-L5 left ligamentum flavum and the flexion-extension readings left out."""
    data = _record("01-bilateral-l45-candidate").model_dump(mode="json", exclude_none=True)
    for level in data["imaging"]["levels"]:
        if level["level"] == "L4-L5":
            level.pop("instability", None)
            level.pop("translation_mm", None)
            for side in level["sides"]:
                if side["side"] == "left":
                    side.pop("lf_thickness_mm", None)
                    side.pop("lf_hypertrophy", None)
    return PatientRecord.model_validate(data)


def test_an_undetermined_cell_names_what_would_decide_it_in_clinical_words() -> None:
    a = assess(_undetermined_record())
    cell = a.candidacy.cell(Level.L4_L5, Side.LEFT)
    assert cell.verdict is Verdict.UNDETERMINED
    assert reason(cell, a.rules, a.record) == (
        "to decide, document flexion-extension films or dynamic translation; ligamentum flavum hypertrophy "
        "or ligamentum flavum thickness"
    )
    markdown = render_markdown(a)
    assert "**Flexion-extension films**" in markdown
    assert (
        "- [ ] Flexion-extension films at L4-L5: stable or unstable; needed to rule out instability"
        in markdown
    )
    lf_item = "- [ ] Ligamentum flavum thickness at L4-L5 left: measure, or take from the MRI report (mm)"
    assert lf_item in markdown
    assert "**Imaging report**" in markdown
    _clean(markdown, "Markdown")


def test_the_json_keeps_the_field_paths_for_integrators() -> None:
    data = assess(_undetermined_record()).to_dict()
    assert "imaging.levels[L4-L5].sides[left].lf_thickness_mm" in data["missing_facts"]


def test_the_web_page_keeps_the_path_on_hover(client: TestClient) -> None:
    data = dict(record_to_form(_undetermined_record()))
    html = client.post("/assess", data=data).text
    path = re.escape("imaging.levels[L4-L5].sides[left].lf_thickness_mm")
    hover = re.search(f'title="record field: [^"]*{path}', html)
    assert hover is not None
