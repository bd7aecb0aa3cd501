"""CDS Hooks 2.0 services: patient-view, order-select and order-sign, with discovery and feedback.

- ``GET /cds-services``: discovery (no token needed).
- ``POST /cds-services/{id}``: the EHR's JWT is verified (``security.require_ehr_jwt``); the record is
  built from the **prefetch** only, through ``lss_pathway.fhir.mapping.record_from_resources``. The
  service never fetches from ``fhirServer`` (no network at run time), so a missing or null ``patient``
  prefetch is a 412, as the spec asks when required data cannot be obtained. Other prefetch keys the
  EHR could not provide are named on every card and in the response extension (their facts count as
  unknown, which makes cells undetermined rather than wrong).
- ``POST /cds-services/{id}/feedback``: the spec's feedback body, validated; only counts are kept.

The assessment uses the default rule set. The response carries
``extension["lss-pathway"] = {ruleset, inputDigest, ignoredInput, unavailablePrefetch}``.
An optional request extension ``{"lss-pathway": {"assessmentDate": "YYYY-MM-DD"}}`` replays a request
as of a past date (default: the mapping's default, today). Nothing that identifies a patient is logged
or kept.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from lss_pathway.api.cards import (
    OVERRIDE_REASONS,
    OVERRIDE_SYSTEM,
    CardContext,
    order_cards,
    patient_view_cards,
)
from lss_pathway.api.responses import json_response
from lss_pathway.api.security import require_ehr_jwt
from lss_pathway.api.settings import ServiceSettings
from lss_pathway.assess import assess
from lss_pathway.fhir import codes
from lss_pathway.fhir.bundles import resources_of
from lss_pathway.fhir.orders import OrderTarget, is_mild_order, order_targets, validate_orders
from lss_pathway.fhir.results import MappingResult
from lss_pathway.rulesets.catalog import DEFAULT_RULESET, load_ruleset

log = logging.getLogger("lss_pathway.api.cds_hooks")
router = APIRouter(tags=["CDS Hooks"])

CPT_SYSTEM = codes.CPT
LEVEL_SYSTEM = codes.SPINAL_LEVEL
SNOMED = codes.SNOMED
EXTENSION = "lss-pathway"

PREFETCH: dict[str, str] = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "observations": "Observation?patient={{context.patientId}}",
    "medications": "MedicationRequest?patient={{context.patientId}}&status=active",
    "statements": "MedicationStatement?patient={{context.patientId}}",
    "procedures": "Procedure?patient={{context.patientId}}",
    "reports": "DiagnosticReport?patient={{context.patientId}}",
    "imaging": "ImagingStudy?patient={{context.patientId}}",
}
REQUIRED_PREFETCH = ("patient",)


@dataclass(frozen=True, slots=True)
class Service:
    id: str
    hook: str
    title: str
    description: str

    def discovery(self) -> dict[str, Any]:
        return {
            "hook": self.hook,
            "title": self.title,
            "description": self.description,
            "id": self.id,
            "prefetch": dict(PREFETCH),
        }


SERVICES: dict[str, Service] = {
    s.id: s
    for s in (
        Service(
            "lss-patient-view",
            "patient-view",
            "LSS assessment and mild candidacy",
            "Summarises the lumbar spinal stenosis assessment and mild (minimally invasive lumbar "
            "decompression) candidacy per level and side, with the next pathway step; red flags first.",
        ),
        Service(
            "lss-order-select",
            "order-select",
            "mild (CPT 0275T) order check",
            "For a selected draft order for mild (CPT 0275T): candidacy at each requested level and "
            "side, the reasons when it is not met, and the facts to document when it is undetermined.",
        ),
        Service(
            "lss-order-sign",
            "order-sign",
            "mild (CPT 0275T) order check at signing",
            "Before a mild (CPT 0275T) order is signed: candidacy at each requested level and side, "
            "with the reasons against it or the facts still to document.",
        ),
    )
}


# --- request and feedback bodies ------------------------------------------------------------------------


class HookRequest(BaseModel):
    """A CDS Hooks 2.0 service request (fhirAuthorization is accepted but never used or logged)."""

    model_config = ConfigDict(extra="ignore")

    hook: str = Field(min_length=1)
    hookInstance: str = Field(min_length=1)
    fhirServer: str | None = None
    fhirAuthorization: dict[str, Any] | None = None
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None
    extension: dict[str, Any] | None = None


class Coding(BaseModel):
    code: str = Field(min_length=1)
    system: str | None = None
    display: str | None = None


class OverrideReason(BaseModel):
    reason: Coding | None = None
    userComment: str | None = None


class AcceptedSuggestion(BaseModel):
    id: str = Field(min_length=1)


class FeedbackItem(BaseModel):
    card: str = Field(min_length=1)
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] | None = None
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: AwareDatetime

    @model_validator(mode="after")
    def _fits_outcome(self) -> FeedbackItem:
        if self.outcome == "accepted" and self.overrideReason is not None:
            raise ValueError("overrideReason is only for an overridden card")
        if self.outcome == "overridden" and self.acceptedSuggestions:
            raise ValueError("acceptedSuggestions is only for an accepted card")
        return self


class Feedback(BaseModel):
    feedback: list[FeedbackItem] = Field(min_length=1)


# --- helpers ----------------------------------------------------------------------------------------------


def _refuse(status: int, field: str, message: str) -> HTTPException:
    return HTTPException(status_code=status, detail=[{"field": field, "message": message}])


def _service(service_id: str) -> Service:
    service = SERVICES.get(service_id)
    if service is None:
        raise _refuse(404, "id", "no such CDS service")
    return service


_PATIENT_REF = re.compile(r"(?:^|/)Patient/([^/]+)$")


def _other_patient(resource: Mapping[str, Any], patient_id: str) -> bool:
    """True when the resource points at a Patient other than the one in context."""
    for name in ("subject", "patient"):
        ref = resource.get(name)
        text = ref.get("reference") if isinstance(ref, Mapping) else None
        if isinstance(text, str):
            match = _PATIENT_REF.search(text)
            if match and match.group(1) != patient_id:
                return True
    return False


def _prefetched(body: HookRequest, patient_id: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The resources to map, and the prefetch keys the EHR could not provide."""
    prefetch = body.prefetch or {}
    for key in REQUIRED_PREFETCH:
        if prefetch.get(key) is None:
            raise _refuse(
                412, f"prefetch.{key}", "required prefetch missing; this service does not query the EHR"
            )
    resources: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    unavailable: list[str] = []
    for key in PREFETCH:
        value = prefetch.get(key)
        if value is None:
            unavailable.append(key)
            continue
        if not isinstance(value, Mapping) or not isinstance(value.get("resourceType"), str):
            raise _refuse(422, f"prefetch.{key}", "not a FHIR resource or Bundle")
        found = list(resources_of(value, f"prefetch.{key}"))
        if key == "patient":
            patients = [r for r in found if r["resourceType"] == "Patient"]
            if not patients:
                raise _refuse(412, "prefetch.patient", "holds no Patient resource")
            if any(isinstance(p.get("id"), str) and p["id"] != patient_id for p in patients):
                raise _refuse(422, "prefetch.patient", "does not match context.patientId")
        for resource in found:
            if _other_patient(resource, patient_id):
                raise _refuse(422, f"prefetch.{key}", "holds a resource about another patient")
            rid = resource.get("id")
            if isinstance(rid, str):
                ident = (resource["resourceType"], rid)
                if ident in seen:
                    continue
                seen.add(ident)
            resources.append(resource)
    return resources, unavailable


