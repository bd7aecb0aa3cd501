"""Draft orders (CDS Hooks order-select / order-sign): which ask for mild, at which levels and sides.

Each order is validated as an R4 resource first (an invalid one is an ``InputError`` naming its element).
The order's procedure is recognised by the standard code table (CPT 0275T, ``codes.ORDER_CODES``); its
levels come from the project spinal-level codes and its sides from the SNOMED CT laterality codes of
``codes.LATERALITY`` (left, right: the same table the mapping reads; "bilateral" is not a side: an order
without a side asks for both).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from lss_pathway.domain.anatomy import SIDES, Level, Side, parse_level
from lss_pathway.domain.parsing import FieldError, InputError
from lss_pathway.fhir import codes as c
from lss_pathway.fhir.validation import check_resource

MAX_ORDERS = 200
"""Draft orders read per request: a real order set is far smaller; more is refused."""


@dataclass(frozen=True, slots=True)
class OrderTarget:
    """One level and side requested by a draft mild order, or a problem reading the order."""

    level: Level | None = None
    side: Side | None = None
    problem: str | None = None
    order: str | None = None
    """The draft order's reference (``ServiceRequest/<id>``), for a suggestion to change or remove it."""


def _codings(concept: Any) -> list[Mapping[str, Any]]:
    if not isinstance(concept, Mapping):
        return []
    items = concept.get("coding")
    return [x for x in items if isinstance(x, Mapping)] if isinstance(items, list) else []


def validate_orders(orders: list[dict[str, Any]], where: str) -> None:
    """Each draft order must be a valid R4 resource (a ServiceRequest or anything else the EHR drafts)."""
    if len(orders) > MAX_ORDERS:
        raise InputError([FieldError(where, f"more than {MAX_ORDERS} draft orders")])
    errors: list[FieldError] = []
    for i, order in enumerate(orders):
        try:
            model = get_fhir_model_class(str(order["resourceType"]))
        except (KeyError, ValueError):
            errors.append(FieldError(f"{where}[{i}].resourceType", "not a FHIR R4 resource type"))
            continue
        try:
            check_resource(model, order, f"{where}[{i}] ({order['resourceType']})")
        except InputError as exc:
            errors += exc.errors
    if errors:
        raise InputError(errors)


def ordered_procedure(resource: Mapping[str, Any]) -> str | None:
    """What a ServiceRequest orders, by the code table (``"mild"`` for CPT 0275T), else None."""
    if resource.get("resourceType") != "ServiceRequest":
        return None
    for coding in _codings(resource.get("code")):
        system, code = coding.get("system"), coding.get("code")
        if isinstance(system, str) and isinstance(code, str):
            found = c.ORDER_CODES.get((system, code.strip().upper()))
            if found is not None:
                return found
    return None


def is_mild_order(resource: Mapping[str, Any]) -> bool:
    return ordered_procedure(resource) == "mild"


def _level(code: str) -> Level:
    try:
        return Level(code)
    except ValueError:
        return parse_level(code)


def order_targets(resource: Mapping[str, Any]) -> list[OrderTarget]:
    """The levels and sides a mild ServiceRequest asks for, from its bodySite codings.

    A bodySite concept may carry a level and a laterality together; a laterality in a concept without a
    level applies to every level of the order; no laterality means both sides.
    """
    raw_sites = resource.get("bodySite")
    sites = [s for s in raw_sites if isinstance(s, Mapping)] if isinstance(raw_sites, list) else []
    per_site: list[tuple[list[Level], list[Side]]] = []
    shared_sides: list[Side] = []
    problems: list[str] = []
    for site in sites:
        levels: list[Level] = []
        sides: list[Side] = []
        for coding in _codings(site):
            code = str(coding.get("code", ""))
            if coding.get("system") == c.SPINAL_LEVEL:
                try:
                    levels.append(_level(code))
                except ValueError as exc:
                    problems.append(str(exc))
            elif coding.get("system") == c.SNOMED and code in c.LATERALITY:
                sides.append(c.LATERALITY[code])
        if levels:
            per_site.append((levels, sides))
        else:
            shared_sides += sides
    rid = resource.get("id")
    ref = f"ServiceRequest/{rid}" if isinstance(rid, str) and rid else None
    targets = [OrderTarget(problem=p, order=ref) for p in problems]
    for levels, sides in per_site:
        chosen = sides or shared_sides or list(SIDES)
        for level in levels:
            for side in SIDES:
                if side in chosen:
                    targets.append(OrderTarget(level=level, side=side, order=ref))
    if not targets:
        targets.append(OrderTarget(problem="the order names no spinal level", order=ref))
    return targets
