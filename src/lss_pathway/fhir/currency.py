"""Whether an "active" infection Condition is still current, judged from the dates the resource carries.

A problem list keeps an acute diagnosis active for decades when nobody closes it; read as present it blocks
the patient on an infection long over, read as absent it would hide one. So an infection Condition whose
latest date (onset, onset period end, recorded date) is older than the window before the assessment is
neither: the reader leaves the fact unknown and asks the clinician to confirm (``data/currency.yaml``, an
unverified project choice). A Condition with no usable date is read as current, the cautious side. The
Encounter a Condition points to is not read by the mapping (nor fetched by the CDS prefetch), so only the
Condition's own dates count: re-recording it keeps it current.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from lss_pathway.domain.packaged import packaged_yaml

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def infection_current_days() -> int:
    """The window, in days, from ``data/currency.yaml``."""
    entry = packaged_yaml("lss_pathway.fhir", "data/currency.yaml")["infection_current_days"]
    return int(entry["value"])


def infection_fields() -> frozenset[str]:
    """The record facts the window applies to."""
    entry = packaged_yaml("lss_pathway.fhir", "data/currency.yaml")["infection_current_days"]
    return frozenset(entry["applies_to"])


def _latest_in(value: Any) -> dt.date | None:
    """The latest day a FHIR date(Time) can mean: a partial date ("1971", "1971-09") counts as its end."""
    match = _DATE.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    year, month, day = int(match[1]), match[2], match[3]
    try:
        if month is None:
            return dt.date(year, 12, 31)
        if day is None:
            following = dt.date(year + int(month) // 12, int(month) % 12 + 1, 1)
            return following - dt.timedelta(days=1)
        return dt.date(year, int(month), int(day))
    except ValueError:
        return None


def latest_date(condition: Mapping[str, Any]) -> dt.date | None:
    """The most recent date the Condition states about itself (onset, onset period, recorded date)."""
    period = condition.get("onsetPeriod")
    period = period if isinstance(period, Mapping) else {}
    values = (
        condition.get("onsetDateTime"),
        period.get("start"),
        period.get("end"),
        condition.get("recordedDate"),
    )
    dates = [d for d in map(_latest_in, values) if d is not None]
    return max(dates) if dates else None


def stale_since(condition: Mapping[str, Any], on: dt.date, days: int) -> dt.date | None:
    """The Condition's latest date when it is older than ``days`` before ``on`` (else None: current)."""
    latest = latest_date(condition)
    if latest is None or (on - latest).days <= days:
        return None
    return latest
