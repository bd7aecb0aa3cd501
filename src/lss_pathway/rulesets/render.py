"""Render a rule set as Markdown a clinician can review without reading YAML."""

from __future__ import annotations

from lss_pathway.criteria.expressions import (
    Agree,
    AllOf,
    AnyOf,
    Compare,
    Consistent,
    Expr,
    Hold,
    Not,
    Param,
    Scalar,
    unsupported,
)
from lss_pathway.criteria.facts import Scope, fact_catalogue
from lss_pathway.criteria.ruleset import Parameter, Phase, RuleSet

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
            lines.append(
                f"| {name} | {parameter_text(p)} | {p.verification.value} | {p.source} | {p.note or ''} |"
            )
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


def parameter_text(parameter: Parameter) -> str:
    """A threshold as a clinician reads it: the value with its unit."""
    value = parameter.value
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{shown} {parameter.unit}" if parameter.unit else shown


def _scalar_text(value: Scalar) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:g}" if isinstance(value, float) else str(value)


_WORDS = {"eq": "is", "ne": "is not", "in": "is one of", "not_in": "is none of"}
_SYMBOLS = {"lt": "<", "le": "≤", "gt": ">", "ge": "≥"}


def test_in_words(test: Expr, rules: RuleSet) -> str:
    """A criterion's test as one line, parameters filled in with their units, for review and diffs.

    Facts keep their record paths: they are what the clinician documents and what explanations name.
    """
    match test:
        case Compare():
            unit = None
            if isinstance(test.value, Param):
                param = rules.parameters.get(test.value.name)
                if param is None:
                    shown = f"{{{test.value.name}}}"
                else:
                    shown, unit = parameter_text(param), param.unit
            elif isinstance(test.value, tuple):
                shown = ", ".join(_scalar_text(v) for v in test.value)
            else:
                shown = _scalar_text(test.value)
            spec = fact_catalogue().get(test.fact)
            if unit is None and spec is not None and spec.unit and test.op in _SYMBOLS:
                shown = f"{shown} {spec.unit}"
            return f"{test.fact} {_WORDS.get(test.op) or _SYMBOLS[test.op]} {shown}"
        case AllOf(items) | AnyOf(items) | Agree(items) | Consistent(items):
            head = _GROUPS[type(test)]
            return f"{head} [" + "; ".join(test_in_words(item, rules) for item in items) + "]"
        case Not(item):
            return f"not [{test_in_words(item, rules)}]"
        case Hold():
            return "every current antithrombotic can be held for its interval in the hold table"
        case _:
            unsupported(test, "test_in_words")


_GROUPS: dict[type, str] = {
    AllOf: "all of",
    AnyOf: "any of",
    Agree: "agreeing readings of",
    Consistent: "readings that must not contradict each other",
}
