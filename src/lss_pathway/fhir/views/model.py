"""The compiled form of a SQL-on-FHIR v2 ViewDefinition, shared by every execution.

A ViewDefinition is JSON; `compile_view` validates it once (structure, column names, FHIRPath syntax,
constants, unionAll column agreement) and returns an immutable tree that the Python and DuckDB
executions both walk. Every problem is a `ViewDefinitionError` naming where in the view it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lss_pathway.fhir.views.fhirpath import Expression, FhirPathSyntaxError, parse_expression

NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Variables every expression may use besides the view's constants.
BUILTIN_VARIABLES = frozenset({"rowIndex", "context", "resource", "rootResource", "ucum"})
_INTEGER_CONSTANTS = ("valueInteger", "valuePositiveInt", "valueUnsignedInt", "valueInteger64")


class ViewDefinitionError(ValueError):
    """A ViewDefinition that cannot be run; the message says where and what is wrong."""


@dataclass(frozen=True)
class Column:
    name: str
    path: Expression
    type: str | None
    collection: bool


@dataclass(frozen=True)
class Select:
    """One `select` element: its columns, nested selects, unionAll branches and iteration."""

    columns: tuple[Column, ...]
    selects: tuple[Select, ...]
    union_all: tuple[Select, ...]
    for_each: Expression | None = None
    for_each_or_null: bool = False
    repeat: tuple[Expression, ...] = ()

    @property
    def iterates(self) -> bool:
        return self.for_each is not None or bool(self.repeat)

    def output_columns(self) -> list[Column]:
        """Columns in the order the spec gives: own columns, nested selects, then the first union branch."""
        out = list(self.columns)
        for child in self.selects:
            out += child.output_columns()
        if self.union_all:
            out += self.union_all[0].output_columns()
        return out


@dataclass(frozen=True)
class CompiledView:
    name: str
    resource: str
    constants: Mapping[str, Any]
    where: tuple[Expression, ...]
    root: Select
    source: Mapping[str, Any]

    @property
    def columns(self) -> list[Column]:
        return self.root.output_columns()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def compile_view(view: object) -> CompiledView:
    """Validate a ViewDefinition (parsed JSON) and return its compiled form."""
    if not isinstance(view, Mapping):
        raise ViewDefinitionError("a ViewDefinition must be a JSON object")
    resource = view.get("resource")
    if not isinstance(resource, str) or not resource:
        raise ViewDefinitionError("'resource' is required: the FHIR resource type the view flattens")
    constants = _constants(view.get("constant", []))
    known = BUILTIN_VARIABLES | constants.keys()
    selects = view.get("select")
    if not isinstance(selects, list) or not selects:
        raise ViewDefinitionError("'select' is required and must be a non-empty list")
    root = Select(
        columns=(),
        selects=tuple(_select(s, f"select[{i}]", known) for i, s in enumerate(selects)),
        union_all=(),
    )
    wheres = view.get("where", [])
    if not isinstance(wheres, list):
        raise ViewDefinitionError("'where' must be a list of {path}")
    where = tuple(
        _expression(w.get("path") if isinstance(w, Mapping) else None, f"where[{i}].path", known)
        for i, w in enumerate(wheres)
    )
    names = [c.name for c in root.output_columns()]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ViewDefinitionError(f"column names must be unique in a view; repeated: {', '.join(duplicates)}")
    name = view.get("name")
    return CompiledView(
        name=name if isinstance(name, str) else resource.lower(),
        resource=resource,
        constants=constants,
        where=where,
        root=root,
        source=view,
    )


def _constants(raw: object) -> dict[str, Any]:
    if not isinstance(raw, list):
        raise ViewDefinitionError("'constant' must be a list")
    out: dict[str, Any] = {}
    for i, item in enumerate(raw):
        where = f"constant[{i}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            raise ViewDefinitionError(f"{where}: a constant needs a 'name'")
        values = [k for k in item if k.startswith("value")]
        if len(values) != 1:
            raise ViewDefinitionError(
                f"{where} ({item['name']}): exactly one value[x] is required, found {len(values)}"
            )
        key = values[0]
        value = item[key]
        if key in _INTEGER_CONSTANTS:
            value = int(value)
        elif key == "valueDecimal":
            value = Decimal(str(value))
        out[item["name"]] = value
    return out


def _select(raw: object, where: str, known: frozenset[str] | set[str]) -> Select:
    if not isinstance(raw, Mapping):
        raise ViewDefinitionError(f"{where}: a select must be an object")
    allowed = {"column", "select", "unionAll", "forEach", "forEachOrNull", "repeat"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ViewDefinitionError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {sorted(allowed)}")
    if "forEach" in raw and "forEachOrNull" in raw:
        raise ViewDefinitionError(f"{where}: use forEach or forEachOrNull, not both")
    for_each: Expression | None = None
    or_null = "forEachOrNull" in raw
    if "forEach" in raw or or_null:
        key = "forEachOrNull" if or_null else "forEach"
        for_each = _expression(raw[key], f"{where}.{key}", known)
    repeat_raw = raw.get("repeat", [])
    if not isinstance(repeat_raw, list):
        raise ViewDefinitionError(f"{where}.repeat: must be a list of FHIRPath expressions")
    repeat = tuple(_expression(p, f"{where}.repeat[{i}]", known) for i, p in enumerate(repeat_raw))
    if repeat and for_each is not None:
        raise ViewDefinitionError(f"{where}: repeat cannot be combined with forEach/forEachOrNull")
    columns = tuple(
        _column(c, f"{where}.column[{i}]", known) for i, c in enumerate(_list(raw, "column", where))
    )
    selects = tuple(
        _select(s, f"{where}.select[{i}]", known) for i, s in enumerate(_list(raw, "select", where))
    )
    union = tuple(
        _select(s, f"{where}.unionAll[{i}]", known) for i, s in enumerate(_list(raw, "unionAll", where))
    )
    if union:
        first = [c.name for c in union[0].output_columns()]
        for i, branch in enumerate(union[1:], start=1):
            names = [c.name for c in branch.output_columns()]
            if names != first:
                raise ViewDefinitionError(
                    f"{where}.unionAll[{i}]: columns {names} differ from unionAll[0] columns {first} "
                    "(names and order must match)"
                )
    return Select(columns, selects, union, for_each, or_null, repeat)


def _list(raw: Mapping[str, Any], key: str, where: str) -> Sequence[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise ViewDefinitionError(f"{where}.{key}: must be a list")
    return value


def _column(raw: object, where: str, known: frozenset[str] | set[str]) -> Column:
    if not isinstance(raw, Mapping):
        raise ViewDefinitionError(f"{where}: a column must be an object")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ViewDefinitionError(
            f"{where}: column name {name!r} must start with a letter and hold only letters, digits and _"
        )
    collection = raw.get("collection", False)
    if not isinstance(collection, bool):
        raise ViewDefinitionError(f"{where} ({name}): 'collection' must be true or false")
    type_ = raw.get("type")
    if type_ is not None and not isinstance(type_, str):
        raise ViewDefinitionError(f"{where} ({name}): 'type' must be a FHIR type name")
    return Column(name, _expression(raw.get("path"), f"{where}.path ({name})", known), type_, collection)


def _expression(text: object, where: str, known: frozenset[str] | set[str]) -> Expression:
    if not isinstance(text, str) or not text.strip():
        raise ViewDefinitionError(f"{where}: expected a FHIRPath expression (a string), got {text!r}")
    try:
        expression = parse_expression(text)
    except FhirPathSyntaxError as exc:
        raise ViewDefinitionError(f"{where}: {exc}") from exc
    missing = sorted(expression.variables - known)
    if missing:
        raise ViewDefinitionError(
            f"{where}: undefined constant(s) {', '.join('%' + m for m in missing)} in {text!r}"
        )
    return expression
