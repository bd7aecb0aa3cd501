"""``POST /v1/extract``: report text in, imaging section with evidence and notes out."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from lss_pathway.nlp import extract
from lss_pathway.nlp.schema import Extraction

router = APIRouter(tags=["report reading"])


class ExtractRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=200_000, description="The radiology report, plain text")
    report_id: str | None = Field(None, max_length=64, description="Local report reference; never logged")


@router.post("/v1/extract", response_model=Extraction, response_model_exclude_none=True)
def extract_report(request: ExtractRequest) -> Extraction:
    """Read a lumbar MRI / CT / CT-myelogram report: each fact comes with its sentence, span and rule id."""
    return extract(request.text, request.report_id)
