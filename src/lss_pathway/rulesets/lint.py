"""A linter for rule sets: catches what would make a rule silently wrong before a patient meets it.

Errors: unknown facts or parameters, a fact read outside its scope, values of the wrong type or outside a
code list, missing sources, holds for agents the vocabulary does not know, a criterion that can never be
met, and criteria that can never all be met together (no patient could ever be a candidate).
Warnings: unused parameters, dead ``any`` branches, and criteria whose test repeats another's.
``agree`` may combine any readings of one finding: when they disagree the cell is undetermined with a
"reconcile" item, which the safety properties allow (a verdict then moves, but never silently).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lss_pathway.criteria.expressions import (
    OPS,
    Agree,
    AllOf,
    AnyOf,
    Compare,
    Consistent,
    Expr,
    Hold,
    Not,
    Param,
    dump_expr,
    unsupported,
    walk,
)
from lss_pathway.criteria.facts import FactSpec, fact_catalogue, scope_covers
from lss_pathway.criteria.ruleset import Criterion, Kind, Phase, RuleSet
from lss_pathway.domain.drugs import antithrombotic_agents
from lss_pathway.rulesets.catalog import RuleSetError, resolve


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" or "warning"
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.where}: {self.message}"


def lint(rules: RuleSet) -> list[Finding]:
    """Lint a rule set; ``extends`` is resolved first so inherited criteria are checked in context."""
    findings: list[Finding] = []
    try:
        resolved = resolve(rules)
    except RuleSetError as exc:
        return [Finding("error", rules.ref, str(exc))]
    findings += _check_sources(resolved)
    findings += _check_ids(resolved)
    for criterion in resolved.criteria:
        findings += _check_criterion(resolved, criterion)
    findings += _check_params_used(resolved, declared=set(rules.parameters))
    findings += _check_holds(resolved)
    findings += _check_joint_satisfiability(resolved)
    findings += _check_redundant(resolved)
    return findings


def _check_sources(rules: RuleSet) -> list[Finding]:
    out = []
    for name, source in rules.sources.items():
        if not source.url.startswith(("http://", "https://")) or not source.citation.strip():
            out.append(Finding("error", f"sources.{name}", "a source needs a citation and an http(s) URL"))
    refs = [(f"criteria.{c.id}", c.source) for c in rules.criteria]
    refs += [(f"parameters.{n}", p.source) for n, p in rules.parameters.items()]
    refs += [(f"antithrombotic_holds.{n}", h.source) for n, h in rules.antithrombotic_holds.items()]
    for where, source_id in refs:
        if source_id not in rules.sources:
            out.append(Finding("error", where, f"source '{source_id}' is not defined under sources"))
    return out


def _check_ids(rules: RuleSet) -> list[Finding]:
    ids = [c.id for c in rules.criteria]
    return [
        Finding("error", f"criteria.{i}", "criterion id used twice")
        for i in sorted(set(ids))
        if ids.count(i) > 1
    ]


def _expected(rules: RuleSet, value: Any) -> Any:
    if isinstance(value, Param):
        return rules.parameters[value.name].value if value.name in rules.parameters else None
    return value


def _check_criterion(rules: RuleSet, criterion: Criterion) -> list[Finding]:
    where = f"criteria.{criterion.id}"
    out: list[Finding] = []
    for name in criterion.params():
        if name not in rules.parameters:
            out.append(Finding("error", where, f"parameter '{name}' is not defined"))
    if criterion.phase is Phase.INTRA_PROCEDURE and criterion.scope.value != "level_side":
        out.append(Finding("warning", where, "intra-procedure findings are per level and side"))
    if criterion.is_confirmation and not criterion.blocks:
        out.append(
            Finding("error", where, "a confirmation blocks when it fails; it cannot be condition-only")
        )
    if (criterion.kind is Kind.CONSISTENCY) != isinstance(criterion.test, Consistent):
        out.append(
            Finding(
                "error", where, "a 'consistency' criterion's test is one 'consistent' node, and vice versa"
            )
        )
    for node in walk(criterion.test):
        match node:
            case Hold() | AllOf() | Not():
                continue
            case Consistent(items):
                if len(items) < 2:
                    message = "'consistent' needs at least two readings to compare"
                    out.append(Finding("warning", where, message))
            case AnyOf(items) | Agree(items):
                kind = "any" if isinstance(node, AnyOf) else "agree"
                for i, item in enumerate(items):
                    if not _satisfiable(rules, _conjuncts(item)):
                        out.append(
                            Finding("warning", where, f"'{kind}' branch {i} can never be met (dead branch)")
                        )
                if isinstance(node, Agree):
                    out += _check_agree(node, where)
            case Compare():
                out += _check_compare(rules, criterion, node, where)
            case _:
                unsupported(node, "lint")
    if not _satisfiable(rules, _conjuncts(criterion.test)):
        out.append(Finding("error", where, "contradictory: this test can never be met"))
    return out


def _check_compare(rules: RuleSet, criterion: Criterion, node: Compare, where: str) -> list[Finding]:
    spec = fact_catalogue().get(node.fact)
    if spec is None:
        return [Finding("error", where, f"unknown fact '{node.fact}'{_hint(node.fact)}")]
    out: list[Finding] = []
    if not scope_covers(criterion.scope, spec.scope):
        out.append(
            Finding(
                "error",
                where,
                f"fact '{node.fact}' is {spec.scope.value}-scoped but the "
                f"criterion is {criterion.scope.value}-scoped",
            )
        )
    out += [Finding("error", where, m) for m in _type_problems(spec, node, _expected(rules, node.value))]
    return out


def _check_agree(node: Agree, where: str) -> list[Finding]:
    if len(node.items) < 2:
        return [Finding("warning", where, "'agree' needs at least two measures to compare")]
    return []


def _hint(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(fact_catalogue()), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _type_problems(spec: FactSpec, node: Compare, expected: Any) -> list[str]:
    if expected is None:
        return []
    values = list(expected) if isinstance(expected, tuple) else [expected]
    problems = []
    if node.op in ("lt", "le", "gt", "ge") and spec.type != "number":
        problems.append(f"'{OPS[node.op]}' on {spec.type} fact '{spec.path}'")
    for value in values:
        if spec.type == "boolean" and not isinstance(value, bool):
            problems.append(f"'{spec.path}' is yes/no but is compared with {value!r}")
        elif spec.type == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
            problems.append(f"'{spec.path}' is a number but is compared with {value!r}")
        elif spec.type == "code" and str(value) not in spec.allowed:
            problems.append(f"'{value}' is not a value of '{spec.path}' (allowed: {', '.join(spec.allowed)})")
    return problems


def _check_params_used(rules: RuleSet, declared: set[str]) -> list[Finding]:
    """Only the file's own parameters: an inherited one may serve a criterion the child removed."""
    used = {n for c in rules.criteria for n in c.params()}
    return [
        Finding("warning", f"parameters.{name}", "parameter is never used")
        for name in sorted(declared)
        if name not in used
    ]


