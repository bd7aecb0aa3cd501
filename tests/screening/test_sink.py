"""The sink writes records as the projection's Parquet tables, in order, and reads back to equal records."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

pq = pytest.importorskip("pyarrow.parquet")

from lss_pathway.domain.record import PatientRecord  # noqa: E402
from lss_pathway.domain.schema import record_from_rows, rows_by_patient, tables  # noqa: E402
from lss_pathway.screening.sink import RowSink  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _records() -> list[PatientRecord]:
    files = sorted(EXAMPLES.glob("*.yaml"))
    assert len(files) >= 10, "the examples folder should hold the clinic's example patients"
    return [PatientRecord.model_validate(yaml.safe_load(f.read_text())) for f in files]


def test_records_round_trip_through_parquet_in_arrival_order(tmp_path: Path) -> None:
    records = _records()
    with RowSink(tmp_path, chunk=2) as sink:  # several row groups
        keys = [sink.add(r) for r in records]
    assert keys == list(range(len(records)))
    rows = {name: pq.read_table(tmp_path / f"{name}.parquet").to_pylist() for name in tables()}
    back = [record_from_rows(patient_rows) for _, patient_rows in rows_by_patient(rows)]
    assert back == records


def test_an_empty_population_still_writes_every_table(tmp_path: Path) -> None:
    with RowSink(tmp_path):
        pass  # no patient read: the tables exist with their columns and no rows
    for name in tables():
        table = pq.read_table(tmp_path / f"{name}.parquet")
        assert table.num_rows == 0
        assert "patient_key" in table.column_names
