"""The compiled screen on Spark: the same cells as the per-patient engine, and as DuckDB, cell by cell.

One Spark session serves the module (``conftest.spark``); each rule set is one query over a population
written as the projection's Parquet tables, as a real screen runs.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from tests.screening.test_compiler import BATCH, _engine_row, _examples, populations
from tests.test_safety_properties import EXAMPLES, ON, RULESETS, SETTINGS

from lss_pathway.criteria.candidacy import run_candidacy
from lss_pathway.criteria.ruleset import RuleSet
from lss_pathway.domain.record import PatientRecord
from lss_pathway.rulesets.catalog import load_ruleset

pytest.importorskip("pyspark", reason="pyspark is not installed (the spark extra)")
pq = pytest.importorskip("pyarrow.parquet")

from lss_pathway.screening.compiler import compile_ruleset  # noqa: E402
from lss_pathway.screening.duckdb_runner import DuckDBEngine, connect  # noqa: E402
from lss_pathway.screening.screen import run_screen  # noqa: E402
from lss_pathway.screening.sink import RowSink  # noqa: E402
from lss_pathway.screening.spark import SparkEngine, register_tables, to_spark_sql  # noqa: E402
from lss_pathway.screening.synthetic import generate  # noqa: E402

pytestmark = pytest.mark.spark


def _written(records: list[PatientRecord], folder: Path) -> Path:
    with RowSink(folder) as sink:
        for record in records:
            sink.add(record)
    return folder


def _spark_cells(spark: Any, rules: RuleSet, as_of: dt.date) -> dict[tuple[int, str, str], tuple[Any, ...]]:
    frame = spark.sql(to_spark_sql(compile_ruleset(rules).cells_sql(as_of)))
    return {(r[0], r[1], r[2]): tuple(r[3:]) for r in frame.collect()}


def _agree(
    spark: Any, records: list[PatientRecord], folder: Path, rules: list[RuleSet], as_of: dt.date
) -> int:
    register_tables(spark, _written(records, folder))
    compared = 0
    for ruleset in rules:
        screened = _spark_cells(spark, ruleset, as_of)
        assert len(screened) == 10 * len(records)
        for key, record in enumerate(records):
            for cell in run_candidacy(record, ruleset, record.on_date(as_of), explain=False).cells:
                where = (key, cell.level.value, cell.side.value)
                assert screened[where] == _engine_row(cell), (
                    f"{ruleset.ref} record {key} {where[1]} {where[2]}"
                )
                compared += 1
    return compared


def test_the_examples_screen_on_spark_as_the_engine_assesses_them(spark: Any, tmp_path: Path) -> None:
    examples = _examples()
    assert _agree(spark, examples, tmp_path, list(RULESETS), ON) == 10 * len(examples) * len(RULESETS)


def test_generated_records_screen_on_spark_as_the_engine_assesses_them(spark: Any, tmp_path: Path) -> None:
    """The DuckDB parity test's generated records (``LSS_PROPERTY_EXAMPLES`` in all, 1,000 in CI) in one
    population on Spark; a record without an assessment date is dated by the screen's as-of date."""
    drawn: list[dict[str, Any]] = []

    @SETTINGS.__class__(parent=SETTINGS, max_examples=max(EXAMPLES // BATCH, 5))
    @given(populations())
    def collect(population: tuple[list[dict[str, Any]], dt.date]) -> None:
        drawn.extend(population[0])

    collect()
    records = [PatientRecord.model_validate(data) for data in drawn]
    assert len(records) >= min(EXAMPLES, 5 * BATCH)
    _agree(spark, records, tmp_path, [load_ruleset("textbook"), load_ruleset("mild-trial")], ON)


def test_ten_thousand_patients_give_the_same_outputs_on_spark_and_duckdb(spark: Any, tmp_path: Path) -> None:
    population = tmp_path / "population"
    generate(10_000, population, seed=5)
    rules = load_ruleset("textbook")
    on_duckdb = run_screen(DuckDBEngine(connect(population)), rules, ON, tmp_path / "duckdb")
    register_tables(spark, population)
    on_spark = run_screen(SparkEngine(spark), rules, ON, tmp_path / "spark")
    assert on_spark.patients == on_duckdb.patients and on_spark.cells == on_duckdb.cells
    assert on_spark.attrition == on_duckdb.attrition
    assert on_spark.shortlist == on_duckdb.shortlist
    total = sum(on_duckdb.patients.values())
    assert total == 10_000
    assert (
        total
        == sum(a["patients_excluded"] for a in on_duckdb.attrition)
        + on_duckdb.attrition[-1]["patients_remaining"]
    )

    def cells(folder: Path) -> list[tuple[Any, ...]]:
        table = pq.read_table(folder / "cells.parquet").to_pylist()
        return sorted((r["patient_key"], r["level"], r["side"], r["verdict"], r["not_met"], r["held"],
                       r["pending"], r["n_held"]) for r in table)  # fmt: skip

    assert cells(tmp_path / "spark") == cells(tmp_path / "duckdb")


def test_the_reference_cases_give_the_same_criteria_on_spark_as_on_duckdb(spark: Any, tmp_path: Path) -> None:
    """Every per-criterion reference record of every packaged rule set (``tests/rulesets/cases``, which the
    DuckDB runner passes through the ``runner`` fixture) gives each criterion the same value, reconcile and
    contested flags on Spark, cell by cell: so the Spark runner passes the same cases."""
    from tests.rulesets.conftest import _reference_records

    from lss_pathway.screening.duckdb_runner import connect_records, criteria

    for k, rules in enumerate(RULESETS):
        records = _reference_records(rules)
        folder = _written(records, tmp_path / str(k))
        register_tables(spark, folder)
        query = compile_ruleset(rules).criteria_sql(ON)
        frame = spark.sql(to_spark_sql(query))
        on_spark = {(r["patient_key"], r["level"], r["side"]): r.asDict() for r in frame.collect()}
        on_duckdb = criteria(connect_records(records), rules, ON)
        assert len(on_spark) == len(on_duckdb) == 10 * len(records)
        for row in on_duckdb:
            assert on_spark[row["patient_key"], row["level"], row["side"]] == row, rules.ref
