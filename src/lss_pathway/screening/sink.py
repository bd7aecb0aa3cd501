"""Write patients into the columnar projection's Parquet tables as they are read, in bounded memory.

Every input of a screen (FHIR Bulk NDJSON, OMOP CDM, a synthetic population) ends as the same six
``<table>.parquet`` files of ``domain.schema``; the runners only ever read those. A sink takes one
validated record at a time, gives it the next ``patient_key`` and flushes a row group every ``chunk``
patients, so a million patients never sit in memory at once.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import pyarrow as pa
import pyarrow.parquet as pq

from lss_pathway.domain.record import PatientRecord
from lss_pathway.domain.schema import Rows, rows_from_record
from lss_pathway.screening.columns import arrow_schemas


class RowSink:
    """``with RowSink(folder) as sink: sink.add(record)``; the key of each patient is its order of arrival."""

    def __init__(self, out: Path, chunk: int = 20_000):
        out.mkdir(parents=True, exist_ok=True)
        self.out = out
        self.chunk = chunk
        self.patients = 0
        self._schemas = arrow_schemas()
        self._writers = {
            name: pq.ParquetWriter(out / f"{name}.parquet", schema, compression="zstd")
            for name, schema in self._schemas.items()
        }
        self._pending: Rows = {name: [] for name in self._schemas}
        self._in_chunk = 0

    def add(self, record: PatientRecord) -> int:
        """Queue one patient's rows; returns the ``patient_key`` it was given."""
        key = self.patients
        for name, rows in rows_from_record(record, key).items():
            self._pending[name].extend(rows)
        self.patients += 1
        self._in_chunk += 1
        if self._in_chunk >= self.chunk:
            self.flush()
        return key

    def flush(self) -> None:
        for name, rows in self._pending.items():
            schema = self._schemas[name]
            self._writers[name].write_table(pa.Table.from_pylist(rows, schema=schema))
            rows.clear()
        self._in_chunk = 0

    def close(self) -> None:
        try:
            if self._in_chunk or self.patients == 0:
                self.flush()  # an empty population still gets every table, with its columns
        finally:
            for writer in self._writers.values():
                writer.close()

    def __enter__(self) -> RowSink:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
