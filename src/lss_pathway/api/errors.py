"""Turn input errors into 422 responses that name the field and the reason, never a 500."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from lss_pathway.api.refusals import log_refusal
from lss_pathway.domain.parsing import FieldError, InputError


class ProblemItem(BaseModel):
    field: str = Field(description="Where: a dotted path into the input ('' for the whole request)")
    message: str = Field(description="Why it was refused")


class Problem(BaseModel):
    """Every refusal (400, 401, 404, 412, 413, 422) has this body."""

    detail: list[ProblemItem]


def _documented(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _documented("The body is not JSON"),
    401: _documented("Missing or refused EHR token (CDS Hooks JWT)"),
    404: _documented("No such service or rule set"),
    412: _documented("Required prefetch (the patient) missing and not fetchable"),
    413: _documented("Body larger than the limit; the message names the option that raises it"),
    422: _documented("Invalid input: the field and the reason"),
}


def problem(errors: list[FieldError], status: int = 422) -> JSONResponse:
    body: dict[str, Any] = {
        "detail": [{"field": e.field, "message": e.message} for e in errors],
    }
    return JSONResponse(body, status_code=status)


def _refused(request: Request, errors: list[FieldError], status: int = 422) -> JSONResponse:
    log_refusal(request.scope, status, ({"field": e.field, "message": e.message} for e in errors))
    return problem(errors, status)


async def input_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputError)
    return _refused(request, exc.errors)


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldError(".".join(str(p) for p in e.get("loc", ()) if p != "body"), str(e.get("msg", "invalid")))
        for e in exc.errors()
    ]
    return _refused(request, errors)


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Starlette/FastAPI refusals (e.g. 400 "error parsing the body") in the same shape as the others."""
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail
    if isinstance(detail, list):
        body: dict[str, Any] = {"detail": detail}
    else:
        body = {"detail": [{"field": "", "message": str(detail)}]}
    log_refusal(request.scope, exc.status_code, body["detail"])
    return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))
