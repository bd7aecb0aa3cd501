"""CDS Hooks cards from an assessment: the patient summary, red flags, and one card per ordered cell.

Cards follow the CDS Hooks 2.0 card shape: ``uuid``, ``summary`` (under 140 characters), ``indicator``
(info | warning | critical), ``source`` ({label}), Markdown ``detail``, ``links`` to the full report
(when a report URL is configured) and ``overrideReasons`` on order cards. Every detail names the rule set
and says that the decision rests with the clinician. Wording for verdicts is shared with the other
renderings (``report.cells``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lss_pathway import __version__
from lss_pathway.assess import Assessment
from lss_pathway.criteria.candidacy import Cell, Verdict
from lss_pathway.domain.anatomy import LEVELS, SIDES, Level, Side
from lss_pathway.domain.vocabulary import PathwayStep
from lss_pathway.fhir.orders import OrderTarget
from lss_pathway.report.cells import (
    VERDICT_LABEL,
    blocking,
    document_sections,
    headline,
    pending,
    reason,
    to_document_lines,
    unreported,
)

SUMMARY_LIMIT = 139
"""The spec asks for a summary of less than 140 characters."""
DISCLAIMER = "Decision support only: the decision rests with the treating clinician."
OVERRIDE_SYSTEM = "urn:lss-pathway:cds:override-reason"
OVERRIDE_REASONS: tuple[tuple[str, str], ...] = (
    ("clinical-judgement", "Clinical judgement: the criteria do not fit this patient"),
    ("documented-elsewhere", "The missing or contrary facts are documented elsewhere"),
    ("will-document", "Will document the missing facts before the procedure"),
    ("patient-preference", "Informed patient preference"),
)
PROCEDURE = "mild (CPT 0275T)"


@dataclass(frozen=True, slots=True)
class CardContext:
    """What every card of one response shares."""

    ruleset_ref: str
    report_url: str | None = None
    unavailable: tuple[str, ...] = ()
    """Prefetch keys the EHR could not provide: facts from them count as unknown."""
    unmapped: tuple[str, ...] = ()
    """EHR data that bears on a criterion but could not be read (one line each): shown on every card."""
    failed: tuple[str, ...] = ()
    """Prefetch keys whose fetch failed (an OperationOutcome): their facts count as unknown."""
    report: tuple[str, ...] = ()
    """Markdown lines on the facts read from a radiology report and its conflicts with the coded data."""

    @property
    def source(self) -> dict[str, Any]:
        return {"label": f"lss-pathway {__version__} (rule set {self.ruleset_ref})"}


def shorten(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """At most ``limit`` characters: whole thoughts first (the detail in brackets, then trailing clauses go,
    so a reason is never cut off mid-thought); only a single clause too long for the limit is cut between
    words, with an ellipsis. The card's detail always has the whole text."""
    text = " ".join(text.split())
    while len(text) > limit and text.endswith(")") and " (" in text:
        text = text[: text.rindex(" (")]
    while len(text) > limit and "; " in text:
        text = text[: text.rindex("; ")]
    while len(text) > limit and text.count(": ") > 1:  # keep the head ("L4-L5 left: not a candidate")
        text = text[: text.rindex(": ")]
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if text[limit - 1] != " " and " " in head:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,;:.") + "\u2026"


def _footer(ctx: CardContext, a: Assessment) -> list[str]:
    lines = [
        *ctx.report,
        "",
        "---",
        "",
        f"Rule set `{ctx.ruleset_ref}`; facts as of {a.on_date.isoformat()}.",
    ]
    if ctx.unmapped:
        lines += [
            "",
            "**EHR data bearing on this assessment that could not be read** (treated as unknown):",
            "",
        ]
        lines += [f"- {item}" for item in ctx.unmapped]
        lines.append("")
    if ctx.failed:
        lines.append(f"The EHR could not fetch (treated as unknown): {', '.join(sorted(ctx.failed))}.")
    if ctx.unavailable:
        lines.append(
            f"Not available from the EHR (treated as unknown): {', '.join(sorted(ctx.unavailable))}."
        )
    lines.append(DISCLAIMER)
    return lines


