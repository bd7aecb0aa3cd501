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
from dataclasses import InitVar, dataclass, field
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
    """One criterion's node in one place, with what a verdict reads of it worked out once, when it is made.

    A cell reads these flags for every result, and the JSON, the report and the pathway read them again;
    a patient-scoped result is shared by all ten cells, so deriving them on each read cost nearly as much
    as the evaluation itself (docs/performance.md).
    """

    criterion: Criterion
    node: Node
    value: Tri = field(init=False)
    open_confirmation: bool = field(init=False)
    """A confirmation nothing recorded speaks against yet: pending, not holding the cell back."""
    holds_back: bool = field(init=False)
    """Unknown in a way that keeps the cell undetermined (a requirement, or a confirmation under way)."""

    def __post_init__(self) -> None:
        node, criterion = self.node, self.criterion
        value = node.value
        open_ = (
            value is Tri.UNKNOWN and criterion.is_confirmation and not node.conflicts and not node.contested()
        )
        holds = bool(node.conflicts) or (value is Tri.UNKNOWN and criterion.blocks and not open_)
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "open_confirmation", open_)
        object.__setattr__(self, "holds_back", holds)


@dataclass(frozen=True, slots=True)
class Part:
    """What a run of results asks of any cell it belongs to. ``run_candidacy`` makes one for the patient's
    results (shared by all ten cells), one per level and one per side, and joins them per cell."""

    results: tuple[CriterionResult, ...]
    blocks: bool
    holds: bool
    open_: tuple[CriterionResult, ...]
    conflicts: tuple[str, ...]
    held_missing: tuple[str, ...]
    met_conditions: tuple[Condition, ...]
    gates: tuple[Condition, ...]

    @classmethod
    def of(cls, results: tuple[CriterionResult, ...], gates: tuple[Condition, ...] = ()) -> Part:
        return cls(
            results,
            any(r.value is Tri.NOT_MET and r.criterion.blocks for r in results),
            any(r.holds_back for r in results),
            tuple(r for r in results if r.open_confirmation),
            tuple(dict.fromkeys(k for r in results for k in r.node.conflicts)),
            tuple(dict.fromkeys(m for r in results if r.holds_back for m in r.node.missing)),
            tuple(c for r in results if r.value is Tri.MET for c in r.node.conditions),
            gates,
        )


@dataclass(frozen=True, slots=True)
class Cell:
    """A level and side's verdict. What it asks for (missing facts, pending confirmations, conditions,
    reconcile items) is worked out when the cell is made: from its results, or joined from the ``parts``
    they came in (the patient's part computed once for all cells)."""

    level: Level
    side: Side
    verdict: Verdict
    results: tuple[CriterionResult, ...]
    gates: tuple[Condition, ...] = ()
    """Conditions from condition-only criteria not (yet) met, e.g. "after conservative care"."""
    parts: InitVar[tuple[Part, ...] | None] = None
    _pending: tuple[CriterionResult, ...] = field(init=False, repr=False, compare=False)
    _conditions: tuple[Condition, ...] = field(init=False, repr=False, compare=False)
    _conflicts: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _missing: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self, parts: tuple[Part, ...] | None) -> None:
        if parts is None:
            parts = (Part.of(self.results, self.gates),)
        open_ = [r for part in parts for r in part.open_]
        conflicts = tuple(dict.fromkeys(k for part in parts for k in part.conflicts))
        held = [m for part in parts for m in part.held_missing]
        met_conditions = [c for part in parts for c in part.met_conditions]
        object.__setattr__(
            self, "_pending", tuple(sorted(open_, key=lambda r: r.criterion.phase is Phase.INTRA_PROCEDURE))
        )
        object.__setattr__(self, "_conditions", (*met_conditions, *self.gates))
        object.__setattr__(self, "_conflicts", conflicts)
        object.__setattr__(self, "_missing", tuple(dict.fromkeys([*conflicts, *held])))

    def by_value(self, value: Tri, phase: Phase = Phase.PRE_PROCEDURE) -> list[CriterionResult]:
        return [r for r in self.results if r.value is value and r.criterion.phase is phase]

    @property
    def pending(self) -> list[CriterionResult]:
        """Confirmations still to be made, before the procedure first, then during it."""
        return list(self._pending)

    @property
    def conditions(self) -> list[Condition]:
        return list(self._conditions)

    @property
    def conflicts(self) -> list[str]:
        return list(self._conflicts)

    @property
    def missing_facts(self) -> list[str]:
        """What to document (reconcile items first) to settle the criteria holding the cell back."""
        return list(self._missing)


