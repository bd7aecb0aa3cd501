"""Short, shared wording for a candidacy cell, so every rendering explains a verdict the same way.

A reason is a complete short sentence in clinical words: the decisive finding with the recorded value
against its threshold ("no central stenosis (dural sac area 132 mm², not below 100 mm²)"), or what to
document to decide an undetermined cell. Field paths never appear; ``criteria.labels`` turns them into
words and keeps them for the JSON.
"""

from __future__ import annotations

from lss_pathway.assess import Assessment
from lss_pathway.criteria.candidacy import Cell, CriterionResult, Verdict
from lss_pathway.criteria.labels import (
    Section,
    criterion_findings,
    deciding,
    facts_to_document,
    join_and,
    recorded,
    to_document,
    unreported_line,
)
from lss_pathway.criteria.logic import Tri
from lss_pathway.criteria.ruleset import Phase, RuleSet
from lss_pathway.domain.anatomy import LEVELS, Level
from lss_pathway.domain.record import PatientRecord

VERDICT_LABEL = {
    Verdict.CANDIDATE: "candidate",
    Verdict.NOT_CANDIDATE: "not a candidate",
    Verdict.UNDETERMINED: "undetermined",
}
VERDICT_STYLE = {Verdict.CANDIDATE: "green", Verdict.NOT_CANDIDATE: "red", Verdict.UNDETERMINED: "yellow"}


WHEN = {Phase.PRE_PROCEDURE: "before the procedure", Phase.INTRA_PROCEDURE: "during the procedure"}


def _where(cell: Cell) -> str:
    return f"{cell.level} {cell.side}"


def _blockers(cell: Cell) -> list[CriterionResult]:
    return [r for r in cell.results if r.value is Tri.NOT_MET and r.criterion.blocks]


def _values(result: CriterionResult, rules: RuleSet, here: str, against: bool = False) -> list[str]:
    return recorded(result.criterion.test, result.node, rules, here=here, against=against)


def finding(result: CriterionResult, rules: RuleSet, here: str = "") -> str:
    """An unmet criterion in a few words with what was recorded: "no LF hypertrophy on this side (LF 3 mm,
    not more than 4 mm)"; the rule set's statement when no short wording exists."""
    criterion = result.criterion
    phrase = criterion_findings().get(criterion.id)
    if phrase is None:
        phrase = f"{criterion.kind.blocks_when_not_met}: {rules.statement(criterion)}"
    values = [v for v in _values(result, rules, here, against=True) if v != phrase]
    return f"{phrase} ({'; '.join(values)})" if values else phrase


def headline(cell: Cell, rules: RuleSet) -> str:
    """The decisive unmet criterion in a few words, without values (for a card summary)."""
    first = _blockers(cell)[0].criterion
    return criterion_findings().get(first.id) or f"{first.kind.blocks_when_not_met}: {rules.statement(first)}"


def blocking(cell: Cell, rules: RuleSet) -> list[str]:
    """Every unmet blocking criterion, described by kind (e.g. 'contraindication present: ...'), with the
    values recorded."""
    out = []
    for r in _blockers(cell):
        values = _values(r, rules, _where(cell))
        shown = f" (recorded: {'; '.join(values)})" if values else ""
        out.append(f"{r.criterion.kind.blocks_when_not_met}: {rules.statement(r.criterion)}{shown}")
    return out


def to_document_lines(cell: Cell, record: PatientRecord | None = None) -> list[str]:
    """The cell's missing facts as clinical sentences (reconcile items first)."""
    return list(dict.fromkeys(to_document(m, record).text for m in cell.missing_facts))


def document_sections(a: Assessment) -> list[Section]:
    """A patient's facts to document, grouped as they are collected (see ``criteria.labels``)."""
    return facts_to_document(a.missing_facts(), a.record)


def unreported_levels(a: Assessment) -> list[Level]:
    """Levels the imaging report does not describe and that are therefore undetermined on both sides."""
    return [
        level
        for level in LEVELS
        if a.record.imaging.level(level) is None
        and all(c.verdict is Verdict.UNDETERMINED for c in a.candidacy.cells if c.level == level)
    ]


def unreported(a: Assessment) -> str:
    """One line per patient, "L1-L2 and L2-L3 not described in the MRI report", or "" when none."""
    levels = unreported_levels(a)
    return unreported_line([level.value for level in levels], a.record) if levels else ""


def checked_as_of(rules: RuleSet) -> str:
    """For a coverage rule set: when its source text (e.g. the CMS coverage text) was last checked."""
    if rules.verified_as_of is None:
        return ""
    return f"; source text checked as of {rules.verified_as_of.isoformat()}"


def pending(cell: Cell, rules: RuleSet) -> list[str]:
    """Confirmations still open, each saying when it is made: "confirm before the procedure: ..."."""
    return [f"confirm {WHEN[r.criterion.phase]}: {rules.statement(r.criterion)}" for r in cell.pending]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def reason(cell: Cell, rules: RuleSet, record: PatientRecord | None = None) -> str:
    """One short, complete line: the decisive finding with its values, or what would decide the cell."""
    here = _where(cell)
    if cell.verdict is Verdict.NOT_CANDIDATE:
        found = _blockers(cell)
        first = finding(found[0], rules, here)
        others = len(found) - 1  # named in the full list, one click away
        return first + (
            f"; {others} other {'criterion' if others == 1 else 'criteria'} not met" if others else ""
        )
    if cell.verdict is Verdict.UNDETERMINED:
        items = [to_document(m, record) for m in cell.missing_facts]
        gap = next((i for i in items if i.unreported is not None and here.startswith(i.unreported)), None)
        if gap is not None:
            return gap.brief(here)
        needs = [(c,) for c in cell.conflicts] + [
            need for r in cell.results if r.holds_back for need in deciding(r.criterion.test, r.node)
        ]
        named = list(
            dict.fromkeys(
                " or ".join(dict.fromkeys(to_document(m, record).brief(here) for m in n)) for n in needs
            )
        )
        if not named:
            return "undetermined"
        return f"to decide, document {'; '.join(named) if ' or ' in ''.join(named) else join_and(named)}"
    extras = []
    if cell.conditions:
        extras.append(_count(len(cell.conditions), "condition"))
    if cell.pending:
        extras.append(f"{_count(len(cell.pending), 'check')} to confirm")
    return "all criteria met" + (f"; {', '.join(extras)}" if extras else "")