def _card(
    ctx: CardContext,
    a: Assessment,
    summary: str,
    indicator: str,
    body: list[str],
    *,
    order_card: bool = False,
) -> dict[str, Any]:
    card: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "summary": shorten(summary),
        "indicator": indicator,
        "source": ctx.source,
        "detail": "\n".join(body + _footer(ctx, a)).strip(),
    }
    if ctx.report_url:
        card["links"] = [{"label": "Full LSS assessment report", "url": ctx.report_url, "type": "absolute"}]
    if order_card:
        card["overrideReasons"] = [
            {"code": code, "system": OVERRIDE_SYSTEM, "display": display}
            for code, display in OVERRIDE_REASONS
        ]
    return card


def red_flag_card(a: Assessment, ctx: CardContext) -> dict[str, Any] | None:
    """A critical card when any red flag is present, else None."""
    present = a.red_flags_present
    if not present:
        return None
    labels = ", ".join(f.label for f in present)
    body = ["**Red flags present: urgent evaluation before any elective step.**", ""]
    for flag in present:
        source = f"[{flag.source}]({flag.url})" if flag.url else flag.source
        body.append(f"- **{flag.label}**: {flag.action} (source: {source})")
    return _card(ctx, a, f"Red flags: {labels}. Urgent evaluation first", "critical", body)


def _where(cells: Iterable[Cell]) -> str:
    """'L4-L5 (both sides), L3-L4 right' from a list of cells."""
    by_level: dict[Level, list[Side]] = {}
    for cell in cells:
        by_level.setdefault(cell.level, []).append(cell.side)
    parts = []
    for level in LEVELS:
        sides = by_level.get(level)
        if sides:
            parts.append(f"{level} (both sides)" if len(sides) == len(SIDES) else f"{level} {sides[0]}")
    return ", ".join(parts)


def _pathway_lines(a: Assessment) -> list[str]:
    lines = []
    for i, rec in enumerate(a.pathway, 1):
        where = f" ({', '.join(rec.levels)})" if rec.levels else ""
        lines.append(f"{i}. **{rec.title}**{where}")
        lines += [f"   - {r}" for r in rec.reasons]
    return lines or ["No step recommended from the recorded facts."]


def patient_view_card(a: Assessment, ctx: CardContext) -> dict[str, Any]:
    """One card: the candidacy grid in short, the next pathway step, and what to document."""
    cells = a.candidacy.cells
    candidates = [c for c in cells if c.verdict is Verdict.CANDIDATE]
    undetermined = [c for c in cells if c.verdict is Verdict.UNDETERMINED]
    not_candidate = [c for c in cells if c.verdict is Verdict.NOT_CANDIDATE]
    head = f"mild candidate at {_where(candidates)}" if candidates else "No level/side is a mild candidate"
    counts = []
    if not_candidate:
        counts.append(f"{len(not_candidate)} not")
    if undetermined:
        counts.append(f"{len(undetermined)} undetermined")
    summary = head + (f" ({', '.join(counts)})" if counts else "")
    if a.pathway:
        summary += f". Next: {a.pathway[0].title}"

    body = [
        "**LSS assessment: mild candidacy by level and side**",
        "",
        "| level | left | right |",
        "|---|---|---|",
    ]
    for level in LEVELS:
        row = [VERDICT_LABEL[a.candidacy.cell(level, side).verdict] for side in SIDES]
        body.append(f"| {level} | {row[0]} | {row[1]} |")
    body.append("")
    grouped: dict[str, list[str]] = {}  # cells with the same verdict and reason share a line
    for cell in cells:
        if cell.verdict is Verdict.UNDETERMINED and a.record.imaging.level(cell.level) is None:
            continue  # levels without imaging are listed under the facts to document
        text = f"{VERDICT_LABEL[cell.verdict]}: {reason(cell, a.rules, a.record)}"
        grouped.setdefault(text, []).append(f"{cell.level} {cell.side}")
    body += [f"- **{', '.join(where)}**: {text}" for text, where in grouped.items()]
    if unreported(a):
        body.append(f"- {unreported(a)}")
    body += ["", "**Recommended next steps**", "", *_pathway_lines(a)]
    for section in document_sections(a):
        body += ["", f"**Facts to document: {section.title.lower()}**", ""]
        body += [f"- {line}" for line, _ in section.lines]
    return _card(ctx, a, summary, "info", body)


def patient_view_cards(a: Assessment, ctx: CardContext) -> list[dict[str, Any]]:
    flags = red_flag_card(a, ctx)
    return ([flags] if flags else []) + [patient_view_card(a, ctx)]


