"""Combine a rule set's criteria into a verdict for every level and side.

A cell is a **candidate** only when every criterion that applies to it is met, apart from confirmations
still pending; **not a candidate** when any blocking criterion is not met; otherwise **undetermined**,
with the facts that would settle it.

Confirmations are checks clinicians make before or during the procedure rather than record routinely (the
epidurogram; in newer rule sets the laminar shelf, infection, ...). While nothing recorded speaks against
one it is listed as pending and the cell may still be a candidate; recorded as failed, it blocks; while
something recorded speaks against it (relief on standing still, an ABI of 0.82) and it is still open, it
holds the cell undetermined. So a candidate can only become "not a candidate" through one of its listed
confirmations. Readings that contradict each other (a "reconcile" item) hold the
cell undetermined however the logic around them came out. A condition-only criterion never blocks: while
not met it is carried as a condition of the candidacy ("after conservative care").
Patient-scoped criteria are evaluated once and level-scoped ones once per level, then shared.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from lss_pathway.criteria.evaluate import Compiled, Condition, Node, compile_expr
from lss_pathway.criteria.facts import Scope
from lss_pathway.criteria.labels import reading
from lss_pathway.criteria.logic import Tri
from lss_pathway.criteria.python_runner import Context
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

    @property
    def open_confirmation(self) -> bool:
        """A confirmation nothing recorded speaks against yet: pending, not holding the cell back."""
        return (
            self.criterion.is_confirmation
            and self.node.value is Tri.UNKNOWN
            and not self.node.conflicts
            and not self.node.contested()
        )

    @property
    def holds_back(self) -> bool:
        """Unknown in a way that keeps the cell undetermined (a requirement, or a confirmation under way)."""
        if self.node.conflicts:
            return True
        return self.node.value is Tri.UNKNOWN and self.criterion.blocks and not self.open_confirmation


@dataclass(frozen=True, slots=True)
class Cell:
    level: Level
    side: Side
    verdict: Verdict
    results: tuple[CriterionResult, ...]
    gates: tuple[Condition, ...] = ()
    """Conditions from condition-only criteria not (yet) met, e.g. "after conservative care"."""

    def by_value(self, value: Tri, phase: Phase = Phase.PRE_PROCEDURE) -> list[CriterionResult]:
        return [r for r in self.results if r.value is value and r.criterion.phase is phase]

    @property
    def pending(self) -> list[CriterionResult]:
        """Confirmations still to be made, before the procedure first, then during it."""
        open_ = [r for r in self.results if r.open_confirmation]
        return sorted(open_, key=lambda r: r.criterion.phase is Phase.INTRA_PROCEDURE)

    @property
    def conditions(self) -> list[Condition]:
        held = [c for r in self.results if r.value is Tri.MET for c in r.node.conditions]
        return held + list(self.gates)

    @property
    def conflicts(self) -> list[str]:
        return list(dict.fromkeys(k for r in self.results for k in r.node.conflicts))

    @property
    def missing_facts(self) -> list[str]:
        """What to document (reconcile items first) to settle the criteria holding the cell back."""
        held = [r for r in self.results if r.holds_back]
        return list(dict.fromkeys([*self.conflicts, *(m for r in held for m in r.node.missing)]))


@dataclass(frozen=True, slots=True)
class Candidacy:
    rules: RuleSet
    cells: tuple[Cell, ...]

    def cell(self, level: Level, side: Side) -> Cell:
        for cell in self.cells:
            if cell.level == level and cell.side == side:
                return cell
        raise KeyError((level, side))


def verdict(results: list[CriterionResult]) -> Verdict:
    """The one verdict rule every runner shares: any block, then anything held back, else candidate."""
    if any(r.value is Tri.NOT_MET and r.criterion.blocks for r in results):
        return Verdict.NOT_CANDIDATE
    if any(r.holds_back for r in results):
        return Verdict.UNDETERMINED
    return Verdict.CANDIDATE


def _gates(results: list[CriterionResult], rules: RuleSet) -> tuple[Condition, ...]:
    gates = []
    for result in results:
        criterion = result.criterion
        if criterion.blocks or result.value is Tri.MET:
            continue
        source = rules.sources[criterion.source]
        status = "not documented" if result.value is Tri.UNKNOWN else "not yet met"
        known = [reading(fact, value) for fact, value in _facts(result.node) if value is not None]
        detail = f"{status}: {', '.join(known)}" if known and result.value is Tri.NOT_MET else status
        action = f"{rules.statement(criterion)} ({detail})"
        gates.append(Condition(action, source.citation, source.url, rules.verification_of(criterion).value))
    return tuple(gates)


def _facts(node: Node) -> list[tuple[str, object]]:
    return [*node.facts, *(f for child in node.children for f in _facts(child))]


def _compiled(rules: RuleSet) -> dict[Scope, list[tuple[Criterion, Compiled]]]:
    """Criteria compiled once per rule set object, kept in the rule set's own runner store."""
    store = rules.runner_store()
    cached: dict[Scope, list[tuple[Criterion, Compiled]]] | None = store.get("python")
    if cached is None:
        cached = {scope: [] for scope in Scope}
        for criterion in rules.criteria:
            cached[criterion.scope].append((criterion, compile_expr(criterion.test, rules)))
        store["python"] = cached
    return cached


def _compiled_criterion(rules: RuleSet, criterion: Criterion) -> Compiled:
    for known, run in _compiled(rules)[criterion.scope]:
        if known is criterion:
            return run
    return compile_expr(criterion.test, rules)  # a criterion from elsewhere, e.g. a draft being tried


def _context(
    record: PatientRecord, on_date: dt.date, scope: Scope, level: Level | None, side: Side | None
) -> Context:
    """The context a criterion of ``scope`` reads: the patient, one level, or one level and side."""
    if scope is Scope.PATIENT:
        return Context(record, on_date)
    if level is None or (scope is Scope.SIDE and side is None):
        need = "a level and a side" if scope is Scope.SIDE else "a level"
        raise ValueError(f"a {scope.value}-scoped criterion needs {need}")
    findings = record.imaging.level(level)
    if scope is Scope.LEVEL:
        return Context(record, on_date, level, None, findings)
    side_findings = findings.side(side) if findings is not None and side is not None else None
    return Context(record, on_date, level, side, findings, side_findings)


def run_criterion(
    criterion: Criterion,
    record: PatientRecord,
    rules: RuleSet,
    level: Level | None,
    side: Side | None,
    on_date: dt.date,
) -> Node:
    """One criterion for one patient in one cell (level and side are ignored where its scope does not
    reach), as the Python runner evaluates it; the reference cases every runner passes call this."""
    return _compiled_criterion(rules, criterion)(_context(record, on_date, criterion.scope, level, side))


def run_candidacy(record: PatientRecord, rules: RuleSet, on_date: dt.date) -> Candidacy:
    """Every level and side on ``on_date``: patient criteria evaluated once, level criteria once per level."""
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
            cells.append(Cell(level, side, verdict(results), tuple(results), _gates(results, rules)))
    return Candidacy(rules, tuple(cells))


def assess_candidacy(record: PatientRecord, rules: RuleSet, today: dt.date | None = None) -> Candidacy:
    """As of the record's assessment date, else ``today`` (the calling edge's date; never a clock)."""
    return run_candidacy(record, rules, record.on_date(today))
