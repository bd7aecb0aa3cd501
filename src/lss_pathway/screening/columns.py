"""The Arrow schema of each table of the columnar projection (``domain.schema``), for Parquet I/O.

The projection's types are DuckDB names; this maps them to Arrow once, so Parquet written here reads back
into DuckDB, Spark and ``record_from_rows`` with the same types (dates as dates, codes as strings).
"""

from __future__ import annotations

from functools import cache

import pyarrow as pa

from lss_pathway.domain.schema import Table, tables

_ARROW = {
    "BOOLEAN": pa.bool_(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "VARCHAR[]": pa.list_(pa.string()),
}


def arrow_schema(table: Table) -> pa.Schema:
    return pa.schema([pa.field(c.name, _ARROW[c.sql_type], nullable=c.nullable) for c in table.columns])


@cache
def arrow_schemas() -> dict[str, pa.Schema]:
    """Every table's Arrow schema, by table name."""
    return {name: arrow_schema(table) for name, table in tables().items()}
