"""FHIR R4 resources to a PatientRecord and back (fhir.resources R4B models; docs/fhir-mapping.md).

Reading validates every resource with its R4B model, so an invalid resource is an input error naming its
element; a resource type or code the mapping does not know is reported as ignored input and never guessed
at; a fact no resource states stays unknown. The same fact stated twice with different values is a
contradiction naming both resources. The facts become a record through ``record_from_data``, so every
record check applies too. A Patient's names and identifiers are never read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from lss_pathway.domain.parsing import FieldError, InputError
from lss_pathway.fhir import codes as c
from lss_pathway.fhir.reader import read_sources
from lss_pathway.fhir.results import IgnoredInput, MappingResult
from lss_pathway.fhir.validation import check_resource, validate_items
from lss_pathway.fhir.writer import bundle_from_record

__all__ = [
    "IgnoredInput",
    "MappingResult",
    "bundle_from_record",
    "record_from_bundle",
    "record_from_resources",
]


def record_from_resources(
    resources: Iterable[Mapping[str, Any]],
    *,
    assessment_date: dt.date | None = None,
    infection_days: int | None = None,
) -> MappingResult:
    """Map loose resources (``resources[i]`` in messages) to a record.

    ``infection_days``: how old an active infection Condition may be and still be read as current
    (default: ``fhir/data/currency.yaml``); an older one is a "confirm" item, its fact left unknown."""
    items: list[tuple[str, Any, str | None]] = [
        (f"resources[{i}]", resource, None) for i, resource in enumerate(resources)
    ]
    sources, ignored = validate_items(items)
    return read_sources(sources, ignored, assessment_date, None, infection_days)


def record_from_bundle(
    bundle: Mapping[str, Any],
    *,
    assessment_date: dt.date | None = None,
    infection_days: int | None = None,
) -> MappingResult:
    """Map the resources of an R4 Bundle (``entry[i].resource`` in messages) to a record
    (``infection_days`` as for ``record_from_resources``)."""
    if not isinstance(bundle, Mapping) or bundle.get("resourceType") != "Bundle":
        raise InputError([FieldError("Bundle", "expected a FHIR Bundle (resourceType 'Bundle')")])
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise InputError([FieldError("Bundle.entry", "expected a list of entries")])
    items: list[tuple[str, Any, str | None]] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise InputError([FieldError(f"entry[{i}]", "expected an entry object")])
        full_url = entry.get("fullUrl")
        items.append(
            (f"entry[{i}].resource", entry.get("resource"), full_url if isinstance(full_url, str) else None)
        )
    sources, ignored = validate_items(items)
    # The Bundle envelope; its resources were validated one by one above, with their own paths.
    shell = dict(bundle)
    shell["entry"] = [{k: v for k, v in entry.items() if k != "resource"} for entry in entries]
    check_resource(Bundle, shell, "Bundle")
    record_id = None
    identifier = bundle.get("identifier")
    if isinstance(identifier, Mapping) and identifier.get("system") == c.RECORD_ID:
        record_id = identifier.get("value")
    return read_sources(sources, ignored, assessment_date, record_id, infection_days)
