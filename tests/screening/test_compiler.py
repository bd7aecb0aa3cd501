"""The compiled screen against the per-patient engine, cell by cell, on every packaged rule set.

The per-criterion reference cases run on both runners through ``tests/rulesets/conftest.py``; here the
whole verdict is compared: the verdict, the blocking criteria not met, the criteria holding the cell back
and the pending confirmations, in the order the engine lists them, for the examples and for generated
records (missing values, contradicting readings, antithrombotics, prior procedures, records without an
assessment date).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from tests.test_safety_properties import EXAMPLES, ON, RULESETS, SETTINGS, records

from lss_pathway.criteria.candidacy import Cell, run_candidacy
from lss_pathway.criteria.expressions import Hold
from lss_pathway.criteria.python_runner import DERIVATIONS
from lss_pathway.criteria.ruleset import RuleSet
from lss_pathway.domain.record import PatientRecord
from lss_pathway.rulesets.catalog import load_ruleset

duckdb_runner = pytest.importorskip(
    "lss_pathway.screening.duckdb_runner", reason="needs the [screening] extra"
)

from lss_pathway.screening.compiler import Compiler, compile_ruleset  # noqa: E402
from lss_pathway.screening.fact_sql import DERIVED  # noqa: E402

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
BATCH = 40  # records per generated population: one query per rule set per example


def _engine_row(cell: Cell) -> tuple[str, str, str, str]:
    return (
        cell.verdict.value,
        ",".join(r.criterion.id for r in cell.results if r.criterion.blocks and r.value.value == "not_met"),
        ",".join(r.criterion.id for r in cell.results if r.holds_back),
        ",".join(r.criterion.id for r in cell.pending),
    )


def _compare(records: list[PatientRecord], rules: RuleSet, as_of: dt.date) -> int:
    con = duckdb_runner.connect_records(records)
    screened = {(r[0], r[1], r[2]): tuple(r[3:]) for r in duckdb_runner.cells(con, rules, as_of)}
    assert len(screened) == 10 * len(records)
    for key, record in enumerate(records):
        for cell in run_candidacy(record, rules, record.on_date(as_of), explain=False).cells:
            where = (key, cell.level.value, cell.side.value)
            assert screened[where] == _engine_row(cell), f"{rules.ref} record {key} {where[1]} {where[2]}"
    return len(screened)


def _examples() -> list[PatientRecord]:
    files = sorted(EXAMPLES_DIR.glob("*.yaml"))
    assert len(files) >= 10
    return [PatientRecord.model_validate(yaml.safe_load(f.read_text())) for f in files]


def test_every_derived_fact_has_its_sql() -> None:
    assert set(DERIVED) == set(DERIVATIONS)


@pytest.mark.parametrize("rules", RULESETS, ids=lambda r: r.ref)
def test_the_examples_screen_as_the_engine_assesses_them(rules: RuleSet) -> None:
    assert _compare(_examples(), rules, ON) == 10 * len(_examples())


def test_the_examples_include_candidates_and_each_kind_of_verdict() -> None:
    con = duckdb_runner.connect_records(_examples())
    verdicts = {row[3] for row in duckdb_runner.cells(con, load_ruleset("textbook"), ON)}
    assert verdicts == {"candidate", "not_candidate", "undetermined"}


@st.composite
def populations(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dt.date]:
    population = []
    for _ in range(BATCH):
        data = draw(records())
        if draw(st.booleans()):
            del data["assessment_date"]  # dated by the screen's as-of date instead
        population.append(data)
    as_of = draw(st.dates(ON - dt.timedelta(days=800), ON + dt.timedelta(days=800)))
    return population, as_of


@SETTINGS.__class__(parent=SETTINGS, max_examples=max(EXAMPLES // BATCH, 5))
@given(populations())
def test_generated_populations_screen_as_the_engine_assesses_them(
    population: tuple[list[dict[str, Any]], dt.date],
) -> None:
    """``LSS_PROPERTY_EXAMPLES`` records in all (1,000 in CI), in populations of ``BATCH``."""
    datas, as_of = population
    found = [PatientRecord.model_validate(d) for d in datas]
    for rules in RULESETS:
        _compare(found, rules, as_of)


def test_an_unknown_node_fails_loudly_rather_than_compiling_to_something() -> None:
    compiler = Compiler(load_ruleset("textbook"))
    with pytest.raises(TypeError, match="no rule for expression node"):
        compiler.expr(object())  # type: ignore[arg-type]


def test_the_compiled_form_is_kept_with_the_rule_set() -> None:
    rules = load_ruleset("textbook")
    assert compile_ruleset(rules) is compile_ruleset(rules)
    assert isinstance(compile_ruleset(rules).expr(Hold("antithrombotics")).v, str)
