"""CDS Hooks 2.0 services: patient-view, order-select and order-sign, with discovery and feedback.

- ``GET /cds-services``: discovery (no token needed).
- ``POST /cds-services/{id}``: the EHR's JWT is verified (``security.require_ehr_jwt``); the record is
  built from the **prefetch** through ``lss_pathway.fhir.mapping.record_from_resources``. A prefetch key
  the EHR left out is fetched from ``fhirServer`` with ``fhirAuthorization`` when both are given
  (``fhir_fetch``); a ``null`` value means the EHR has no such data (nothing to fetch); an
  OperationOutcome in its place means the EHR's fetch failed, and the card says so. Without a patient
  (absent and not fetchable, or null) the answer is 412; a fetch of it that fails is a warning card.
  Keys neither given nor fetched are named on every card (their facts count as unknown).
- ``POST /cds-services/{id}/feedback``: the spec's feedback body, validated against the cards this
  service issued; only counts are kept.

The assessment uses the default rule set. The response carries
``extension["org.lss-pathway"] = {ruleset, inputDigest, ignoredInput, unmappedRelevantInput,
unavailablePrefetch, failedPrefetch, reportReading}`` (``reportReading``: the radiology report read from
the DiagnosticReports / DocumentReferences, and those not read; ``report_reading.py``). An optional
request extension ``{"org.lss-pathway": {"assessmentDate": "YYYY-MM-DD"}}`` replays a request as of a
past date. Nothing that identifies a patient, and no token, is logged or kept.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi import Path as PathParam
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from lss_pathway.api.cards import (
    OVERRIDE_REASONS,
    OVERRIDE_SYSTEM,
    CardContext,
    order_cards,
    patient_view_cards,
)
from lss_pathway.api.errors import ERROR_RESPONSES
from lss_pathway.api.fhir_fetch import FetchError, FhirServer, fetch_missing
from lss_pathway.api.prefetch_cache import PrefetchCache, Prepared, prefetch_key
from lss_pathway.api.report_reading import report_codes, with_reports
from lss_pathway.api.responses import json_response
from lss_pathway.api.security import require_ehr_jwt, service_state
from lss_pathway.api.settings import ServiceSettings
from lss_pathway.assess import assess
from lss_pathway.domain.parsing import FieldError, InputError
from lss_pathway.fhir import codes
from lss_pathway.fhir.bundles import is_operation_outcome, resources_of
from lss_pathway.fhir.orders import OrderTarget, is_mild_order, order_targets, validate_orders
from lss_pathway.fhir.results import MappingResult
from lss_pathway.rulesets.catalog import DEFAULT_RULESET, load_ruleset

log = logging.getLogger("lss_pathway.api.cds_hooks")
router = APIRouter(tags=["CDS Hooks"])

CPT_SYSTEM = codes.CPT
LEVEL_SYSTEM = codes.SPINAL_LEVEL
SNOMED = codes.SNOMED
EXTENSION = "org.lss-pathway"
"""Extension key, reverse-domain as CDS Hooks 2.0 asks."""

# Narrowed by status or code so that a long real chart fits the body limit (a whole Synthea chart of
# Conditions and MedicationRequests is 1.5 MB; the stopped orders are most of it). Medications are not
# narrowed by code: a medication the code table cannot map must still be seen, so that it makes the
# antithrombotic list unknown rather than "none".
_FINDINGS_CODES = ",".join(
    [f"{codes.FINDINGS}|", *(f"{codes.LOINC}|{code}" for code in sorted(codes.LOINC_FINDINGS))]
)
# Reports: the project imaging-modality code and the LOINC lumbar MR / CT codes (report_reading reads their
# text); documents also by the generic "diagnostic imaging study" type, read when their text says lumbar.
_LUMBAR_LOINC = [f"{codes.LOINC}|{code}" for code in sorted(report_codes().loinc)]
_REPORT_CODES = ",".join([f"{codes.IMAGING_MODALITY}|", *_LUMBAR_LOINC])
_DOCUMENT_TYPES = ",".join(
    [*_LUMBAR_LOINC, *(f"{codes.LOINC}|{code}" for code in sorted(report_codes().generic))]
)
PREFETCH: dict[str, str] = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "observations": "Observation?patient={{context.patientId}}&status=final,amended,corrected&code="
    + _FINDINGS_CODES,
    "medications": "MedicationRequest?patient={{context.patientId}}&status=active,on-hold",
    "statements": "MedicationStatement?patient={{context.patientId}}&status=active,on-hold",
    "procedures": "Procedure?patient={{context.patientId}}&status=completed",
    "reports": "DiagnosticReport?patient={{context.patientId}}&code=" + _REPORT_CODES,
    "imaging": "ImagingStudy?patient={{context.patientId}}&status=available",
    "documents": "DocumentReference?patient={{context.patientId}}&status=current&type=" + _DOCUMENT_TYPES,
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


ServiceIdPath = Annotated[
    str, PathParam(description="A service id from discovery", json_schema_extra={"enum": list(SERVICES)})
]


# --- request and feedback bodies ------------------------------------------------------------------------


class HookRequest(BaseModel):
    """A CDS Hooks 2.0 service request (fhirAuthorization is used only to fetch, and never logged)."""

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
        if self.outcomeTimestamp.utcoffset() != dt.timedelta(0):
            raise ValueError("outcomeTimestamp must be in UTC (CDS Hooks 2.0)")
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


@dataclass
class Prefetched:
    """The resources to map, and what the EHR could not give: not provided, or a failed fetch."""

    resources: list[dict[str, Any]]
    unavailable: list[str]
    failed: list[str]
    patient_failure: str | None = None


def _collect(body: HookRequest, patient_id: str) -> tuple[dict[str, Any], list[str], list[str], str | None]:
    """Each template's value (given or fetched), the keys not available, the keys whose fetch failed."""
    given = body.prefetch or {}
    values: dict[str, Any] = {}
    unavailable: list[str] = []
    failed: list[str] = []
    missing = {k: t for k, t in PREFETCH.items() if k not in given}
    server = FhirServer.from_request(body.fhirServer, body.fhirAuthorization)
    fetched = fetch_missing(server, missing, patient_id) if server is not None and missing else {}
    patient_failure: str | None = None
    for key in PREFETCH:
        value = given.get(key) if key in given else fetched.get(key)
        if key not in given and key not in fetched:
            unavailable.append(key)
        elif isinstance(value, FetchError) or is_operation_outcome(value):
            failed.append(key)
            if key == "patient":
                patient_failure = str(value) if isinstance(value, FetchError) else "the EHR's fetch failed"
        elif value is not None:  # null: the EHR has no such data
            values[key] = value
    return values, unavailable, failed, patient_failure


