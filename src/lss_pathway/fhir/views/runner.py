"""Run a compiled view over NDJSON files on either execution, to rows or to a Parquet/CSV file.

`engine="duckdb"` compiles the view to SQL (`sql.py`) and reads the NDJSON in DuckDB; when the view
uses FHIRPath the compiler does not cover, the run falls back to the Python execution and the
returned `ViewRun.fallback` (also logged) says why. Bad NDJSON lines are listed in `ViewRun.errors`.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from lss_pathway.fhir.views.model import CompiledView
from lss_pathway.fhir.views.ndjson import LineError, read_resources, scan_errors
from lss_pathway.fhir.views.python_runner import Row, run_python
from lss_pathway.fhir.views.sql import MACROS, NOT_A_RESOURCE, Unsupported, compile_view_sql, quote

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)
Engine = Literal["python", "duckdb"]
ENGINES: tuple[Engine, ...] = ("python", "duckdb")


@dataclass
class ViewRun:
    view: str
    requested: Engine
    engine: Engine  # the execution that produced the rows
    columns: list[str]
    row_count: int = 0
    rows: list[Row] | None = None
    fallback: str | None = None
    errors: list[LineError] = field(default_factory=list)


def sql_or_reason(view: CompiledView, source: str = "src") -> tuple[str | None, str | None]:
    """The view's SQL, or None and the reason the compiler gives for not covering it."""
    try:
        return compile_view_sql(view, source), None
    except Unsupported as exc:
        return None, str(exc)


def connect() -> duckdb.DuckDBPyConnection:
    import duckdb

    con = duckdb.connect()
    con.execute(MACROS)
    return con


def ndjson_source(files: Sequence[Path], ignore_errors: bool = False) -> str:
    names = "[" + ", ".join(quote(str(p)) for p in files) + "]"
    option = ", ignore_errors = true" if ignore_errors else ""
    return f"read_ndjson_objects({names}{option})"


def run_view(
    view: CompiledView,
    files: Sequence[Path],
    engine: Engine = "python",
    out: Path | None = None,
    progress: Callable[[int], None] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> ViewRun:
    """Flatten the files with the view; keep the rows (out=None) or write them to .parquet / .csv."""
    if out is not None and out.suffix.lower() not in (".parquet", ".csv"):
        raise ValueError(f"{out}: the output must end in .parquet or .csv")
    if engine == "duckdb":
        sql, reason = sql_or_reason(view)
        if sql is not None:
            return _run_duckdb(view, files, out, con)
        log.warning("view %s: DuckDB falls back to the Python execution: %s", view.name, reason)
        run = _run_python(view, files, out, progress)
        run.requested, run.fallback = "duckdb", reason
        return run
    return _run_python(view, files, out, progress)


def _run_python(
    view: CompiledView, files: Sequence[Path], out: Path | None, progress: Callable[[int], None] | None
) -> ViewRun:
    errors: list[LineError] = []
    rows = list(run_python(view, read_resources(files, errors, progress)))
    run = ViewRun(view.name, "python", "python", view.column_names, len(rows), errors=errors)
    if out is None:
        run.rows = rows
    else:
        write_rows(rows, view.column_names, out)
    return run


def _run_duckdb(
    view: CompiledView, files: Sequence[Path], out: Path | None, con: duckdb.DuckDBPyConnection | None
) -> ViewRun:
    import duckdb

    connection = con or connect()
    run = ViewRun(view.name, "duckdb", "duckdb", view.column_names)
    try:
        run.row_count, run.rows = _execute(connection, compile_view_sql(view, ndjson_source(files)), out)
    except duckdb.InvalidInputException as exc:
        if "Malformed JSON" not in str(exc) and NOT_A_RESOURCE not in str(exc):
            raise
        # List every bad line, then read past them (DuckDB gives unreadable lines as NULL rows).
        run.errors = scan_errors(files)
        tolerant = compile_view_sql(view, ndjson_source(files, ignore_errors=True), strict=False)
        run.row_count, run.rows = _execute(connection, tolerant, out)
    return run


def _execute(con: duckdb.DuckDBPyConnection, sql: str, out: Path | None) -> tuple[int, list[Row] | None]:
    if out is not None:
        fmt = "parquet" if out.suffix.lower() == ".parquet" else "csv, header true"
        count = con.execute(f"COPY ({sql}) TO {quote(str(out))} (FORMAT {fmt})").fetchone()
        return (int(count[0]) if count else 0), None
    relation = con.execute(sql)
    names = [d[0] for d in relation.description or []]
    json_columns = {d[0] for d in relation.description or [] if str(d[1]) == "JSON"}
    rows = [
        {
            n: (json.loads(v) if n in json_columns and isinstance(v, str) else v)
            for n, v in zip(names, r, strict=True)
        }
        for r in relation.fetchall()
    ]
    return len(rows), rows


def write_rows(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], out: Path) -> None:
    """Rows of the Python execution to Parquet (pyarrow) or CSV (collections as JSON text)."""
    if out.suffix.lower() == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist([dict(r) for r in rows]) if rows else pa.table({c: [] for c in columns})
        pq.write_table(table.select(list(columns)), out)
        return
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(
                [
                    json.dumps(v) if isinstance(v, list | dict) else ("" if v is None else v)
                    for v in row.values()
                ]
            )
