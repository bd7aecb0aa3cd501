"""The ``runner`` fixture: every criteria runner, each held to the same reference cases.

A runner evaluates one criterion for one record in one cell on an as-of date and reports an ``Outcome``:
the three-valued result, what to document while unknown, the conditions it carries and any readings to
reconcile. The per-patient Python runner reports all four; the compiled screening runner (the rule set as
one SQL query, ``screening.compiler``, here on DuckDB) reports the value and whether readings contradict
each other, and leaves what to document and the conditions to the per-patient engine (``None``: not
reported). Both pass ``tests/rulesets/test_criteria.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from tests.rulesets.cases.criteria import AS_OF, TABLES

from lss_pathway.criteria.candidacy import run_criterion
from lss_pathway.criteria.logic import Tri
from lss_pathway.criteria.ruleset import Criterion, RuleSet
from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.record import PatientRecord


@dataclass(frozen=True, slots=True)
class Outcome:
    value: Tri
    missing: tuple[str, ...] | None
    """What to document while unknown; ``None`` from a runner that leaves it to the per-patient engine."""
    conditions: tuple[object, ...] | None
    conflicts: tuple[str, ...]


Runner = Callable[[Criterion, PatientRecord, RuleSet, Level, Side, dt.date], Outcome]


def _python(
    criterion: Criterion, record: PatientRecord, rules: RuleSet, level: Level, side: Side, on_date: dt.date
) -> Outcome:
    node = run_criterion(criterion, record, rules, level, side, on_date)
    return Outcome(node.value, node.missing, node.conditions, node.conflicts)


_TRI = {True: Tri.MET, False: Tri.NOT_MET, None: Tri.UNKNOWN}
Cells = dict[tuple[str, str], dict[str, Any]]
_SCREENED: dict[tuple[str, dt.date, str], Cells] = {}


def _reference_records(rules: RuleSet) -> list[PatientRecord]:
    """Every reference record of the rule set's version, dated as its test dates it."""
    cases, boundaries = TABLES[rules.version]
    dated = [(data, AS_OF) for case in cases.values() for data in case]
    dated += [(b.record, b.as_of) for b in boundaries]
    return [PatientRecord.model_validate({"assessment_date": on, **data}) for data, on in dated]


def _screen(records: list[PatientRecord], rules: RuleSet, on_date: dt.date) -> None:
    """Screen many records in one query, as a population screen does, and keep each one's cells."""
    duckdb_runner = pytest.importorskip("lss_pathway.screening.duckdb_runner", reason="needs [screening]")
    con = duckdb_runner.connect_records(records)
    by_key: dict[int, Cells] = {}
    for row in duckdb_runner.criteria(con, rules, on_date):
        by_key.setdefault(row["patient_key"], {})[row["level"], row["side"]] = row
    for key, record in enumerate(records):
        _SCREENED[rules.ref, on_date, record.model_dump_json()] = by_key[key]


def _duckdb(
    criterion: Criterion, record: PatientRecord, rules: RuleSet, level: Level, side: Side, on_date: dt.date
) -> Outcome:
    """The reference records of a rule set are screened together on first use (one query, not hundreds)."""
    key = (rules.ref, on_date, record.model_dump_json())
    if key not in _SCREENED and rules.version in TABLES:
        _screen(_reference_records(rules), rules, on_date)
    if key not in _SCREENED:
        _screen([record], rules, on_date)
    cells = _SCREENED[key]
    assert len(cells) == 10, "one row per level and side"
    cell = cells[level.value, side.value]
    conflicts = ("reconcile",) if cell[f"k__{criterion.id}"] else ()
    return Outcome(_TRI[cell[f"v__{criterion.id}"]], None, None, conflicts)


RUNNERS: dict[str, Runner] = {"python": _python, "duckdb": _duckdb}


@pytest.fixture(params=sorted(RUNNERS))
def runner(request: pytest.FixtureRequest) -> Runner:
    return RUNNERS[request.param]
