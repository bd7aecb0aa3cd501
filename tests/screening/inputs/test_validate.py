"""The NaN gate before any runner: NaN or infinity in a DOUBLE column is refused, naming table and column."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

duckdb = pytest.importorskip("duckdb")
pytest.importorskip("pyarrow")

from tests.screening.nan_tables import ABI_LEFT, with_abi, write_population  # noqa: E402

from lss_pathway.screening.inputs.report import InputError  # noqa: E402
from lss_pathway.screening.inputs.validate import (  # noqa: E402
    check_tables,
    double_columns,
    nonfinite_counts_sql,
    refuse_nonfinite,
)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_population(tmp_path_factory.mktemp("nan"))


def test_double_columns_are_the_measurements() -> None:
    doubles = double_columns()
    assert "exam_abi_left" in doubles["patients"]
    assert "canal_area_mm2" in doubles["levels"]
    assert "patient_key" not in doubles["patients"]  # BIGINT
    assert "epidurogram" not in doubles  # no DOUBLE column at all


def test_duckdb_itself_reads_nan_as_above_every_threshold() -> None:
    """Why the gate exists on the DuckDB runner too, not only on Spark."""
    found = duckdb.connect().execute("SELECT 'NaN'::DOUBLE >= 0.9, 'NaN'::DOUBLE > 1e308").fetchall()
    assert found == [(True, True)]


def test_a_clean_population_passes(clean: Path) -> None:
    check_tables(clean)


def test_nan_is_refused_naming_table_and_column(clean: Path, tmp_path: Path) -> None:
    folder = with_abi(clean, tmp_path / "nan", ABI_LEFT)
    with pytest.raises(InputError, match=r"patients\.exam_abi_left \(1\)") as raised:
        check_tables(folder)
    assert "must be NULL" in str(raised.value)
    assert "exam_abi_right" not in str(raised.value)


def test_null_is_accepted(clean: Path, tmp_path: Path) -> None:
    check_tables(with_abi(clean, tmp_path / "nulls", {1: None, 2: 0.5, 3: 1.0}))


@pytest.mark.parametrize("value", [math.inf, -math.inf])
def test_infinity_is_refused(clean: Path, tmp_path: Path, value: float) -> None:
    with pytest.raises(InputError, match=r"patients\.exam_abi_left \(1\)"):
        check_tables(with_abi(clean, tmp_path / "inf", {5: value}))


def test_counting_sql_counts_only_non_finite_values() -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS FROM (VALUES (1.0::DOUBLE, 1.0::DOUBLE), ('NaN', 2.0), (NULL, 3.0),"
        " ('-Infinity', 4.0)) v(x, y)"
    )
    con.execute("CREATE TABLE u AS FROM (VALUES ('Infinity'::DOUBLE)) v(z)")
    assert con.execute(nonfinite_counts_sql({"t": ["x", "y"], "u": ["z"]})).fetchall() == [(2, 0, 1)]


def test_every_bad_column_is_named_with_its_count() -> None:
    with pytest.raises(InputError) as raised:
        refuse_nonfinite(
            {"patients": {"exam_abi_left": 2, "exam_abi_right": 0}, "levels": {"slip_percent": 1}}
        )
    message = str(raised.value)
    assert "patients.exam_abi_left (2)" in message and "levels.slip_percent (1)" in message
    assert "exam_abi_right" not in message
    refuse_nonfinite({"patients": {"exam_abi_left": 0}})  # nothing to refuse