def _cell_card(
    a: Assessment, cell: Cell, ctx: CardContext, hook: str, order: str | None = None
) -> dict[str, Any]:
    rules = a.rules
    where = f"{cell.level} {cell.side}"
    head = f"{PROCEDURE} at {where}"
    body: list[str]
    if cell.verdict is Verdict.CANDIDATE:
        body = [f"**{head}: candidate** under `{rules.ref}` ({reason(cell, rules, a.record)})."]
        if cell.conditions:
            body += ["", "Conditions:", ""]
            body += [f"- {c.action} (source: {c.source})" for c in cell.conditions]
        if cell.pending:
            body += ["", "Still to confirm:", ""]
            body += [f"- {item}" for item in pending(cell, rules)]
        return _card(ctx, a, f"{head}: candidate", "info", body, order_card=True)
    if cell.verdict is Verdict.NOT_CANDIDATE:
        found = blocking(cell, rules)
        verb = "Signing" if hook == "order-sign" else "Ordering"
        body = [f"**{head}: not a candidate** under `{rules.ref}`. {verb} it goes against:", ""]
        body += [f"- {b}" for b in found]
        alternatives = [
            rec
            for rec in a.pathway
            if where in rec.levels or (not rec.levels and rec.step is not PathwayStep.MILD)
        ]
        if alternatives:
            body += ["", "Steps that fit instead:", ""]
            body += [f"- **{rec.title}**: {'; '.join(rec.reasons)}" for rec in alternatives]
        summary = f"{head}: not a candidate: {headline(cell, rules)}"
        card = _card(ctx, a, summary, "warning", body, order_card=True)
        if order is not None:
            card["suggestions"] = [
                {
                    "label": f"Remove the {PROCEDURE} order (not a candidate at {where})",
                    "uuid": str(uuid.uuid4()),
                    "actions": [
                        {
                            "type": "delete",
                            "description": f"Remove the draft {PROCEDURE} order; change its level or side, "
                            "or choose a step that fits instead",
                            "resourceId": [order],
                        }
                    ],
                }
            ]
            card["selectionBehavior"] = "at-most-one"
        return card
    missing = to_document_lines(cell, a.record)
    noun = "fact" if len(missing) == 1 else "facts"
    body = [
        f"**{head}: undetermined** under `{rules.ref}`: candidacy cannot be settled from the record.",
        "",
        "Document these to settle it:",
        "",
        *[f"- [ ] {m}" for m in missing],
    ]
    summary = f"{head}: undetermined; document {len(missing)} {noun} to settle it"
    return _card(ctx, a, summary, "warning", body, order_card=True)


def _problem_card(a: Assessment, target: OrderTarget, ctx: CardContext) -> dict[str, Any]:
    problem = target.problem or "the order names no spinal level"
    grid = _where(c for c in a.candidacy.cells if c.verdict is Verdict.CANDIDATE) or "none"
    body = [
        f"**{PROCEDURE} order: {problem}.**",
        "",
        "Candidacy is decided per level and side; record the level (L1-L2 to L5-S1) and side on the order.",
        "",
        f"Candidate levels and sides in this assessment: {grid}.",
    ]
    return _card(ctx, a, f"{PROCEDURE} order: {problem}", "warning", body, order_card=True)


def order_cards(
    a: Assessment, targets: list[OrderTarget], ctx: CardContext, hook: str
) -> list[dict[str, Any]]:
    """One card per requested level and side (each once); red flags first; no card without targets."""
    if not targets:
        return []
    cards: list[dict[str, Any]] = []
    flags = red_flag_card(a, ctx)
    if flags:
        flags["overrideReasons"] = [
            {"code": code, "system": OVERRIDE_SYSTEM, "display": display}
            for code, display in OVERRIDE_REASONS
        ]
        cards.append(flags)
    done: set[tuple[Level, Side]] = set()
    problems: set[str] = set()
    for target in targets:
        if target.level is None or target.side is None:
            text = target.problem or "the order names no spinal level"
            if text not in problems:
                problems.add(text)
                cards.append(_problem_card(a, target, ctx))
            continue
        key = (target.level, target.side)
        if key in done:
            continue
        done.add(key)
        cards.append(_cell_card(a, a.candidacy.cell(target.level, target.side), ctx, hook, target.order))
    return cards
