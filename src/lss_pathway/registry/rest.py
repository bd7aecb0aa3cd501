"""REST endpoints under ``/v1/registry``; every one needs a bearer token (read, write or admin role).

A missing or unknown token is a 401, a token without the role a 403; neither response carries data. The
database is the one named by ``LSS_REGISTRY_DB`` (or the default SQLite file) unless the application sets
``app.state.registry_engine``. Database libraries load on the first registry request, so the service runs
without the ``registry`` extra (these endpoints then answer 503).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, HTTPException, Query, Request
from pydantic import BaseModel, Field


class RegistryProblemItem(BaseModel):
    field: str = Field(description="Where: a dotted path into the input ('' for the whole request)")
    message: str = Field(description="Why it was refused")


class RegistryProblem(BaseModel):
    """Every refusal has this body (the service's shape; the registry edge does not import the api edge)."""

    detail: list[RegistryProblemItem]


def _refusal(description: str) -> dict[str, Any]:
    return {"model": RegistryProblem, "description": description}


router = APIRouter(
    prefix="/v1/registry",
    tags=["registry"],
    responses={
        401: _refusal("No bearer token, or an unknown or revoked one"),
        403: _refusal("The token's role may not do this"),
        404: _refusal("No such subject, procedure or time point"),
        409: _refusal("A conflicting record exists (e.g. a follow-up for that time point)"),
        422: _refusal("Invalid input: the field and the reason"),
        503: _refusal("The registry database is not initialised"),
    },
)

READ = ("read", "write", "admin")
WRITE = ("write", "admin")
ADMIN = ("admin",)


def _http_error(
    status: int, field: str, message: str, headers: dict[str, str] | None = None
) -> HTTPException:
    """The same body shape as the rest of the API: ``{"detail": [{"field", "message"}]}``."""
    return HTTPException(status, detail=[{"field": field, "message": message}], headers=headers)


def registry_engine(request: Request) -> Any:
    """The registry's engine; 503 when the extra is missing or the database has not been initialised."""
    state = request.app.state
    engine = getattr(state, "registry_engine", None)
    if engine is None:
        try:
            from lss_pathway.registry.db import make_engine
        except ImportError as exc:
            raise _http_error(503, "", "the registry extra is not installed on this server") from exc
        engine = make_engine()
        state.registry_engine = engine
    if not getattr(state, "registry_ready", False):
        from lss_pathway.registry.db import is_initialised

        if not is_initialised(engine):
            raise _http_error(503, "", "the registry database is not initialised (run `lss registry init`)")
        state.registry_ready = True
    return engine


class Caller(BaseModel):
    name: str
    role: str


def _caller(roles: tuple[str, ...]) -> Any:
    """A dependency admitting only tokens whose role is in ``roles``."""

    def check(request: Request, authorization: Annotated[str | None, Header()] = None) -> Caller:
        from lss_pathway.registry.tokens import credential

        challenge = {"WWW-Authenticate": 'Bearer realm="lss-registry"'}
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise _http_error(401, "authorization", "a bearer token is required", challenge)
        found = credential(registry_engine(request), token.strip())
        if found is None:
            raise _http_error(401, "authorization", "unknown or revoked token", challenge)
        if found[1] not in roles:
            raise _http_error(403, "authorization", f"role '{found[1]}' may not do this")
        return Caller(name=found[0], role=found[1])

    return check


Reader = Annotated[Caller, Depends(_caller(READ))]
Writer = Annotated[Caller, Depends(_caller(WRITE))]
Admin = Annotated[Caller, Depends(_caller(ADMIN))]


def _registry(request: Request) -> Any:
    from lss_pathway.registry.store import Registry

    return Registry(registry_engine(request))


def _call(action: Any) -> Any:
    from lss_pathway.registry.errors import RegistryError

    try:
        return action()
    except RegistryError as exc:
        raise _http_error(exc.status, exc.field, exc.message) from exc


class Coded(BaseModel):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")
    severity: str = "minor"


class Link(BaseModel):
    system: str = Field(min_length=1, max_length=100)
    identifier: str = Field(min_length=1, max_length=100)


class Enrolment(BaseModel):
    age: int | None = None
    sex: str | None = None
    schedule: str = "lss-default"
    link: Link | None = None
    reason: str = "entered via API"


class ProcedureIn(BaseModel):
    date: dt.date
    levels: list[str] = Field(min_length=1, examples=[["L4-L5 left", "L4-L5 right"]])
    kind: str = "mild"
    operator: str | None = None
    complications: list[Coded] = []
    reason: str = "entered via API"


class FollowUpIn(BaseModel):
    time_point: str
    date: dt.date
    source: str = "patient"
    responses: dict[str, dict[str, Any]] = Field(examples=[{"nprs": {"nprs": 4}}])
    adverse_events: list[Coded] = []
    reason: str = "entered via API"


@router.post("/subjects", status_code=201)
def enrol(body: Enrolment, request: Request, caller: Writer) -> dict[str, str]:
    link = None if body.link is None else (body.link.system, body.link.identifier)
    reg = _registry(request)
    study_id = _call(
        lambda: reg.enrol(
            actor=caller.name,
            reason=body.reason,
            schedule_id=body.schedule,
            age=body.age,
            sex=body.sex,
            link=link,
        )
    )
    return {"study_id": study_id}


@router.post("/subjects/{study_id}/procedures", status_code=201)
def add_procedure(study_id: str, body: ProcedureIn, request: Request, caller: Writer) -> dict[str, Any]:
    from lss_pathway.registry.store import Complaint
    from lss_pathway.registry.validate import parse_level_side

    reg = _registry(request)
    pk = _call(
        lambda: reg.add_procedure(
            study_id,
            actor=caller.name,
            reason=body.reason,
            performed_on=body.date,
            kind=body.kind,
            operator=body.operator,
            levels=[parse_level_side(v, f"levels[{i}]") for i, v in enumerate(body.levels)],
            complications=[Complaint(c.code, c.severity) for c in body.complications],
        )
    )
    return {"procedure": pk}


def _follow_up_out(result: Any) -> dict[str, Any]:
    return {
        "time_point": result.time_point,
        "day": result.day,
        "in_window": result.in_window,
        "scores": result.scores,
    }


@router.post("/subjects/{study_id}/follow-ups", status_code=201)
def add_follow_up(study_id: str, body: FollowUpIn, request: Request, caller: Writer) -> dict[str, Any]:
    from lss_pathway.registry.store import Complaint

    reg = _registry(request)
    result = _call(
        lambda: reg.add_follow_up(
            study_id,
            body.time_point,
            actor=caller.name,
            reason=body.reason,
            collected_on=body.date,
            responses=body.responses,
            source=body.source,
            adverse_events=[Complaint(c.code, c.severity) for c in body.adverse_events],
        )
    )
    return _follow_up_out(result)


@router.get("/subjects/{study_id}")
def subject(study_id: str, request: Request, caller: Reader) -> dict[str, Any]:
    """One subject's timeline with day offsets; no identifiers, no dates."""
    from lss_pathway.registry.errors import NotFound
    from lss_pathway.registry.export import deidentified_tables

    def timeline() -> dict[str, Any]:
        tables = deidentified_tables(registry_engine(request), study_id)
        if not tables["subjects"]:
            raise NotFound(f"no subject with study id '{study_id}'", "study_id")
        return {"subject": tables["subjects"][0], **{k: v for k, v in tables.items() if k != "subjects"}}

    found: dict[str, Any] = _call(timeline)
    return found


@router.get("/subjects/{study_id}/fhir")
def subject_fhir(study_id: str, request: Request, caller: Reader) -> dict[str, Any]:
    """The subject as a FHIR R4 collection Bundle (Procedure, QuestionnaireResponse, Observation)."""
    from lss_pathway.registry.fhir_io import subject_bundle

    bundle: dict[str, Any] = _call(lambda: subject_bundle(registry_engine(request), study_id))
    return bundle


@router.post("/subjects/{study_id}/follow-ups/fhir", status_code=201)
def add_follow_up_fhir(
    study_id: str, bundle: Annotated[dict[str, Any], Body()], request: Request, caller: Writer
) -> dict[str, Any]:
    """One time point's QuestionnaireResponses (a Bundle) scored and stored like any follow-up."""
    from lss_pathway.registry.fhir_io import follow_up_from_bundle

    reg = _registry(request)

    def store() -> Any:
        time_point, collected_on, source, responses = follow_up_from_bundle(bundle)
        return reg.add_follow_up(
            study_id,
            time_point,
            actor=caller.name,
            reason="FHIR import",
            collected_on=collected_on,
            responses=responses,
            source=source,
        )

    result = _call(store)
    return _follow_up_out(result)


@router.get("/report")
def report(
    request: Request,
    caller: Reader,
    as_of: dt.date | None = None,
    floor: Annotated[int | None, Query(ge=1)] = None,
    schedule: str = "lss-default",
) -> dict[str, Any]:
    from lss_pathway.registry.report import cohort_report

    try:
        data: dict[str, Any] = cohort_report(
            registry_engine(request), as_of or dt.date.today(), schedule_id=schedule, floor=floor
        )
    except KeyError as exc:
        raise _http_error(404, "schedule", str(exc.args[0])) from exc
    return data


@router.get("/audit")
def audit(request: Request, caller: Admin, key: str | None = None) -> list[dict[str, Any]]:
    trail: list[dict[str, Any]] = _registry(request).audit_trail(key)
    return trail