def _prefetched(body: HookRequest, patient_id: str) -> tuple[Prefetched, dict[str, Any]]:
    """What the EHR gave (or what was fetched), checked; and the values by key, for the cache key."""
    values, unavailable, failed, patient_failure = _collect(body, patient_id)
    if patient_failure is not None:
        return Prefetched([], unavailable, failed, patient_failure), values
    for key in REQUIRED_PREFETCH:
        if values.get(key) is None:
            raise _refuse(
                412,
                f"prefetch.{key}",
                "required prefetch missing (give it, or fhirServer and fhirAuthorization to fetch it)",
            )
    return Prefetched(_resources(values, patient_id), unavailable, failed), values


def _resources(values: dict[str, Any], patient_id: str) -> list[dict[str, Any]]:
    """The resources of every prefetch value, refusing another patient's, each (type, id) once."""
    resources: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for key, value in values.items():
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
    return resources


def unmapped_lines(mapped: MappingResult) -> tuple[str, ...]:
    """One line per unread input that bears on a criterion (type and id, what it bears on, why)."""
    return tuple(
        f"{item.resource_type}{'/' + item.resource_id if item.resource_id else ''} "
        f"({item.bears_on}): {item.reason}"
        for item in mapped.relevant_ignored
    )


def fetch_failure_card(ruleset_ref: str, reason: str) -> dict[str, Any]:
    """The one card when the patient's data could not be fetched: say so, assess nothing."""
    return {
        "uuid": str(uuid.uuid4()),
        "summary": "LSS assessment not run: the patient's data could not be fetched from the EHR",
        "indicator": "warning",
        "source": {"label": f"lss-pathway (rule set {ruleset_ref})"},
        "detail": f"The EHR's FHIR server did not provide the Patient resource: {reason}. "
        "No assessment was made; try again, or open the clinic app.",
    }


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


@router.get("/cds-services", tags=["CDS Hooks"])
def discovery() -> dict[str, Any]:
    """CDS Hooks discovery: the services, their hooks and prefetch templates."""
    return {"services": [s.discovery() for s in SERVICES.values()]}


