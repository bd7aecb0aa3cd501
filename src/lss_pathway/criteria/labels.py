"""Clinical wording for facts: one source for every rendering of what to document and what was recorded.

The engine names facts by their place in the record (``imaging.levels[L4-L5].sides[left].foraminal_stenosis``)
so that integrators can act on them. A clinician needs "Foraminal stenosis at L4-L5 left: grade from the MRI
report", collected where it is collected (history, examination, imaging report, ...). Labels come from the
record's field wording (``domain.wording``, shared with the form); ``data/wording.yaml`` adds the group,
what to record, why it matters and a short name for a recorded value. The raw path is always kept beside
the words, and a test walks the fact catalogue and the record model so that no fact can appear unlabelled.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from lss_pathway.criteria.evaluate import Node
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
    children,
    unsupported,
)
from lss_pathway.criteria.facts import fact_catalogue
from lss_pathway.criteria.logic import Tri
from lss_pathway.criteria.ruleset import RuleSet
from lss_pathway.domain import wording as words
from lss_pathway.domain.anatomy import LEVELS
from lss_pathway.domain.drugs import agent_label
from lss_pathway.domain.packaged import packaged_yaml
from lss_pathway.domain.record import PatientRecord


class Collect(StrEnum):
    """Where a clinician collects a fact, in the order a work-up collects them."""

    HISTORY = "history"
    EXAMINATION = "examination"
    IMAGING = "imaging"
    DYNAMIC = "dynamic"
    MEDICATION = "medication"
    PROCEDURE = "procedure"
    SCORES = "scores"


GROUP_TITLE = {
    Collect.HISTORY: "History",
    Collect.EXAMINATION: "Examination",
    Collect.IMAGING: "Imaging report",
    Collect.DYNAMIC: "Flexion-extension films",
    Collect.MEDICATION: "Medication review",
    Collect.PROCEDURE: "At the procedure",
    Collect.SCORES: "Scores and coverage",
}


@dataclass(frozen=True, slots=True)
class FactWording:
    label: str
    """Sentence-case name, e.g. "Foraminal stenosis"."""
    group: Collect
    ask: str
    """What to record, e.g. "grade from the imaging report"; may be empty."""
    short: str
    """Names a recorded value: "LF" in "LF 3 mm"."""
    unit: str | None = None
    why: str | None = None
    no: str | None = None
    """How a recorded "no" reads, where "<short>: no" would be awkward ("no laminar shelf")."""
    hidden: bool = False
    """A derived summary whose value adds nothing to the finding (the cauda equina screen)."""


_PREFIX_GROUP = (
    ("symptoms.", Collect.HISTORY),
    ("red_flags.", Collect.HISTORY),
    ("cauda_equina.", Collect.HISTORY),
    ("patient.", Collect.HISTORY),
    ("conservative_care.", Collect.HISTORY),
    ("prior_procedures", Collect.HISTORY),
    ("level.prior_", Collect.HISTORY),
    ("exam.", Collect.EXAMINATION),
    ("level.", Collect.IMAGING),
    ("side.", Collect.IMAGING),
    ("imaging.", Collect.IMAGING),
    ("safety.antithrombotics", Collect.MEDICATION),
    ("procedure.", Collect.PROCEDURE),
    ("baseline.", Collect.SCORES),
    ("coverage.", Collect.SCORES),
)
_DYNAMIC = {"level.instability", "level.translation_mm", "level.angulation_deg"}
_AT_PROCEDURE = {"side.laminar_shelf", "side.epidurogram_appreciated"}
_RECORD = {"id", "summary", "assessment_date"}
_UNITS = {"mm2": "mm²", "metres": "m", "degrees": "°"}


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _form_label(key: str) -> tuple[str, str | None] | None:
    """The label (and unit) the patient form shows for this field, if it shows one."""
    for group in words.GROUPS.values():
        if key in group.facts:
            return group.facts[key].label, group.facts[key].unit
    head, _, tail = key.rpartition(".")
    if head.startswith("exam.") and head[5:] in words.PER_LEG:
        return f"{words.PER_LEG[head[5:]].label}, {tail}", None
    tables: dict[str, dict[str, words.Column]] = {
        "level": words.LEVEL_COLUMNS,
        "side": words.SIDE_COLUMNS,
        "safety.antithrombotics[]": words.DRUGS.columns,
        "prior_procedures[]": words.PROCEDURES.columns,
    }
    if head in tables and tail in tables[head]:
        column = tables[head][tail]
        return _sentence(column.label), column.unit
    return None


def _form_keys() -> list[str]:
    keys = [key for group in words.GROUPS.values() for key in group.facts]
    keys += [f"exam.{name}.{side}" for name in words.PER_LEG for side in ("left", "right")]
    keys += [f"level.{name}" for name in words.LEVEL_COLUMNS] + [
        f"side.{name}" for name in words.SIDE_COLUMNS
    ]
    keys += [f"safety.antithrombotics[].{name}" for name in words.DRUGS.columns]
    return keys + [f"prior_procedures[].{name}" for name in words.PROCEDURES.columns]


def _group(key: str, given: str | None) -> Collect:
    if given:
        return Collect(given)
    if key in _DYNAMIC:
        return Collect.DYNAMIC
    if key in _AT_PROCEDURE:
        return Collect.PROCEDURE
    if key in _RECORD:
        return Collect.HISTORY
    return next((group for prefix, group in _PREFIX_GROUP if key.startswith(prefix)), Collect.HISTORY)


def _default_ask(group: Collect, kind: str, unit: str | None) -> str:
    unit_note = f" ({unit})" if unit else ""
    if group is Collect.IMAGING:
        if kind == "code":
            return "grade from the imaging report"
        if kind == "number":
            return f"measure, or take from the imaging report{unit_note}"
        return "from the imaging report"
    if group is Collect.EXAMINATION:
        return f"measure{unit_note}" if kind == "number" else "examine"
    if group is Collect.HISTORY:
        return f"ask the patient{unit_note}" if kind == "number" else "ask the patient"
    return {
        Collect.DYNAMIC: "from flexion-extension films",
        Collect.MEDICATION: "from the medication review",
        Collect.PROCEDURE: "confirm at the procedure",
        Collect.SCORES: "record",
    }[group]


@cache
def fact_wordings() -> dict[str, FactWording]:
    """Every labelled fact and field, keyed as in the catalogue (``side.lf_thickness_mm``) or the record
    (``exam.abi.left``; list items as ``safety.antithrombotics[].can_be_held``)."""
    curated: dict[str, dict[str, Any]] = packaged_yaml("lss_pathway.criteria", "data/wording.yaml")["facts"]
    catalogue = fact_catalogue()
    out: dict[str, FactWording] = {}
    for key in dict.fromkeys([*curated, *catalogue, *_form_keys()]):
        given = curated.get(key) or {}
        spec = catalogue.get(key)
        form = _form_label(key)
        label = given.get("label") or (form[0] if form else None)
        if label is None:
            continue  # unlabelled: the completeness test names it
        unit = given.get("unit") or (form[1] if form else None) or (spec.unit if spec else None)
        unit = _UNITS.get(unit, unit) if unit else None
        group = _group(key, given.get("group"))
        kind = spec.type if spec else "text"
        ask = given.get("ask") or _default_ask(group, kind, unit)
        short = given.get("short") or label[:1].lower() + label[1:]
        out[key] = FactWording(
            _sentence(label),
            group,
            ask,
            short,
            unit,
            given.get("why"),
            given.get("when_no"),
            given.get("hidden", False),
        )
    return out


def wording(key: str) -> FactWording | None:
    return fact_wordings().get(key)


@cache
def criterion_findings() -> dict[str, str]:
    """What a criterion that is not met means, in a few words ("no central stenosis")."""
    found: dict[str, str] = packaged_yaml("lss_pathway.criteria", "data/wording.yaml")["criteria"]
    return found


# --- concrete record paths -----------------------------------------------------------------------------

_SIDE_PATH = re.compile(r"^imaging\.levels\[(?P<level>[^\]]+)\]\.sides\[(?P<side>[^\]]+)\]\.(?P<name>\w+)$")
_LEVEL_PATH = re.compile(r"^imaging\.levels\[(?P<level>[^\]]+)\]\.(?P<name>\w+)$")
_NO_LEVEL = re.compile(r"^imaging\.levels\[(?P<level>[^\]]+)\] \(level not reported\)$")
_NO_SIDE = re.compile(
    r"^imaging\.levels\[(?P<level>[^\]]+)\]\.sides\[(?P<side>[^\]]+)\] \(side not reported\)$"
)
_EPIDUROGRAM = re.compile(r"^procedure\.epidurogram\[(?P<where>[^\]]+)\]\.(?P<name>\w+)$")
_LIST_ITEM = re.compile(
    r"^(?P<list>safety\.antithrombotics|prior_procedures)\[(?P<index>\d+)\]\.(?P<name>\w+)$"
)
_HOLD = re.compile(r"^hold interval for (?P<agent>\w+) \((?P<what>.*)\)$")
_WHERE_SUFFIX = re.compile(r"^(?P<path>[\w.]+) \((?P<where>[^)]*)\)$")


@dataclass(frozen=True, slots=True)
class Located:
    key: str
    where: str = ""
    index: int | None = None


def locate(path: str) -> Located:
    """The catalogue or field key of a concrete path, with the level and side it names."""
    if m := _SIDE_PATH.match(path):
        return Located(f"side.{m['name']}", f"{m['level']} {m['side']}")
    if m := _LEVEL_PATH.match(path):
        return Located(f"level.{m['name']}", m["level"])
    if m := _EPIDUROGRAM.match(path):
        return Located(f"procedure.epidurogram[].{m['name']}", m["where"])
    if m := _LIST_ITEM.match(path):
        return Located(f"{m['list']}[].{m['name']}", "", int(m["index"]))
    if (m := _WHERE_SUFFIX.match(path)) and m["path"] in fact_catalogue():
        return Located(m["path"], "" if m["where"] == "patient" else m["where"])
    return Located(path)


def _report(record: PatientRecord | None) -> str:
    modality = record.imaging.modality if record is not None else None
    return {"MRI": "MRI report", "CT": "CT report", "CT_myelogram": "CT myelogram report"}.get(
        modality.value if modality is not None else "", "imaging report"
    )


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return ", ".join(_value(v) for v in value)
    text = str(value)
    return {"lf_hypertrophy": "LF hypertrophy", "CT_myelogram": "CT myelogram"}.get(
        text, text.replace("_", " ")
    )


def reading(path: str, value: Any, *, here: str = "") -> str:
    """A recorded value in words: "LF 3 mm", "central stenosis none", "relieved by standing still: yes".

    ``here`` is the level (and side) the reader already knows, so it is not repeated.
    """
    located = locate(path)
    found = wording(located.key)
    short = found.short if found else located.key.rpartition(".")[2].replace("_", " ")
    text = _value(value)
    if text == "yes":
        shown = short
    elif text == "no":
        shown = found.no if found and found.no else f"{short}: no"
    elif found and found.unit:
        spaced = "" if found.unit in ("°", "%") or found.unit.startswith("/") else " "
        unit = (
            found.unit.replace("s", "", 1)
            if text == "1" and found.unit.split()[0].endswith("s")
            else found.unit
        )
        shown = f"{short} {text}{spaced}{unit}"
    else:
        shown = f"{short} {text}"
    where = located.where
    if where and not here.startswith(where):
        shown += f" at {where}"
    return shown


_AGAINST = {
    "lt": ("below", "not below"),
    "le": ("at most", "above"),
    "gt": ("more than", "not more than"),
    "ge": ("at least", "below"),
}


def recorded(
    expr: Expr, node: Node, rules: RuleSet, *, here: str = "", against: bool = False, negated: bool = False
) -> list[str]:
    """The values a criterion read, each against its threshold: "LF 3 mm, not more than 4 mm".

    Walks the criterion's test beside its explanation (their children correspond one to one), so that the
    threshold comes from the rule set rather than from a label. ``against`` keeps only the readings that
    count against the criterion (those that make an unmet criterion unmet).
    """
    if isinstance(expr, Compare):
        known = [(path, value) for path, value in node.facts if value is not None]
        if not known or (against and node.value is not (Tri.MET if negated else Tri.NOT_MET)):
            return []
        path, value = known[0]
        if (found := wording(locate(path).key)) is not None and found.hidden:
            return []
        text = reading(path, value, here=here)
        if expr.op in _AGAINST and isinstance(value, int | float) and not isinstance(value, bool):
            expected = rules.param_value(expr.value.name) if isinstance(expr.value, Param) else expr.value
            found = wording(locate(path).key)
            unit = found.unit if found and found.unit else ""
            spaced = "" if not unit or unit in ("°", "%") or unit.startswith("/") else " "
            met, not_met = _AGAINST[expr.op]
            text += f", {met if node.value is Tri.MET else not_met} {_value(expected)}{spaced}{unit}"
        return [text]
    if isinstance(expr, Hold):
        return [c.label.removesuffix(" cannot be held") for c in node.children if c.value is Tri.NOT_MET]
    flip = negated ^ isinstance(expr, Not)
    items = children(expr)
    out = [
        text
        for item, child in zip(items, node.children, strict=False)
        for text in recorded(item, child, rules, here=here, against=against, negated=flip)
    ]
    return list(dict.fromkeys(out))


def deciding(expr: Expr, node: Node) -> list[tuple[str, ...]]:
    """The fewest facts that would decide an unknown criterion: a list of needs, each a tuple of
    alternatives any one of which is enough ("flexion-extension films or dynamic translation")."""
    if node.value is not Tri.UNKNOWN or not node.missing:
        return []
    match expr:
        case Compare():
            return [node.missing]  # several locations (age or birth date) are alternatives
        case Agree():
            return [node.missing]  # any one reading decides (a second one may only contradict it)
        case Not(item):
            return deciding(item, node.children[0])
        case AllOf(items) | AnyOf(items):  # "any of" is decided by one alternative only if it is met
            pairs = zip(items, node.children, strict=False)
            needs = [need for item, child in pairs for need in deciding(item, child)]
            return list(dict.fromkeys(needs))
        case Consistent() | Hold():
            return [(m,) for m in node.missing]
        case _:
            unsupported(expr, "deciding")


def join_and(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


# --- facts to document -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ToDocument:
    """One fact to document, in words, with the raw path kept for integrators."""

    path: str
    group: Collect
    subject: str
    where: str = ""
    detail: str = ""
    unreported: str | None = None
    """The level (or "level side") the imaging report does not describe, when that is the item."""
    name: str = ""
    """A few words for a cell's own reason, where its level and side are already known."""

    @property
    def text(self) -> str:
        head = f"{self.subject} at {self.where}" if self.where else self.subject
        return f"{head}: {self.detail}" if self.detail else head

    def brief(self, here: str = "") -> str:
        """The item named within a cell's reason: the place only when it is not the cell's own."""
        name = self.name or self.subject[:1].lower() + self.subject[1:]
        return f"{name} at {self.where}" if self.where and not here.startswith(self.where) else name


