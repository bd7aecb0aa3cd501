"""REST: assessments from a patient record or a FHIR Bundle, the rule sets, and health."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Annotated, Any, Literal, NamedTuple

from fastapi import APIRouter, Body, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from lss_pathway import __version__
from lss_pathway.api.errors import ERROR_RESPONSES
from lss_pathway.api.json_types import type_errors
from lss_pathway.api.responses import json_response
from lss_pathway.assess import assess
from lss_pathway.assessment_json import SchemaVersion, assessment_json
from lss_pathway.criteria.ruleset import RuleSet
from lss_pathway.domain.parsing import FieldError, InputError, parse_data, record_from_data
from lss_pathway.domain.record import PatientRecord
from lss_pathway.domain.scope import check_scope
from lss_pathway.rulesets.catalog import DEFAULT_RULESET, RuleSetError, available, load_ruleset
from lss_pathway.rulesets.render import render_markdown

router = APIRouter()
_ERRORS: dict[int | str, dict[str, Any]] = {code: ERROR_RESPONSES[code] for code in (400, 413, 422)}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {code: ERROR_RESPONSES[code] for code in (404, 422)}


def _ruleset_refs() -> list[str]:
    refs = [entry.ref for entry in available()]
    return sorted({*refs, *(ref.split("@")[0] for ref in refs)})


RulesetQuery = Annotated[
    str,
    Query(
        description="Rule set NAME or NAME@VERSION",
        pattern=r"^[a-z0-9.\-@]+$",
        json_schema_extra={"enum": _ruleset_refs()},
    ),
]
SchemaQuery = Annotated[
    int,
    Query(
        ge=1,
        le=2,
        description="JSON shape: 2 (each criterion's text once), or 1, the former shape, for one release",
    ),
]
ExplainQuery = Annotated[
    Literal["none", "full"],
    Query(description="Schema 2: 'full' adds each criterion's explanation tree (schema 1 always has them)"),
]
PretestQuery = Annotated[
    float | None, Query(gt=0, lt=1, description="Pre-test probability of LSS, for post-test estimates")
]


def _rules(ref: str) -> RuleSet:
    try:
        return load_ruleset(ref)
    except RuleSetError as exc:
        raise InputError([FieldError("ruleset", str(exc))]) from None


def _respond(request: Request, payload: dict[str, Any], ruleset_ref: str) -> Response:
    """Return the JSON as built: FastAPI's generic encoder would cost several times the assessment itself."""
    digest = request.scope.get("state", {}).get("input_digest")
    payload["input_digest"] = f"sha256:{digest}" if digest else None
    return json_response(payload, headers={"X-Ruleset": ruleset_ref})


@router.get("/health", tags=["service"])
async def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.post(
    "/v1/assessments",
    tags=["assessment"],
    response_model=None,
    responses=_ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PatientRecord"}}},
        }
    },
)
async def post_assessment(
    request: Request,
    ruleset: RulesetQuery = DEFAULT_RULESET,
    pretest: PretestQuery = None,
    schema: SchemaQuery = 2,
    explain: ExplainQuery = "none",
) -> Response:
    """Assess one patient record (the same JSON as the CLI); the same JSON out as `lss assess -f json`."""
    rules = _rules(ruleset)
    body = await request.body()
    shape = _shape(schema, explain)
    # The CPU work runs in the thread pool: the event loop keeps accepting and answering meanwhile.
    result = await run_in_threadpool(_assess_record_json, body, rules, pretest, shape)
    return _respond(request, result, rules.ref)


class Shape(NamedTuple):
    schema: SchemaVersion
    explain: bool

    @property
    def trees(self) -> bool:
        """Whether the answer shows explanation trees (schema 1 always does): else verdicts only."""
        return self.explain or self.schema == 1


def _shape(schema: int, explain: str) -> Shape:
    return Shape(1 if schema == 1 else 2, explain == "full")


def _assess_record_json(body: bytes, rules: RuleSet, pretest: float | None, shape: Shape) -> dict[str, Any]:
    data = parse_data(body.decode("utf-8", errors="replace"), "json")
    schema = _record_schema()
    errors = type_errors(data, schema, schema.get("$defs", {})) if isinstance(data, dict) else []
    if errors:
        raise InputError(errors)
    today = dt.date.today()  # the as-of date of a record without an assessment date
    record = check_scope(record_from_data(data, today=today), today)
    assessment = assess(record, rules, today=today, pretest=pretest, explain=shape.trees)
    return assessment_json(assessment, schema=shape.schema, explain=shape.explain)


