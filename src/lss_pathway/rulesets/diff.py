"""What changed between two resolved rule sets, in terms a clinician reviews: criteria, thresholds, holds.

Released rule sets never change, so every clinical change is a new version; this is how a reviewer sees
what the new version does differently. Fields are compared generically over each model's dumped fields,
so a field added to the model later shows up (under its raw name) without touching this module. A
criterion whose wording or test is unchanged but reads a threshold that changed is reported with the
threshold, since its effective meaning changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel

from lss_pathway.criteria.ruleset import Criterion, HoldRule, Parameter, RuleSet
from lss_pathway.rulesets.render import parameter_text, test_in_words


class Section(StrEnum):
    """Listed in this order: what a reviewer needs first comes first."""

    METADATA = "metadata"
    CRITERIA = "criteria"
    PARAMETERS = "parameters"
    HOLDS = "antithrombotic_holds"
    SOURCES = "sources"


class Action(StrEnum):
    REMOVED = "removed"
    ADDED = "added"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One attribute, old and new as displayed; ``reason`` says why when it is not self-evident."""

    field: str
    label: str
    old: str
    new: str
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "label": self.label,
            "old": self.old,
            "new": self.new,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Change:
    """An item added, removed or changed; ``title`` names it in words (a criterion's filled statement)."""

    section: Section
    action: Action
    key: str
    title: str
    details: tuple[tuple[str, str], ...] = ()
    """For an added or removed item: its attributes (label, text)."""
    fields: tuple[FieldChange, ...] = ()
    """For a changed item: what changed."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.section.value,
            "action": self.action.value,
            "key": self.key,
            "title": self.title,
            "details": [{"label": label, "text": text} for label, text in self.details],
            "fields": [f.to_dict() for f in self.fields],
        }


@dataclass(frozen=True, slots=True)
class RuleSetDiff:
    old: str
    new: str
    changes: tuple[Change, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new, "changes": [c.to_dict() for c in self.changes]}


LABELS = {
    "title": "title",
    "description": "description",
    "status": "status",
    "extends": "extends",
    "remove": "inherited criteria removed",
    "kind": "kind",
    "scope": "scope",
    "phase": "phase",
    "statement": "statement",
    "test": "test",
    "routes_to": "if not met, consider",
    "confirmation": "confirmation (pending while unrecorded)",
    "when_not_met": "when not met",
    "verified_as_of": "sources' text checked as of",
    "source": "source",
    "verification": "verification",
    "note": "note",
    "value": "value",
    "citation": "citation",
    "url": "address",
    "stop_days": "stop before",
    "requires": "also requires",
    "restart": "restart",
}
_COLLECTIONS = ("id", "version", "sources", "parameters", "criteria", "antithrombotic_holds")
"""Top-level fields that are not metadata: the refs head the diff, the collections have sections."""


def diff_rulesets(old: RuleSet, new: RuleSet) -> RuleSetDiff:
    """Compare two resolved rule sets (any two: versions of one set, or different sets)."""
    changes = _metadata(old, new)
    changes += _keyed(
        Section.CRITERIA,
        {c.id: c for c in old.criteria},
        {c.id: c for c in new.criteria},
        lambda c, rules: (rules.statement(c), _criterion_details(c, rules)),
        lambda a, b: _criterion_fields(a, b, old, new),
        old,
        new,
    )
    changes += _keyed(
        Section.PARAMETERS,
        old.parameters,
        new.parameters,
        lambda p, rules: (parameter_text(p), _details(p, ("value", "unit"))),
        _parameter_fields,
        old,
        new,
    )
    changes += _keyed(
        Section.HOLDS,
        old.antithrombotic_holds,
        new.antithrombotic_holds,
        lambda h, rules: (_stop_text(h), _details(h, ("stop_days",))),
        lambda a, b: _model_fields(a, b, special={"stop_days": _stop_text}),
        old,
        new,
    )
    changes += _keyed(
        Section.SOURCES,
        old.sources,
        new.sources,
        lambda s, rules: (s.citation, _details(s, ("citation",))),
        lambda a, b: _model_fields(a, b),
        old,
        new,
    )
    return RuleSetDiff(old.ref, new.ref, tuple(changes))


Details = tuple[tuple[str, str], ...]
T = TypeVar("T", bound=BaseModel)


def _keyed(
    section: Section,
    before: Mapping[str, T],
    after: Mapping[str, T],
    describe: Callable[[T, RuleSet], tuple[str, Details]],
    compare: Callable[[T, T], tuple[FieldChange, ...]],
    old: RuleSet,
    new: RuleSet,
) -> list[Change]:
    """Removed (in the old order), then added and changed (in the new order)."""
    out = [Change(section, Action.REMOVED, k, *describe(v, old)) for k, v in before.items() if k not in after]
    out += [Change(section, Action.ADDED, k, *describe(v, new)) for k, v in after.items() if k not in before]
    for key, item in after.items():
        if key in before:
            fields = compare(before[key], item)
            if fields:
                out.append(Change(section, Action.CHANGED, key, describe(item, new)[0], fields=fields))
    return out


def _metadata(old: RuleSet, new: RuleSet) -> list[Change]:
    fields = _model_fields(old, new, skip=_COLLECTIONS)
    return [Change(Section.METADATA, Action.CHANGED, "rule set", new.title, fields=fields)] if fields else []


def _text(value: Any) -> str:
    """A dumped field value as one line; ``(none)`` for a field that is unset or absent."""
    if value is None or value == [] or value == {}:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _field_names(a: BaseModel, b: BaseModel) -> list[str]:
    """Both models' fields in declaration order (the new one's first), so extra fields are not missed."""
    return list(dict.fromkeys([*type(b).model_fields, *type(a).model_fields]))


def _model_fields(
    a: BaseModel,
    b: BaseModel,
    skip: Iterable[str] = (),
    special: Mapping[str, Callable[[Any], str]] | None = None,
) -> tuple[FieldChange, ...]:
    """Every differing field, compared on dumped values and shown as text (``special`` formats some)."""
    before, after = a.model_dump(mode="json"), b.model_dump(mode="json")
    out = []
    for name in _field_names(a, b):
        if name in skip or before.get(name) == after.get(name):
            continue
        show = (special or {}).get(name)
        old_text = show(a) if show is not None else _text(before.get(name))
        new_text = show(b) if show is not None else _text(after.get(name))
        out.append(FieldChange(name, LABELS.get(name, name), old_text, new_text))
    return tuple(out)


def _details(item: BaseModel, skip: tuple[str, ...]) -> Details:
    return tuple(
        (LABELS.get(name, name), _text(value))
        for name, value in item.model_dump(mode="json").items()
        if name not in skip and value is not None
    )


def _stop_text(hold: HoldRule) -> str:
    if hold.stop_days is None:
        return "with the prescriber"
    return f"{hold.stop_days:g} day" + ("" if hold.stop_days == 1 else "s")


def _parameter_fields(a: Parameter, b: Parameter) -> tuple[FieldChange, ...]:
    value = (
        ()
        if parameter_text(a) == parameter_text(b)
        else (FieldChange("value", "value", parameter_text(a), parameter_text(b)),)
    )
    return value + _model_fields(a, b, skip=("value", "unit"))


def _threshold_reason(a: Criterion, b: Criterion, old: RuleSet, new: RuleSet) -> str | None:
    """The thresholds this criterion reads that changed, as ``threshold changed: 10 → 18.8 degrees``."""
    moved = []
    for name in dict.fromkeys([*a.params(), *b.params()]):
        before, after = old.parameters.get(name), new.parameters.get(name)
        old_text = parameter_text(before) if before is not None else "(none)"
        new_text = parameter_text(after) if after is not None else "(none)"
        if old_text != new_text:
            moved.append((name, f"{old_text} → {new_text}"))
    if not moved:
        return None
    if len(moved) == 1:
        return f"threshold changed: {moved[0][1]} ({moved[0][0]})"
    return "thresholds changed: " + "; ".join(f"{name} {change}" for name, change in moved)


def _criterion_fields(a: Criterion, b: Criterion, old: RuleSet, new: RuleSet) -> tuple[FieldChange, ...]:
    """Statement, test and tag as displayed (thresholds filled in); every other field generically.

    When the displayed text changed but the criterion's own data did not, a threshold it reads moved:
    the change names it rather than leaving the reviewer to find it.
    """
    before, after = a.model_dump(mode="json"), b.model_dump(mode="json")
    shown = {
        "statement": (old.statement(a), new.statement(b)),
        "test": (test_in_words(a.test, old), test_in_words(b.test, new)),
        "verification": (_tag(old, a), _tag(new, b)),
        "routes_to": (_route(a), _route(b)),
    }
    out = []
    for name in _field_names(a, b):
        old_text, new_text = shown.get(name) or (_text(before.get(name)), _text(after.get(name)))
        if old_text == new_text:
            continue
        why = None
        if name == "verification":
            why = "a threshold's tag changed" if before[name] == after[name] else None
        elif name in ("statement", "test") and (moved := _threshold_reason(a, b, old, new)):
            why = moved if before[name] == after[name] else f"reworded; {moved}"
        out.append(FieldChange(name, LABELS.get(name, name), old_text, new_text, why))
    return tuple(out)


def _route(c: Criterion) -> str:
    return ", ".join(step.value.replace("_", " ") for step in c.routes_to) or "(none)"


def _tag(rules: RuleSet, criterion: Criterion) -> str:
    """The displayed tag: the weakest of the criterion's own and those of the thresholds it reads."""
    tag = rules.verification_of(criterion)
    return f"{tag.value} ({tag.label})"


