"""Run a compiled screen on DuckDB, the embedded default: no server, the Parquet tables read in place."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from lss_pathway.criteria.ruleset import RuleSet
from lss_pathway.domain.record import PatientRecord
from lss_pathway.domain.schema import rows_from_record, tables
from lss_pathway.screening.columns import arrow_schemas
from lss_pathway.screening.compiler import compile_ruleset

# Spark has add_months (with month-end clamping); DuckDB's interval arithmetic clamps the same way.
_MACROS = "CREATE OR REPLACE MACRO add_months(d, n) AS CAST(d + to_months(CAST(n AS INTEGER)) AS DATE);"


def connect(folder: Path, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A connection with the projection's tables as views over ``<folder>/<table>.parquet``."""
    con = duckdb.connect()
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    for name in tables():
        path = str(folder / f"{name}.parquet").replace("'", "''")
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
    con.execute(_MACROS)
    return con


def arrow_tables(records: Iterable[PatientRecord]) -> dict[str, pa.Table]:
    """Records as the projection's tables in memory, keyed 0, 1, 2, ... in order."""
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in tables()}
    for key, record in enumerate(records):
        for name, found in rows_from_record(record, key).items():
            rows[name].extend(found)
    return {name: pa.Table.from_pylist(rows[name], schema=schema) for name, schema in arrow_schemas().items()}


def connect_records(records: Iterable[PatientRecord]) -> duckdb.DuckDBPyConnection:
    """A connection over records held in memory (tests, ``--explain``, a single patient)."""
    con = duckdb.connect()
    for name, table in arrow_tables(records).items():
        con.register(name, table)
    con.execute(_MACROS)
    return con


def cells(con: duckdb.DuckDBPyConnection, rules: RuleSet, as_of: dt.date) -> list[tuple[Any, ...]]:
    """Every cell's ``(patient_key, level, side, verdict, not_met, held, pending)``."""
    return con.execute(compile_ruleset(rules).cells_sql(as_of)).fetchall()


def criteria(con: duckdb.DuckDBPyConnection, rules: RuleSet, as_of: dt.date) -> list[dict[str, Any]]:
    """Every cell with every criterion's ``v__``/``k__``/``c__`` columns, as dictionaries."""
    cursor = con.execute(compile_ruleset(rules).criteria_sql(as_of))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


class DuckDBEngine:
    """The screen's engine on one DuckDB connection (``screen.Engine``)."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def materialise(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TABLE {name} AS {sql}")

    def rows(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        cursor = self.con.execute(sql)
        return [d[0] for d in cursor.description], cursor.fetchall()

    def write_parquet(self, name: str, path: Path) -> None:
        target = str(path).replace("'", "''")
        self.con.execute(f"COPY {name} TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