@router.post("/v1/fhir/assessments", tags=["assessment"], response_model=None, responses=_ERRORS)
async def post_fhir_assessment(
    request: Request,
    bundle: Annotated[
        dict[str, Any], Body(description="A FHIR R4 Bundle (collection, searchset or transaction)")
    ],
    ruleset: RulesetQuery = DEFAULT_RULESET,
    pretest: PretestQuery = None,
    schema: SchemaQuery = 2,
    explain: ExplainQuery = "none",
) -> Response:
    """Assess a patient from a FHIR R4 Bundle; codes the mapping does not know are listed as ignored.

    A lumbar MR / CT report in the Bundle (DiagnosticReport or DocumentReference with plain text) is read:
    its facts are listed as report-derived (``report_reading``, and in the explanation when asked for), and
    disagreements with the coded data are conflicts."""
    rules = _rules(ruleset)
    result = await run_in_threadpool(_assess_bundle, bundle, rules, pretest, _shape(schema, explain))
    return _respond(request, result, rules.ref)


def _assess_bundle(
    bundle: dict[str, Any], rules: RuleSet, pretest: float | None, shape: Shape
) -> dict[str, Any]:
    from lss_pathway.api.report_reading import annotate_explanation, bundle_items, with_reports
    from lss_pathway.fhir.mapping import record_from_bundle

    mapped, reading = with_reports(record_from_bundle(bundle), bundle_items(bundle))
    assessment = assess(mapped.record, rules, today=dt.date.today(), pretest=pretest, explain=shape.trees)
    result = assessment_json(assessment, schema=shape.schema, explain=shape.explain)
    annotate_explanation(result, reading)
    result["ignored_input"] = [item.to_dict() for item in mapped.ignored]
    result["unmapped_relevant_input"] = [item.to_dict() for item in mapped.relevant_ignored]
    result["report_reading"] = reading.to_dict()
    return result


@router.get("/v1/rulesets", tags=["rule sets"])
def list_rulesets() -> list[dict[str, Any]]:
    out = []
    for entry in available():
        rules = load_ruleset(entry.ref)
        out.append(
            {
                "id": rules.id,
                "version": rules.version,
                "ref": rules.ref,
                "title": rules.title,
                "extends": rules.extends,
                "criteria": len(rules.criteria),
                "default": rules.id == DEFAULT_RULESET,
            }
        )
    return out


@router.get("/v1/rulesets/{ref}", tags=["rule sets"], responses=_NOT_FOUND)
def get_ruleset(ref: str, response: Response) -> dict[str, Any]:
    """The resolved rule set as data, plus its clinician-readable rendering (Markdown)."""
    try:
        rules = load_ruleset(ref)
    except RuleSetError as exc:
        raise HTTPException(status_code=404, detail=[{"field": "ref", "message": str(exc)}]) from None
    response.headers["X-Ruleset"] = rules.ref
    data: dict[str, Any] = rules.model_dump(mode="json")
    data["ref"] = rules.ref
    data["markdown"] = render_markdown(rules)
    return data


@cache
def _record_schema() -> dict[str, Any]:
    return patient_record_schema()


def patient_record_schema() -> dict[str, Any]:
    """The record's JSON Schema as the API accepts it: an explicit null is the same as leaving a key out
    (``Section._null_is_absent``), so every property of every section also allows null."""
    schema = PatientRecord.model_json_schema(ref_template="#/components/schemas/{model}")
    for model in [schema, *schema.get("$defs", {}).values()]:
        required = set(model.get("required", ()))
        for name, prop in model.get("properties", {}).items():
            if name not in required and not _allows_null(prop):
                model["properties"][name] = {"anyOf": [prop, {"type": "null"}], **_annotations(prop)}
    return schema


def _allows_null(prop: dict[str, Any]) -> bool:
    return prop.get("type") == "null" or any(o.get("type") == "null" for o in prop.get("anyOf", []))


def _annotations(prop: dict[str, Any]) -> dict[str, Any]:
    return {k: prop[k] for k in ("title", "description", "default") if k in prop}
