"""Resources out of a FHIR Bundle as an EHR sends it (prefetch searchsets, draftOrders), shape-checked.

A value that should be a list (``Bundle.entry``) but is not, or an entry that is not an object, is an
``InputError`` naming the place: never iterated as characters or keys, never a server error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from lss_pathway.domain.parsing import FieldError, InputError

MAX_ENTRIES = 20_000
"""More entries than any one patient's prefetch search needs; more is refused rather than processed."""


def resources_of(value: Mapping[str, Any], where: str) -> Iterator[dict[str, Any]]:
    """A single resource, or the resources of a Bundle (search outcomes left out)."""
    if value.get("resourceType") != "Bundle":
        yield dict(value)
        return
    entries = value.get("entry", [])
    if entries is None:
        return
    if not isinstance(entries, list):
        raise InputError([FieldError(f"{where}.entry", "expected a list of entries")])
    if len(entries) > MAX_ENTRIES:
        raise InputError([FieldError(f"{where}.entry", f"more than {MAX_ENTRIES} entries")])
    for i, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise InputError([FieldError(f"{where}.entry[{i}]", "expected an entry object")])
        search = entry.get("search")
        if isinstance(search, Mapping) and search.get("mode") == "outcome":
            continue
        resource = entry.get("resource")
        if resource is None:
            continue
        if not isinstance(resource, Mapping) or not isinstance(resource.get("resourceType"), str):
            raise InputError([FieldError(f"{where}.entry[{i}].resource", "expected a FHIR resource")])
        yield dict(resource)


def is_operation_outcome(value: Any) -> bool:
    """CDS Hooks 2.0: an OperationOutcome in place of a prefetch value means the EHR's fetch failed."""
    return isinstance(value, Mapping) and value.get("resourceType") == "OperationOutcome"
