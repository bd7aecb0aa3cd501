"""The assessment as Markdown: the same sections, in the same order, as the terminal view."""

from __future__ import annotations

from lss_pathway.assess import Assessment
from lss_pathway.criteria.candidacy import Verdict
from lss_pathway.criteria.logic import Tri
from lss_pathway.domain.anatomy import LEVELS, SIDES
from lss_pathway.report.cells import (
    VERDICT_LABEL,
    blocking,
    checked_as_of,
    document_sections,
    pending,
    reason,
    to_document_lines,
    unreported,
    unreported_levels,
)

_FLAG_STATUS = {Tri.MET: "**PRESENT**", Tri.UNKNOWN: "not documented", Tri.NOT_MET: "absent"}


def render_markdown(a: Assessment) -> str:
    rules = a.rules
    title = a.record.id or "patient"
    out = [f"# LSS assessment: {title}", ""]
    if a.record.summary:
        out += [f"_{a.record.summary}_", ""]
    out += [
        f"Rule set `{rules.ref}` ({rules.title}){checked_as_of(rules)}; facts as of {a.on_date.isoformat()}.",
        "",
    ]

    out += ["## Red flags", ""]
    for flag in a.red_flags:
        line = f"- {flag.label}: {_FLAG_STATUS[flag.status]}"
        if flag.status is Tri.MET:
            line += f" - {flag.action}"
        out.append(line)
    out.append("")

    ces = a.cauda_equina
    if ces.features or ces.notes:
        out += ["## Cauda equina triage", "", f"Status: **{ces.status.label}**", ""]
        out += [f"- feature: {f}" for f in ces.features]
        out += [f"- {n}" for n in ces.notes]
        if ces.action:
            out.append(f"- action: {ces.action}")
        out.append("")

    d = a.differential
    out += ["## Claudication", "", f"Pattern: **{d.pattern.value}**", ""]
    out += [f"- favours {e.favours}: {e.feature}" for e in d.evidence]
    out += [
        f"- ABI {leg.side}: {leg.abi:.2f} ({leg.band})" for leg in d.legs if leg.abi is not None and leg.band
    ]
    out += [f"- advice: {text}" for text in d.advice]
    for c in d.constellations:
        state = {True: "present", False: "absent", None: "incomplete"}[c.present]
        out.append(f"- Nadeau {c.favours} constellation ({c.likelihood_ratio}): {state}")
    out.append("")
    out += _diagnosis_section(a)

    out += ["## Central stenosis by level", "", "| rank | level | category | basis |", "|---|---|---|---|"]
    out += [f"| {s.rank} | {s.level} | {s.category.value} | {'; '.join(s.basis)} |" for s in a.stenosis]
    if not a.stenosis:
        out.append("| - | - | no imaging findings recorded | - |")
    out.append("")

    out += ["## mild candidacy by level and side", ""]
    skipped = unreported_levels(a)
    if len(skipped) < len(LEVELS):
        out += ["| level | left | right |", "|---|---|---|"]
        for level in LEVELS:
            if level not in skipped:
                row = [VERDICT_LABEL[a.candidacy.cell(level, side).verdict] for side in SIDES]
                out.append(f"| {level} | {row[0]} | {row[1]} |")
        out.append("")
    if skipped:
        out += [f"{unreported(a)}.", ""]
    for cell in a.candidacy.cells:
        if a.record.imaging.level(cell.level) is None and cell.verdict is Verdict.UNDETERMINED:
            continue
        out.append(f"### {cell.level} {cell.side}: {VERDICT_LABEL[cell.verdict]}")
        out.append("")
        out.append(f"- {reason(cell, rules, a.record)}")
        if cell.verdict is Verdict.NOT_CANDIDATE:
            out += ["- criteria not met:"] + [f"  - {b}" for b in blocking(cell, rules)]
        out += [f"- condition: {c.action} (source: {c.source}; [{c.verification}])" for c in cell.conditions]
        out += [f"- {p}" for p in pending(cell, rules)] if cell.verdict is not Verdict.NOT_CANDIDATE else []
        if cell.verdict is not Verdict.NOT_CANDIDATE:
            out += [f"- to document: {m}" for m in to_document_lines(cell, a.record)]
        out.append("")

    sections = document_sections(a)
    if sections:
        out += ["## Facts to document", ""]
        for section in sections:
            out += [f"**{section.title}**", ""] + [f"- [ ] {line}" for line, _ in section.lines] + [""]

    out += ["## Recommended next steps", ""]
    for i, rec in enumerate(a.pathway, 1):
        where = f" ({', '.join(rec.levels)})" if rec.levels else ""
        out.append(f"{i}. **{rec.title}**{where}")
        out += [f"   - {r}" for r in rec.reasons]
    if not a.pathway:
        out.append("No step recommended from the recorded facts.")
    out.append("")

    code = a.icd10
    out += ["## Coding suggestion", "", f"{code.code or '-'}: {code.label} ({code.reason})", ""]
    out += ["---", "", "Decision support only: the decision rests with the treating clinician.", ""]
    return "\n".join(out)


def _diagnosis_section(a: Assessment) -> list[str]:
    dx = a.diagnosis
    out = ["## Diagnosis support (is this neurogenic claudication from LSS?)", ""]
    cook = dx.cook
    lr = f", LR {cook.lr:g} (95% CI {cook.ci})" if cook.lr is not None else ""
    out.append(f"- Cook 2011 cluster: {cook.note}{lr}")
    for f in dx.findings:
        state = "present" if f.present else "absent"
        out.append(f"- {f.label}: {state}, LR {f.lr:g} (Suri 2010)")
    if dx.not_recorded:
        out.append(f"- not recorded: {', '.join(dx.not_recorded)}")
    out.append(f"- consensus history (Tomkins-Lane 2016): {dx.checklist_note}")
    if dx.pretest is not None:
        for name, p in dx.post_test.items():
            label = {"cook": "Cook cluster", "strongest_finding": "strongest single finding"}.get(
                name, "combined findings"
            )
            approx = " (approximate)" if name == "combined_findings" and dx.approximate else ""
            out.append(f"- post-test probability from {label}: {p:.0%} (pre-test {dx.pretest:.0%}){approx}")
    out += [f"- note: {n}" for n in dx.notes]
    out.append("")
    return out