@dataclass(frozen=True, slots=True)
class Candidacy:
    rules: RuleSet
    cells: tuple[Cell, ...]
    record: PatientRecord | None = None
    on_date: dt.date | None = None
    explained: bool = True
    """Whether each result carries its explanation tree (``False``: verdicts only, see ``explain``)."""

    def cell(self, level: Level, side: Side) -> Cell:
        for cell in self.cells:
            if cell.level == level and cell.side == side:
                return cell
        raise KeyError((level, side))

    def explain(self) -> Candidacy:
        """This candidacy with its explanation trees, built when asked from the same compiled criteria.

        Refuses (``RuntimeError``) an explanation whose verdicts, missing facts, conditions, pending
        confirmations or reconcile items differ in any cell from those already given.
        """
        if self.explained:
            return self
        if self.record is None or self.on_date is None:
            raise ValueError("a candidacy built by hand has no record to explain")
        full = run_candidacy(self.record, self.rules, self.on_date)
        for given, explained in zip(self.cells, full.cells, strict=True):
            if decision(given) != decision(explained):
                where = f"{given.level} {given.side}"
                raise RuntimeError(f"the explanation disagrees with the verdicts at {where}")
        return full


def decision(cell: Cell) -> tuple[object, ...]:
    """Everything a cell decides, without its explanation: what verdicts-only and explained runs share."""
    return (
        cell.level,
        cell.side,
        cell.verdict,
        tuple(
            (r.criterion.id, r.value, r.node.missing, r.node.conditions, r.node.conflicts, r.node.contested())
            for r in cell.results
        ),
        tuple(cell.missing_facts),
        tuple(r.criterion.id for r in cell.pending),
        tuple(cell.conditions),
        tuple(cell.conflicts),
    )


def verdict(results: list[CriterionResult]) -> Verdict:
    """The verdict rule: any block, then anything held back, else candidate. It is ``Part``'s (what
    ``run_candidacy`` joins per cell), so the rule is written once; the compiled screen states the same
    rule in SQL and the parity tests hold the two together."""
    return _joined_verdict((Part.of(tuple(results)),))


def _joined_verdict(parts: tuple[Part, ...]) -> Verdict:
    """``verdict`` over the parts' results together, from what each part already knows."""
    if any(part.blocks for part in parts):
        return Verdict.NOT_CANDIDATE
    if any(part.holds for part in parts):
        return Verdict.UNDETERMINED
    return Verdict.CANDIDATE


def _part(results: list[CriterionResult], rules: RuleSet) -> Part:
    return Part.of(tuple(results), _gates(results, rules))


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


def _compiled(rules: RuleSet, explain: bool = True) -> dict[Scope, list[tuple[Criterion, Compiled]]]:
    """Criteria compiled once per rule set object, kept in the rule set's own runner store.

    For verdicts only, a condition-only criterion is still compiled to explain itself: the condition it
    puts on a candidate says what was recorded.
    """
    store = rules.runner_store()
    key = "python" if explain else "python-verdicts"
    cached: dict[Scope, list[tuple[Criterion, Compiled]]] | None = store.get(key)
    if cached is None:
        cached = {scope: [] for scope in Scope}
        for criterion in rules.criteria:
            compiled = compile_expr(criterion.test, rules, explain or not criterion.blocks)
            cached[criterion.scope].append((criterion, compiled))
        store[key] = cached
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


def run_candidacy(
    record: PatientRecord, rules: RuleSet, on_date: dt.date, *, explain: bool = True
) -> Candidacy:
    """Every level and side on ``on_date``: patient criteria evaluated once, level criteria once per level.

    ``explain=False`` gives the same verdicts, missing facts, conditions and pending confirmations without
    the explanation trees; ``Candidacy.explain()`` adds them when they are asked for.
    """
    by_scope = _compiled(rules, explain)
    base = Context(record, on_date)
    patient = _part([CriterionResult(c, run(base)) for c, run in by_scope[Scope.PATIENT]], rules)
    cells: list[Cell] = []
    for level in LEVELS:
        findings = record.imaging.level(level)
        level_ctx = Context(record, on_date, level, None, findings)
        per_level = _part([CriterionResult(c, run(level_ctx)) for c, run in by_scope[Scope.LEVEL]], rules)
        for side in SIDES:
            side_findings = findings.side(side) if findings is not None else None
            side_ctx = Context(record, on_date, level, side, findings, side_findings)
            per_side = _part([CriterionResult(c, run(side_ctx)) for c, run in by_scope[Scope.SIDE]], rules)
            parts = (patient, per_level, per_side)
            results = (*patient.results, *per_level.results, *per_side.results)
            gates = (*patient.gates, *per_level.gates, *per_side.gates)
            cells.append(Cell(level, side, _joined_verdict(parts), results, gates, parts))
    return Candidacy(rules, tuple(cells), record, on_date, explain)


def assess_candidacy(record: PatientRecord, rules: RuleSet, today: dt.date | None = None) -> Candidacy:
    """As of the record's assessment date, else ``today`` (the calling edge's date; never a clock)."""
    return run_candidacy(record, rules, record.on_date(today))
