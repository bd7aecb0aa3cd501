"""`lss report`: HTML to stdout or a file, PDF to a file, whole or not at all."""

from __future__ import annotations

import subprocess
from pathlib import Path

from typer.testing import CliRunner

from lss_pathway.cli import app

runner = CliRunner()


def test_report_html_to_stdout_names_rule_set_and_disclaimer(candidate_file: Path) -> None:
    result = runner.invoke(app, ["report", str(candidate_file), "--ruleset", "mild-trial"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert "mild-trial" in result.stdout
    assert "the decision rests with the treating clinician" in result.stdout


def test_report_writes_pdf_and_html(candidate_file: Path, tmp_path: Path) -> None:
    pdf, html = tmp_path / "out.pdf", tmp_path / "out.html"
    result = runner.invoke(app, ["report", str(candidate_file), "--pdf", str(pdf), "--html", str(html)])
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert "<!DOCTYPE html>" in html.read_text()
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Letter" not in info and "A4" in info
    result = runner.invoke(app, ["report", str(candidate_file), "--pdf", str(pdf), "--paper", "letter"])
    assert result.exit_code == 0, result.output
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "letter" in info.lower()
    assert not list(tmp_path.glob(".*.partial"))


def test_report_of_invalid_record_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("patient: {age_years: 12}\n")
    pdf = tmp_path / "out.pdf"
    result = runner.invoke(app, ["report", str(bad), "--pdf", str(pdf)])
    assert result.exit_code == 2
    assert "patient.age_years" in result.output
    assert not pdf.exists()


def test_report_to_an_unwritable_place_exits_2(candidate_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "out.pdf"
    result = runner.invoke(app, ["report", str(candidate_file), "--pdf", str(target)])
    assert result.exit_code == 2
    assert "cannot be written" in result.output


def test_serve_refuses_an_examples_path_that_is_not_a_directory(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--examples", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "not a directory of patient files" in result.output
