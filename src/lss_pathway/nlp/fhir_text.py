"""The report text inside a FHIR R4 DiagnosticReport or DocumentReference (plain JSON, no FHIR library).

A DiagnosticReport carries the report as ``presentedForm`` attachments (and a short ``conclusion``); a
DocumentReference as ``content[].attachment``. Only plain-text attachments with inline ``data`` are read;
anything else (a PDF, a URL to fetch) is reported as skipped, never guessed at. Wiring this into the FHIR
assessment endpoint and the CDS Hooks services belongs to those edges.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lss_pathway.nlp import extract
from lss_pathway.nlp.schema import Extraction

READABLE = ("DiagnosticReport", "DocumentReference")


@dataclass(frozen=True)
class ReportText:
    text: str
    source: str  # e.g. "DiagnosticReport/abc presentedForm[0]"


@dataclass(frozen=True)
class FhirReading:
    texts: tuple[ReportText, ...]
    skipped: tuple[str, ...]


def report_texts(resource: Mapping[str, Any]) -> FhirReading:
    kind = resource.get("resourceType")
    if kind not in READABLE:
        raise ValueError(f"resourceType {kind!r}: expected one of {', '.join(READABLE)}")
    name = f"{kind}/{resource.get('id', '?')}"
    if kind == "DiagnosticReport":
        attachments = [
            (f"{name} presentedForm[{i}]", a) for i, a in enumerate(resource.get("presentedForm") or [])
        ]
    else:
        attachments = [
            (f"{name} content[{i}].attachment", c.get("attachment") or {})
            for i, c in enumerate(resource.get("content") or [])
        ]
    texts: list[ReportText] = []
    skipped: list[str] = []
    for source, attachment in attachments:
        content_type = str(attachment.get("contentType") or "text/plain").split(";")[0].strip().lower()
        if content_type != "text/plain":
            skipped.append(f"{source}: content type {content_type} is not plain text")
            continue
        if "data" not in attachment:
            skipped.append(f"{source}: no inline data (a URL is not fetched)")
            continue
        try:
            texts.append(
                ReportText(base64.b64decode(attachment["data"], validate=True).decode("utf-8"), source)
            )
        except (binascii.Error, UnicodeDecodeError, ValueError):
            skipped.append(f"{source}: data is not base64-encoded UTF-8 text")
    if not texts and kind == "DiagnosticReport" and resource.get("conclusion"):
        texts.append(ReportText(f"IMPRESSION: {resource['conclusion']}", f"{name} conclusion"))
    return FhirReading(tuple(texts), tuple(skipped))


def extract_fhir(resource: Mapping[str, Any]) -> tuple[Extraction | None, FhirReading]:
    """Read the first plain-text report of the resource (None when it has none), and what was skipped."""
    reading = report_texts(resource)
    if not reading.texts:
        return None, reading
    first = reading.texts[0]
    return extract(first.text, first.source), reading
