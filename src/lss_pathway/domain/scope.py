"""Who the tool is for: adults, alive. Every path (CLI, REST, FHIR, CDS Hooks) refuses a record outside it.

``age_years`` below 18 is already refused by the record model; a birth date is only turned into an age
against the assessment date, so that check lives here and the edges call it on every record they read.
"""

from __future__ import annotations

from lss_pathway.domain.parsing import FieldError, InputError
from lss_pathway.domain.record import PatientRecord

MIN_AGE_YEARS = 18


def scope_errors(record: PatientRecord) -> list[FieldError]:
    age = record.age()
    if age is not None and age < MIN_AGE_YEARS and record.patient.age_years is None:
        return [
            FieldError(
                "patient.birth_date",
                f"outside the tool's scope: the birth date gives age {age} on "
                f"{record.on_date().isoformat()}; the tool is for adults ({MIN_AGE_YEARS} or over)",
            )
        ]
    return []


def check_scope(record: PatientRecord) -> PatientRecord:
    """``record`` itself, or ``InputError`` when it is outside the tool's scope."""
    errors = scope_errors(record)
    if errors:
        raise InputError(errors)
    return record
