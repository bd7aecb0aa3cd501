"""Rich terminal renderings: one patient in full, or many patients on one screen."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from lss_pathway.assess import Assessment
from lss_pathway.criteria.candidacy import Verdict
from lss_pathway.criteria.logic import Tri
from lss_pathway.domain.anatomy import LEVELS, SIDES
from lss_pathway.domain.vocabulary import PathwayStep
from lss_pathway.pathway.recommend import Recommendation
from lss_pathway.report.cells import (
    VERDICT_LABEL,
    VERDICT_STYLE,
    blocking,
    checked_as_of,
    document_sections,
    pending,
    reason,
    to_document_lines,
    unreported,
    unreported_levels,
)

_FLAG = {
    Tri.MET: ("PRESENT", "bold white on red"),
    Tri.UNKNOWN: ("not documented", "yellow"),
    Tri.NOT_MET: ("absent", "dim"),
}


def _red_flags(a: Assessment) -> RenderableType:
    table = Table.grid(padding=(0, 2))
    for flag in a.red_flags:
        label, style = _FLAG[flag.status]
        action = flag.action if flag.status is Tri.MET else ""
        table.add_row(flag.label, Text(label, style=style), action)
    border = "red" if a.red_flags_present else "green"
    return Panel(table, title="Red flags", border_style=border, title_align="left")


def _grid(a: Assessment) -> RenderableType:
    gap = unreported(a)
    skipped = unreported_levels(a)
    if len(skipped) == len(LEVELS):
        return Text.assemble(("mild candidacy by level and side: ", "italic"), (gap, "yellow"))
    table = Table(
        title="mild candidacy by level and side",
        title_justify="left",
        expand=True,
        caption=gap or None,
        caption_justify="left",
    )
    table.add_column("level", no_wrap=True)
    for side in SIDES:
        table.add_column(side.value, ratio=1)
    for level in LEVELS:
        if level in skipped:
            continue  # said once, in the caption
        cells = [a.candidacy.cell(level, side) for side in SIDES]
        table.add_row(
            level.value,
            *[
                Text.assemble(
                    (VERDICT_LABEL[c.verdict], f"bold {VERDICT_STYLE[c.verdict]}"),
                    "\n",
                    (reason(c, a.rules, a.record), "dim"),
                )
                for c in cells
            ],
        )
    return table


def _details(a: Assessment) -> RenderableType:
    lines = Text()
    for cell in a.candidacy.cells:
        if a.record.imaging.level(cell.level) is None and cell.verdict is Verdict.UNDETERMINED:
            continue
        items: list[str] = []
        if cell.verdict is Verdict.NOT_CANDIDATE:
            items += blocking(cell, a.rules)
        items += [f"condition: {c.action}" for c in cell.conditions]
        items += pending(cell, a.rules) if cell.verdict is not Verdict.NOT_CANDIDATE else []
        if cell.verdict is not Verdict.NOT_CANDIDATE:
            items += [f"to document: {m}" for m in to_document_lines(cell, a.record)]
        if not items:
            continue
        lines.append(f"{cell.level} {cell.side}", style=f"bold {VERDICT_STYLE[cell.verdict]}")
        lines.append("\n")
        for item in items:
            lines.append(f"  - {item}\n")
    return Panel(lines, title="Why", title_align="left") if lines.plain else Text("")


def _diagnosis(a: Assessment) -> RenderableType:
    dx = a.diagnosis
    text = Text()
    cook = dx.cook
    lr = f", LR {cook.lr:g} (95% CI {cook.ci})" if cook.lr is not None else ""
    text.append(f"Cook 2011 cluster: {cook.note}{lr}\n")
    for f in dx.findings:
        text.append(f"{f.label}: {'present' if f.present else 'absent'}, LR {f.lr:g}\n")
    if dx.not_recorded:
        text.append(f"not recorded: {', '.join(dx.not_recorded)}\n", style="dim")
    text.append(f"consensus history: {dx.checklist_note}\n", style="dim")
    for name, p in dx.post_test.items():
        label = {"cook": "Cook cluster", "strongest_finding": "strongest single finding"}.get(
            name, "combined findings"
        )
        approx = " (approximate)" if name == "combined_findings" and dx.approximate else ""
        text.append(
            f"post-test probability from {label}: {p:.0%} (pre-test {dx.pretest:.0%}){approx}\n", style="bold"
        )
    for n in dx.notes:
        text.append(f"note: {n}\n", style="yellow")
    return Panel(
        text, title="Diagnosis support: is this neurogenic claudication from LSS?", title_align="left"
    )


def render_assessment(a: Assessment) -> RenderableType:
    head = Text.assemble(
        ("LSS assessment ", "bold"),
        (a.record.id or "patient", "bold cyan"),
        f"   rule set {a.rules.ref}{checked_as_of(a.rules)}   facts as of {a.on_date.isoformat()}",
    )
    parts: list[RenderableType] = [head]
    if a.record.summary:
        parts.append(Text(a.record.summary, style="italic"))
    parts.append(_red_flags(a))

    ces = a.cauda_equina
    if ces.features:
        border = "red" if ces.urgent else "yellow"
        body = "\n".join([f"status: {ces.status.label}", *ces.notes, f"action: {ces.action}"])
        parts.append(Panel(body, title="Cauda equina triage", title_align="left", border_style=border))

    d = a.differential
    diff = Text.assemble(("Claudication pattern: ", "bold"), (d.pattern.value, "bold magenta"), "\n")
    for e in d.evidence:
        diff.append(f"  favours {e.favours}: {e.feature}\n")
    for text in d.advice:
        diff.append(f"  advice: {text}\n", style="yellow")
    for c in d.constellations:
        state = {True: "present", False: "absent", None: "incomplete"}[c.present]
        diff.append(f"  Nadeau {c.favours} constellation ({c.likelihood_ratio}): {state}\n")
    parts.append(diff)
    parts.append(_diagnosis(a))

    sten = Table(title="Central stenosis, ranked", title_justify="left")
    for col in ("rank", "level", "category", "basis"):
        sten.add_column(col)
    for s in a.stenosis:
        sten.add_row(str(s.rank), s.level.value, s.category.value, "; ".join(s.basis))
    parts += [sten, _grid(a), _details(a)]

    sections = document_sections(a)
    if sections:
        todo = Text()
        for section in sections:
            todo.append(f"{section.title}\n", style="bold")
            for line, _ in section.lines:
                todo.append(f"[ ] {line}\n")
        todo.rstrip()
        parts.append(Panel(todo, title="Facts to document", title_align="left", border_style="yellow"))
    steps = Text()
    for i, rec in enumerate(a.pathway, 1):
        where = f" ({', '.join(rec.levels)})" if rec.levels else ""
        steps.append(f"{i}. {rec.title}{where}\n", style="bold")
        for r in rec.reasons:
            steps.append(f"   - {r}\n")
    parts.append(
        Panel(
            steps or Text("No step recommended from the recorded facts."),
            title="Next steps",
            title_align="left",
        )
    )
    parts.append(Text(f"ICD-10-CM suggestion: {a.icd10.code or '-'} {a.icd10.label} ({a.icd10.reason})"))
    parts.append(Text("Decision support only: the decision rests with the treating clinician.", style="dim"))
    return Group(*parts)


def _compact(a: Assessment) -> Text:
    """Levels with any non-undetermined verdict, e.g. 'L4-L5 L✔ R✘'."""
    marks = {
        Verdict.CANDIDATE: ("✔", "green"),
        Verdict.NOT_CANDIDATE: ("✘", "red"),
        Verdict.UNDETERMINED: ("?", "yellow"),
    }
    text = Text()
    for level in LEVELS:
        if a.record.imaging.level(level) is None:
            continue
        cells = [a.candidacy.cell(level, side) for side in SIDES]
        if all(c.verdict is Verdict.NOT_CANDIDATE for c in cells) and not any(
            s.present for s in a.stenosis if s.level == level
        ):
            continue  # no stenosis here: nothing to say
        text.append(f"{level} ")
        for side, cell in zip(SIDES, cells, strict=True):
            mark, style = marks[cell.verdict]
            text.append(f"{side.value[0].upper()}{mark} ", style=style)
    unreported = [lv for lv in LEVELS if a.record.imaging.level(lv) is None]
    if len(unreported) == len(LEVELS):
        verdicts = {c.verdict for c in a.candidacy.cells}
        text.append("no imaging: " + ", ".join(VERDICT_LABEL[v] for v in verdicts), style="yellow")
    return text


def _sides(levels: list[str]) -> str:
    """'L4-L5 left', 'L4-L5 right' -> 'L4-L5 L+R'."""
    grouped: dict[str, list[str]] = {}
    for item in levels:
        level, _, side = item.partition(" ")
        grouped.setdefault(level, []).append(side[:1].upper())
    return ", ".join(f"{lv} {'+'.join(sd)}".strip() for lv, sd in grouped.items())


def _steps(a: Assessment) -> str:
    def label(r: Recommendation) -> str:
        if r.step is PathwayStep.MILD and not r.levels:
            return "work-up for mild"
        return f"{r.short} {_sides(r.levels)}".strip()

    return " → ".join(label(r) for r in a.pathway) or "-"


SummaryRow = tuple[str, Text, Text]
"""One patient's line of the summary: name, candidacy marks, pathway (red when a red flag is present)."""


def summary_row(name: str, a: Assessment) -> SummaryRow:
    style = "bold red" if a.red_flags_present else ""
    return (name, _compact(a), Text(_steps(a), style=style))


def summary_table(rows: Iterable[SummaryRow], title: str | None = "lss-pathway: examples") -> Table:
    """The summary table of the given rows (``lss summary`` prints a long list as several tables)."""
    table = Table(title=title, title_justify="left", expand=True)
    table.add_column("patient", no_wrap=True)
    table.add_column("mild candidacy (L/R)")
    table.add_column("pathway, next step first")
    for row in rows:
        table.add_row(*row)
    return table


def render_summary(items: Iterable[tuple[str, Assessment]]) -> RenderableType:
    return summary_table(summary_row(name, a) for name, a in items)