def _check_holds(rules: RuleSet) -> list[Finding]:
    agents = antithrombotic_agents()
    out = [
        Finding("error", f"antithrombotic_holds.{name}", "agent is not in the antithrombotic vocabulary")
        for name in rules.antithrombotic_holds
        if name not in agents
    ]
    uses_hold = any(isinstance(n, Hold) for c in rules.criteria for n in walk(c.test))
    if uses_hold:
        missing = [a for a in agents if a not in rules.antithrombotic_holds]
        if missing:
            out.append(
                Finding(
                    "warning",
                    "antithrombotic_holds",
                    f"no hold interval for: {', '.join(missing)} (such patients stay undetermined)",
                )
            )
    return out


def _check_joint_satisfiability(rules: RuleSet) -> list[Finding]:
    pre = [c for c in rules.criteria if c.phase is Phase.PRE_PROCEDURE]
    constraints = [k for c in pre for k in _conjuncts(c.test)]
    if _satisfiable(rules, constraints):
        return []
    return [Finding("error", "criteria", "the criteria contradict one another: no patient can meet them all")]


def _check_redundant(rules: RuleSet) -> list[Finding]:
    seen: dict[str, str] = {}
    out = []
    for criterion in rules.criteria:
        key = f"{criterion.scope.value}:{dump_expr(criterion.test)}"
        if key in seen:
            out.append(
                Finding(
                    "warning",
                    f"criteria.{criterion.id}",
                    f"same test as '{seen[key]}': can never change "
                    "the verdict on its own (fine only if it is reported for another purpose)",
                )
            )
        else:
            seen[key] = criterion.id
    return out


# --- satisfiability over conjunctions of comparisons ---------------------------------------------------


def _conjuncts(expr: Expr) -> list[Compare]:
    """The comparisons that must all hold for ``expr`` to be met (only through nested 'all')."""
    match expr:
        case Compare():
            return [expr]
        case AllOf(items):
            return [c for item in items for c in _conjuncts(item)]
        case AnyOf() | Agree() | Consistent() | Not() | Hold():
            return []
        case _:
            unsupported(expr, "lint")


def _satisfiable(rules: RuleSet, compares: list[Compare]) -> bool:
    by_fact: dict[str, list[tuple[str, Any]]] = {}
    for compare in compares:
        expected = _expected(rules, compare.value)
        if expected is None:
            continue
        by_fact.setdefault(compare.fact, []).append((compare.op, expected))
    return all(_fact_satisfiable(constraints) for constraints in by_fact.values())


def _fact_satisfiable(constraints: list[tuple[str, Any]]) -> bool:
    low, low_strict, high, high_strict = -math.inf, False, math.inf, False
    allowed: set[Any] | None = None
    excluded: set[Any] = set()
    for op, value in constraints:
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if op in ("lt", "le", "gt", "ge") and not is_number:
            continue  # reported by _type_problems; a non-number cannot bound a numeric range
        if op in ("eq", "in"):
            values = set(value) if isinstance(value, tuple) else {value}
            allowed = values if allowed is None else allowed & values
        elif op in ("ne", "not_in"):
            excluded |= set(value) if isinstance(value, tuple) else {value}
        elif op in ("gt", "ge"):
            if value > low or (value == low and op == "gt"):
                low, low_strict = value, op == "gt"
        elif value < high or (value == high and op == "lt"):
            high, high_strict = value, op == "lt"
    if low > high or (low == high and (low_strict or high_strict)):
        return False
    if allowed is not None:
        remaining = allowed - excluded
        numeric = [v for v in remaining if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if not remaining:
            return False
        if numeric and len(numeric) == len(remaining):
            return any(
                (low < v or (low == v and not low_strict)) and (v < high or (v == high and not high_strict))
                for v in numeric
            )
    return True
