"""Running views over NDJSON files: bad lines named by file and line, outputs written, nothing dropped."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from lss_pathway.fhir.views.catalog import load_view
from lss_pathway.fhir.views.ndjson import LineError, ndjson_files
from lss_pathway.fhir.views.runner import run_view

from .conftest import SYNTHEA_DIR, require


@pytest.fixture
def damaged_conditions(tmp_path: Path) -> tuple[Path, int]:
    """A copy of the Synthea Condition file with a truncated line 10 and a non-resource line 20 inserted."""
    source = require(SYNTHEA_DIR) / "Condition.000.ndjson"
    lines = source.read_text(encoding="utf-8").splitlines()
    lines.insert(9, '{"resourceType": "Condition", "id": "broken", "code": {')
    lines.insert(19, "[1, 2, 3]")
    target = tmp_path / "Condition.000.ndjson"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.copy(require(SYNTHEA_DIR) / "Patient.000.ndjson", tmp_path)
    return target, len(lines) - 2


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_bad_lines_are_reported_and_the_rest_is_flattened(
    engine: str, damaged_conditions: tuple[Path, int]
) -> None:
    path, good = damaged_conditions
    run = run_view(load_view("lss_condition"), [path], engine)  # type: ignore[arg-type]
    assert [(e.file, e.line) for e in run.errors] == [(str(path), 10), (str(path), 20)]
    assert "not JSON" in run.errors[0].message and "not a FHIR resource" in run.errors[1].message
    assert run.rows is not None
    assert len({row["resource_key"] for row in run.rows}) == good


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_a_json_line_that_is_no_resource_is_reported_too(engine: str, tmp_path: Path) -> None:
    path = tmp_path / "Patient.ndjson"
    path.write_text(
        '{"resourceType": "Patient", "id": "a"}\n{"id": "b"}\n\n{"resourceType": "Patient", "id": "c"}\n'
    )
    run = run_view(load_view("lss_patient"), [path], engine)  # type: ignore[arg-type]
    assert [(e.line, e.message) for e in run.errors] == [(2, "not a FHIR resource (no resourceType)")]
    assert sorted(row["resource_key"] for row in run.rows or []) == ["Patient/a", "Patient/c"]


def test_line_error_reads_as_file_line_message() -> None:
    assert str(LineError("a.ndjson", 3, "not JSON")) == "a.ndjson:3: not JSON"


def test_folder_lookup_uses_bulk_file_names(tmp_path: Path) -> None:
    for name in ("Condition.000.ndjson", "Condition.001.ndjson", "Patient.000.ndjson", "notes.txt"):
        (tmp_path / name).write_text("")
    assert [p.name for p in ndjson_files(tmp_path, "Condition")] == [
        "Condition.000.ndjson",
        "Condition.001.ndjson",
    ]
    assert (
        len(ndjson_files(tmp_path, "Observation")) == 3
    )  # none named for it: read all, filter on resourceType
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        ndjson_files(tmp_path / "missing")


@pytest.mark.parametrize("engine", ["python", "duckdb"])
@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_outputs_hold_every_row(engine: str, suffix: str, tmp_path: Path) -> None:
    folder = require(SYNTHEA_DIR)
    out = tmp_path / f"patients{suffix}"
    run = run_view(load_view("lss_patient"), ndjson_files(folder, "Patient"), engine, out)  # type: ignore[arg-type]
    expected = sum(1 for line in (folder / "Patient.000.ndjson").read_text().splitlines() if line.strip())
    assert run.row_count == expected and run.rows is None
    if suffix == ".csv":
        with out.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == expected and all(r["resource_key"].startswith("Patient/") for r in rows)
    else:
        import pyarrow.parquet as pq

        table = pq.read_table(out)
        assert table.num_rows == expected
        assert table.column_names == load_view("lss_patient").column_names


def test_output_suffix_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "Patient.ndjson"
    path.write_text(json.dumps({"resourceType": "Patient", "id": "p"}) + "\n")
    with pytest.raises(ValueError, match=r"\.parquet or \.csv"):
        run_view(load_view("lss_patient"), [path], "python", tmp_path / "x.xlsx")