def unmapped_lines(mapped: MappingResult) -> tuple[str, ...]:
    """One line per unread input that bears on a criterion (type and id, what it bears on, why)."""
    return tuple(
        f"{item.resource_type}{'/' + item.resource_id if item.resource_id else ''} "
        f"({item.bears_on}): {item.reason}"
        for item in mapped.relevant_ignored
    )


def _assessment_date(body: HookRequest) -> dt.date | None:
    ours = (body.extension or {}).get(EXTENSION)
    if not isinstance(ours, Mapping) or ours.get("assessmentDate") is None:
        return None
    try:
        return dt.date.fromisoformat(str(ours["assessmentDate"]))
    except ValueError:
        raise _refuse(422, f"extension.{EXTENSION}.assessmentDate", "not a date (YYYY-MM-DD)") from None


def _draft_orders(body: HookRequest) -> list[dict[str, Any]]:
    drafts = body.context.get("draftOrders")
    if not isinstance(drafts, Mapping) or drafts.get("resourceType") != "Bundle":
        raise _refuse(422, "context.draftOrders", "a FHIR Bundle of draft orders is required")
    orders = list(resources_of(drafts, "context.draftOrders"))
    selections = body.context.get("selections")
    if selections is not None and not isinstance(selections, list):
        raise _refuse(422, "context.selections", "expected a list of references")
    if body.hook == "order-select" and selections:
        chosen = {str(s) for s in selections}
        orders = [o for o in orders if f"{o.get('resourceType')}/{o.get('id')}" in chosen]
    return orders


