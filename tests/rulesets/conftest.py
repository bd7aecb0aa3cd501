"""The ``runner`` fixture: every criteria runner, each held to the same reference cases.

A runner evaluates one criterion for one record in one cell on an as-of date and reports an ``Outcome``:
the three-valued result, what to document while unknown, the conditions it carries and any readings to
reconcile. Only the per-patient Python runner exists so far; a compiled runner (DuckDB, Spark) joins
``RUNNERS`` and then passes ``tests/rulesets/test_criteria.py`` unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from lss_pathway.criteria.candidacy import run_criterion
from lss_pathway.criteria.logic import Tri
from lss_pathway.criteria.ruleset import Criterion, RuleSet
from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.record import PatientRecord


@dataclass(frozen=True, slots=True)
class Outcome:
    value: Tri
    missing: tuple[str, ...]
    conditions: tuple[object, ...]
    conflicts: tuple[str, ...]


Runner = Callable[[Criterion, PatientRecord, RuleSet, Level, Side, dt.date], Outcome]


def _python(
    criterion: Criterion, record: PatientRecord, rules: RuleSet, level: Level, side: Side, on_date: dt.date
) -> Outcome:
    node = run_criterion(criterion, record, rules, level, side, on_date)
    return Outcome(node.value, node.missing, node.conditions, node.conflicts)


RUNNERS: dict[str, Runner] = {"python": _python}


@pytest.fixture(params=sorted(RUNNERS))
def runner(request: pytest.FixtureRequest) -> Runner:
    return RUNNERS[request.param]
