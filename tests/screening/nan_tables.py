"""A small population whose ABI column holds NaN, NULL and real values, for the NaN-trap tests."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from lss_pathway.screening.synthetic import generate

# patient_key -> exam_abi_left written into patients.parquet; every other patient keeps NULL.
ABI_LEFT: dict[int, float | None] = {0: math.nan, 1: None, 2: 0.5, 3: 1.0}


def write_population(folder: Path, patients: int = 20) -> Path:
    """A clean synthetic population under ``folder/clean``; returns it (ABI column untouched)."""
    clean = folder / "clean"
    generate(patients, clean, seed=3)
    return clean


def with_abi(clean: Path, out: Path, abi: dict[int, float | None]) -> Path:
    """A copy of ``clean`` whose ``patients.exam_abi_left`` is ``abi`` by patient_key (NULL elsewhere)."""
    shutil.copytree(clean, out)
    table = pq.read_table(out / "patients.parquet")
    keys = table.column("patient_key").to_pylist()
    values = pa.array([abi.get(key) for key in keys], type=pa.float64())
    index = table.schema.get_field_index("exam_abi_left")
    pq.write_table(table.set_column(index, table.schema.field(index), values), out / "patients.parquet")
    return out