@router.post(
    "/cds-services/{service_id}",
    dependencies=[Depends(require_ehr_jwt)],
    response_model=None,
    responses=ERROR_RESPONSES,
)
def call_service(service_id: ServiceIdPath, body: HookRequest, request: Request) -> Response:
    """Run one service on the prefetched (or fetched) FHIR data; cards come back in the CDS Hooks shape.

    A plain ``def``: FastAPI runs it in its thread pool, so validation, mapping and assessment never hold
    the event loop.
    """
    service = _service(service_id)
    if body.hook != service.hook:
        raise _refuse(422, "hook", f"this service answers '{service.hook}'")
    patient_id = body.context.get("patientId")
    if not isinstance(patient_id, str) or not patient_id:
        raise _refuse(422, "context.patientId", "required")
    user_id = body.context.get("userId")
    if not isinstance(user_id, str) or not user_id:
        raise _refuse(422, "context.userId", "required (CDS Hooks 2.0, every hook)")
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
    data, values = _prefetched(body, patient_id)
    settings: ServiceSettings = request.app.state.settings
    extension["unavailablePrefetch"] = data.unavailable
    extension["failedPrefetch"] = data.failed
    if data.patient_failure is not None:
        card = fetch_failure_card(rules.ref, data.patient_failure)
        _remember(request, service.id, [card])
        return json_response({"cards": [card], "extension": {EXTENSION: extension}}, headers=headers)

    cache = _prefetch_cache(request)
    key = prefetch_key(values, patient_id, on_date, rules.ref)
    prepared = cache.get(key) if key is not None else None
    if prepared is None:
        from lss_pathway.fhir.mapping import record_from_resources

        mapped = record_from_resources(data.resources, assessment_date=on_date)
        items = [(f"resources[{i}]", resource, None) for i, resource in enumerate(data.resources)]
        mapped, reading = with_reports(mapped, items)
        prepared = Prepared(mapped, reading)
    mapped, reading = prepared.mapped, prepared.reading
    extension["reportReading"] = reading.to_dict()
    extension["ignoredInput"] = [item.to_dict() for item in mapped.ignored]
    extension["unmappedRelevantInput"] = [item.to_dict() for item in mapped.relevant_ignored]
    if service.hook == "patient-view" and not points_to_lss(mapped):
        if key is not None:
            cache.put(key, prepared)
        log.info("CDS Hooks %s: nothing points to LSS, no card", service.id)
        return json_response({"cards": [], "extension": {EXTENSION: extension}}, headers=headers)
    assessment = prepared.assessment
    if assessment is None:
        assessment = assess(mapped.record, rules, today=dt.date.today())
        prepared = Prepared(mapped, reading, assessment)
    if key is not None:
        cache.put(key, prepared)
    ctx = CardContext(
        rules.ref,
        settings.report_url,
        tuple(data.unavailable),
        unmapped_lines(mapped),
        tuple(data.failed),
        tuple(reading.card_lines()),
    )
    if service.hook == "patient-view":
        cards = patient_view_cards(assessment, ctx)
    else:
        cards = order_cards(assessment, targets, ctx, service.hook)
    _remember(request, service.id, cards)
    log.info("CDS Hooks %s: %d card(s)", service.id, len(cards))
    return json_response({"cards": cards, "extension": {EXTENSION: extension}}, headers=headers)


_CACHE_LOCK = threading.Lock()


def _prefetch_cache(request: Request) -> PrefetchCache:
    """One cache per app (tests build several), sized by the settings."""
    with _CACHE_LOCK:
        cache: PrefetchCache | None = getattr(request.app.state, "prefetch_cache", None)
        if cache is None:
            settings: ServiceSettings = request.app.state.settings
            cache = PrefetchCache(settings.prefetch_cache_entries)
            request.app.state.prefetch_cache = cache
        return cache


def points_to_lss(mapped: MappingResult) -> bool:
    """Anything in the chart that makes an LSS assessment worth showing on patient-view.

    Leg symptoms or claudication features, imaging of a lumbar level, a red flag, a prior spine
    procedure, or a recognised LSS / claudication / post-laminectomy diagnosis code.
    """
    r = mapped.record
    symptoms = r.symptoms
    if any(
        v is True
        for v in (
            symptoms.leg_symptoms,
            symptoms.provoked_by_walking,
            symptoms.provoked_by_standing,
            symptoms.relieved_by_sitting,
            symptoms.relieved_by_flexion,
            symptoms.walking_motor_sensory_disturbance,
        )
    ):
        return True
    if r.imaging.levels or r.imaging.modality is not None or r.prior_procedures:
        return True
    flags = r.red_flags
    if any(
        getattr(flags, name) is True
        for name in type(flags).model_fields
        if isinstance(getattr(flags, name), bool)
    ):
        return True
    return any(
        item.bears_on in ("diagnosis", "prior spine procedures", "red flags") for item in mapped.ignored
    )


_FEEDBACK_LOCK = threading.Lock()
_OVERRIDE_CODES = frozenset(code for code, _ in OVERRIDE_REASONS)


@router.post(
    "/cds-services/{service_id}/feedback",
    dependencies=[Depends(require_ehr_jwt)],
    responses={k: v for k, v in ERROR_RESPONSES.items() if k != 412},
)
def feedback(service_id: ServiceIdPath, body: Feedback, request: Request) -> dict[str, Any]:
    """Card outcomes from the EHR (CDS Hooks 2.0 feedback), checked against the cards this service issued.

    Only counts per service, outcome and override reason are kept.
    """
    service = _service(service_id)
    state = service_state(request)
    errors = []
    for i, item in enumerate(body.feedback):
        issued = state.card(item.card)
        if issued is None or issued[0] != service.id:
            errors.append(FieldError(f"feedback[{i}].card", "not a card this service issued"))
            continue
        for j, accepted in enumerate(item.acceptedSuggestions or []):
            if accepted.id not in issued[1]:
                errors.append(
                    FieldError(f"feedback[{i}].acceptedSuggestions[{j}].id", "not a suggestion of this card")
                )
    if errors:
        raise InputError(errors)
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


def _remember(request: Request, service_id: str, cards: list[dict[str, Any]]) -> None:
    """Keep the issued cards' uuids (and their suggestions'), so that feedback can be checked."""
    service_state(request).remember_cards(
        service_id,
        [(card["uuid"], tuple(s["uuid"] for s in card.get("suggestions", []))) for card in cards],
    )
