"""Combine a rule set's criteria into a verdict for every level and side.

A cell is a **candidate** only when every pre-procedure criterion that applies to it is met; **not a
candidate** when any is not met; otherwise **undetermined**, with the facts that would settle it.
Intra-procedure criteria (the epidurogram) are pending confirmations while unknown, and block once known
to fail. Patient-scoped criteria are evaluated once and level-scoped ones once per level, then shared.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lss_pathway.criteria.evaluate import Compiled, Condition, Node, compile_expr
from lss_pathway.criteria.facts import Context, Scope
from lss_pathway.criteria.logic import Tri
from lss_pathway.criteria.ruleset import Criterion, Phase, RuleSet
from lss_pathway.domain.anatomy import LEVELS, SIDES, Level, Side
from lss_pathway.domain.record import PatientRecord


class Verdict(StrEnum):
    CANDIDATE = "candidate"
    NOT_CANDIDATE = "not_candidate"
    UNDETERMINED = "undetermined"


@dataclass(frozen=True, slots=True)
class CriterionResult:
    criterion: Criterion
    node: Node

    @property
    def value(self) -> Tri:
        return self.node.value


@dataclass(frozen=True, slots=True)
class Cell:
    level: Level
    side: Side
    verdict: Verdict
    results: tuple[CriterionResult, ...]

    def by_value(self, value: Tri, phase: Phase = Phase.PRE_PROCEDURE) -> list[CriterionResult]:
        return [r for r in self.results if r.value is value and r.criterion.phase is phase]

    @property
    def pending(self) -> list[CriterionResult]:
        """Intra-procedure checks still to be made (not yet known)."""
        return self.by_value(Tri.UNKNOWN, Phase.INTRA_PROCEDURE)

    @property
    def conditions(self) -> list[Condition]:
        return [c for r in self.results if r.value is Tri.MET for c in r.node.conditions]

    @property
    def missing_facts(self) -> list[str]:
        unknown = self.by_value(Tri.UNKNOWN)
        return list(dict.fromkeys(m for r in unknown for m in r.node.missing))


@dataclass(frozen=True, slots=True)
class Candidacy:
    rules: RuleSet
    cells: tuple[Cell, ...]

    def cell(self, level: Level, side: Side) -> Cell:
        for cell in self.cells:
            if cell.level == level and cell.side == side:
                return cell
        raise KeyError((level, side))


def _verdict(results: list[CriterionResult]) -> Verdict:
    pre = [r.value for r in results if r.criterion.phase is Phase.PRE_PROCEDURE]
    intra = [r.value for r in results if r.criterion.phase is Phase.INTRA_PROCEDURE]
    if Tri.NOT_MET in pre or Tri.NOT_MET in intra:
        return Verdict.NOT_CANDIDATE
    if Tri.UNKNOWN in pre:
        return Verdict.UNDETERMINED
    return Verdict.CANDIDATE


_COMPILED: dict[int, tuple[RuleSet, dict[Scope, list[tuple[Criterion, Compiled]]]]] = {}


def _compiled(rules: RuleSet) -> dict[Scope, list[tuple[Criterion, Compiled]]]:
    """Criteria compiled once per rule set object (the object is kept, so its id cannot be reused)."""
    cached = _COMPILED.get(id(rules))
    if cached is not None and cached[0] is rules:
        return cached[1]
    by_scope: dict[Scope, list[tuple[Criterion, Compiled]]] = {scope: [] for scope in Scope}
    for criterion in rules.criteria:
        by_scope[criterion.scope].append((criterion, compile_expr(criterion.test, rules)))
    if len(_COMPILED) > 64:
        _COMPILED.clear()
    _COMPILED[id(rules)] = (rules, by_scope)
    return by_scope


def assess_candidacy(record: PatientRecord, rules: RuleSet) -> Candidacy:
    on_date = record.on_date()
    by_scope = _compiled(rules)
    base = Context(record, on_date)
    patient = [CriterionResult(c, run(base)) for c, run in by_scope[Scope.PATIENT]]
    cells: list[Cell] = []
    for level in LEVELS:
        findings = record.imaging.level(level)
        level_ctx = Context(record, on_date, level, None, findings)
        per_level = [CriterionResult(c, run(level_ctx)) for c, run in by_scope[Scope.LEVEL]]
        for side in SIDES:
            side_findings = findings.side(side) if findings is not None else None
            side_ctx = Context(record, on_date, level, side, findings, side_findings)
            per_side = [CriterionResult(c, run(side_ctx)) for c, run in by_scope[Scope.SIDE]]
            results = patient + per_level + per_side
            cells.append(Cell(level, side, _verdict(results), tuple(results)))
    return Candidacy(rules, tuple(cells))
