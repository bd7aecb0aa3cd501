"""The patient form: its fields, and the conversion between flat form values and nested record data.

The form is flat (one control per fact) while the record nests levels, sides and lists, so this module is
the one place that knows both shapes: templates only lay out the dataclasses below, and a validation error
on a nested path is mapped back to the control it came from. Blank always means unknown: nothing left empty
reaches the record, and text that does not parse is passed on as typed so that the model reports it at
its own field instead of the form guessing.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from enum import Enum
from functools import cache, lru_cache
from typing import Any, Literal

from pydantic import BaseModel

from lss_pathway.domain.anatomy import LEVELS, SIDES
from lss_pathway.domain.drugs import antithrombotic_agents
from lss_pathway.domain.record import PatientRecord
from lss_pathway.domain.schema import Leaf, leaf
from lss_pathway.web import form_labels as words

DRUGS = "safety.antithrombotics"
PROCEDURES = "prior_procedures"
DRUG_ROWS = 4  # rows shown at first; "Add a row" adds more, and a longer list loaded is shown whole
PROCEDURE_ROWS = 3
MAX_ROWS = 50
"""Most rows a list table grows to (the API refuses lists of more than 100 items)."""
ROWS_FIELD = "rows:"
"""Hidden inputs ``rows:<list>`` carry how many rows a table shows; ``add_row=<list>`` asks for one more."""
ADD_ROW = "add_row"
ListRows = tuple[int, int]
"""Rows shown in the antithrombotics and prior-procedures tables."""
DEFAULT_ROWS: ListRows = (DRUG_ROWS, PROCEDURE_ROWS)
_ROW_NAME = re.compile(rf"({re.escape(DRUGS)}|{re.escape(PROCEDURES)})\.(\d{{1,3}})\.\w+")
NONE, LISTED = "none", "listed"

FieldKind = Literal["tri", "choice", "number", "integer", "date", "text", "textarea", "multi"]
FormValues = dict[str, str | list[str]]


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class FormField:
    """One control. Blank ("unknown") is always allowed and is never one of ``options``."""

    name: str
    label: str
    kind: FieldKind
    options: tuple[Option, ...] = ()
    unit: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    step: str | None = None
    help: str | None = None
    short: str | None = None

    @property
    def html_id(self) -> str:
        return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.name)


@dataclass(frozen=True, slots=True)
class FormGroup:
    id: str
    title: str
    fields: tuple[FormField, ...]
    note: str | None = None


@dataclass(frozen=True, slots=True)
class FormTable:
    """Rows x columns of fields; ``status`` says whether an empty list means "none" or "unknown"."""

    id: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[FormField, ...]], ...]
    note: str | None = None
    status: FormField | None = None


@dataclass(frozen=True, slots=True)
class FormSection:
    id: str
    title: str
    parts: tuple[FormGroup | FormTable, ...]


# --- fields, built from the record schema so that bounds, steps and help cannot drift from the model --------

_YES_NO = (Option("yes", "yes"), Option("no", "no"))
_TRI = {"yes": True, "no": False}
_KINDS: dict[str, FieldKind] = {"summary": "textarea"}


def _enum_options(enum: type[Enum]) -> tuple[Option, ...]:
    readable = words.OPTION_LABELS.get(enum.__name__, {})
    return tuple(Option(m.value, readable.get(m.value, str(m.value).replace("_", " "))) for m in enum)


def _kind(fact: Leaf) -> tuple[FieldKind, tuple[Option, ...]]:
    base = fact.python_type
    options = _enum_options(base) if issubclass(base, Enum) else ()
    if fact.repeated:
        return "multi", options
    if base is bool:
        return "tri", _YES_NO
    if options:
        return "choice", options
    kinds: dict[type, FieldKind] = {int: "integer", float: "number", dt.date: "date"}
    return kinds.get(base, "text"), ()


def _make(
    name: str,
    label: str,
    fact: Leaf,
    *,
    unit: str | None = None,
    short: str | None = None,
    kind: FieldKind | None = None,
    options: tuple[Option, ...] = (),
) -> FormField:
    """A control for a leaf of the record schema: kind, options, bounds and help come from the model."""
    inferred, inferred_options = _kind(fact)
    low = fact.gt if fact.gt is not None else fact.ge
    high = fact.lt if fact.lt is not None else fact.le
    help_ = fact.description or fact.section_description
    return FormField(
        name=name,
        label=label,
        kind=kind or inferred,
        options=options or inferred_options,
        unit=unit,
        minimum=low,
        maximum=high,
        step={"number": "any", "integer": "1"}.get(inferred),
        help=None if help_ is None or help_.lower() == label.lower() else help_,  # never echo the label
        short=short,
    )


# Every scalar fact, keyed by dotted model path (also its form name); the per-leg facts sit in a table.
_SCALARS: dict[str, words.Wording] = {
    name: wording for group in words.GROUPS.values() for name, wording in group.facts.items()
} | {
    f"exam.{fact}.{side.value}": words.Wording(f"{w.label}, {side.value}", w.unit, w.short)
    for fact, w in words.PER_LEG.items()
    for side in SIDES
}


def _scalar(name: str) -> FormField:
    """A fact at a dotted path of the record; a nested section's description is the help of its leaves."""
    wording = _SCALARS[name]
    kind = _KINDS.get(name)
    return _make(name, wording.label, leaf(name), unit=wording.unit, short=wording.short, kind=kind)