def _reconcile(path: str, record: PatientRecord | None) -> ToDocument:
    body = path.removeprefix("reconcile: ")
    sides = body.split(" contradicts ")
    parsed: list[list[tuple[str, str]]] = []
    for side in sides:
        readings = [r for part in side.split("; ") for r in part.split(" and ")]
        parsed.append([(r.partition(" = ")[0], r.partition(" = ")[2]) for r in readings])
    located = [locate(p) for group in parsed for p, _ in group]
    wheres = {loc.where for loc in located}
    here = wheres.pop() if len(wheres) == 1 else ""
    said = [" and ".join(reading(p, v, here=here) for p, v in group) for group in parsed]
    first = wording(located[0].key) if located else None
    group = first.group if first else Collect.HISTORY
    text = " contradicts ".join(said)
    return ToDocument(
        path, group, "Readings to reconcile", here, text, name=f"reconcile {' with '.join(said)}"
    )


def to_document(path: str, record: PatientRecord | None = None) -> ToDocument:
    """One missing-fact item from the engine as a clinical sentence, keeping the path."""
    if path.startswith("reconcile: "):
        return _reconcile(path, record)
    report = _report(record)
    if m := _NO_LEVEL.match(path):
        gap = f"not described in the {report}"
        return ToDocument(path, Collect.IMAGING, f"{m['level']} {gap}", "", "", m["level"], f"level {gap}")
    if m := _NO_SIDE.match(path):
        where, gap = f"{m['level']} {m['side']}", f"not described in the {report}"
        return ToDocument(path, Collect.IMAGING, f"{where} {gap}", "", "", where, f"side {gap}")
    if m := _HOLD.match(path):
        agent = _sentence(agent_label(m["agent"]))
        return ToDocument(
            path,
            Collect.MEDICATION,
            agent,
            "",
            f"hold interval: {m['what']}",
            name=f"hold interval for {agent}",
        )
    extra = ""
    core = path
    if path.endswith(" (or a normal neurological examination)"):
        core, extra = (
            path.removesuffix(" (or a normal neurological examination)"),
            " (or a normal examination)",
        )
    located = locate(core)
    found = wording(located.key)
    if found is None:  # never for the packaged rule sets (tested); still readable, never a bare path
        name = located.key.rpartition(".")[2].replace("_", " ")
        return ToDocument(path, Collect.HISTORY, _sentence(name), located.where)
    detail = found.ask.replace("imaging report", report) + extra
    if found.why:
        detail = f"{detail}; {found.why}" if detail else found.why
    if located.index is not None:
        item = _list_item(located, record)
        return ToDocument(
            path, found.group, item, "", f"{found.short} ({detail})", name=f"{item}: {found.short}"
        )
    return ToDocument(path, found.group, found.label, located.where, detail)


