"""The synthetic population: every row is a valid record, the same seed writes the same bytes, and the
distributions are the clinic-like ones the module promises (checked loosely, on a few thousand patients)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

pq = pytest.importorskip("pyarrow.parquet")
pc = pytest.importorskip("pyarrow.compute")

from lss_pathway.domain.record import PatientRecord  # noqa: E402
from lss_pathway.domain.schema import record_from_rows, rows_by_patient, tables  # noqa: E402
from lss_pathway.screening.synthetic import generate, main  # noqa: E402

N = 1500


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synthetic")
    generate(N, out, seed=7, chunk_size=400)
    return out


def _read(folder: Path) -> dict[str, list[dict[str, object]]]:
    return {name: pq.read_table(folder / f"{name}.parquet").to_pylist() for name in tables()}


def test_every_patient_is_a_valid_record(population: Path) -> None:
    records: list[PatientRecord] = []
    for _, rows in rows_by_patient(_read(population)):
        records.append(record_from_rows(rows))  # validates: bounds, unique levels/sides/agents, dates
    assert len(records) == N
    assert all(r.assessment_date == dt.date(2026, 11, 1) for r in records)
    assert sum(1 for r in records if r.imaging.levels) > N * 0.8
    assert any(r.procedure.epidurogram for r in records)
    assert any(r.prior_procedures for r in records)
    assert any(r.patient.age_years is None and r.patient.birth_date is not None for r in records)


def test_files_follow_the_projection(population: Path) -> None:
    for name, table in tables().items():
        schema = pq.read_schema(population / f"{name}.parquet")
        assert schema.names == [c.name for c in table.columns]
    assert pq.ParquetFile(population / "patients.parquet").metadata.num_row_groups == 4  # 1500 / 400


def test_the_same_seed_writes_the_same_bytes(population: Path, tmp_path: Path) -> None:
    generate(N, tmp_path / "again", seed=7, chunk_size=400)
    generate(N, tmp_path / "other", seed=8, chunk_size=400)
    for name in tables():
        same = (tmp_path / "again" / f"{name}.parquet").read_bytes()
        assert same == (population / f"{name}.parquet").read_bytes(), name
    other = (tmp_path / "other" / "levels.parquet").read_bytes()
    assert other != (population / "levels.parquet").read_bytes()


def test_missing_is_null_never_nan(population: Path) -> None:
    for name in tables():
        table = pq.read_table(population / f"{name}.parquet")
        for column in table.column_names:
            values = table[column]
            if values.type == "double":
                assert pc.sum(pc.is_nan(values)).as_py() in (0, None), f"{name}.{column}"


def test_clinic_like_distributions(population: Path) -> None:
    patients = pq.read_table(population / "patients.parquet")
    ages = [a for a in patients["patient_age_years"].to_pylist() if a is not None]
    assert min(ages) >= 50 and max(ages) <= 90
    levels = pq.read_table(population / "levels.parquet")
    names = levels["level"].to_pylist()
    assert (names.count("L4-L5") + names.count("L3-L4")) / len(names) > 0.6
    for column in ("canal_area_mm2", "central_stenosis", "schizas", "translation_mm"):
        missing = levels[column].null_count / levels.num_rows
        assert 0.25 < missing < 0.65, column
    sides = pq.read_table(population / "level_sides.parquet")
    assert 0.25 < sides["lf_thickness_mm"].null_count / sides.num_rows < 0.65
    drugs = pq.read_table(population / "antithrombotics.parquet")
    on_drugs = len(set(drugs["patient_key"].to_pylist())) / N
    assert 0.2 < on_drugs < 0.4
    recorded = patients["safety_antithrombotics_recorded"].to_pylist()
    assert 0.7 < sum(recorded) / N < 0.9


def test_some_readings_contradict(population: Path) -> None:
    levels = pq.read_table(population / "levels.parquet").to_pylist()
    narrow = [r for r in levels if r["canal_area_mm2"] is not None and r["canal_area_mm2"] < 80]
    conflicting = [r for r in narrow if r["central_stenosis"] in ("none", "mild")]
    assert conflicting
    sides = pq.read_table(population / "level_sides.parquet").to_pylist()
    assert any(r["lf_hypertrophy"] is False and (r["lf_thickness_mm"] or 0) > 4 for r in sides)


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["30", "--out", str(tmp_path), "--seed", "2"]) == 0
    assert "30 patients" in capsys.readouterr().out
    assert pq.read_table(tmp_path / "patients.parquet").num_rows == 30
