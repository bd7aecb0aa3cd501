"""Parquet or CSV files already in the projection's own schema, checked and written as normalised Parquet.

A data team that exports its own tables (``<table>.parquet`` or ``<table>.csv``, one per table of
``domain.schema.tables()``) skips the FHIR and OMOP readers, and so skips their checks. What would make a
screen silently wrong is refused here with ``InputError`` naming the table, column and row:

- a table file that is not a table of the projection, a missing or extra column, a column whose type cannot
  hold the projection's type (an integer column may be a DOUBLE, a string column is never a number);
- NaN or an infinity in a numeric column: unknown is NULL, and Spark evaluates ``NaN >= 0.9`` as true,
  which would turn an unknown ABI into a met criterion;
- NULL in a column that may not be NULL (the keys, ``position``, the ``*_recorded`` flags);
- a duplicate ``patient_key`` in ``patients``, a child row whose key has no parent row (a patient for every
  table, a level for every side), two rows with the same identity (a level twice for one patient), rows in a
  list that its ``*_recorded`` flag says is unknown.

``patients`` is required; a missing list table (``epidurogram``, say) is read as having no rows. CSV empty
cells are NULL for every type; the one list column (a prior procedure's ``levels``) is a JSON array in CSV
(``["L4-L5"]``; empty cell: unknown; ``[]``: none). Values are not otherwise checked against the record's
vocabulary or bounds: ``record_from_rows`` does that per patient.

The input is always written to ``out`` as normalised Parquet (the exact Arrow schema, zstd), even when it
is already clean Parquet: the runners then read one shape whatever came in, and the input folder is never
written to. Tables stream in record batches, and the key checks run in DuckDB over the written files, so
memory stays bounded by a batch. On refusal the tables written so far are removed from ``out``.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from lss_pathway.domain.schema import Leaf, Table, tables
from lss_pathway.screening.columns import arrow_schemas
from lss_pathway.screening.inputs.report import InputError, InputReport

Format = Literal["parquet", "csv"]
_BATCH_ROWS = 65_536
_CSV_BLOCK = 8 << 20


def read_columnar(folder: Path, out: Path, *, fmt: Format) -> InputReport:
    """Check the tables in ``folder`` and write them to ``out`` as the projection's Parquet tables."""
    if fmt not in ("parquet", "csv"):
        raise InputError(f"unknown columnar format {fmt!r} (parquet or csv)")
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder (expected <table>.{fmt} files of the columnar schema)")
    known = tables()
    for path in sorted(folder.glob(f"*.{fmt}")):
        if path.stem not in known:
            raise InputError(
                f"{path.name}: not a table of the columnar schema (tables: {', '.join(known)}); "
                "a misspelt table would otherwise be read as empty"
            )
    if not (folder / f"patients.{fmt}").is_file():
        raise InputError(f"{folder}: no patients.{fmt}; every screen needs the patients table")
    out.mkdir(parents=True, exist_ok=True)
    report = InputReport()
    written: list[Path] = []
    try:
        for name, table in known.items():
            target = out / f"{name}.parquet"
            written.append(target)
            report.read[name] = _copy(folder / f"{name}.{fmt}", fmt, table, target)
        _check_keys(out, fmt)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    report.patients = report.read["patients"]
    return report


# --- one table, batch by batch ---------------------------------------------------------------------------


def _compatible(given: pa.DataType, wanted: pa.DataType) -> bool:
    """Whether a column of type ``given`` holds values of the projection's type ``wanted`` without loss of
    meaning (a cast still refuses overflowing values)."""
    if pa.types.is_null(given) or given == wanted:
        return True
    if pa.types.is_dictionary(given):
        return _compatible(given.value_type, wanted)
    if pa.types.is_integer(wanted):
        return bool(pa.types.is_integer(given))
    if pa.types.is_floating(wanted):
        return bool(pa.types.is_integer(given) or pa.types.is_floating(given))
    if pa.types.is_string(wanted):
        return bool(pa.types.is_string(given) or pa.types.is_large_string(given))
    if pa.types.is_date(wanted):
        return bool(pa.types.is_date(given))
    if pa.types.is_list(wanted):
        is_list = pa.types.is_list(given) or pa.types.is_large_list(given)
        return is_list and _compatible(given.value_type, wanted.value_type)
    return False


def _check_columns(place: str, given: pa.Schema, wanted: pa.Schema, csv: bool) -> None:
    names = list(given.names)
    missing = [n for n in wanted.names if n not in names]
    extra = [n for n in names if n not in wanted.names]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if missing:
        raise InputError(f"{place}: missing column {', '.join(missing)}")
    if extra:
        raise InputError(f"{place}: column {', '.join(extra)} is not in the columnar schema")
    if duplicated:
        raise InputError(f"{place}: column {', '.join(duplicated)} appears more than once")
    if csv:
        return  # CSV cells are parsed as the projection's types; a bad cell fails with its row
    for fld in wanted:
        actual = given.field(fld.name).type
        if not _compatible(actual, fld.type):
            raise InputError(f"{place}: column {fld.name} is {actual}, which cannot hold {fld.type}")


