"""The compiled type check refuses exactly what the schema walk it replaced refused, in the same words."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lss_pathway.api.json_types import MAX_LIST_ITEMS, type_errors
from lss_pathway.api.rest import patient_record_schema
from lss_pathway.domain.parsing import FieldError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BASES = [
    json.loads(json.dumps(yaml.safe_load(p.read_text()), default=str))
    for p in sorted(EXAMPLES.glob("*.yaml"))
]
SCHEMA = patient_record_schema()
DEFS = SCHEMA["$defs"]
_PYTHON = {"string": (str,), "boolean": (bool,), "object": (dict,), "array": (list,), "null": (type(None),)}


def _fits(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, _PYTHON.get(kind, (object,)))


def walked_errors(data: Any, schema: dict[str, Any], defs: dict[str, Any]) -> list[FieldError]:
    """The raw-schema walk the API used before the schema was compiled: the reference."""
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


def _places(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key and index path in ``data``."""
    out = []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        out.append((*prefix, key))
        out += _places(value, (*prefix, key))
    return out


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 200) | st.floats(allow_nan=False) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
SETTINGS = settings(
    max_examples=max(20, int(os.environ.get("LSS_PROPERTY_EXAMPLES", "1000")) // 5),
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@SETTINGS
@given(data=st.data(), base=st.sampled_from(BASES))
def test_the_compiled_check_refuses_what_the_schema_walk_refused(
    data: st.DataObject, base: dict[str, Any]
) -> None:
    record = copy.deepcopy(base)
    for _ in range(data.draw(st.integers(1, 4))):
        places = _places(record)
        if not places:
            break
        *parents, last = data.draw(st.sampled_from(places))
        holder = record
        for part in parents:
            holder = holder[part]
        holder[last] = data.draw(JSON_VALUES | st.lists(st.none(), min_size=MAX_LIST_ITEMS + 1, max_size=102))
    assert type_errors(record, SCHEMA, DEFS) == walked_errors(record, SCHEMA, DEFS)


def test_valid_records_pass_and_wrong_types_are_named_by_their_path() -> None:
    for base in BASES:
        assert type_errors(base, SCHEMA, DEFS) == []
    record = copy.deepcopy(BASES[0])
    record["patient"]["age_years"] = True  # a bool is an int in Python, never a JSON integer
    record["patient"]["sex"] = 5
    record["symptoms"]["leg_symptoms"] = 1
    record["imaging"]["levels"][0]["sides"] = [{"side": 1}]
    errors = type_errors(record, SCHEMA, DEFS)
    assert sorted((e.field, e.message) for e in errors) == [
        ("imaging.levels[0].sides[0].side", "expected string, got int"),
        ("patient.age_years", "expected integer or null, got bool"),
        ("patient.sex", "expected string or null, got int"),
        ("symptoms.leg_symptoms", "expected boolean or null, got int"),
    ]
