"""The record schema, walked once: every leaf fact with its type, unit, bounds and scope, and its columns.

The record nests sections, levels, sides and lists; a population screen wants flat, typed tables. This
module is the one place that reads the pydantic model for both views, so the form, the criteria catalogue
and the screening edge cannot drift apart from the model or from each other:

- ``leaves()`` yields every leaf field (dotted path, python and JSON type, unit, bounds, allowed values,
  scope, description), in model order;
- ``TABLES`` is the columnar projection: ``patients`` (one row), ``levels`` (patient x imaged level),
  ``level_sides`` (patient x level x side), ``antithrombotics``, ``prior_procedures`` and ``epidurogram``,
  all joined on ``patient_key``;
- ``rows_from_record`` and ``record_from_rows`` convert between the two shapes without loss.

Unknown stays unknown: a missing fact is ``None`` (SQL NULL), never NaN, and a list that is unknown
(``safety.antithrombotics`` or ``prior_procedures`` absent) is told apart from one that is empty ("none")
by a ``*_recorded`` column on ``patients``. List order is kept in ``position`` columns so that a round trip
gives back the same record. The one list of scalars (a prior procedure's levels) is a list column.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum, StrEnum
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from lss_pathway.domain.drugs import antithrombotic_agents
from lss_pathway.domain.record import PatientRecord


class Scope(StrEnum):
    """The grain a fact is recorded at: once per patient, per imaged level, per level and side, per item."""

    PATIENT = "patient"
    LEVEL = "level"
    LEVEL_SIDE = "level_side"
    ITEM = "item"


# Units by a field name's first or last word ("lf_thickness_mm", "days_held"); a bare ratio has none.
_UNIT_WORDS = {
    "years": "years",
    "months": "months",
    "days": "days",
    "mm": "mm",
    "mm2": "mm2",
    "m": "m",
    "ml": "mL",
    "deg": "degrees",
    "percent": "%",
}

# A string field checked against a vocabulary by a validator rather than by its type.
_VOCABULARIES: dict[tuple[str, str], Callable[[], Sequence[str]]] = {
    ("Antithrombotic", "agent"): lambda: tuple(antithrombotic_agents()),
}

_JSON_TYPES: dict[type, str] = {bool: "boolean", int: "integer", float: "number", str: "string"}
_SQL_TYPES: dict[type, str] = {
    bool: "BOOLEAN",
    int: "INTEGER",
    float: "DOUBLE",
    str: "VARCHAR",
    dt.date: "DATE",
}


@dataclass(frozen=True, slots=True)
class Leaf:
    """One leaf field of the record.

    ``path`` is dotted with ``[]`` after each list (``imaging.levels[].sides[].lf_thickness_mm``);
    ``list_path`` is the innermost list the leaf sits in ("" at patient level) and ``attrs`` its attribute
    chain inside one item of that list. ``python_type`` is the scalar type (an Enum class for codes);
    ``repeated`` marks a list of such scalars. ``section_description`` is the description of the section
    field the leaf sits in directly (``exam.abi``'s for ``exam.abi.left``), the help its leaves share.
    """

    path: str
    list_path: str
    attrs: tuple[str, ...]
    python_type: type
    scope: Scope
    required: bool = False
    repeated: bool = False
    unit: str | None = None
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    max_length: int | None = None
    allowed: tuple[str, ...] | None = None
    description: str | None = None
    section_description: str | None = None

    @property
    def name(self) -> str:
        return self.attrs[-1]

    @property
    def json_type(self) -> str:
        """The JSON Schema type of one value (dates and codes are strings)."""
        return _JSON_TYPES.get(self.python_type, "string")

    @property
    def sql_type(self) -> str:
        """A DuckDB type that Arrow and Spark read the same way (codes are VARCHAR)."""
        base = _SQL_TYPES.get(self.python_type, "VARCHAR")
        return f"{base}[]" if self.repeated else base


def _bare(annotation: Any) -> tuple[Any, bool]:
    """(``X``, optional) from ``X``, ``X | None`` and ``Annotated[X, ...]``."""
    optional = False
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        if len(args) != 1:
            raise TypeError(f"unsupported union in the record model: {annotation}")
        annotation = args[0]
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation, optional


def _model(annotation: Any) -> type[BaseModel] | None:
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _unit(name: str) -> str | None:
    words = name.split("_")
    return _UNIT_WORDS.get(words[-1]) or _UNIT_WORDS.get(words[0])


def _bounds(info: FieldInfo) -> dict[str, Any]:
    """ge/gt/le/lt/max_length as pydantic stores them (annotated_types objects in ``metadata``)."""
    found: dict[str, Any] = {}
    for rule in info.metadata:
        for attr in ("ge", "gt", "le", "lt", "max_length"):
            value = getattr(rule, attr, None)
            if value is not None:
                found[attr] = int(value) if attr == "max_length" else float(value)
    return found


def _leaf(
    owner: type[BaseModel], name: str, info: FieldInfo, path: str, list_path: str, attrs: tuple[str, ...],
    scope: Scope, section: str | None,
) -> Leaf:  # fmt: skip
    base, optional = _bare(info.annotation)
    repeated = typing.get_origin(base) is list
    if repeated:
        base, _ = _bare(typing.get_args(base)[0])
    if not isinstance(base, type) or not (issubclass(base, Enum) or base in (*_SQL_TYPES, dt.date)):
        raise TypeError(f"unsupported leaf type at {path}: {info.annotation}")
    allowed: tuple[str, ...] | None = None
    if issubclass(base, Enum):
        allowed = tuple(str(m.value) for m in base)
    elif (owner.__name__, name) in _VOCABULARIES:
        allowed = tuple(_VOCABULARIES[owner.__name__, name]())
    return Leaf(
        path=path,
        list_path=list_path,
        attrs=attrs,
        python_type=base,
        scope=scope,
        required=info.is_required() and not optional,
        repeated=repeated,
        unit=_unit(name),
        allowed=allowed,
        description=info.description,
        section_description=section,
        **_bounds(info),
    )


# --- the columnar projection: which list becomes which table -----------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    """A typed column; ``leaf`` is None for the key and bookkeeping columns."""

    name: str
    sql_type: str
    nullable: bool
    unit: str | None = None
    leaf: Leaf | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Table:
    """One table of the projection. ``list_path`` is the record list whose items are its rows ("" for
    ``patients``); ``keys`` identify a row within a patient; ``inherited`` are the parent row's columns a
    nested list carries (a side carries its level)."""

    name: str
    list_path: str
    scope: Scope
    columns: tuple[Column, ...]
    keys: tuple[str, ...]
    inherited: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        for found in self.columns:
            if found.name == name:
                return found
        raise KeyError(name)


PATIENT_KEY = Column("patient_key", "BIGINT", False, description="Joins the tables; not the record's id")
POSITION = "position"

# (list path, table, scope, inherited parent columns); a list the model grows that is not here fails loudly.
_LISTS: dict[str, tuple[str, Scope, tuple[str, ...]]] = {
    "": ("patients", Scope.PATIENT, ()),
    "imaging.levels": ("levels", Scope.LEVEL, ()),
    "imaging.levels.sides": ("level_sides", Scope.LEVEL_SIDE, ("level",)),
    "safety.antithrombotics": ("antithrombotics", Scope.ITEM, ()),
    "prior_procedures": ("prior_procedures", Scope.ITEM, ()),
    "procedure.epidurogram": ("epidurogram", Scope.LEVEL_SIDE, ()),
}
# Identity of a row within its patient, besides position (levels and sides are unique in the model).
_IDENTITY = {"levels": ("level",), "level_sides": ("level", "side"), "epidurogram": ("level", "side")}


@dataclass(frozen=True, slots=True)
class _List:
    path: str
    attrs: tuple[str, ...]  # attribute chain from the parent item to the list
    item: type[BaseModel]
    nullable: bool  # ``None`` (unknown) is allowed besides ``[]`` (none)
    parent: str


def _walk(
    model: type[BaseModel], list_path: str, prefix: str, attrs: tuple[str, ...], section: str | None,
    leaves: list[Leaf], lists: list[_List],
) -> None:  # fmt: skip
    scope = _LISTS[list_path][1] if list_path in _LISTS else Scope.ITEM
    for name, info in model.model_fields.items():
        here = (*attrs, name)
        dotted = ".".join(here)
        path = prefix + dotted
        base, optional = _bare(info.annotation)
        nested = _model(base)
        if nested is not None:
            _walk(nested, list_path, prefix, here, info.description, leaves, lists)
            continue
        item = _model(_bare(typing.get_args(base)[0])[0]) if typing.get_origin(base) is list else None
        if item is not None:
            inner = f"{list_path}.{dotted}" if list_path else dotted
            if inner not in _LISTS:
                raise TypeError(f"the record list {inner} has no table in the columnar projection")
            lists.append(_List(inner, here, item, optional, list_path))
            _walk(item, inner, f"{path}[].", (), None, leaves, lists)
            continue
        leaves.append(_leaf(model, name, info, path, list_path, here, scope, section))


@cache
def _walked() -> tuple[tuple[Leaf, ...], tuple[_List, ...]]:
    leaves: list[Leaf] = []
    lists: list[_List] = []
    _walk(PatientRecord, "", "", (), None, leaves, lists)
    return tuple(leaves), tuple(lists)


def leaves() -> tuple[Leaf, ...]:
    """Every leaf field of ``PatientRecord``, in model order (sections depth-first, lists after their
    parent's scalars as the model declares them)."""
    return _walked()[0]


def leaf(path: str) -> Leaf:
    """The leaf at a dotted path (``exam.abi.left``; list items as ``imaging.levels[].canal_area_mm2``)."""
    for found in leaves():
        if found.path == path:
            return found
    raise KeyError(path)


def _column_name(leaf: Leaf) -> str:
    return "_".join(leaf.attrs)


def _recorded(list_: _List) -> str:
    return "_".join(list_.attrs) + "_recorded"


@cache
def _tables() -> dict[str, Table]:
    all_leaves, lists = _walked()
    by_path = {lst.path: lst for lst in lists}
    tables: dict[str, Table] = {}
    for list_path, (name, scope, inherited) in _LISTS.items():
        columns = [PATIENT_KEY]
        parent = by_path[list_path].parent if list_path else None
        for attr in inherited:
            parent_table = tables[_LISTS[typing.cast(str, parent)][0]]
            carried = f"The parent row's {attr} (read from {parent_table.name}, not a leaf of this table)"
            columns.append(replace(parent_table.column(attr), leaf=None, description=carried))
        if list_path:
            columns.append(Column(POSITION, "INTEGER", False, description="Order within the record's list"))
        for found in (lf for lf in all_leaves if lf.list_path == list_path):
            columns.append(Column(_column_name(found), found.sql_type, not found.required, found.unit, found))
        for child in (lst for lst in lists if lst.parent == list_path and lst.nullable):
            description = f"{child.path} is known ([] = none); false: unknown, and the table has no rows"
            columns.append(Column(_recorded(child), "BOOLEAN", False, description=description))
        names = [c.name for c in columns]
        if len(set(names)) != len(names):
            raise TypeError(f"column names collide in table {name}: {names}")
        keys = ("patient_key", *_IDENTITY.get(name, (POSITION,) if list_path else ()))
        tables[name] = Table(name, list_path, scope, tuple(columns), keys, inherited)
    return tables


def tables() -> dict[str, Table]:
    """The columnar projection, by table name, ``patients`` first."""
    return _tables()


# --- record <-> rows -------------------------------------------------------------------------------------

Rows = dict[str, list[dict[str, Any]]]


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _get(item: BaseModel, attrs: tuple[str, ...]) -> Any:
    value: Any = item
    for attr in attrs:
        value = getattr(value, attr)
    return value


def _flatten(
    item: BaseModel, list_path: str, patient_key: int, carried: dict[str, Any], position: int | None,
    out: Rows,
) -> None:  # fmt: skip
    table = tables()[_LISTS[list_path][0]]
    row: dict[str, Any] = {"patient_key": patient_key, **carried}
    if position is not None:
        row[POSITION] = position
    for column in table.columns:
        if column.leaf is not None:
            row[column.name] = _plain(_get(item, column.leaf.attrs))
    children = [lst for lst in _walked()[1] if lst.parent == list_path]
    for child in children:
        values = _get(item, child.attrs)
        if child.nullable:
            row[_recorded(child)] = values is not None
        child_table = tables()[_LISTS[child.path][0]]
        passed = {name: row[name] for name in child_table.inherited}
        for i, value in enumerate(values or ()):
            _flatten(value, child.path, patient_key, passed, i, out)
    out[table.name].append(row)


def rows_from_record(record: PatientRecord, patient_key: int) -> Rows:
    """The record as rows of every table (an empty list for a table it has no rows in)."""
    out: Rows = {name: [] for name in tables()}
    _flatten(record, "", patient_key, {}, None, out)
    return out


RowsIn = Mapping[str, Sequence[Mapping[str, Any]]]


def _nest(row: Mapping[str, Any], list_path: str, rows: RowsIn) -> dict[str, Any]:
    table = tables()[_LISTS[list_path][0]]
    data: dict[str, Any] = {}
    for column in table.columns:
        value = row.get(column.name)
        if column.leaf is None or value is None:
            continue
        target = data
        for attr in column.leaf.attrs[:-1]:
            target = target.setdefault(attr, {})
        target[column.leaf.attrs[-1]] = list(value) if column.leaf.repeated else value
    for child in (lst for lst in _walked()[1] if lst.parent == list_path):
        child_table = tables()[_LISTS[child.path][0]]
        mine = [
            r for r in rows.get(child_table.name, ()) if all(r[k] == row[k] for k in child_table.inherited)
        ]
        known = row.get(_recorded(child), True) if child.nullable else True
        if mine and not known:
            raise ValueError(f"{child_table.name} has rows but {_recorded(child)} is false")
        if not known:
            continue
        items = [_nest(r, child.path, rows) for r in sorted(mine, key=lambda r: r[POSITION])]
        target = data
        for attr in child.attrs[:-1]:
            target = target.setdefault(attr, {})
        target[child.attrs[-1]] = items
    return data


def record_data_from_rows(rows: RowsIn) -> dict[str, Any]:
    """One patient's rows as nested record data (unvalidated), for ``PatientRecord.model_validate``."""
    patients = rows.get("patients", ())
    if len(patients) != 1:
        raise ValueError(f"expected one patients row, got {len(patients)}")
    return _nest(patients[0], "", rows)


def record_from_rows(rows: RowsIn) -> PatientRecord:
    """The inverse of ``rows_from_record``: one patient's rows as a validated record."""
    return PatientRecord.model_validate(record_data_from_rows(rows))


def rows_by_patient(rows: RowsIn) -> Iterator[tuple[int, Rows]]:
    """Split rows of many patients into each patient's own rows, in ``patients`` order."""
    grouped: dict[int, Rows] = {}
    for row in rows.get("patients", ()):
        grouped[row["patient_key"]] = {name: [] for name in tables()}
    for name, table_rows in rows.items():
        for row in table_rows:
            grouped[row["patient_key"]][name].append(dict(row))
    yield from grouped.items()
