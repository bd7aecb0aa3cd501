"""JSON types checked against the published JSON Schema, so that the API refuses what its OpenAPI
document says it refuses (``1`` for a boolean, ``"5"`` for a number) instead of coercing it; and list
lengths bounded (``MAX_LIST_ITEMS``), so that no per-list check downstream can be made to take long.

Only ``type``, ``properties``, ``items``, ``anyOf`` and local ``$ref`` are followed: ranges, formats and
enums are the record model's own checks. Iterative, linear in the size of the data.

The schema is compiled once (``$ref`` resolved, each ``anyOf`` option's type turned into the Python
types it admits, properties into a tuple) and a field's dotted path is written only when it has an
error: walking the raw schema for every request cost about twice a ``model_validate_json`` of the record.
"""

from __future__ import annotations

from typing import Any

from lss_pathway.domain.parsing import FieldError

MAX_LIST_ITEMS = 100
"""More than any record needs (5 lumbar levels, a few agents and procedures); more is refused."""

_PYTHON = {
    "string": (str,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


class _Kind:
    """A ``type`` as Python types: ``bool`` is an ``int`` in Python but never a JSON number."""

    __slots__ = ("name", "no_bool", "types")

    def __init__(self, name: str):
        self.name = name
        numeric = {"integer": (int,), "number": (int, float)}
        self.types: tuple[type, ...] = numeric.get(name) or _PYTHON.get(name, (object,))
        self.no_bool = name in numeric

    def fits(self, value: Any) -> bool:
        return isinstance(value, self.types) and not (self.no_bool and isinstance(value, bool))


class _Body:
    """What is checked of a value once its schema node is chosen: its type, then its properties or items."""

    __slots__ = ("items", "kind", "properties")

    def __init__(self) -> None:
        self.kind: _Kind | None = None
        self.properties: tuple[tuple[str, _Node], ...] = ()
        self.items: _Node | None = None


class _Node:
    """A schema node with its ``$ref`` followed: either a body, or ``anyOf`` options tried in order."""

    __slots__ = ("body", "options", "wanted")

    def __init__(self) -> None:
        self.body = _Body()
        self.options: tuple[tuple[_Kind | None, _Body], ...] | None = None
        self.wanted = ""


class _Compiler:
    def __init__(self, defs: dict[str, Any]):
        self.defs = defs
        self.nodes: dict[int, _Node] = {}
        self.bodies: dict[int, _Body] = {}

    def _def(self, ref: str) -> dict[str, Any]:
        found: dict[str, Any] = self.defs[ref.rsplit("/", 1)[-1]]
        return found

    def node(self, schema: dict[str, Any]) -> _Node:
        known = self.nodes.get(id(schema))
        if known is not None:
            return known
        node = self.nodes[id(schema)] = _Node()
        resolved = schema
        while "$ref" in resolved:
            resolved = self._def(resolved["$ref"])
        options = resolved.get("anyOf")
        if options is None:
            node.body = self.body(resolved)
            return node
        chosen = [self._def(o["$ref"]) if "$ref" in o else o for o in options]
        node.options = tuple((_Kind(o["type"]) if "type" in o else None, self.body(o)) for o in chosen)
        node.wanted = " or ".join(str(o.get("type")) for o in chosen)
        return node

    def body(self, schema: dict[str, Any]) -> _Body:
        """The checks of a node as it stands: an option chosen from an ``anyOf`` is not resolved further."""
        known = self.bodies.get(id(schema))
        if known is not None:
            return known
        body = self.bodies[id(schema)] = _Body()
        kind = schema.get("type")
        body.kind = _Kind(kind) if isinstance(kind, str) else None
        body.properties = tuple((key, self.node(prop)) for key, prop in schema.get("properties", {}).items())
        items = schema.get("items")
        body.items = self.node(items) if isinstance(items, dict) else None
        return body


_COMPILED: dict[int, tuple[dict[str, Any], dict[str, Any], _Node]] = {}


def _compiled(schema: dict[str, Any], defs: dict[str, Any]) -> _Node:
    """Compiled once per schema object (the API's is built once); the schema is kept alive beside it, so
    its id can never be reused by another."""
    known = _COMPILED.get(id(schema))
    if known is not None and known[0] is schema and known[1] is defs:
        return known[2]
    root = _Compiler(defs).node(schema)
    if len(_COMPILED) >= 8:
        _COMPILED.clear()
    _COMPILED[id(schema)] = (schema, defs, root)
    return root


Path = tuple[Any, str | int] | None
"""A field's place, written out only for an error: ``(parent, key)`` or ``(parent, index)``."""


def _written(path: Path) -> str:
    parts: list[str | int] = []
    while path is not None:
        path, part = path
        parts.append(part)
    out = ""
    for part in reversed(parts):
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out = f"{out}.{part}" if out else part
    return out


def type_errors(data: Any, schema: dict[str, Any], defs: dict[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    stack: list[tuple[Any, _Node, Path]] = [(data, _compiled(schema, defs), None)]
    while stack:
        value, node, path = stack.pop()
        body = node.body
        if node.options is not None:
            for option, chosen in node.options:
                if option is None or option.fits(value):
                    body = chosen  # the first option that fits
                    break
            else:
                got = type(value).__name__
                errors.append(FieldError(_written(path), f"expected {node.wanted}, got {got}"))
                continue
        kind = body.kind
        if kind is not None and not kind.fits(value):
            errors.append(FieldError(_written(path), f"expected {kind.name}, got {type(value).__name__}"))
            continue
        if isinstance(value, dict):
            stack += [(value[key], prop, (path, key)) for key, prop in body.properties if key in value]
        elif isinstance(value, list):
            if len(value) > MAX_LIST_ITEMS:
                errors.append(FieldError(_written(path), f"more than {MAX_LIST_ITEMS} items"))
            elif body.items is not None:
                stack += [(item, body.items, (path, i)) for i, item in enumerate(value)]
    return errors
