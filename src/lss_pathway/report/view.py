"""The assessment shaped for HTML templates: the result page and the printable report share this view.

Templates only lay out what this module decides, so the wording of a verdict, a reason or a to-do item is
the same on screen, on paper and in the terminal (it comes from ``report.cells``).
"""

from __future__ import annotations

from dataclasses import dataclass

from lss_pathway.assess import Assessment
from lss_pathway.criteria.candidacy import Cell, CriterionResult, Verdict
from lss_pathway.criteria.labels import to_document
from lss_pathway.criteria.logic import Tri
from lss_pathway.criteria.ruleset import Phase, RuleSet
from lss_pathway.domain.anatomy import LEVELS, SIDES
from lss_pathway.domain.record import PatientRecord
from lss_pathway.report.cells import VERDICT_LABEL, blocking, document_sections, reason, unreported
from lss_pathway.report.cells import pending as pending_items

VERDICT_CLASS = {
    Verdict.CANDIDATE: "candidate",
    Verdict.NOT_CANDIDATE: "not-candidate",
    Verdict.UNDETERMINED: "undetermined",
}
# Shape as well as colour, so the grid reads in greyscale and for colour-blind readers.
VERDICT_SYMBOL = {Verdict.CANDIDATE: "✓", Verdict.NOT_CANDIDATE: "✗", Verdict.UNDETERMINED: "?"}
_FLAG = {
    Tri.MET: ("present", "present"),
    Tri.UNKNOWN: ("not documented", "unknown"),
    Tri.NOT_MET: ("absent", "absent"),
}
_VALUE = {Tri.MET: "met", Tri.NOT_MET: "not met", Tri.UNKNOWN: "unknown"}


@dataclass(frozen=True, slots=True)
class FlagView:
    label: str
    status: str
    css: str
    action: str | None
    source: str
    url: str


@dataclass(frozen=True, slots=True)
class CriterionView:
    statement: str
    value: str
    css: str
    verification: str
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TodoItem:
    """A fact to document in words; ``paths`` are the record fields it covers, shown on hover."""

    text: str
    paths: tuple[str, ...]

    @property
    def hint(self) -> str:
        return "record field: " + ", ".join(self.paths)


@dataclass(frozen=True, slots=True)
class TodoSection:
    title: str
    items: tuple[TodoItem, ...]


@dataclass(frozen=True, slots=True)
class CellView:
    level: str
    side: str
    verdict: str
    css: str
    symbol: str
    reason: str
    blocking: tuple[str, ...]
    conditions: tuple[str, ...]
    pending: tuple[str, ...]
    missing: tuple[TodoItem, ...]
    criteria: tuple[CriterionView, ...]

    @property
    def anchor(self) -> str:
        return f"cell-{self.level}-{self.side}"


@dataclass(frozen=True, slots=True)
class GridRow:
    level: str
    imaged: bool
    cells: tuple[CellView, ...]


@dataclass(frozen=True, slots=True)
class SourceView:
    id: str
    citation: str
    url: str


@dataclass(frozen=True, slots=True)
class ReportView:
    assessment: Assessment
    title: str
    flags: tuple[FlagView, ...]
    flags_present: int
    grid: tuple[GridRow, ...]
    todo: tuple[TodoSection, ...]
    unreported: str
    pending: tuple[str, ...]
    sources: tuple[SourceView, ...]
    counts: dict[str, int]
    disclaimer: str = "Decision support only: the decision rests with the treating clinician."

    @property
    def rules(self) -> RuleSet:
        return self.assessment.rules


def report_view(a: Assessment) -> ReportView:
    flags = tuple(
        FlagView(
            f.label,
            _FLAG[f.status][0],
            _FLAG[f.status][1],
            f.action if f.status is Tri.MET else None,
            f.source,
            f.url,
        )
        for f in a.red_flags
    )
    grid = tuple(
        GridRow(
            level.value,
            a.record.imaging.level(level) is not None,
            tuple(_cell(a.candidacy.cell(level, side), a.rules, a.record) for side in SIDES),
        )
        for level in LEVELS
    )
    pending = tuple(
        dict.fromkeys(
            f"{cell.level} {cell.side}: {item}"
            for cell in a.candidacy.cells
            if cell.verdict is not Verdict.NOT_CANDIDATE and a.record.imaging.level(cell.level) is not None
            for item in pending_items(cell, a.rules)
        )
    )
    counts = {v.value: sum(1 for c in a.candidacy.cells if c.verdict is v) for v in Verdict}
    return ReportView(
        assessment=a,
        title=a.record.id or "patient",
        flags=flags,
        flags_present=len(a.red_flags_present),
        grid=grid,
        todo=tuple(
            TodoSection(s.title, tuple(TodoItem(line, paths) for line, paths in s.lines))
            for s in document_sections(a)
        ),
        unreported=unreported(a),
        pending=pending,
        sources=_sources(a.rules),
        counts=counts,
    )


def _cell(cell: Cell, rules: RuleSet, record: PatientRecord) -> CellView:
    return CellView(
        level=cell.level.value,
        side=cell.side.value,
        verdict=VERDICT_LABEL[cell.verdict],
        css=VERDICT_CLASS[cell.verdict],
        symbol=VERDICT_SYMBOL[cell.verdict],
        reason=reason(cell, rules, record),
        blocking=tuple(blocking(cell, rules)),
        conditions=tuple(f"{c.action} ({c.source}; [{c.verification}])" for c in cell.conditions),
        # A check still to make matters only while the cell may still be a candidate.
        pending=() if cell.verdict is Verdict.NOT_CANDIDATE else tuple(pending_items(cell, rules)),
        # What to document matters only while the cell may still be a candidate, like a pending check.
        missing=()
        if cell.verdict is Verdict.NOT_CANDIDATE
        else tuple(TodoItem(i.text, (i.path,)) for i in (to_document(m, record) for m in cell.missing_facts)),
        criteria=tuple(_criterion(r, rules) for r in _ordered(cell.results)),
    )


def _ordered(results: tuple[CriterionResult, ...]) -> list[CriterionResult]:
    """Unmet first, then unknown, then met: the reader looks for what stands in the way."""
    rank = {Tri.NOT_MET: 0, Tri.UNKNOWN: 1, Tri.MET: 2}
    return sorted(results, key=lambda r: (rank[r.value], r.criterion.phase is Phase.INTRA_PROCEDURE))


def _criterion(result: CriterionResult, rules: RuleSet) -> CriterionView:
    return CriterionView(
        statement=rules.statement(result.criterion),
        value=_VALUE[result.value],
        css=_VALUE[result.value].replace(" ", "-"),
        verification=rules.verification_of(result.criterion).value,
        missing=tuple(result.node.missing),
    )


def _sources(rules: RuleSet) -> tuple[SourceView, ...]:
    """The sources the rule set's criteria and parameters cite, in the order the rule set lists them."""
    cited = {c.source for c in rules.criteria} | {p.source for p in rules.parameters.values()}
    return tuple(SourceView(k, s.citation, s.url) for k, s in rules.sources.items() if k in cited)
