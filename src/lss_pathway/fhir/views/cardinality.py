"""Which FHIR elements are arrays, from the R4B models of fhir.resources (a core dependency).

The SQL compiler uses it to turn a member chain such as `code.coding.code` into ONE DuckDB JSON path
(`$."code"."coding"[*]."code"`) instead of a list operation per step: DuckDB's `[*]` flattens exactly
as FHIRPath navigation does, provided it is placed on the elements that are arrays. Unknown types or
elements return None, and the compiler then uses its generic (shape-agnostic) navigation.
"""

from __future__ import annotations

import re
from functools import cache

_ELEMENT_TYPE = re.compile(r"abc\.(\w+)Type\b")


@cache
def _elements(type_name: str) -> dict[str, tuple[bool, str | None]] | None:
    from fhir.resources.R4B import get_fhir_model_class

    try:
        model = get_fhir_model_class(type_name)
    except (KeyError, ValueError, AttributeError):
        return None
    out: dict[str, tuple[bool, str | None]] = {}
    for name, field in model.model_fields.items():
        text = str(field.annotation)
        match = _ELEMENT_TYPE.search(text)
        out[field.alias or name] = ("List[" in text or "list[" in text, match.group(1) if match else None)
    return out


def element(type_name: str | None, key: str) -> tuple[bool, str | None] | None:
    """(is an array, the element's type name or None for a primitive) of `key` on a FHIR type."""
    if type_name is None:
        return None
    elements = _elements(type_name)
    return None if elements is None else elements.get(key)
