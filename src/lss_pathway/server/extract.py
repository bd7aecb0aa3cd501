"""``POST /v1/extract``: report text in, imaging section with evidence and notes out (the nlp edge)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from lss_pathway.api.errors import ERROR_RESPONSES
from lss_pathway.nlp import extract
from lss_pathway.nlp.schema import Extraction

router = APIRouter(tags=["report reading"])


class ExtractRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # No character limit in the schema: the service's body limit bounds it, and a JSON Schema maxLength
    # counts a surrogate pair differently from Python, which made the documented contract untrue.
    text: str = Field(description="The radiology report, plain text (the request body limit applies)")
    report_id: str | None = Field(None, max_length=64, description="Local report reference; never logged")


@router.post(
    "/v1/extract",
    response_model=Extraction,
    response_model_exclude_none=True,
    responses={code: ERROR_RESPONSES[code] for code in (400, 413, 422)},
)
def extract_report(request: ExtractRequest) -> Extraction:
    """Read a lumbar MRI / CT / CT-myelogram report: each fact comes with its sentence, span and rule id."""
    return extract(request.text, request.report_id)
