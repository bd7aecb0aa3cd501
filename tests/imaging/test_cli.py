"""``lss measure`` and ``lss assess --segmentation``: output, merging, conflicts and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from typer.testing import CliRunner

from lss_pathway.cli import app
from lss_pathway.imaging.phantom import Tube, make_grid, spine_phantom

runner = CliRunner()


@pytest.fixture(scope="module")
def segmentation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An L4-L5 phantom: canal 60 mm² (clearly below both bands), LF 5 mm left and 3 mm right."""
    grid = make_grid((0.8, 0.8, 0.8))
    phantom = spine_phantom(
        grid, Tube(area_mm2=60.0), soft=False, lf_thickness_mm={"left": 5.0, "right": 3.0}
    )
    path = tmp_path_factory.mktemp("seg") / "seg.nii.gz"
    nib.save(nib.Nifti1Image(phantom.labels.astype(np.int16), grid.affine), str(path))
    return path


def test_measure_demo_prints_every_level(monkeypatch: pytest.MonkeyPatch) -> None:
    result = runner.invoke(app, ["measure", "--demo", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [lv["name"] for lv in data["levels"]] == ["L3-L4", "L4-L5", "L5-S1"]
    for lv in data["levels"]:
        area = lv["canal_area_min"]
        assert area["low"] <= 95.0 <= area["high"]
        lf = {s["side"]: s["lf_thickness"]["value"] for s in lv["sides"]}
        assert lf["left"] == pytest.approx(3.0, abs=0.8) and lf["right"] == pytest.approx(5.0, abs=0.8)


def test_measure_table_with_a_ruleset_lists_the_record_facts(segmentation: Path) -> None:
    result = runner.invoke(app, ["measure", str(segmentation), "--profile", "manual", "-r", "mild-trial"])
    assert result.exit_code == 0, result.stderr
    assert "L4-L5" in result.stdout and "resliced perpendicular" in result.stdout
    assert "imaging.levels[L4-L5].canal_area_mm2: written" in result.stdout


def test_assess_merges_measurements_and_reports_a_conflict(segmentation: Path, tmp_path: Path) -> None:
    record = tmp_path / "patient.yaml"
    record.write_text(
        "imaging:\n  levels:\n    - level: L4-L5\n      canal_area_mm2: 140\n", encoding="utf-8"
    )
    result = runner.invoke(
        app, ["assess", str(record), "--segmentation", str(segmentation), "--profile", "manual", "-f", "json"]
    )
    assert result.exit_code == 0, result.stderr
    assert "conflict" in result.stderr and "disagrees with recorded 140" in result.stderr
    data = json.loads(result.stdout)
    (stenosis,) = [s for s in data["stenosis"] if s["level"] == "L4-L5"]
    assert stenosis["canal_area_mm2"] == 140  # the recorded value is kept, not the measured ~60
    assert "lf_thickness_mm" in result.stderr and "written" in result.stderr


def test_bad_profile_and_missing_file_are_input_errors(segmentation: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["measure", str(segmentation), "--profile", "nope"])
    assert result.exit_code == 2 and "unknown label profile 'nope'" in result.stderr
    result = runner.invoke(app, ["measure", str(tmp_path / "absent.nii.gz")])
    assert result.exit_code == 2 and "no such file" in result.stderr
    result = runner.invoke(app, ["measure"])
    assert result.exit_code == 2 and "--demo" in result.stderr


def test_measure_figure_shows_each_measured_area(segmentation: Path, tmp_path: Path) -> None:
    figure = tmp_path / "outline.svg"
    result = runner.invoke(app, ["measure", str(segmentation), "-f", "json", "--figure", str(figure)])
    assert result.exit_code == 0, result.stderr
    areas = [lv["canal_area_min"] for lv in json.loads(result.stdout)["levels"]]
    svg = figure.read_text(encoding="utf-8")
    assert areas and all(f">{a['value']:.1f} mm² [{a['low']:.1f}, {a['high']:.1f}]<" in svg for a in areas)
    again = tmp_path / "again.svg"
    runner.invoke(app, ["measure", str(segmentation), "-f", "json", "--figure", str(again)])
    assert again.read_bytes() == figure.read_bytes()


def test_report_with_a_segmentation_draws_the_outline_beside_the_area_plot(
    segmentation: Path, tmp_path: Path
) -> None:
    import base64
    import re

    record = tmp_path / "patient.yaml"
    record.write_text("imaging:\n  levels: []\n", encoding="utf-8")
    page = tmp_path / "report.html"
    result = runner.invoke(
        app, ["report", str(record), "--segmentation", str(segmentation), "--html", str(page)]
    )
    assert result.exit_code == 0, result.stderr
    html = page.read_text(encoding="utf-8")
    images = [base64.b64decode(m).decode("utf-8") for m in re.findall(r"base64,([A-Za-z0-9+/=]+)", html)]
    outline = [svg for svg in images if "Canal outline per level" in svg]
    area_plot = [svg for svg in images if "Imaging measurements per level" in svg]
    assert len(outline) == 1 and len(area_plot) == 1
    assert re.search(r">\d+\.\d mm² \[", outline[0])
    assert 'class="outline"' in html


def test_progress_shows_for_large_volumes_only_in_table_output(
    segmentation: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from rich.console import Console

    from lss_pathway.imaging import cli as imaging_cli

    screen = io.StringIO()
    monkeypatch.setattr(imaging_cli, "err", Console(file=screen, force_terminal=True, width=100))
    monkeypatch.setattr(imaging_cli, "LARGE_VOXELS", 1)
    assert runner.invoke(app, ["measure", str(segmentation), "-f", "json"]).exit_code == 0
    assert screen.getvalue() == ""  # JSON is piped: nothing on stderr
    assert runner.invoke(app, ["measure", str(segmentation)]).exit_code == 0
    assert "measuring" in screen.getvalue() and "voxels" in screen.getvalue()
    screen.truncate(0)
    screen.seek(0)
    monkeypatch.setattr(imaging_cli, "LARGE_VOXELS", 10**12)
    assert runner.invoke(app, ["measure", str(segmentation)]).exit_code == 0
    assert "voxels" not in screen.getvalue()  # small volumes are quick: no progress
