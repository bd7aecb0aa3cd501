"""Refuse NaN and infinite numbers in the projection's tables before any runner reads them.

A missing number must be NULL (unknown). NaN is not: both DuckDB and Spark order NaN above every other
double, so ``NaN >= 0.9`` is true and an ABI that was never measured would make a criterion met. The
readers write NULL; this is the gate for Parquet that someone else wrote (``--format parquet``) and the
last check before a runner starts. It refuses rather than repairs: a NaN in a clinical column means the
export is not what it claims to be, and the team that made it should know.

The counting query is plain SQL that DuckDB and Spark both run unchanged, so each runner checks the
tables it is about to read (``check_tables`` over Parquet files with DuckDB; ``screening.spark`` over its
registered views).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from lss_pathway.domain.schema import tables
from lss_pathway.screening.inputs.report import InputError


def double_columns() -> dict[str, tuple[str, ...]]:
    """The DOUBLE columns of each table of the projection (the only type that can hold NaN)."""
    found = {name: tuple(c.name for c in t.columns if c.sql_type == "DOUBLE") for name, t in tables().items()}
    return {name: columns for name, columns in found.items() if columns}


def nonfinite_counts_sql(columns: Mapping[str, Sequence[str]]) -> str:
    """One query, one row: for each table's listed columns, how many values are NaN or +/-infinity (NULLs
    are not counted), in ``columns`` order.

    One single-row aggregate per table, cross-joined, so that Spark plans a single job; written in the
    subset of SQL that DuckDB and Spark read alike (``isnan``, ``abs``, ``FILTER``)."""
    parts = []
    for i, (table, names) in enumerate(columns.items()):
        counts = ", ".join(
            f"count(*) FILTER (WHERE isnan({c}) OR abs({c}) = CAST('Infinity' AS DOUBLE)) AS t{i}_{c}"
            for c in names
        )
        parts.append(f"(SELECT {counts} FROM {table}) AS t{i}")
    return "SELECT * FROM " + " CROSS JOIN ".join(parts)


def refuse_nonfinite(counts: Mapping[str, Mapping[str, int]]) -> None:
    """Raise ``InputError`` naming every ``table.column`` holding NaN or infinity (counts, never rows)."""
    bad = [f"{table}.{column} ({n})" for table, found in counts.items() for column, n in found.items() if n]
    if bad:
        raise InputError(
            "NaN or infinite numbers in " + ", ".join(bad) + ": a missing value must be NULL. Both engines "
            "read NaN as larger than any number (NaN >= 0.9 is true), so an unknown measurement would "
            "count as met; fix the export."
        )


def count_nonfinite(
    run: Callable[[str], Sequence[int]], names: Iterable[str] | None = None
) -> dict[str, dict[str, int]]:
    """Non-finite values per table and column; ``run(sql)`` returns the one result row on either engine."""
    doubles = double_columns()
    wanted = {
        table: doubles[table] for table in (names if names is not None else doubles) if table in doubles
    }
    if not wanted:
        return {}
    row = iter(run(nonfinite_counts_sql(wanted)))
    return {table: {c: int(next(row)) for c in columns} for table, columns in wanted.items()}


def check_tables(folder: Path) -> None:
    """Refuse ``<folder>/<table>.parquet`` files whose DOUBLE columns hold NaN or infinity (DuckDB).

    A table whose file is absent is skipped here (the runner that needs it says so)."""
    import duckdb  # lazy: the core CLI works without the screening extra

    present = [name for name in double_columns() if (folder / f"{name}.parquet").is_file()]
    con = duckdb.connect()
    try:
        for name in present:
            path = str(folder / f"{name}.parquet").replace("'", "''")
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")

        def run(sql: str) -> Sequence[int]:
            row = con.execute(sql).fetchone()
            assert row is not None  # an aggregate without GROUP BY always gives one row
            return row

        refuse_nonfinite(count_nonfinite(run, present))
    finally:
        con.close()