def _criterion_details(c: Criterion, rules: RuleSet) -> Details:
    shown = [
        ("kind", c.kind.value),
        ("scope", c.scope.value),
        ("phase", c.phase.value),
        ("test", test_in_words(c.test, rules)),
        ("source", f"[{_tag(rules, c)}] {c.source}"),
    ]
    if c.routes_to:
        shown.append((LABELS["routes_to"], _route(c)))
    if c.note:
        shown.append(("note", c.note))
    standard = {
        "id",
        "kind",
        "scope",
        "phase",
        "statement",
        "source",
        "verification",
        "test",
        "routes_to",
        "note",
    }
    dumped = c.model_dump(mode="json")
    shown += [
        (LABELS.get(name, name), _text(dumped[name]))
        for name, spec in type(c).model_fields.items()
        if name not in standard and getattr(c, name) != spec.default
    ]
    return tuple(shown)


def render_diff_markdown(diff: RuleSetDiff) -> str:
    """The diff as Markdown: one heading per section, removed / added / changed items with old → new."""
    lines = [f"# Rule set changes: `{diff.old}` → `{diff.new}`", ""]
    if not diff.changes:
        return "\n".join([*lines, "No differences.", ""])
    counts = {a: sum(c.action is a for c in diff.changes) for a in Action}
    lines += [", ".join(f"{n} {a.value}" for a, n in counts.items()) + ".", ""]
    for section in Section:
        chosen = [c for c in diff.changes if c.section is section]
        if not chosen:
            continue
        lines += [f"## {_SECTION_TITLE[section]}", ""]
        for change in chosen:
            key = "" if section is Section.METADATA else f"`{change.key}`: "
            lines.append(f"- **{change.action.value}** {key}{change.title}")
            lines += [f"  - {label}: {text}" for label, text in change.details]
            for f in change.fields:
                why = f" ({f.reason})" if f.reason else ""
                if len(f.old) + len(f.new) > _INLINE:
                    lines += [f"  - {f.label}{why}:", f"    - was: {f.old}", f"    - now: {f.new}"]
                else:
                    lines.append(f"  - {f.label}{why}: {f.old} → {f.new}")
        lines.append("")
    return "\n".join(lines)


_INLINE = 100
"""Old and new longer than this together are shown on lines of their own."""
_SECTION_TITLE = {
    Section.METADATA: "Rule set",
    Section.CRITERIA: "Criteria",
    Section.PARAMETERS: "Thresholds",
    Section.HOLDS: "Antithrombotic holds",
    Section.SOURCES: "Sources",
}
