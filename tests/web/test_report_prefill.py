""" "Paste the MRI report" over HTTP: the form comes back with its imaging fields filled, each with its
sentence; typed values are kept; what the reader left unknown stays blank and is listed."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lss_pathway.api.settings import ServiceSettings
from lss_pathway.domain.parsing import parse_record
from lss_pathway.nlp import extract
from lss_pathway.server.app import create_app
from lss_pathway.web.form import FormValues, record_to_form
from lss_pathway.web.report_prefill import form_name, prefill

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# Written for this test: a terse per-level report with a hedged finding and a measured canal.
REPORT = """MRI LUMBAR SPINE WITHOUT CONTRAST
DATE: 2026-09-30

FINDINGS:
L3-4: Possible mild central canal stenosis.
L4-5: Severe central canal stenosis, dural sac area 62 mm2, with ligamentum flavum hypertrophy. \
Moderate right foraminal stenosis.

IMPRESSION:
Severe central canal stenosis at L4-5.
"""


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(ServiceSettings(examples_dir=str(EXAMPLES))))


def _form(name: str) -> FormValues:
    return record_to_form(parse_record((EXAMPLES / f"{name}.yaml").read_text(), "yaml"))


def _selected(html: str, name: str) -> str:
    """The value a select shows (blank when 'unknown' is selected)."""
    block = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S)
    assert block, name
    chosen = re.search(r'<option value="([^"]*)" selected', block.group(1))
    return chosen.group(1) if chosen else ""


def _input(html: str, name: str) -> str:
    found = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', html)
    assert found, name
    return found.group(1)


def _source(html: str, html_id: str) -> str:
    found = re.search(rf'<p class="report-source" id="{re.escape(html_id)}-source">(.*?)</p>', html, re.S)
    assert found, html_id
    return unescape(re.sub(r"<[^>]+>", "", found.group(1)))


def test_the_form_has_the_paste_box_with_its_own_button(client: TestClient) -> None:
    html = client.get("/").text
    assert '<textarea id="f-report-text" name="report_text"' in html
    assert 'formaction="/prefill#report-box"' in html
    assert '<label for="f-report-text">' in html


def test_pasting_a_report_fills_the_imaging_fields_each_with_its_sentence(client: TestClient) -> None:
    values = _form("10-imaging-missing")
    response = client.post("/prefill", data={**values, "report_text": REPORT})
    assert response.status_code == 200
    html = response.text
    assert _selected(html, "imaging.L4-L5.central_stenosis") == "severe"
    assert _input(html, "imaging.L4-L5.canal_area_mm2") == "62"
    assert _selected(html, "imaging.L4-L5.right.foraminal_stenosis") == "moderate"
    assert _selected(html, "imaging.modality") == "MRI"
    assert _input(html, "imaging.date") == "2026-09-30"
    source = _source(html, "f-imaging-L4-L5-central_stenosis")
    assert (
        source.startswith("From the report:")
        and "L4-5: Severe central canal stenosis, dural sac area 62 mm2" in source
    )
    # the sentence describes its control for screen readers
    assert 'aria-describedby="f-imaging-L4-L5-central_stenosis-source"' in html
    # the rest of the form is kept as it was posted
    assert _input(html, "patient.age_years") == "71"


def test_a_hedged_finding_stays_blank_and_is_listed(client: TestClient) -> None:
    html = client.post("/prefill", data={"report_text": REPORT}).text
    assert _selected(html, "imaging.L3-L4.central_stenosis") == ""
    summary = unescape(html[html.index('id="prefill-summary"') :])
    notes = summary[summary.index("The reader could not settle") : summary.index("Not found in the report")]
    assert "L3-L4" in notes and "Possible mild central canal stenosis" in notes
    blank = summary[
        summary.index("Not found in the report") : summary.index("</ul>", summary.index("Not found"))
    ]
    assert "<strong>L4-L5</strong>: AP diameter (mm), Schizas grade" in blank
    assert "Canal area" not in blank.split("<strong>L4-L5</strong>")[1].split("</li>")[0]


def test_a_value_already_entered_is_kept_and_the_report_shown_beside_it(client: TestClient) -> None:
    html = client.post(
        "/prefill", data={"imaging.L4-L5.central_stenosis": "moderate", "report_text": REPORT}
    ).text
    assert _selected(html, "imaging.L4-L5.central_stenosis") == "moderate"
    differs = re.search(
        r'<p class="report-differs" id="f-imaging-L4-L5-central_stenosis-report">(.*?)</p>', html, re.S
    )
    assert (
        differs and "The report says severe" in differs.group(1) and "your value is kept" in differs.group(1)
    )
    assert "1 value already entered differs from the report" in html


def test_the_textarea_comes_back_empty_and_the_report_is_shown_as_read(client: TestClient) -> None:
    html = client.post("/prefill", data={"report_text": REPORT}).text
    assert re.search(r'name="report_text"[^>]*></textarea>', html)
    assert "Severe central canal stenosis at L4-5." in unescape(
        html[html.index('<pre class="report-text">') :]
    )


def test_without_report_text_the_prefill_button_assesses_like_assess(client: TestClient) -> None:
    """Enter in a field submits with the form's first button (the paste box's): it must still assess."""
    values = _form("01-bilateral-l45-candidate")
    via_prefill = client.post("/prefill", data={**values, "report_text": "  "})
    via_assess = client.post("/assess", data=values)
    assert via_prefill.status_code == via_assess.status_code == 200
    assert "result" in via_prefill.text.lower()
    strip = re.compile(r'id="[^"]*"|uuid[^"]*')
    assert strip.sub("", via_prefill.text) == strip.sub("", via_assess.text)


def test_the_report_text_is_not_carried_into_the_assessment(client: TestClient) -> None:
    values = _form("01-bilateral-l45-candidate")
    response = client.post("/assess", data={**values, "report_text": REPORT})
    assert response.status_code == 200
    assert "report_text" not in response.text and "does not know" not in response.text


def test_form_names_of_record_paths() -> None:
    assert (
        form_name("imaging.levels[L4-L5].sides[left].foraminal_stenosis")
        == "imaging.L4-L5.left.foraminal_stenosis"
    )
    assert form_name("imaging.levels[L5-S1].meyerding_grade") == "imaging.L5-S1.meyerding_grade"
    assert form_name("imaging.modality") == "imaging.modality"
    assert form_name("patient.age_years") is None


def test_prefill_counts_what_it_filled_and_what_differs() -> None:
    found = prefill({"imaging.L4-L5.canal_area_mm2": "62.0"}, REPORT, extract)
    assert (
        "imaging.L4-L5.canal_area_mm2" not in found.filled
        and "imaging.L4-L5.canal_area_mm2" not in found.differs
    )
    assert found.filled["imaging.L4-L5.central_stenosis"].value == "severe"
    assert found.filled["imaging.L4-L5.central_stenosis"].section == "findings"
