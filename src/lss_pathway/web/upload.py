"""Load a patient file (JSON/YAML) or a FHIR Bundle from the clinician's computer into the form.

The file fills the form rather than going straight to a result: a file exported from elsewhere is rarely
complete (the visit adds symptoms and examination), and the clinician checks what was read before any
verdict, as with "load an example" and "paste the MRI report". Nothing is kept: the file is read from the
request and dropped with it.

Reading is the composition root's (``lss_pathway.server``): it validates exactly as the API does (the same
type checks, nesting limit, record model, scope check and FHIR mapping, so the same errors), which this
edge cannot import. This module holds the shape of what a reader returns and what the form makes of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lss_pathway.domain.parsing import InputError, record_from_data
from lss_pathway.domain.record import PatientRecord
from lss_pathway.web.form import FormValues, form_to_data, record_to_form

FILE_FIELD = "patient_file"
"""The file input's name (multipart)."""


@dataclass(frozen=True)
class Loaded:
    """A file read into a record, with what the reader could not use (shown, never dropped silently)."""

    record: PatientRecord
    kind: str
    """What the file was: "patient file" or "FHIR Bundle"."""
    not_used: list[str] = field(default_factory=list)
    """Inputs read but not used; those bearing on a criterion first."""


FileReader = Callable[[bytes, str], Loaded]
"""Reads an uploaded file's bytes (with its name, for the format) into a record; raises ``InputError``."""


@dataclass
class LoadedForm:
    values: FormValues
    kind: str
    not_used: list[str]
    not_shown: list[str]
    """Parts of the record the form has no field for: the file says more than the form can carry."""


def to_form(loaded: Loaded, today: dt.date) -> LoadedForm:
    """The form values for a loaded record, and what the form could not hold.

    The form is re-read exactly as a submission would be; any part of the record that does not come back
    is listed, so that a file with more than the form shows (an unusual value, a reading the form has no
    field for) is never assessed from the form as if that part were absent.
    """
    values = record_to_form(loaded.record)
    try:
        again: dict[str, Any] = record_from_data(form_to_data(values), today=today).model_dump(mode="json")
    except InputError as exc:
        return LoadedForm(values, loaded.kind, loaded.not_used, [str(e) for e in exc.errors])
    lost = _differences(loaded.record.model_dump(mode="json"), again)
    return LoadedForm(values, loaded.kind, loaded.not_used, lost)


def _differences(before: Any, after: Any, path: str = "") -> list[str]:
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        found: list[str] = []
        for key in sorted(set(before) | set(after), key=str):
            found += _differences(before.get(key), after.get(key), f"{path}.{key}" if path else str(key))
        return found
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        found = []
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            found += _differences(b, a, f"{path}[{i}]")
        return found
    return [] if before == after else [path or "record"]
