"""The in-memory Python execution of a compiled view: resources in, rows (dicts) out.

It follows the spec's algorithm literally (so it is the reference the DuckDB execution is checked
against): a select's own columns form one row, nested selects and the unionAll branches multiply it,
`forEach`/`forEachOrNull`/`repeat` run the select once per element with `%rowIndex` set to the
element's position.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from itertools import product
from typing import Any

from lss_pathway.fhir.views.fhirpath import FhirPathEvaluationError, evaluate, plain, resource_key
from lss_pathway.fhir.views.model import Column, CompiledView, Select

Row = dict[str, Any]
_INTEGER_TYPES = frozenset({"integer", "positiveInt", "unsignedInt", "integer64"})


class ViewRunError(ValueError):
    """A resource on which the view cannot be evaluated (the message names the resource key)."""


def run_python(view: CompiledView, resources: Iterable[Mapping[str, Any]]) -> Iterator[Row]:
    """Rows of the view over the resources of its type, in input order; keys in column order."""
    names = view.column_names
    for resource in resources:
        if resource.get("resourceType") != view.resource:
            continue
        try:
            if not _included(view, resource):
                continue
            for row in _rows(view.root, resource, dict(view.constants), 0):
                yield {name: row.get(name) for name in names}
        except FhirPathEvaluationError as exc:
            raise ViewRunError(f"{resource_key(resource) or view.resource}: {exc}") from exc


def _included(view: CompiledView, resource: Mapping[str, Any]) -> bool:
    for expression in view.where:
        result = [plain(v) for v in evaluate(expression, resource, view.constants)]
        if not result:
            return False
        if len(result) > 1 or not isinstance(result[0], bool):
            raise FhirPathEvaluationError(
                f"where {expression.text!r} must give a single boolean, gave {_describe(result)}"
            )
        if not result[0]:
            return False
    return True


def _rows(select: Select, node: Any, variables: dict[str, Any], row_index: int) -> list[Row]:
    if not select.iterates:
        return _inner(select, node, variables, row_index)
    if node is None:
        items: list[Any] = []
    elif select.for_each is not None:
        items = evaluate(select.for_each, node, variables)
    else:
        items = list(_repeat(select, node, variables))
    if not items and select.for_each_or_null:
        return _inner(select, None, variables, 0)
    out: list[Row] = []
    for index, item in enumerate(items):
        out += _inner(select, item, variables, index)
    return out


def _repeat(select: Select, node: Any, variables: dict[str, Any]) -> Iterator[Any]:
    """Depth-first, pre-order walk following every repeat path from each element found."""
    children = [child for path in select.repeat for child in evaluate(path, node, variables)]
    for child in children:
        yield child
        yield from _repeat(select, child, variables)


def _inner(select: Select, node: Any, variables: dict[str, Any], row_index: int) -> list[Row]:
    scope = {**variables, "rowIndex": row_index}
    base: Row = {c.name: _value(c, node, scope) for c in select.columns}
    parts: list[list[Row]] = [[base]]
    parts += [_rows(child, node, variables, row_index) for child in select.selects]
    if select.union_all:
        parts.append(
            [row for branch in select.union_all for row in _rows(branch, node, variables, row_index)]
        )
    return [_merge(combo) for combo in product(*parts)]


def _merge(rows: tuple[Row, ...]) -> Row:
    merged: Row = {}
    for row in rows:
        merged.update(row)
    return merged


def _value(column: Column, node: Any, scope: dict[str, Any]) -> Any:
    values = [output_value(plain(v), column.type) for v in evaluate(column.path, node, scope)]
    if column.collection:
        return values
    if len(values) > 1:
        raise FhirPathEvaluationError(
            f"column {column.name!r} ({column.path.text!r}) gave {len(values)} values where one is allowed"
            " (set collection: true, or narrow the path)"
        )
    return values[0] if values else None


def output_value(value: Any, fhir_type: str | None) -> Any:
    """Plain output: decimals as float (int for integer columns); FHIR dates stay ISO strings."""
    if isinstance(value, Decimal):
        if fhir_type in _INTEGER_TYPES and value == value.to_integral_value():
            return int(value)
        return float(value)
    return value


def _describe(values: list[Any]) -> str:
    shown = ", ".join(repr(v)[:40] for v in values[:3])
    return f"[{shown}{', ...' if len(values) > 3 else ''}]"