def _list_item(located: Located, record: PatientRecord | None) -> str:
    index = located.index or 0
    if located.key.startswith("safety.antithrombotics"):
        agents = record.safety.antithrombotics if record is not None else None
        if agents is not None and index < len(agents):
            agent = agents[index]
            return _sentence(agent.name or agent_label(agent.agent))
        return f"{words.DRUGS.noun} {index + 1}"
    procedures = record.prior_procedures if record is not None else None
    if procedures is not None and index < len(procedures):
        return f"{words.PROCEDURES.noun} {index + 1} ({_value(procedures[index].type.value)})"
    return f"{words.PROCEDURES.noun} {index + 1}"


@dataclass(frozen=True, slots=True)
class Section:
    """The facts one part of the work-up collects, each line with the raw paths it covers."""

    group: Collect
    lines: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def title(self) -> str:
        return GROUP_TITLE[self.group]


def unreported_line(levels: Sequence[str], record: PatientRecord | None) -> str:
    """ "L1-L2 and L2-L3 not described in the MRI report": one line for every level the report leaves out."""
    if len(levels) == len(LEVELS):
        return f"No lumbar level described in the {_report(record)}"
    return f"{join_and(list(levels))} not described in the {_report(record)}"


def facts_to_document(paths: Iterable[str], record: PatientRecord | None = None) -> list[Section]:
    """Missing facts grouped as a clinician collects them; unreported levels become one line."""
    items = [to_document(p, record) for p in dict.fromkeys(paths)]
    by_group: dict[Collect, list[tuple[str, tuple[str, ...]]]] = {}
    unreported = [i for i in items if i.unreported is not None]
    if unreported:
        line = unreported_line([i.unreported or "" for i in unreported], record)
        by_group.setdefault(Collect.IMAGING, []).append((line, tuple(i.path for i in unreported)))
    for item in items:
        if item.unreported is None:
            by_group.setdefault(item.group, []).append((item.text, (item.path,)))
    return [Section(group, tuple(by_group[group])) for group in Collect if group in by_group]
