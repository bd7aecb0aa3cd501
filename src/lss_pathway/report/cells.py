"""Short, shared wording for a candidacy cell, so every rendering explains a verdict the same way."""

from __future__ import annotations

from lss_pathway.criteria.candidacy import Cell, Verdict
from lss_pathway.criteria.logic import Tri
from lss_pathway.criteria.ruleset import Phase, RuleSet

VERDICT_LABEL = {
    Verdict.CANDIDATE: "candidate",
    Verdict.NOT_CANDIDATE: "not a candidate",
    Verdict.UNDETERMINED: "undetermined",
}
VERDICT_STYLE = {Verdict.CANDIDATE: "green", Verdict.NOT_CANDIDATE: "red", Verdict.UNDETERMINED: "yellow"}


WHEN = {Phase.PRE_PROCEDURE: "before the procedure", Phase.INTRA_PROCEDURE: "during the procedure"}


def blocking(cell: Cell, rules: RuleSet) -> list[str]:
    """Every unmet blocking criterion, described by kind (e.g. 'contraindication present: ...')."""
    return [
        f"{r.criterion.kind.blocks_when_not_met}: {rules.statement(r.criterion)}"
        for r in cell.results
        if r.value is Tri.NOT_MET and r.criterion.blocks
    ]


def checked_as_of(rules: RuleSet) -> str:
    """For a coverage rule set: when its source text (e.g. the CMS coverage text) was last checked."""
    if rules.verified_as_of is None:
        return ""
    return f"; source text checked as of {rules.verified_as_of.isoformat()}"


def pending(cell: Cell, rules: RuleSet) -> list[str]:
    """Confirmations still open, each saying when it is made: "confirm before the procedure: ..."."""
    return [f"confirm {WHEN[r.criterion.phase]}: {rules.statement(r.criterion)}" for r in cell.pending]


def reason(cell: Cell, rules: RuleSet) -> str:
    """One line: why this cell has its verdict."""
    if cell.verdict is Verdict.NOT_CANDIDATE:
        found = blocking(cell, rules)
        more = f" (+{len(found) - 1} more)" if len(found) > 1 else ""
        return found[0] + more
    if cell.verdict is Verdict.UNDETERMINED:
        missing = cell.missing_facts
        if len(missing) == 1:
            return f"missing: {missing[0]}"
        return f"{len(missing)} facts missing, e.g. {missing[0]}"
    extras = []
    if cell.conditions:
        extras.append(f"{len(cell.conditions)} condition(s)")
    if cell.pending:
        extras.append(f"{len(cell.pending)} to confirm")
    return "all criteria met" + (f"; {', '.join(extras)}" if extras else "")
