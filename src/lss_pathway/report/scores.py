"""Terminal rendering of a scored instrument (the same payload as ``lss score --format json``)."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def render_score(payload: dict[str, Any]) -> RenderableType:
    parts: list[RenderableType] = []
    name = str(payload.get("instrument", "score")).upper()
    if "value" in payload:
        head = Text.assemble(
            (f"{name}: ", "bold"), (f"{_fmt(payload['value'])} {payload.get('unit', '')}", "bold cyan")
        )
        if payload.get("interpretation"):
            head.append(f"  ({payload['interpretation']})")
        head.append(f"   {payload.get('answered')}/{payload.get('expected')} answered")
        parts.append(head)
        for key, value in (payload.get("components") or {}).items():
            parts.append(Text(f"  {key.replace('_', ' ')}: {_fmt(value)}"))
    elif payload.get("instrument") == "cook":
        lr = payload.get("lr")
        parts.append(Text.assemble(("COOK: ", "bold"), (payload["note"], "bold cyan")))
        parts.append(Text(f"  likelihood ratio: {_fmt(lr)}" + (f" (95% CI {payload['ci']})" if lr else "")))
        parts.append(Text(f"  '4 of 5' read as: {payload['four_of_five_reading']}"))
    elif payload.get("instrument") == "sshq":
        verdict = {True: "positive (LSS likely)", False: "negative", None: "undetermined"}[
            payload["positive"]
        ]
        parts.append(Text.assemble(("SSHQ: ", "bold"), (verdict, "bold cyan")))
        parts.append(
            Text(f"  Q1-Q4 yes: {payload['q1_q4']}, Q5-Q10 yes: {payload['q5_q10']}; rule: {payload['rule']}")
        )
        if payload["unanswered"]:
            parts.append(Text(f"  unanswered: {', '.join(payload['unanswered'])}", style="yellow"))
    for note in payload.get("notes") or []:
        parts.append(Text(f"  note: {note}", style="dim"))
    if payload.get("note") and payload.get("instrument") not in ("cook",):
        parts.append(Text(f"  note: {payload['note']}", style="dim"))
    change = payload.get("change")
    if change:
        table = Table(title=f"Change from baseline ({change.get('direction', '')})", title_justify="left")
        for col in ("definition", "baseline", "now", "change", "responder", "tag"):
            table.add_column(col)
        measures = change.get("measures") or {}
        for row in change.get("responders", []):
            met = "n/a" if row.get("met") is None else _fmt(row.get("met"))
            if row.get("kind") == "follow_up_at_most":  # judged on the follow-up value alone
                now = (payload.get("components") or {}).get(row.get("measure"))
                cells = ["-", _fmt(now), "-"]
            else:
                measure = measures.get(row.get("measure")) or change
                relative = row.get("kind") == "relative_improvement"
                moved = measure.get("relative_change_percent" if relative else "absolute_change")
                suffix = " %" if relative and moved is not None else ""
                cells = [
                    _fmt(measure.get("baseline")),
                    _fmt(measure.get("follow_up")),
                    f"{_fmt(moved)}{suffix}",
                ]
            table.add_row(
                row.get("label", row.get("id", "")),
                *cells,
                met + (f" ({row['reason']})" if row.get("reason") else ""),
                _fmt(row.get("verification")),
            )
        parts.append(table)
    source = payload.get("source")
    if source:
        parts.append(
            Text(f"Source [{source['verification']}]: {source['citation']} {source['url']}", style="dim")
        )
    return Group(*parts)
