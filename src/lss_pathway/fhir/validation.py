"""Check each incoming resource against its FHIR R4 (R4B) model before anything is read from it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.resource import Resource
from pydantic import ValidationError

from lss_pathway.domain.parsing import FieldError, InputError
from lss_pathway.fhir import codes as c
from lss_pathway.fhir.results import IgnoredInput


@dataclass(frozen=True)
class Source:
    prefix: str  # "entry[3].resource" or "resources[3]"
    data: dict[str, Any]
    full_url: str | None

    @property
    def type(self) -> str:
        return str(self.data["resourceType"])

    @property
    def id(self) -> str | None:
        value = self.data.get("id")
        return value if isinstance(value, str) else None

    @property
    def label(self) -> str:
        return f"{self.prefix} ({self.type}/{self.id})" if self.id else f"{self.prefix} ({self.type})"


def validate_items(items: list[tuple[str, Any, str | None]]) -> tuple[list[Source], list[IgnoredInput]]:
    sources: list[Source] = []
    ignored: list[IgnoredInput] = []
    errors: list[FieldError] = []
    for prefix, resource, full_url in items:
        if resource is None and prefix.startswith("entry["):
            ignored.append(IgnoredInput("Bundle", None, prefix, "the entry has no resource"))
            continue
        if not isinstance(resource, Mapping):
            errors.append(FieldError(prefix, "expected a FHIR resource object"))
            continue
        data = _without_nulls(resource)
        rtype = data.get("resourceType")
        if not isinstance(rtype, str) or not rtype:
            errors.append(FieldError(f"{prefix}.resourceType", "missing: every resource names its type"))
            continue
        try:
            model = get_fhir_model_class(rtype)
        except ValueError:
            model = None
        rid = data.get("id") if isinstance(data.get("id"), str) else None
        if model is None or not issubclass(model, Resource):
            ignored.append(IgnoredInput(rtype, rid, prefix, f"'{rtype}' is not a FHIR R4 resource type"))
            continue
        source = Source(prefix, data, full_url)
        try:
            check_resource(model, data, f"{prefix} ({rtype})")
        except InputError as exc:
            errors += exc.errors
            continue
        if rtype not in c.MAPPED_TYPES:
            ignored.append(
                IgnoredInput(rtype, rid, prefix, f"resource type {rtype} is not used by the mapping")
            )
            continue
        sources.append(source)
    if errors:
        raise InputError(errors)
    return sources, ignored


def _without_nulls(resource: Mapping[str, Any]) -> dict[str, Any]:
    """FHIR JSON has no nulls (an element is present or absent): a null is read as absent. Iterative."""
    root: dict[str, Any] = {}
    stack: list[tuple[Any, Any]] = [(resource, root)]
    while stack:
        source, target = stack.pop()
        items = source.items() if isinstance(source, Mapping) else enumerate(source)
        for key, value in items:
            if value is None:
                continue
            if isinstance(value, Mapping):
                copy: Any = {}
            elif isinstance(value, list):
                copy = []
            else:
                copy = value
            if isinstance(target, dict):
                target[key] = copy
            else:
                target.append(copy)
            if isinstance(value, Mapping | list):
                stack.append((value, copy))
    return root


def check_resource(model: type[Any], data: dict[str, Any], label: str) -> None:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        raise InputError(
            [FieldError(_join(label, err["loc"]), _message(err)) for err in exc.errors()]
        ) from None
    except RecursionError:
        raise InputError([FieldError(label, "nesting too deep")]) from None
    except (KeyError, TypeError, ValueError) as exc:  # fhir.resources raises these for unknown nested types
        raise InputError([FieldError(label, f"not a valid FHIR R4 resource: {exc}")]) from None


def _join(label: str, loc: Iterable[int | str]) -> str:
    out = label
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _message(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return "not an element of this resource in FHIR R4 (an R5 element, or misspelt?)"
    return str(err["msg"]).removeprefix("Value error, ")
