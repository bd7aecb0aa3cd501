"""JSON types checked against the published JSON Schema, so that the API refuses what its OpenAPI
document says it refuses (``1`` for a boolean, ``"5"`` for a number) instead of coercing it; and list
lengths bounded (``MAX_LIST_ITEMS``), so that no per-list check downstream can be made to take long.

Only ``type``, ``properties``, ``items``, ``anyOf`` and local ``$ref`` are followed: ranges, formats and
enums are the record model's own checks. Iterative, linear in the size of the data.
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


def _fits(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, _PYTHON.get(kind, (object,)))


def type_errors(data: Any, schema: dict[str, Any], defs: dict[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    stack: list[tuple[Any, dict[str, Any], str]] = [(data, schema, "")]
    while stack:
        value, node, path = stack.pop()
        while "$ref" in node:
            node = defs[node["$ref"].rsplit("/", 1)[-1]]
        options = node.get("anyOf")
        if options is not None:
            resolved = [defs[o["$ref"].rsplit("/", 1)[-1]] if "$ref" in o else o for o in options]
            fitting = [o for o in resolved if "type" not in o or _fits(value, o["type"])]
            if not fitting:
                wanted = " or ".join(str(o.get("type")) for o in resolved)
                errors.append(FieldError(path, f"expected {wanted}, got {type(value).__name__}"))
                continue
            node = fitting[0]
        kind = node.get("type")
        if isinstance(kind, str) and not _fits(value, kind):
            errors.append(FieldError(path, f"expected {kind}, got {type(value).__name__}"))
            continue
        if isinstance(value, dict):
            for key, prop in node.get("properties", {}).items():
                if key in value:
                    stack.append((value[key], prop, f"{path}.{key}" if path else key))
        elif isinstance(value, list):
            if len(value) > MAX_LIST_ITEMS:
                errors.append(FieldError(path, f"more than {MAX_LIST_ITEMS} items"))
            elif isinstance(node.get("items"), dict):
                stack += [(item, node["items"], f"{path}[{i}]") for i, item in enumerate(value)]
    return errors
