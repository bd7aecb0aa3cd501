"""Checks shared by single writes and bulk import, so both refuse the same input with the same message."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from lss_pathway.clinical.instruments.base import ScoreResult
from lss_pathway.clinical.instruments.responders import INSTRUMENT_IDS, score
from lss_pathway.clinical.outcomes.data import BASELINE
from lss_pathway.domain.parsing import InputError
from lss_pathway.registry.errors import InvalidInput
from lss_pathway.registry.models import LEVELS, PROCEDURE_KINDS, SEVERITIES, SIDES, SOURCES


def choice(value: Any, allowed: Sequence[str], field: str) -> str:
    if value not in allowed:
        raise InvalidInput(f"'{value}' is not allowed; use one of {', '.join(allowed)}", field)
    return str(value)


STUDY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")


def check_study_id(value: Any) -> str:
    """A given study id (import from another registry): letters, digits and '-', at most 32 characters.

    It must be a pseudonym; an MRN or other identifier belongs in the link table instead.
    """
    if not isinstance(value, str) or not STUDY_ID.match(value):
        raise InvalidInput(f"must be 1-32 letters, digits or '-' (got {value!r})", "study_id")
    return value


def check_subject(age: Any, sex: Any) -> None:
    if age is not None and (not isinstance(age, int) or isinstance(age, bool) or not 0 <= age <= 130):
        raise InvalidInput(f"must be a whole number of years 0-130 (got {age!r})", "age")
    if sex is not None:
        choice(sex, ("female", "male", "other"), "sex")


def check_procedure(kind: str, levels: Sequence[tuple[str, str]], severities: Sequence[str]) -> None:
    choice(kind, PROCEDURE_KINDS, "kind")
    if not levels:
        raise InvalidInput("at least one level and side treated is required", "levels")
    for i, (level, side) in enumerate(levels):
        choice(level, LEVELS, f"levels[{i}].level")
        choice(side, SIDES, f"levels[{i}].side")
    if len(set(levels)) != len(levels):
        raise InvalidInput("a level and side is listed twice", "levels")
    for i, severity in enumerate(severities):
        choice(severity, SEVERITIES, f"complications[{i}].severity")


def score_responses(responses: Mapping[str, Any], source: str) -> dict[str, ScoreResult]:
    """Score every questionnaire with the core's scorers; the first problem becomes a field error."""
    choice(source, SOURCES, "source")
    if not isinstance(responses, Mapping) or not responses:
        raise InvalidInput("at least one questionnaire is required", "responses")
    scored = {}
    for instrument, answers in responses.items():
        choice(instrument, INSTRUMENT_IDS, f"responses.{instrument}")
        try:
            scored[instrument] = score(instrument, answers)
        except InputError as exc:
            raise InvalidInput(str(exc), f"responses.{instrument}.{exc.errors[0].field}") from exc
    return scored


def check_follow_up_date(time_point: str, collected_on: dt.date, index_on: dt.date | None) -> int | None:
    """Days from the index procedure; a baseline must not follow it, a follow-up must not precede it."""
    if time_point == BASELINE:
        if index_on is not None and collected_on > index_on:
            raise InvalidInput(f"a baseline must be on or before the procedure ({index_on})", "collected_on")
    elif index_on is None:
        raise InvalidInput("no index procedure is recorded for this subject yet", "time_point")
    elif collected_on < index_on:
        raise InvalidInput(f"a follow-up cannot be before the procedure date ({index_on})", "collected_on")
    return None if index_on is None else (collected_on - index_on).days


def parse_date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidInput(f"must be a date YYYY-MM-DD (got {value!r})", field) from exc


def parse_level_side(value: Any, field: str) -> tuple[str, str]:
    """``"L4-L5 left"`` (or ``L4-L5:left``) into a (level, side) pair."""
    parts = str(value).replace(":", " ").split()
    if len(parts) != 2:
        raise InvalidInput(f"must be a level and a side, e.g. 'L4-L5 left' (got {value!r})", field)
    return parts[0], parts[1]
