"""`lss views`: list, show (JSON and SQL), run to Parquet/CSV, and clear errors on bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from lss_pathway.cli import app

from .conftest import SYNTHEA_DIR, require

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["views", *args])
    return result.exit_code, result.stdout, result.stderr


def test_list_names_every_packaged_view() -> None:
    code, out, _ = run("list")
    assert code == 0
    assert "lss_condition" in out and "MedicationRequest" in out


def test_show_prints_the_view_and_its_sql() -> None:
    code, out, _ = run("show", "lss_patient")
    assert code == 0 and json.loads(out)["resource"] == "Patient"
    code, out, _ = run("show", "lss_patient", "--sql")
    assert code == 0 and out.startswith("SELECT") and "read_ndjson_objects" in out


def test_show_of_a_view_duckdb_cannot_compile_says_why(tmp_path: Path) -> None:
    view = tmp_path / "v.json"
    view.write_text(
        json.dumps(
            {
                "resource": "Patient",
                "select": [{"repeat": ["link"], "column": [{"name": "b", "path": "id"}]}],
            }
        )
    )
    code, out, _ = run("show", str(view), "--sql")
    assert code == 0 and "runs in Python" in out and "repeat" in out


def test_run_writes_parquet_on_both_engines(tmp_path: Path) -> None:
    folder = require(SYNTHEA_DIR)
    for engine in ("duckdb", "python"):
        out_file = tmp_path / f"conditions-{engine}.parquet"
        code, out, err = run("run", "lss_condition", str(folder), "--out", str(out_file), "--engine", engine)
        assert code == 0, err
        assert "555 rows of lss_condition" in out and out_file.stat().st_size > 0


def test_run_with_a_bad_line_writes_the_rest_and_exits_1(tmp_path: Path) -> None:
    folder = tmp_path / "bulk"
    folder.mkdir()
    source = require(SYNTHEA_DIR) / "Patient.000.ndjson"
    lines = source.read_text().splitlines()
    (folder / "Patient.000.ndjson").write_text("\n".join([*lines[:3], "{oops", *lines[3:]]) + "\n")
    shutil.copy(require(SYNTHEA_DIR) / "Condition.000.ndjson", folder)
    code, out, err = run("run", "lss_patient", str(folder), "--out", str(tmp_path / "p.csv"))
    assert code == 1
    assert f"{len(lines)} rows" in out
    assert "Patient.000.ndjson:4: not JSON" in err and "1 line(s) could not be read" in err


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = run("run", "no_such_view", str(tmp_path), "--out", str(tmp_path / "x.parquet"))
    assert code == 2 and "no view 'no_such_view'" in err
    code, _, err = run("run", "lss_patient", str(tmp_path / "missing"), "--out", str(tmp_path / "x.parquet"))
    assert code == 2 and "no such file or folder" in err
    code, _, err = run("run", "lss_patient", str(tmp_path), "--out", str(tmp_path / "x.xlsx"))
    assert code == 2 and ".parquet or .csv" in err
    bad_view = tmp_path / "bad.json"
    bad_view.write_text(json.dumps({"select": []}))
    code, _, err = run("show", str(bad_view))
    assert code == 2 and "'resource' is required" in err