def _group(key: str) -> FormGroup:
    group = words.GROUPS[key]
    return FormGroup(f"g-{key}", group.title, tuple(_scalar(name) for name in group.facts), group.note)


def _table(
    id_: str,
    title: str,
    items: str,
    columns: dict[str, words.Column],
    rows: Sequence[tuple[str, str]],
    choices: Mapping[str, tuple[Option, ...]] | None = None,
    **extra: Any,
) -> FormTable:
    """One row per (header, name prefix) of the record list ``items`` (its schema path, e.g.
    ``imaging.levels[]``); each cell is labelled "<header>: <column label>"."""

    def cell(header: str, prefix: str, attr: str, column: words.Column) -> FormField:
        options = (choices or {}).get(attr, ())
        kind: FieldKind | None = "choice" if options else None
        label = f"{header}: {column.label}"
        found = leaf(f"{items}.{attr}")
        return _make(
            f"{prefix}.{attr}", label, found, unit=column.unit, short=column.short, kind=kind, options=options
        )

    cells = tuple((h, tuple(cell(h, p, a, c) for a, c in columns.items())) for h, p in rows)
    return FormTable(id_, title, tuple(c.heading for c in columns.values()), cells, **extra)


def _list_table(
    prefix: str, count: int, wording: words.ListWording, **choices: tuple[Option, ...]
) -> FormTable:
    """A list where "none" ([]) differs from unknown (absent), so it has a status above its rows."""
    options = tuple(Option(value, label) for value, label in words.STATUS_OPTIONS.items())
    help_ = f'Leave blank if not known; "{words.STATUS_OPTIONS[NONE]}" records that there are none.'
    rows = [(f"{wording.noun} {i + 1}", f"{prefix}.{i}") for i in range(count)]
    status = FormField(prefix, wording.question, "choice", options, help=help_)
    table_id = "t-" + re.sub(r"[._]", "-", prefix)
    note = "One row per item; blank rows are ignored."
    items = f"{prefix}[]"
    return _table(table_id, wording.status, items, wording.columns, rows, choices, note=note, status=status)


def _epidurogram() -> FormTable:
    appreciated = leaf("procedure.epidurogram[].appreciated")
    rows = tuple(
        (
            lv.value,
            tuple(
                _make(
                    f"procedure.epidurogram.{lv}.{sd}",
                    f"{lv} {sd}: {words.EPIDUROGRAM_LABEL}",
                    appreciated,
                    short=sd.value.capitalize(),
                )
                for sd in SIDES
            ),
        )
        for lv in LEVELS
    )
    note = "Known only once the procedure has started; leave blank until then."
    return FormTable("t-epidurogram", "Epidurogram", tuple(sd.value.capitalize() for sd in SIDES), rows, note)


def rows_for(values: Mapping[str, object], shown: Mapping[str, str] | None = None, add: str = "") -> ListRows:
    """Rows for each list table: the default, or enough for every filled row, or what the page showed,
    plus one when "Add a row" was pressed for it; never more than ``MAX_ROWS``."""
    counts = []
    for prefix, default in ((DRUGS, DRUG_ROWS), (PROCEDURES, PROCEDURE_ROWS)):
        needed = [default]
        for key, value in values.items():
            found = _ROW_NAME.fullmatch(key)
            if found and found[1] == prefix and (value.strip() if isinstance(value, str) else value):
                needed.append(int(found[2]) + 1)
        posted = (shown or {}).get(prefix, "")
        if posted.isdigit():
            needed.append(int(posted))
        counts.append(min(max(needed) + (add == prefix), MAX_ROWS))
    return counts[0], counts[1]


