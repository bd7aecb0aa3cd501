"""Turn input errors into 422 responses that name the field and the reason, never a 500."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from lss_pathway.domain.parsing import FieldError, InputError


def problem(errors: list[FieldError], status: int = 422) -> JSONResponse:
    body: dict[str, Any] = {
        "detail": [{"field": e.field, "message": e.message} for e in errors],
    }
    return JSONResponse(body, status_code=status)


async def input_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputError)
    return problem(exc.errors)


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldError(".".join(str(p) for p in e.get("loc", ()) if p != "body"), str(e.get("msg", "invalid")))
        for e in exc.errors()
    ]
    return problem(errors)