def _batches(path: Path, fmt: Format, wanted: pa.Schema) -> Iterator[pa.RecordBatch]:
    """The file's record batches, its columns checked against ``wanted`` before any row is read."""
    place = path.name
    if fmt == "parquet":
        try:
            source = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"{place}: not a readable Parquet file ({exc})") from None
        _check_columns(place, source.schema_arrow, wanted, csv=False)
        yield from source.iter_batches(batch_size=_BATCH_ROWS)
        return
    types = {f.name: (pa.string() if pa.types.is_list(f.type) else f.type) for f in wanted}
    options = pcsv.ConvertOptions(
        column_types=types, null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True
    )
    try:
        reader = pcsv.open_csv(
            path, read_options=pcsv.ReadOptions(block_size=_CSV_BLOCK), convert_options=options
        )
    except pa.ArrowInvalid as exc:  # the first block is parsed on opening
        raise InputError(_csv_error(path, wanted, exc)) from None
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{place}: not a readable CSV file in the columnar schema ({exc})") from None
    _check_columns(place, reader.schema, wanted, csv=True)
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except pa.ArrowInvalid as exc:
            raise InputError(_csv_error(path, wanted, exc)) from None
        yield batch


def _csv_error(path: Path, wanted: pa.Schema, error: Exception) -> str:
    """Arrow names a bad CSV cell by column number only: find its column name and row (error path only)."""
    match = re.search(r"CSV column #(\d+)", str(error))
    if match is None:
        return f"{path.name}: {error}"
    with path.open(newline="", encoding="utf-8", errors="replace") as stream:
        header = next(csv.reader(stream), [])
    index = int(match[1])
    if index >= len(header) or header[index] not in wanted.names:
        return f"{path.name}: {error}"
    name = header[index]
    kind = wanted.field(name).type
    options = pcsv.ConvertOptions(
        include_columns=[name], column_types={name: pa.string()}, null_values=[""], strings_can_be_null=True
    )
    cells = pcsv.read_csv(path, convert_options=options).column(name).to_pylist()
    for row, cell in enumerate(cells):
        try:
            pa.array([cell], pa.string()).cast(kind)
        except pa.ArrowInvalid:
            return f"{_row_place(path.name, 'csv', row)}: column {name} cannot be read as {kind}: {cell!r}"
    return f"{path.name}: column {name}: {error}"


def _copy(path: Path, fmt: Format, table: Table, target: Path) -> int:
    """Check and write one table; its number of rows (0 when a list table's file is absent)."""
    wanted = arrow_schemas()[table.name]
    rows = 0
    with pq.ParquetWriter(target, wanted, compression="zstd") as writer:
        if not path.is_file():
            writer.write_table(wanted.empty_table())
            return 0
        for batch in _batches(path, fmt, wanted):
            columns = [_column(path.name, fmt, batch.column(f.name), f, rows) for f in wanted]
            writer.write_batch(pa.RecordBatch.from_arrays(columns, schema=wanted))
            rows += batch.num_rows
        if rows == 0:
            writer.write_table(wanted.empty_table())
    return rows


def _row_place(place: str, fmt: Format, index: int) -> str:
    """``index`` is 0-based over the file's data rows; CSV line numbers count the header."""
    return f"{place} row {index + 1}" + (f" (line {index + 2})" if fmt == "csv" else "")


