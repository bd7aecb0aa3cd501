"""Turn JSON or YAML text into a validated record, or into errors a clinician can act on.

Each error names the field (as a dotted path), says what was wrong and what is allowed. Duplicate keys are
refused instead of letting the last one silently win, because a side or level entered twice is a
contradiction, not a correction.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ValidationError

from lss_pathway.domain.record import TODAY, PatientRecord

Format = Literal["json", "yaml"]


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InputError(ValueError):
    """The input could not become a record; ``errors`` lists every problem found."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


class _UniqueKeyLoader(yaml.SafeLoader):
    pass


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise InputError(
                [FieldError(str(key), f"key appears twice (line {key_node.start_mark.line + 1})")]
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise InputError([FieldError(key, "key appears twice")])
        result[key] = value
    return result


def parse_data(text: str, fmt: Format) -> Any:
    """Parse text into plain data, refusing duplicate keys."""
    try:
        if fmt == "json":
            return json.loads(text, object_pairs_hook=_json_pairs)
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except json.JSONDecodeError as exc:
        raise InputError(
            [FieldError("", f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")]
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError([FieldError("", f"malformed YAML{where}: {problem}")]) from None


def record_from_data(data: Any, *, today: dt.date | None = None) -> PatientRecord:
    """A validated record; ``today`` (the edge's date) also refuses dates in the future."""
    if not isinstance(data, dict):
        raise InputError([FieldError("", f"expected a mapping of sections, got {type(data).__name__}")])
    try:
        return PatientRecord.model_validate(data, context={TODAY: today})
    except ValidationError as exc:
        raise InputError([describe_error(err) for err in exc.errors()]) from None


def parse_record(text: str, fmt: Format, *, today: dt.date | None = None) -> PatientRecord:
    return record_from_data(parse_data(text, fmt), today=today)


def format_for(name: str) -> Format:
    lowered = name.lower()
    if lowered.endswith(".json"):
        return "json"
    if lowered.endswith((".yaml", ".yml")):
        return "yaml"
    raise InputError([FieldError("", f"'{name}': unsupported file type; use .json, .yaml or .yml")])


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def describe_error(err: Any) -> FieldError:
    """One pydantic error on a PatientRecord, as a field path and a message (with 'did you mean')."""
    loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _fields_at(PatientRecord, loc[:-1])
        name = str(loc[-1])
        hint = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        text = f"unknown field '{name}'."
        if hint:
            text += f" Did you mean '{hint[0]}'?"
        return FieldError(_path(loc), f"{text} Allowed here: {', '.join(allowed)}")
    message = str(err["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if kind == "enum" or kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        message = f"{message} (got {err.get('input')!r})"
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
        # '09/10/2026' is 9 October or 10 September depending on the country: never guessed, always asked.
        message = f"write the date as YYYY-MM-DD, e.g. 2026-10-09 (got {err.get('input')!r})"
    # Drop pydantic's union/validator suffixes from the location: the field is what matters.
    clean = tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
    field = _path(clean)
    if not field:
        # Cross-field checks on the whole record start their message with the field they are about.
        head = message.split(" ", 1)[0]
        top = re.split(r"[.\[]", head, maxsplit=1)[0]
        if _FIELD_PATH.fullmatch(head) and top in PatientRecord.model_fields:
            field = head
    return FieldError(field, message)


_FIELD_PATH = re.compile(r"[a-z_]+(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)*")


def _fields_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    current: Any = model
    for part in loc:
        current = _model_in(current)
        if current is None:
            return []
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part)
        if field is None:
            return []
        current = field.annotation
    found = _model_in(current)
    return list(found.model_fields) if found is not None else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """Find the model inside ``X``, ``X | None`` or ``list[X]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
