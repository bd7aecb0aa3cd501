"""Render a rule set as Markdown a clinician can review without reading YAML."""

from __future__ import annotations

from lss_pathway.criteria.facts import Scope
from lss_pathway.criteria.ruleset import Phase, RuleSet

_SCOPE_TITLE = {
    Scope.PATIENT: "Patient",
    Scope.LEVEL: "Per level",
    Scope.SIDE: "Per level and side",
}


def render_markdown(rules: RuleSet) -> str:
    lines = [f"# {rules.title}", "", f"`{rules.ref}` ({rules.status})", "", rules.description, ""]
    if rules.verified_as_of:
        lines += [f"Sources' text checked as of {rules.verified_as_of.isoformat()}.", ""]
    if rules.extends:
        lines += [
            f"Extends `{rules.extends}`" + (f", without: {', '.join(rules.remove)}" if rules.remove else ""),
            "",
        ]
    lines += [
        "A level and side is a **candidate** only when every criterion below is met, apart from"
        " confirmations not yet recorded (listed as pending: confirm before or during the procedure); any"
        " criterion not met makes it **not a candidate**; otherwise, or when recorded readings contradict"
        " each other, it is **undetermined** until the facts are documented or reconciled."
        " Tags: V verified, P partly verified, R/U unverified.",
        "",
    ]
    for phase in Phase:
        for scope in Scope:
            chosen = [c for c in rules.criteria if c.scope is scope and c.phase is phase]
            if not chosen:
                continue
            heading = _SCOPE_TITLE[scope] + (
                " (confirmed during the procedure)" if phase is Phase.INTRA_PROCEDURE else ""
            )
            lines += [f"## {heading}", ""]
            for c in chosen:
                tag = rules.verification_of(c).value
                lines.append(f"- **{rules.statement(c)}** ({c.kind.value}, [{tag}] {c.source}; `{c.id}`)")
                if c.confirmation and phase is Phase.PRE_PROCEDURE:
                    lines.append(
                        "  - a confirmation: pending while unrecorded, blocks when recorded as failed"
                    )
                if not c.blocks:
                    lines.append("  - never blocks: while not met, the candidacy carries it as a condition")
                if c.routes_to:
                    steps = ", ".join(step.value.replace("_", " ") for step in c.routes_to)
                    lines.append(f"  - if not met, consider: {steps}")
                if c.note:
                    lines.append(f"  - note: {c.note}")
            lines.append("")
    if rules.parameters:
        lines += ["## Thresholds", "", "| parameter | value | tag | source | note |", "|---|---|---|---|---|"]
        for name, p in rules.parameters.items():
            value = f"{p.value:g}" if isinstance(p.value, float) else str(p.value)
            unit = f" {p.unit}" if p.unit else ""
            lines.append(f"| {name} | {value}{unit} | {p.verification.value} | {p.source} | {p.note or ''} |")
        lines.append("")
    if rules.antithrombotic_holds:
        lines += [
            "## Antithrombotic holds before the procedure",
            "",
            "| agent | stop before | also | restart | tag |",
            "|---|---|---|---|---|",
        ]
        for agent, h in rules.antithrombotic_holds.items():
            stop = f"{h.stop_days:g} days" if h.stop_days is not None else "with the prescriber"
            lines.append(
                f"| {agent} | {stop} | {h.requires or ''} | {h.restart or ''} | {h.verification.value} |"
            )
        lines.append("")
    lines += ["## Sources", ""]
    lines += [f"- `{name}`: {s.citation}. <{s.url}>" for name, s in rules.sources.items()]
    return "\n".join(lines) + "\n"