@lru_cache(maxsize=16)
def form_sections(rows: ListRows = DEFAULT_ROWS) -> tuple[FormSection, ...]:
    """The whole form, in the order a clinician gathers the facts, with ``rows`` in the list tables."""
    legs = FormTable(
        "t-exam-legs",
        "Pulses and vascular indices per leg",
        tuple(w.label for w in words.PER_LEG.values()),
        tuple(
            (f"{sd.value.capitalize()} leg", tuple(_scalar(f"exam.{f}.{sd.value}") for f in words.PER_LEG))
            for sd in SIDES
        ),
    )
    agents = tuple(Option(key, agent["label"]) for key, agent in antithrombotic_agents().items())
    levels = [(lv.value, f"imaging.{lv}") for lv in LEVELS]
    sides = [(f"{lv} {sd}", f"imaging.{lv}.{sd}") for lv in LEVELS for sd in SIDES]
    g = _group
    return (
        FormSection("patient", "Patient", (g("record"), g("patient"))),
        FormSection("symptoms", "Symptoms", (g("symptoms"), g("pattern"), g("course"))),
        FormSection("red-flags", "Red flags", (g("red-flags"), g("red-flags-timing"))),
        FormSection("exam", "Examination", (g("exam"), legs)),
        FormSection("care", "Care so far", (g("care"),)),
        FormSection("safety", "Safety", (
            g("safety"),
            _list_table(DRUGS, rows[0], words.DRUGS, agent=agents),
        )),
        FormSection("prior-procedures", "Prior procedures", (
            _list_table(PROCEDURES, rows[1], words.PROCEDURES),
        )),
        FormSection("imaging", "Imaging", (
            g("imaging"),
            _table("t-imaging-levels", "Findings per level", "imaging.levels[]", words.LEVEL_COLUMNS, levels,
                   note="Leave a level blank if it was not imaged or not reported."),
            _table("t-imaging-sides", "Findings per level and side", "imaging.levels[].sides[]",
                   words.SIDE_COLUMNS, sides),
        )),
        FormSection("procedure", "During the procedure", (_epidurogram(),)),
        FormSection("baseline", "Baseline scores", (g("baseline"),)),
        FormSection("coverage", "Coverage", (g("coverage"),)),
    )  # fmt: skip


@lru_cache(maxsize=16)
def all_fields(rows: ListRows = DEFAULT_ROWS) -> tuple[FormField, ...]:
    """Every field of the form, table cells and list statuses included."""
    found: list[FormField] = []
    for section in form_sections(rows):
        for part in section.parts:
            if isinstance(part, FormGroup):
                found += part.fields
                continue
            if part.status is not None:
                found.append(part.status)
            for _, cells in part.rows:
                found += cells
    return tuple(found)


@cache
def _fields_by_name() -> dict[str, FormField]:
    return {f.name: f for f in all_fields()}


# --- form values -> record data -----------------------------------------------------------------------------


class _RecordData(dict[str, Any]):
    """Record data that remembers which form row each list entry came from, because blank rows are skipped."""

    __slots__ = ("rows",)

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, tuple[int, ...]] = {}


def _text(raw: str | list[str] | None) -> str:
    if isinstance(raw, list):
        raw = raw[-1] if raw else None
    return (raw or "").strip()


def _number(text: str) -> int | float | str:
    with suppress(ValueError):
        return int(text)
    try:
        value = float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) else text


def _parse(kind: FieldKind, raw: str | list[str] | None) -> Any:
    """One control's value as record data, or None when blank (unknown)."""
    if kind == "multi":
        items = [item.strip() for item in ([raw] if isinstance(raw, str) else raw or [])]
        return [item for item in items if item] or None
    text = _text(raw)
    if not text:
        return None
    if kind == "tri":
        return _TRI.get(text, text)
    return _number(text) if kind in ("number", "integer") else text


