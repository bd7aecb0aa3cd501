"""The numeric cut-offs a rule set tests on one fact, found by walking its criteria.

Shared by the report figure (which draws them) and the imaging edge (which refuses to decide a
measurement whose uncertainty interval contains one), so both read the thresholds the same way and
neither assumes criterion names.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lss_pathway.criteria.expressions import (
    Agree,
    AllOf,
    AnyOf,
    Compare,
    Consistent,
    Expr,
    Hold,
    Not,
    Param,
    unsupported,
)
from lss_pathway.criteria.ruleset import RuleSet, Verification

NEGATED_OP = {"ge": "lt", "gt": "le", "lt": "ge", "le": "gt"}


@dataclass(frozen=True, slots=True)
class FactThreshold:
    """One ordering comparison on a fact, written as the requirement that holds for the criterion.

    ``op`` already has an enclosing ``not`` applied (``not (x < 2.5)`` reads as ``x >= 2.5``).
    """

    op: str
    value: float
    source: str
    verification: Verification


def _comparisons(expr: Expr, fact: str, negated: bool = False) -> Iterator[tuple[Compare, bool]]:
    """Comparisons on ``fact``, each with whether an odd number of ``not`` encloses it.

    Readings checked only for consistency with each other, and holds, state no threshold.
    """
    match expr:
        case Compare():
            if expr.fact == fact:
                yield expr, negated
        case Not(item):
            yield from _comparisons(item, fact, not negated)
        case AllOf(items) | AnyOf(items) | Agree(items):
            for item in items:
                yield from _comparisons(item, fact, negated)
        case Consistent() | Hold():
            return
        case _:
            unsupported(expr, "fact_thresholds")


def fact_thresholds(rules: RuleSet, fact: str) -> tuple[FactThreshold, ...]:
    """The distinct (operator, value) cut-offs on ``fact``, in criterion order; parameters resolved."""
    found: dict[tuple[str, float], FactThreshold] = {}
    raw: object
    for criterion in rules.criteria:
        for compare, negated in _comparisons(criterion.test, fact):
            op = NEGATED_OP[compare.op] if negated and compare.op in NEGATED_OP else compare.op
            if op not in NEGATED_OP:  # only ordering comparisons are thresholds
                continue
            if isinstance(compare.value, Param):
                param = rules.parameters.get(compare.value.name)
                if param is None:
                    continue
                raw, source_id, verification = param.value, param.source, param.verification
            else:
                raw, source_id, verification = compare.value, criterion.source, criterion.verification
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                continue
            key = (op, float(raw))
            if key not in found:
                found[key] = FactThreshold(op, float(raw), source_id, verification)
    return tuple(found.values())
