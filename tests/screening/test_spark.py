"""The Spark runner's plumbing: the hand-written DuckDB SQL gives DuckDB's exact rows on Spark, NaN never
reaches a runner, and a machine without Java gets a clear message.

Tests that start Spark are marked ``spark`` and share one session (``conftest.spark``); the translation
and Java checks need no JVM.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sqlglot", reason="sqlglot is not installed (the screening extra)")
duckdb = pytest.importorskip("duckdb")

from benchmarks import screen_hand_sql as hand  # noqa: E402
from tests.screening.nan_tables import ABI_LEFT, with_abi, write_population  # noqa: E402

from lss_pathway.screening.inputs.report import InputError  # noqa: E402
from lss_pathway.screening.spark import (  # noqa: E402
    SparkUnavailable,
    check_java,
    java_version,
    local_threads,
    parse_macros,
    register_tables,
    run_sql,
    to_spark_sql,
)
from lss_pathway.screening.synthetic import generate  # noqa: E402

PATIENTS = 2000


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("spark-population")
    generate(PATIENTS, folder, seed=11)
    return folder


@pytest.fixture(scope="module")
def registered(spark: Any, population: Path) -> Any:
    register_tables(spark, population)
    return spark


# --- translation (no JVM) ---------------------------------------------------------------------------------


def test_macros_are_inlined_with_their_precedence() -> None:
    sql = to_spark_sql("SELECT isfalse(a OR b) AS x, isfalse(isfalse(c)) AS y FROM t", hand.MACROS)
    assert "ISFALSE" not in sql.upper()
    assert "COALESCE(NOT (a OR b), FALSE)" in sql  # the argument keeps its parentheses
    assert sql.count("COALESCE") == 3  # the nested call is expanded too


def test_a_macro_called_with_the_wrong_arity_is_an_error() -> None:
    with pytest.raises(ValueError, match="takes 1 arguments, got 2"):
        to_spark_sql("SELECT isfalse(a, b) FROM t", hand.MACROS)


def test_parse_macros_reads_duckdb_ddl() -> None:
    ddl = (
        "CREATE OR REPLACE MACRO isfalse(x) AS coalesce(NOT x, false);\n"
        "CREATE MACRO between3(v, lo, hi) AS v >= lo AND v <= hi"
    )
    assert parse_macros(ddl) == {
        "isfalse": (("x",), "coalesce(NOT x, false)"),
        "between3": (("v", "lo", "hi"), "v >= lo AND v <= hi"),
    }
    with pytest.raises(ValueError, match="table macros"):
        parse_macros("CREATE MACRO rows(n) AS TABLE SELECT * FROM range(n)")


def test_a_bare_null_condition_gets_a_boolean_type() -> None:
    sql = to_spark_sql("SELECT CASE WHEN NULL THEN 1 ELSE 2 END, NOT NULL, NULL AND x, NULL AS kept FROM t")
    assert sql.count("CAST(NULL AS BOOLEAN)") == 3
    assert "NULL AS kept" in sql  # a NULL value (not a condition) is left alone


def test_only_one_statement_is_translated() -> None:
    with pytest.raises(ValueError, match="one query"):
        to_spark_sql("SELECT 1; SELECT 2")


@pytest.mark.parametrize(
    ("master", "threads"),
    [("local", 1), ("local[3]", 3), ("local[4,2]", 4), ("local[*]", os.cpu_count()), ("spark://h:7077", None),
     ("yarn", None)],
)  # fmt: skip
def test_local_threads_come_from_the_master_url(master: str, threads: int | None) -> None:
    assert local_threads(master) == threads


# --- Java --------------------------------------------------------------------------------------------------


def _fake_java(folder: Path, says: str) -> Path:
    java = folder / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text(f"#!/bin/sh\necho '{says}' >&2\n")
    java.chmod(0o755)
    return folder


def test_missing_java_is_a_clear_input_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    with pytest.raises(SparkUnavailable, match=r"Java 17 or later: JAVA_HOME=.* has no bin/java") as raised:
        check_java()
    assert isinstance(raised.value, InputError)  # the CLI's exit 2 with the message, no traceback
    assert "--engine duckdb" in str(raised.value)


def test_no_java_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "")
    with pytest.raises(SparkUnavailable, match="no java on PATH"):
        check_java()


def test_java_older_than_17_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAVA_HOME", str(_fake_java(tmp_path, 'openjdk version "11.0.22" 2024-01-16')))
    with pytest.raises(SparkUnavailable, match="reports 11"):
        check_java()


@pytest.mark.parametrize(
    ("says", "major"),
    [('openjdk version "17.0.15" 2025-04-15', 17), ('java version "1.8.0_402"', 8),
     ('openjdk version "21" 2023', 21), ("something else", None)],
)  # fmt: skip
def test_java_version_is_read_from_its_banner(tmp_path: Path, says: str, major: int | None) -> None:
    assert java_version(str(_fake_java(tmp_path, says) / "bin" / "java")) == major


# --- on Spark ----------------------------------------------------------------------------------------------


def _duckdb_rows(folder: Path, sql: str) -> list[tuple[Any, ...]]:
    con = hand.connect(folder, threads=2)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.spark
@pytest.mark.parametrize("query", [hand.cells_query, hand.fast_query], ids=["cells", "fast"])
def test_hand_sql_gives_duckdbs_rows_on_spark(registered: Any, population: Path, query: Any) -> None:
    """Every cell of 2,000 synthetic patients, every column (the cells query has each criterion's value and
    hold flag): the same rows, the same Python values, on both engines."""
    sql = query()
    expected = sorted(_duckdb_rows(population, sql))
    found = sorted(run_sql(registered, sql, hand.MACROS))
    assert len(expected) == PATIENTS * 10
    assert found == expected
    verdicts = {row[3] for row in found}
    assert verdicts == {"candidate", "not_candidate", "undetermined"}  # the sample exercises every verdict


@pytest.mark.spark
def test_spark_reads_nan_as_a_met_threshold_and_the_gate_stops_it(spark: Any, tmp_path: Path) -> None:
    folder = with_abi(write_population(tmp_path), tmp_path / "nan", ABI_LEFT)
    register_tables(spark, folder, check=False)  # the trap, unguarded
    sql = "SELECT patient_key, exam_abi_left >= 0.9 FROM patients WHERE patient_key < 4 ORDER BY 1"
    assert run_sql(spark, sql) == [(0, True), (1, None), (2, False), (3, True)]  # NaN -> met; NULL -> unknown
    with pytest.raises(InputError, match=r"patients\.exam_abi_left \(1\)"):
        register_tables(spark, folder)  # the default: Spark counts the NaN itself and refuses


@pytest.mark.spark
def test_spark_session_is_local_quiet_and_utc(spark: Any) -> None:
    conf = spark.sparkContext.getConf()
    assert conf.get("spark.ui.enabled") == "false"
    assert conf.get("spark.driver.host") == "127.0.0.1"  # nothing listens beyond loopback in local mode
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert spark.conf.get("spark.sql.shuffle.partitions") == "4"
    assert os.environ.get("SPARK_LOCAL_IP") == "127.0.0.1"


@pytest.mark.spark
def test_a_bare_null_condition_runs_as_unknown_on_spark(spark: Any) -> None:
    sql = "SELECT CASE WHEN NULL THEN 1 ELSE 2 END, NOT NULL, NULL AND false, NULL OR true"
    assert run_sql(spark, sql) == [(2, None, False, True)] == duckdb.connect().execute(sql).fetchall()


@pytest.mark.spark
def test_missing_tables_are_named(spark: Any, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"lacks patients\.parquet, levels\.parquet"):
        register_tables(spark, tmp_path)


# The dialect notes of docs/screening.md, kept honest: what carries over gives DuckDB's values on Spark;
# what the compiler must avoid still differs (if a new sqlglot or Spark fixes one, revisit the note).
CARRIES_OVER = """
SELECT (CAST(NULL AS BOOLEAN)) IS NOT TRUE, false IS TRUE, 'b' IN ('a', 'b'), NULL IN ('a'),
  list_contains(['a', 'b'], 'b'), array_length(['a', 'b']),
  date_diff('day', DATE '2024-01-01', DATE '2024-03-01'), isnan('NaN'::DOUBLE), 'NaN'::DOUBLE >= 0.9,
  (SELECT count(*) FILTER (WHERE x > 1) FROM (VALUES (1), (2), (3)) v(x)),
  (SELECT string_agg(x, ',' ORDER BY x) FROM (VALUES ('b'), ('a')) v(x)),
  (SELECT bool_or(x) FROM (VALUES (true), (NULL)) v(x)),
  (SELECT bool_and(x) FROM (VALUES (false), (NULL)) v(x))
"""
DIFFERS = {
    "date_diff_month": "SELECT date_diff('month', DATE '2024-01-31', DATE '2024-03-01')",
    "cast_to_integer": "SELECT CAST(2.5 AS INTEGER)",
    "date_minus_date": "SELECT DATE '2024-03-01' - DATE '2024-01-01'",
}


@pytest.mark.spark
def test_what_carries_over_gives_duckdbs_values(spark: Any) -> None:
    expected = duckdb.connect().execute(CARRIES_OVER).fetchall()
    assert expected == [(True, False, True, None, True, 2, 60, True, True, 2, "a,b", True, False)]
    assert run_sql(spark, CARRIES_OVER) == expected


@pytest.mark.spark
@pytest.mark.parametrize("name", DIFFERS)
def test_what_the_compiler_must_avoid_still_differs(spark: Any, name: str) -> None:
    assert run_sql(spark, DIFFERS[name]) != duckdb.connect().execute(DIFFERS[name]).fetchall()


@pytest.mark.spark
def test_list_length_must_be_array_length(spark: Any) -> None:
    with pytest.raises(Exception, match="DATATYPE_MISMATCH"):
        run_sql(spark, "SELECT len(['a', 'b'])")