def _row(
    form: Mapping[str, str | list[str]], prefix: str, attrs: Sequence[str], like: str = ""
) -> dict[str, Any]:
    """The non-blank cells of a row; ``like`` is a row with the same columns (for rows the form lacks)."""
    fields = _fields_by_name()
    found = {}
    for attr in attrs:
        value = _parse(fields[f"{like or prefix}.{attr}"].kind, form.get(f"{prefix}.{attr}"))
        if value is not None:
            found[attr] = value
    return found


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    if value is None:
        return
    *sections, attr = path.split(".")
    for part in sections:
        data = data.setdefault(part, {})
    data[attr] = value


def _level(form: Mapping[str, str | list[str]], level: str) -> dict[str, Any]:
    """A level's findings; a side filled in on its own still creates the level."""
    found = _row(form, f"imaging.{level}", tuple(words.LEVEL_COLUMNS))
    sides = [
        {"side": side.value, **cells}
        for side in SIDES
        if (cells := _row(form, f"imaging.{level}.{side.value}", tuple(words.SIDE_COLUMNS)))
    ]
    if sides:
        found["sides"] = sides
    return {"level": level, **found} if found else {}


def _listed(
    form: Mapping[str, str | list[str]], prefix: str, attrs: Sequence[str]
) -> tuple[Any, tuple[int, ...]]:
    """A list with a status: the filled rows (and their places on the form), [] for "none", None if unknown.

    A filled row always counts, whatever the status says: a drug typed in and then dropped because "none"
    was also chosen would be a silent, unsafe loss. "listed" with nothing filled in stays unknown.
    """
    index = re.compile(rf"{re.escape(prefix)}\.(\d{{1,3}})\.\w+")
    numbers = sorted({int(m[1]) for key in form if (m := index.fullmatch(key))})
    filled = [(i, cells) for i in numbers if (cells := _row(form, f"{prefix}.{i}", attrs, f"{prefix}.0"))]
    if filled:
        return [cells for _, cells in filled], tuple(i for i, _ in filled)
    status = _text(form.get(prefix))
    if status in ("", LISTED):
        return None, ()
    # "none" is an empty list; anything else is not an option the form offers, so the model refuses it.
    return ([] if status == NONE else status), ()


def form_to_data(form: Mapping[str, str | list[str]]) -> dict[str, Any]:
    """Nested data for ``record_from_data``: blank controls, rows and lists are left out (unknown).

    The dict also remembers which form row each list entry came from, for ``field_for_error``.
    """
    data = _RecordData()
    fields = _fields_by_name()
    for name in _SCALARS:
        _put(data, name, _parse(fields[name].kind, form.get(name)))
    levels = [found for level in LEVELS if (found := _level(form, level.value))]
    _put(data, "imaging.levels", levels or None)
    cells = [
        {"level": level.value, "side": side.value, "appreciated": value}
        for level in LEVELS
        for side in SIDES
        if (value := _parse("tri", form.get(f"procedure.epidurogram.{level.value}.{side.value}"))) is not None
    ]
    _put(data, "procedure.epidurogram", cells or None)
    for prefix, wording in ((DRUGS, words.DRUGS), (PROCEDURES, words.PROCEDURES)):
        value, data.rows[prefix] = _listed(form, prefix, tuple(wording.columns))
        _put(data, prefix, value)
    return data


# --- record -> form values ----------------------------------------------------------------------------------


def _form_value(value: object) -> str | list[str] | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [str(item) for item in (_form_value(v) for v in value) if item is not None] or None
    return str(value)


def value_text(value: object) -> str | None:
    """A single value as the form shows it (``True`` -> ``yes``, ``58.0`` -> ``58``), None when unknown."""
    text = _form_value(value)
    return text if isinstance(text, str) else None


def _emit(values: FormValues, name: str, value: object) -> None:
    text = _form_value(value)
    if text is not None:
        values[name] = text


def _emit_row(values: FormValues, prefix: str, model: BaseModel, attrs: Sequence[str]) -> None:
    for attr in attrs:
        _emit(values, f"{prefix}.{attr}", getattr(model, attr))


