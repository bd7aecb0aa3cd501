"""The clinic form's file reader: a patient file or a FHIR Bundle, validated exactly as the API validates
``POST /v1/assessments`` and ``POST /v1/fhir/assessments`` (same checks in the same order, so the same
errors), handed to the web edge by the composition root."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from lss_pathway.api.json_types import type_errors
from lss_pathway.api.middleware import MAX_JSON_DEPTH, json_depth
from lss_pathway.api.report_reading import bundle_items, with_reports
from lss_pathway.api.rest import patient_record_schema
from lss_pathway.domain.parsing import FieldError, InputError, format_for, parse_data, record_from_data
from lss_pathway.domain.scope import check_scope
from lss_pathway.fhir.mapping import record_from_bundle
from lss_pathway.fhir.results import IgnoredInput
from lss_pathway.web.upload import Loaded

_TOO_DEEP = f"nesting too deep (more than {MAX_JSON_DEPTH} levels)"


@cache
def _schema() -> dict[str, Any]:
    return patient_record_schema()


def read_file(content: bytes, name: str) -> Loaded:
    """A record from a JSON or YAML patient file, or from a FHIR Bundle; ``InputError`` otherwise."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError([FieldError("", f"the file is not valid UTF-8 (byte {exc.start})")]) from None
    fmt = format_for(name)
    try:
        data = parse_data(text, fmt)
    except RecursionError:
        raise InputError([FieldError("", _TOO_DEEP)]) from None
    if json_depth(data) > MAX_JSON_DEPTH:
        raise InputError([FieldError("", _TOO_DEEP)])
    if isinstance(data, dict) and data.get("resourceType") == "Bundle":
        return _from_bundle(data)
    return _from_record(data, strict_types=fmt == "json")


def _from_record(data: Any, strict_types: bool) -> Loaded:
    """As ``POST /v1/assessments``: JSON types as published, the record model, then the tool's scope.

    A YAML file is read as ``lss assess`` reads it (YAML has its own date type, which the JSON type check
    would refuse); the record model's checks and the scope check are the same for both."""
    schema = _schema()
    errors = (
        type_errors(data, schema, schema.get("$defs", {})) if strict_types and isinstance(data, dict) else []
    )
    if errors:
        raise InputError(errors)
    today = dt.date.today()  # the as-of date of a record without an assessment date
    return Loaded(check_scope(record_from_data(data, today=today), today), "patient file")


def _from_bundle(bundle: dict[str, Any]) -> Loaded:
    """As ``POST /v1/fhir/assessments``: the FHIR mapping, with the Bundle's report text read."""
    mapped, _ = with_reports(record_from_bundle(bundle), bundle_items(bundle))
    relevant = [_line(item) for item in mapped.relevant_ignored]
    rest = [_line(item) for item in mapped.ignored if item.bears_on is None]
    return Loaded(mapped.record, "FHIR Bundle", relevant + rest)


def _line(item: IgnoredInput) -> str:
    code = f" {item.system or ''}|{item.code}" if item.code else ""
    about = f" (bears on {item.bears_on})" if item.bears_on else ""
    return f"{item.resource_type}{code} at {item.path}: {item.reason}{about}"
