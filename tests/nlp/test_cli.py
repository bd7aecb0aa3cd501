"""``lss extract`` and ``lss assess --report`` on the example reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from lss_pathway.cli import app

REPORTS = Path(__file__).resolve().parents[2] / "examples" / "reports"
EXAMPLES = REPORTS.parent
runner = CliRunner()


@pytest.mark.parametrize("report", sorted(REPORTS.glob("*.txt")), ids=lambda p: p.name)
def test_extract_every_example_report(report: Path) -> None:
    result = runner.invoke(app, ["extract", str(report)])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["imaging"]["levels"], "each example report states findings"
    assert set(document["evidence"]) >= {"imaging.modality"}
    for evidence in document["evidence"].values():
        assert evidence["rule_id"] and evidence["span"]["sentence"]


def test_extract_yaml_reads_the_first_example() -> None:
    result = runner.invoke(app, ["extract", str(REPORTS / "01-mri-terse-l45-lf.txt"), "--format", "yaml"])
    assert result.exit_code == 0
    document = yaml.safe_load(result.stdout)
    l45 = next(lv for lv in document["imaging"]["levels"] if lv["level"] == "L4-L5")
    assert l45["central_stenosis"] == "severe"
    assert l45["canal_area_mm2"] == 58
    assert {s["side"]: s["foraminal_stenosis"] for s in l45["sides"]} == {"left": "mild", "right": "moderate"}


def test_extract_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["extract", str(tmp_path / "none.txt")])
    assert result.exit_code == 2
    assert "cannot be read" in result.stderr


def test_assess_with_report_fills_unknown_imaging() -> None:
    result = runner.invoke(
        app,
        [
            "assess",
            str(EXAMPLES / "10-imaging-missing.yaml"),
            "--report",
            str(REPORTS / "01-mri-terse-l45-lf.txt"),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    reading = document["report_reading"]
    assert reading["conflicts"] == []
    assert "imaging.levels[L4-L5].central_stenosis" in reading["filled_from_report"]
    stenosis = (
        {s["level"]: s for s in document["stenosis"]} if isinstance(document["stenosis"], list) else None
    )
    assert stenosis is None or "L4-L5" in stenosis


def test_assess_with_report_reports_conflicts_and_keeps_the_record() -> None:
    record = EXAMPLES / "01-bilateral-l45-candidate.yaml"
    result = runner.invoke(
        app, ["assess", str(record), "--report", str(REPORTS / "01-mri-terse-l45-lf.txt"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    conflicts = {c["path"]: c for c in json.loads(result.stdout)["report_reading"]["conflicts"]}
    area = conflicts["imaging.levels[L4-L5].canal_area_mm2"]
    assert area["record_value"] == 68 and area["report_value"] == 58
    assert "CONFLICT imaging.levels[L4-L5].canal_area_mm2" in result.stderr