def record_to_form(record: PatientRecord) -> FormValues:
    """The values that fill the form in with ``record`` ("load an example"); ``form_to_data`` undoes it."""
    values: FormValues = {}
    for name in _SCALARS:
        target: Any = record
        for part in name.split("."):
            target = getattr(target, part)
        _emit(values, name, target)
    for found in record.imaging.levels:
        _emit_row(values, f"imaging.{found.level.value}", found, tuple(words.LEVEL_COLUMNS))
        for side in found.sides:
            _emit_row(
                values, f"imaging.{found.level.value}.{side.side.value}", side, tuple(words.SIDE_COLUMNS)
            )
    for cell in record.procedure.epidurogram:
        _emit(values, f"procedure.epidurogram.{cell.level.value}.{cell.side.value}", cell.appreciated)
    lists: tuple[tuple[str, Sequence[BaseModel] | None, words.ListWording], ...] = (
        (DRUGS, record.safety.antithrombotics, words.DRUGS),
        (PROCEDURES, record.prior_procedures, words.PROCEDURES),
    )
    for prefix, items, wording in lists:
        if items is not None:
            values[prefix] = LISTED if items else NONE
        for i, item in enumerate(items or ()):
            _emit_row(values, f"{prefix}.{i}", item, tuple(wording.columns))
    return values


# --- error path -> form field -------------------------------------------------------------------------------


def _at(data: Any, *path: str) -> Any:
    for part in path:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _form_name(parts: list[str], data: Mapping[str, Any]) -> str | None:
    """The form name for an error path's parts, with list indices resolved to levels, sides and form rows."""
    if parts[:2] in (["imaging", "levels"], ["procedure", "epidurogram"]) and len(parts) > 2:
        entry = _at(data, *parts[:3])
        rest = parts[3:]
        keys = [_at(entry, "level")]
        if parts[0] == "procedure":
            keys.append(_at(entry, "side"))
        elif rest[:1] == ["sides"] and len(rest) > 1:
            keys.append(_at(entry, *rest[:2], "side"))
            rest = rest[2:]
        if not all(isinstance(k, str) for k in keys):
            return None
        return ".".join([*parts[:1], *(parts[1:2] if parts[0] == "procedure" else []), *keys, *rest])
    for prefix in (DRUGS, PROCEDURES):
        depth = prefix.count(".") + 1
        if ".".join(parts[:depth]) == prefix and len(parts) > depth and parts[depth].isdigit():
            rows = getattr(data, "rows", {}).get(prefix)
            i = int(parts[depth])
            row = rows[i] if rows is not None and i < len(rows) else i
            return ".".join([prefix, str(row), *parts[depth + 1 :]])
    return ".".join(parts)


def field_for_error(error_field: str, data: Mapping[str, Any]) -> str | None:
    """The form field an error is about, given the path in a FieldError and the data that was validated.

    Paths into lists are resolved through ``data`` (``imaging.levels[1]`` is the level stored there, and a
    drug or procedure entry is the form row it was typed in, even below a blank row); a path to a whole row
    or section maps to the closest enclosing field (a list's status), else None.
    """
    parts = re.findall(r"[^.\[\]]+", error_field)
    fields = _fields_by_name()
    for end in range(len(parts), 0, -1):
        name = _form_name(parts[:end], data)
        if name is not None and _first_row(name) in fields:  # a row beyond the first few is a field too
            return name
    return None


def _first_row(name: str) -> str:
    """``safety.antithrombotics.6.agent`` as its first row's name (every row has the same columns)."""
    found = _ROW_NAME.fullmatch(name)
    return name if found is None else f"{found[1]}.0.{name[found.end(2) + 1 :]}"


def place_for_error(error_field: str, data: Mapping[str, Any]) -> str:
    """An error path a clinician can read: list indices into imaging become level names."""

    def level_name(match: re.Match[str]) -> str:
        try:
            return f"imaging {data['imaging']['levels'][int(match[1])]['level']}"
        except (KeyError, IndexError, TypeError):
            return match[0]

    return re.sub(r"imaging\.levels\[(\d+)\]", level_name, error_field)


_ROW_KEY = re.compile(rf"({re.escape(DRUGS)}|{re.escape(PROCEDURES)})\.\d{{1,3}}\.(\w+)")


def unknown_fields(form: Mapping[str, object]) -> list[str]:
    """Submitted names this form does not have (a page from an older version, or a hand-made request).

    ``form_to_data`` reads only the names it knows, so anything else would be dropped without a word;
    the caller reports these instead.
    """
    fields = _fields_by_name()
    unknown = []
    for key in form:
        row = _ROW_KEY.fullmatch(key)
        if key not in fields and not (row and f"{row[1]}.0.{row[2]}" in fields):
            unknown.append(key)
    return unknown
