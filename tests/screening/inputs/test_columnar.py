"""Parquet/CSV in the projection's own schema: a lossless round trip of the examples, and each refusal
(named by table, column and row) of what would make a screen silently wrong."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

pa = pytest.importorskip("pyarrow")
pytest.importorskip("duckdb")

import pyarrow.compute as pc  # noqa: E402
import pyarrow.csv as pcsv  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from lss_pathway.domain.record import PatientRecord  # noqa: E402
from lss_pathway.domain.schema import record_from_rows, rows_by_patient, tables  # noqa: E402
from lss_pathway.screening.inputs.columnar import read_columnar  # noqa: E402
from lss_pathway.screening.inputs.report import InputError  # noqa: E402
from lss_pathway.screening.sink import RowSink  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
Tables = dict[str, Any]  # table name -> pyarrow Table


def examples() -> list[PatientRecord]:
    files = sorted(EXAMPLES.glob("*.yaml"))
    assert len(files) >= 10
    return [PatientRecord.model_validate(yaml.safe_load(f.read_text())) for f in files]


@pytest.fixture(scope="module")
def example_tables(tmp_path_factory: pytest.TempPathFactory) -> Tables:
    folder = tmp_path_factory.mktemp("sink")
    with RowSink(folder) as sink:
        for record in examples():
            sink.add(record)
    return {name: pq.read_table(folder / f"{name}.parquet") for name in tables()}


def write(data: Tables, folder: Path, fmt: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in data.items():
        if fmt == "parquet":
            pq.write_table(table, folder / f"{name}.parquet")
            continue
        columns = []
        for column in table.columns:  # CSV has no lists: the documented JSON array text instead
            if pa.types.is_list(column.type):
                column = pa.array(
                    [None if v is None else json.dumps(v) for v in column.to_pylist()], pa.string()
                )
            columns.append(column)
        pcsv.write_csv(pa.table(columns, names=table.column_names), folder / f"{name}.csv")
    return folder


def read_back(out: Path) -> list[PatientRecord]:
    rows = {name: pq.read_table(out / f"{name}.parquet").to_pylist() for name in tables()}
    return [record_from_rows(patient_rows) for _, patient_rows in rows_by_patient(rows)]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_examples_round_trip(example_tables: Tables, tmp_path: Path, fmt: str) -> None:
    folder = write(example_tables, tmp_path / "in", fmt)
    report = read_columnar(folder, tmp_path / "out", fmt=fmt)  # type: ignore[arg-type]
    assert read_back(tmp_path / "out") == examples()
    assert report.patients == len(examples()) == report.read["patients"]
    assert report.read["levels"] == example_tables["levels"].num_rows > 0
    assert not report.skipped


def test_csv_empty_cells_are_null_never_nan_or_empty_text(example_tables: Tables, tmp_path: Path) -> None:
    folder = write(example_tables, tmp_path / "in", "csv")
    assert ",," in (folder / "patients.csv").read_text()  # the examples leave many facts unknown
    read_columnar(folder, tmp_path / "out", fmt="csv")
    patients = pq.read_table(tmp_path / "out" / "patients.parquet")
    abi = patients.column("exam_abi_left")
    assert abi.null_count > 0 and not pc.any(pc.is_nan(abi)).as_py()
    assert "" not in patients.column("summary").to_pylist()
    assert patients.schema == pq.read_schema(tmp_path / "out" / "patients.parquet")


def test_missing_list_tables_are_empty_and_wider_parquet_types_are_cast(
    example_tables: Tables, tmp_path: Path
) -> None:
    data = dict(example_tables)
    del data["epidurogram"]
    patients = data["patients"]
    i = patients.column_names.index("symptoms_duration_months")  # DOUBLE, given as integers
    months = pa.array([None if v is None else round(v) for v in patients.column(i).to_pylist()], pa.int64())
    data["patients"] = patients.set_column(i, "symptoms_duration_months", months)
    j = patients.column_names.index("conservative_care_esi_count")  # INTEGER, given as int64
    data["patients"] = data["patients"].set_column(
        j, "conservative_care_esi_count", patients.column(j).cast(pa.int64())
    )
    read_columnar(write(data, tmp_path / "in", "parquet"), tmp_path / "out", fmt="parquet")
    out = pq.read_table(tmp_path / "out" / "patients.parquet")
    assert out.schema.field("symptoms_duration_months").type == pa.float64()
    assert out.schema.field("conservative_care_esi_count").type == pa.int32()
    assert pq.read_table(tmp_path / "out" / "epidurogram.parquet").num_rows == 0


# --- refusals ------------------------------------------------------------------------------------------


def set_value(data: Tables, table: str, column: str, row: int, value: Any, kind: Any = None) -> None:
    t = data[table]
    i = t.column_names.index(column)
    values = t.column(i).to_pylist()
    values[row] = value
    data[table] = t.set_column(i, column, pa.array(values, kind or t.schema.field(column).type))


def drop(table: str, column: str) -> Callable[[Tables], None]:
    def change(data: Tables) -> None:
        data[table] = data[table].drop_columns([column])

    return change


def add_column(data: Tables) -> None:
    data["levels"] = data["levels"].append_column("comment", pa.array(["x"] * data["levels"].num_rows))


def nan_abi(data: Tables) -> None:
    set_value(data, "patients", "exam_abi_left", 2, math.nan)


def infinite_area(data: Tables) -> None:
    set_value(data, "levels", "canal_area_mm2", 1, math.inf)


def duplicate_patient(data: Tables) -> None:
    set_value(data, "patients", "patient_key", 3, 1)


def orphan_level(data: Tables) -> None:
    set_value(data, "levels", "patient_key", 0, 999)


def side_without_level(data: Tables) -> None:
    set_value(
        data,
        "level_sides",
        "level",
        0,
        "L1-L2" if data["level_sides"]["level"][0].as_py() != "L1-L2" else "L2-L3",
    )


def level_twice(data: Tables) -> None:
    levels = data["levels"]
    data["levels"] = pa.concat_tables([levels, levels.slice(0, 1)])


def null_key(data: Tables) -> None:
    set_value(data, "antithrombotics", "patient_key", 0, None)


def rows_in_an_unknown_list(data: Tables) -> None:
    key = data["antithrombotics"]["patient_key"][0].as_py()
    row = data["patients"]["patient_key"].to_pylist().index(key)
    set_value(data, "patients", "safety_antithrombotics_recorded", row, False)


REFUSALS = [
    (drop("patients", "exam_abi_left"), r"patients\.\w+: missing column exam_abi_left"),
    (add_column, r"levels\.\w+: column comment is not in the columnar schema"),
    (nan_abi, r"patients\.\w+ row 3.*: column exam_abi_left is nan, not a number.*NULL"),
    (infinite_area, r"levels\.\w+ row 2.*: column canal_area_mm2 is inf, not a number"),
    (duplicate_patient, r"patients\.\w+ row 2.*: patient_key 1 appears more than once \(again in row 4\)"),
    (orphan_level, r"levels\.\w+ row 1.*: its patient_key has no row in patients"),
    (side_without_level, r"level_sides\.\w+ row 1.*: its patient_key, level has no row in levels"),
    (level_twice, r"levels\.\w+ row \d+.*: patient_key \d+, level L\d-\w+ appears more than once"),
    (null_key, r"antithrombotics\.\w+ row 1.*: column patient_key may not be empty"),
    (rows_in_an_unknown_list, r"antithrombotics\.\w+ row 1.*safety_antithrombotics_recorded is false"),
]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize(
    ("change", "message"), REFUSALS, ids=[c.__qualname__.split(".")[0] for c, _ in REFUSALS]
)
def test_refusals_name_table_column_and_row(
    example_tables: Tables, tmp_path: Path, fmt: str, change: Callable[[Tables], None], message: str
) -> None:
    data = dict(example_tables)
    change(data)
    folder = write(data, tmp_path / "in", fmt)
    with pytest.raises(InputError, match=message):
        read_columnar(folder, tmp_path / "out", fmt=fmt)  # type: ignore[arg-type]
    assert not list((tmp_path / "out").glob("*.parquet")), "a refused input leaves no tables behind"


def test_csv_row_numbers_give_the_line_too(example_tables: Tables, tmp_path: Path) -> None:
    data = dict(example_tables)
    nan_abi(data)
    with pytest.raises(InputError, match=r"patients\.csv row 3 \(line 4\)"):
        read_columnar(write(data, tmp_path / "in", "csv"), tmp_path / "out", fmt="csv")


def test_parquet_column_of_the_wrong_type(example_tables: Tables, tmp_path: Path) -> None:
    data = dict(example_tables)
    patients = data["patients"]
    i = patients.column_names.index("exam_abi_left")
    as_text = [None if v is None else str(v) for v in patients.column(i).to_pylist()]
    data["patients"] = patients.set_column(i, "exam_abi_left", pa.array(as_text, pa.string()))
    with pytest.raises(
        InputError, match=r"patients\.parquet: column exam_abi_left is string, which cannot hold double"
    ):
        read_columnar(write(data, tmp_path / "in", "parquet"), tmp_path / "out", fmt="parquet")


def edit_first_csv_row(path: Path, column: str, text: str) -> None:
    """Write ``text`` as the raw cell of ``column`` in the first data row (rows without quoted commas)."""
    rows = path.read_text().splitlines()
    cells = rows[1].split(",")
    cells[rows[0].split(",").index(f'"{column}"')] = text
    path.write_text("\n".join([rows[0], ",".join(cells), *rows[2:]]) + "\n")


def test_csv_cell_that_is_not_a_number(example_tables: Tables, tmp_path: Path) -> None:
    folder = write(example_tables, tmp_path / "in", "csv")
    edit_first_csv_row(folder / "levels.csv", "canal_area_mm2", "narrow")
    with pytest.raises(
        InputError,
        match=r"levels\.csv row 1 \(line 2\): column canal_area_mm2 cannot be read as double: 'narrow'",
    ):
        read_columnar(folder, tmp_path / "out", fmt="csv")


def test_csv_list_cell_that_is_not_a_json_array(example_tables: Tables, tmp_path: Path) -> None:
    data = dict(example_tables)
    set_value(data, "prior_procedures", "levels", 0, None)
    folder = write(data, tmp_path / "in", "csv")
    edit_first_csv_row(folder / "prior_procedures.csv", "levels", "L4-L5")
    with pytest.raises(
        InputError, match=r"prior_procedures\.csv row 1 \(line 2\): column levels must be a JSON array"
    ):
        read_columnar(folder, tmp_path / "out", fmt="csv")


def test_what_cannot_be_screened_at_all(example_tables: Tables, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such folder"):
        read_columnar(tmp_path / "absent", tmp_path / "out", fmt="csv")
    folder = write(example_tables, tmp_path / "in", "csv")
    (folder / "level_side.csv").write_text("patient_key\n")
    with pytest.raises(InputError, match=r"level_side\.csv: not a table of the columnar schema"):
        read_columnar(folder, tmp_path / "out", fmt="csv")
    (folder / "level_side.csv").unlink()
    (folder / "patients.csv").unlink()
    with pytest.raises(InputError, match=r"no patients\.csv"):
        read_columnar(folder, tmp_path / "out", fmt="csv")
    with pytest.raises(InputError, match="unknown columnar format"):
        read_columnar(folder, tmp_path / "out", fmt="json")  # type: ignore[arg-type]


def test_nan_would_meet_an_abi_criterion_so_it_is_refused_and_null_stays_unknown(
    example_tables: Tables, tmp_path: Path
) -> None:
    """The issue's hazard, shown on the embedded engine: NaN >= 0.9 is true, NULL >= 0.9 is unknown."""
    import duckdb

    data = dict(example_tables)
    nan_abi(data)
    folder = write(data, tmp_path / "nan", "parquet")
    query = "SELECT exam_abi_left >= 0.9 FROM read_parquet(?) WHERE patient_key = 2"
    assert duckdb.execute(query, [str(folder / "patients.parquet")]).fetchall() == [(True,)]
    with pytest.raises(InputError, match="exam_abi_left is nan"):
        read_columnar(folder, tmp_path / "refused", fmt="parquet")
    data = dict(example_tables)
    set_value(data, "patients", "exam_abi_left", 2, None)
    read_columnar(write(data, tmp_path / "null", "csv"), tmp_path / "out", fmt="csv")
    assert duckdb.execute(query, [str(tmp_path / "out" / "patients.parquet")]).fetchall() == [(None,)]


@pytest.mark.parametrize(
    ("table", "column", "value", "said"),
    [
        ("patients", "exam_abi_left", 7.5, "<= 3"),
        ("levels", "central_stenosis", "very severe", "one of none, mild, moderate, severe"),
        ("levels", "canal_area_mm2", -1.0, "> 0 and <= 400"),
    ],
)
def test_a_value_the_record_model_refuses_is_refused_by_name(
    tmp_path: Path, table: str, column: str, value: object, said: str
) -> None:
    """A screen must not judge a value a single assessment would refuse (an ABI of 7.5, a made-up grade)."""
    source = _bounds_source(tmp_path)
    rows = pq.read_table(source / f"{table}.parquet").to_pylist()
    rows[0][column] = value
    schema = pq.read_schema(source / f"{table}.parquet")
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), source / f"{table}.parquet")
    with pytest.raises(InputError, match=rf"{table}\.parquet row 1: {column} .* is not allowed \(.*{said}"):
        read_columnar(source, tmp_path / "out", fmt="parquet")


def _bounds_source(tmp_path: Path) -> Path:
    from lss_pathway.screening.synthetic import generate

    source = tmp_path / "source"
    generate(20, source, seed=2)
    return source
