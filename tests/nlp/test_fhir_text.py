"""Report text from FHIR DiagnosticReport and DocumentReference resources (plain JSON)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lss_pathway.cli import app
from lss_pathway.nlp.fhir_text import extract_fhir, report_texts

TEXT = "MRI LUMBAR SPINE\nFINDINGS:\nL4-5: Severe central canal stenosis.\n"


def attachment(text: str, content_type: str = "text/plain") -> dict[str, str]:
    return {"contentType": content_type, "data": base64.b64encode(text.encode()).decode()}


def test_diagnostic_report_presented_form_is_read() -> None:
    resource = {"resourceType": "DiagnosticReport", "id": "r1", "presentedForm": [attachment(TEXT)]}
    extraction, reading = extract_fhir(resource)
    assert extraction is not None
    assert extraction.report_id == "DiagnosticReport/r1 presentedForm[0]"
    assert extraction.imaging.levels[0].central_stenosis == "severe"
    assert reading.skipped == ()


def test_document_reference_attachment_and_skipped_pdf() -> None:
    resource = {
        "resourceType": "DocumentReference",
        "id": "d1",
        "content": [{"attachment": attachment("%PDF", "application/pdf")}, {"attachment": attachment(TEXT)}],
    }
    reading = report_texts(resource)
    assert [t.source for t in reading.texts] == ["DocumentReference/d1 content[1].attachment"]
    assert "application/pdf" in reading.skipped[0]


def test_conclusion_is_read_as_an_impression_when_there_is_no_text() -> None:
    resource = {"resourceType": "DiagnosticReport", "conclusion": "Severe canal stenosis at L4-5."}
    extraction, _ = extract_fhir(resource)
    assert extraction is not None
    assert extraction.evidence["imaging.levels[L4-L5].central_stenosis"].span.section == "impression"


def test_other_resources_are_refused() -> None:
    with pytest.raises(ValueError, match="DiagnosticReport"):
        report_texts({"resourceType": "Observation"})


def test_cli_reads_a_fhir_json_file(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(
        json.dumps({"resourceType": "DiagnosticReport", "id": "x", "presentedForm": [attachment(TEXT)]})
    )
    result = CliRunner().invoke(app, ["extract", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["imaging"]["levels"][0]["central_stenosis"] == "severe"