# --- endpoints --------------------------------------------------------------------------------------------


@router.get("/cds-services")
def discovery() -> dict[str, Any]:
    """CDS Hooks discovery: the services, their hooks and prefetch templates."""
    return {"services": [s.discovery() for s in SERVICES.values()]}


@router.post("/cds-services/{service_id}", dependencies=[Depends(require_ehr_jwt)], response_model=None)
async def call_service(service_id: str, body: HookRequest, request: Request) -> Response:
    """Run one service on the prefetched FHIR data; the cards come back in the CDS Hooks shape."""
    service = _service(service_id)
    if body.hook != service.hook:
        raise _refuse(422, "hook", f"this service answers '{service.hook}'")
    patient_id = body.context.get("patientId")
    if not isinstance(patient_id, str) or not patient_id:
        raise _refuse(422, "context.patientId", "required")
    on_date = _assessment_date(body)
    rules = load_ruleset(DEFAULT_RULESET)
    digest = request.scope.get("state", {}).get("input_digest")
    headers = {"X-Ruleset": rules.ref}
    extension: dict[str, Any] = {"ruleset": rules.ref, "inputDigest": f"sha256:{digest}" if digest else None}
    targets: list[OrderTarget] = []
    if service.hook != "patient-view":
        mild = [order for order in _draft_orders(body) if is_mild_order(order)]
        validate_orders(mild, "context.draftOrders")  # the orders read are valid R4 ServiceRequests
        for order in mild:
            targets += order_targets(order)
        if not targets:  # no mild order: nothing to say, and no need for the patient's data
            return json_response({"cards": [], "extension": {EXTENSION: extension}}, headers=headers)
    resources, unavailable = _prefetched(body, patient_id)

    from lss_pathway.fhir.mapping import record_from_resources

    mapped = record_from_resources(resources, assessment_date=on_date)
    assessment = assess(mapped.record, rules)
    settings: ServiceSettings = request.app.state.settings
    ctx = CardContext(rules.ref, settings.report_url, tuple(unavailable), unmapped_lines(mapped))
    if service.hook == "patient-view":
        cards = patient_view_cards(assessment, ctx)
    else:
        cards = order_cards(assessment, targets, ctx, service.hook)
    log.info("CDS Hooks %s: %d card(s)", service.id, len(cards))
    extension["ignoredInput"] = [item.to_dict() for item in mapped.ignored]
    extension["unmappedRelevantInput"] = [item.to_dict() for item in mapped.relevant_ignored]
    extension["unavailablePrefetch"] = unavailable
    return json_response({"cards": cards, "extension": {EXTENSION: extension}}, headers=headers)


_FEEDBACK_LOCK = threading.Lock()
_OVERRIDE_CODES = frozenset(code for code, _ in OVERRIDE_REASONS)


@router.post("/cds-services/{service_id}/feedback", dependencies=[Depends(require_ehr_jwt)])
def feedback(service_id: str, body: Feedback, request: Request) -> dict[str, Any]:
    """Card outcomes from the EHR; only counts per service, outcome and override reason are kept."""
    service = _service(service_id)
    with _FEEDBACK_LOCK:
        counts: Counter[str] | None = getattr(request.app.state, "cds_feedback", None)
        if counts is None:
            counts = Counter()
            request.app.state.cds_feedback = counts
        for item in body.feedback:
            counts[f"{service.id}:{item.outcome}"] += 1
            reason = item.overrideReason.reason if item.overrideReason else None
            if reason is not None:
                known = reason.system == OVERRIDE_SYSTEM and reason.code in _OVERRIDE_CODES
                counts[f"{service.id}:override:{reason.code if known else 'other'}"] += 1
    log.info("CDS Hooks feedback for %s: %d outcome(s)", service.id, len(body.feedback))
    return {"received": len(body.feedback)}
