"""Who the tool is for: adults, alive. Every path (CLI, REST, FHIR, CDS Hooks) refuses a record outside it.

``age_years`` below 18 is already refused by the record model; a birth date is only turned into an age
against the assessment date, so that check lives here and the edges call it on every record they read.
"""

from __future__ import annotations

import datetime as dt

from lss_pathway.domain.parsing import FieldError, InputError
from lss_pathway.domain.record import PatientRecord

MIN_AGE_YEARS = 18


def scope_errors(record: PatientRecord, today: dt.date | None = None) -> list[FieldError]:
    """``today``: the edge's date, the as-of date of a record without an assessment date."""
    on = record.assessment_date or today
    age = record.age(on)
    if on is None or age is None or age >= MIN_AGE_YEARS or record.patient.age_years is not None:
        return []
    return [
        FieldError(
            "patient.birth_date",
            f"outside the tool's scope: the birth date gives age {age} on "
            f"{on.isoformat()}; the tool is for adults ({MIN_AGE_YEARS} or over)",
        )
    ]


def check_scope(record: PatientRecord, today: dt.date | None = None) -> PatientRecord:
    """``record`` itself, or ``InputError`` when it is outside the tool's scope."""
    errors = scope_errors(record, today)
    if errors:
        raise InputError(errors)
    return record