def _column(place: str, fmt: Format, values: pa.Array, fld: pa.Field, offset: int) -> pa.Array:
    """One column cast to the projection's type, with its refusals (NULL key, NaN, an unparsable cell)."""
    where = f"{place}: column {fld.name}"
    if fmt == "csv" and pa.types.is_list(fld.type):
        values = _json_lists(place, fmt, values, fld, offset)
    try:
        cast = values.cast(fld.type, safe=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InputError(f"{where}: cannot be read as {fld.type} ({exc})") from None
    if not fld.nullable and cast.null_count:
        first = pc.index(pc.is_null(cast), True).as_py()
        raise InputError(f"{_row_place(place, fmt, offset + first)}: column {fld.name} may not be empty")
    if pa.types.is_floating(fld.type):
        finite = pc.is_finite(cast)
        bad = pc.and_(pc.invert(finite), pc.is_valid(cast))
        if pc.any(bad).as_py():
            first = pc.index(bad, True).as_py()
            raise InputError(
                f"{_row_place(place, fmt, offset + first)}: column {fld.name} is {cast[first].as_py()}, "
                "not a number; an unknown value must be empty (NULL), never NaN "
                "(Spark reads NaN >= 0.9 as true)"
            )
    return cast


def _json_lists(place: str, fmt: Format, values: pa.Array, fld: pa.Field, offset: int) -> pa.Array:
    parsed: list[Any] = []
    for i, text in enumerate(values.to_pylist()):
        if text is None:
            parsed.append(None)
            continue
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputError(
                f"{_row_place(place, fmt, offset + i)}: column {fld.name} must be a JSON array of strings "
                f'(["L4-L5"]), or empty when unknown'
            )
        parsed.append(value)
    return pa.array(parsed, type=fld.type)


# --- keys across tables, over the written files ----------------------------------------------------------


def _check_keys(out: Path, fmt: Format) -> None:
    """Key uniqueness, parent rows and ``*_recorded`` flags, in DuckDB (which spills) over the written
    tables; their row order is the input's, so a row number names the input row."""
    import duckdb

    def scan(name: str) -> str:
        path = (out / f"{name}.parquet").as_posix().replace("'", "''")
        return f"read_parquet('{path}', file_row_number = true)"

    def place(name: str, index: int) -> str:
        return _row_place(f"{name}.{fmt}", fmt, index)

    known = tables()
    with duckdb.connect() as db:

        def first(sql: str) -> tuple[Any, ...] | None:
            row = db.execute(sql).fetchone()
            return tuple(row) if row is not None else None

        for name, table in known.items():
            identity = ", ".join(table.keys)
            twice = first(
                f"SELECT {identity}, list(file_row_number ORDER BY file_row_number) FROM {scan(name)} "
                f"GROUP BY {identity} HAVING count(*) > 1 ORDER BY min(file_row_number) LIMIT 1"
            )
            if twice is not None:
                shown = ", ".join(f"{k} {v}" for k, v in zip(table.keys, twice, strict=False))
                rows = twice[-1]
                raise InputError(
                    f"{place(name, rows[0])}: {shown} appears more than once (again in row {rows[1] + 1})"
                )
        parents = {
            name: ("levels", ("patient_key", "level")) if table.inherited else ("patients", ("patient_key",))
            for name, table in known.items()
            if name != "patients"
        }
        for name, (parent, keys) in parents.items():
            on = " AND ".join(f"c.{k} = p.{k}" for k in keys)
            orphan = first(
                f"SELECT c.file_row_number FROM {scan(name)} c ANTI JOIN {scan(parent)} p ON {on} "
                "ORDER BY c.file_row_number LIMIT 1"
            )
            if orphan is not None:
                raise InputError(f"{place(name, orphan[0])}: its {', '.join(keys)} has no row in {parent}")
        patient_columns = {c.name for c in known["patients"].columns}
        for name, table in known.items():
            flag = table.list_path.replace(".", "_") + "_recorded"
            if flag not in patient_columns:
                continue
            unknown = first(
                f"SELECT c.file_row_number FROM {scan(name)} c JOIN {scan('patients')} p USING (patient_key) "
                f"WHERE NOT p.{flag} ORDER BY c.file_row_number LIMIT 1"
            )
            if unknown is not None:
                raise InputError(
                    f"{place(name, unknown[0])}: the patient's {flag} is false (list unknown) but the "
                    "list has rows; set it true, or remove the rows"
                )
        _check_values(first, scan, place)


def _rule(column: str, leaf: Leaf) -> tuple[str, str] | None:
    """SQL true for a value the record model would refuse (bounds, codes, length), and how to say so."""
    tests, said = [], []
    for attr, op, word in (("ge", "<", ">="), ("gt", "<=", ">"), ("le", ">", "<="), ("lt", ">=", "<")):
        bound = getattr(leaf, attr)
        if bound is not None and leaf.python_type in (int, float):
            tests.append(f"{column} {op} {bound!r}")
            said.append(f"{word} {bound:g}")
    if leaf.allowed and not leaf.repeated:
        codes = ", ".join("'" + code.replace("'", "''") + "'" for code in leaf.allowed)
        tests.append(f"{column} NOT IN ({codes})")
        said.append(f"one of {', '.join(leaf.allowed)}")
    if leaf.max_length is not None and leaf.python_type is str:
        tests.append(f"length({column}) > {leaf.max_length}")
        said.append(f"at most {leaf.max_length} characters")
    return (" OR ".join(tests), " and ".join(said)) if tests else None


def _check_values(
    first: Callable[[str], tuple[Any, ...] | None],
    scan: Callable[[str], str],
    place: Callable[[str, int], str],
) -> None:
    """Each column's values within what the record model accepts (its bounds, codes and lengths), so that
    a screen never judges a value a single assessment would refuse; the first offender is named."""
    for name, table in tables().items():
        for column in table.columns:
            if column.leaf is None:
                continue
            found = _rule(column.name, column.leaf)
            if found is None:
                continue
            test, allowed = found
            bad = first(
                f"SELECT file_row_number, {column.name} FROM {scan(name)} WHERE {test} "
                "ORDER BY file_row_number LIMIT 1"
            )
            if bad is not None:
                raise InputError(
                    f"{place(name, bad[0])}: {column.name} {bad[1]!r} is not allowed ({allowed})"
                )
