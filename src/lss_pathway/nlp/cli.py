"""``lss extract REPORT``: read a radiology report and print the imaging section with its evidence."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(help="Read a lumbar MRI / CT report into imaging facts with evidence.")


class ExtractFormat(StrEnum):
    json = "json"
    yaml = "yaml"


def _fhir_document(text: str, report: Path) -> dict[str, Any] | None:
    from lss_pathway.nlp.fhir_text import extract_fhir

    try:
        resource = json.loads(text)
        extraction, reading = extract_fhir(resource)
    except (ValueError, AttributeError) as exc:
        typer.echo(f"error: {report}: not a FHIR DiagnosticReport or DocumentReference ({exc})", err=True)
        raise typer.Exit(2) from None
    for reason in reading.skipped:
        typer.echo(f"skipped {reason}", err=True)
    if extraction is None:
        typer.echo(f"error: {report}: the resource holds no plain-text report", err=True)
        raise typer.Exit(2)
    return extraction.model_dump(mode="json", exclude_none=True)


def extraction_document(text: str, report_id: str | None) -> dict[str, Any]:
    from lss_pathway.nlp import extract

    return extract(text, report_id).model_dump(mode="json", exclude_none=True)


@app.command("extract")
def extract_command(
    report: Annotated[Path, typer.Argument(help="Report text file (UTF-8)")],
    fmt: Annotated[ExtractFormat, typer.Option("--format", "-f", help="Output format.")] = ExtractFormat.json,
) -> None:
    """Print the imaging section read from REPORT, every fact with its sentence, span and rule id.

    REPORT is plain text, or a FHIR DiagnosticReport / DocumentReference (.json) with a text attachment."""
    try:
        text = report.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"error: {report}: cannot be read as UTF-8 text ({type(exc).__name__})", err=True)
        raise typer.Exit(2) from None
    document = _fhir_document(text, report) if report.suffix.lower() == ".json" else None
    document = document or extraction_document(text, report.name)
    if fmt is ExtractFormat.yaml:
        import yaml

        sys.stdout.write(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    else:
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def merge_report(record: Any, text: str, report_id: str) -> tuple[Any, dict[str, Any], list[str]]:
    """For ``lss assess --report``: the merged record, a JSON summary and lines for the terminal."""
    from lss_pathway.nlp import extract
    from lss_pathway.nlp.merge import merge_extraction

    merged = merge_extraction(record, extract(text, report_id))
    summary = {
        "report_id": report_id,
        "filled_from_report": {e.path: e.model_dump(mode="json", exclude_none=True) for e in merged.filled},
        "conflicts": [c.model_dump(mode="json", exclude_none=True) for c in merged.conflicts],
        "agreed": merged.agreed,
    }
    lines = [
        f"{report_id}: {len(merged.filled)} imaging facts filled from the report"
        f" ({len(merged.agreed)} already in the record agree)"
    ]
    for conflict in merged.conflicts:
        lines.append(
            f"CONFLICT {conflict.path}: record says {conflict.record_value}, report says "
            f"{conflict.report_value} ('{conflict.evidence.span.sentence}'); the record's value is kept"
        )
    return merged.record, summary, lines
