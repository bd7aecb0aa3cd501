"""Prefetch already validated, mapped and assessed, found again by the digest of its content.

An EHR sends the same chart again and again (each chart opening, each order); validating ~100 FHIR
resources is most of a patient-view call, so a worker keeps the last ``ServiceSettings.
prefetch_cache_entries`` results in a bounded LRU. The key is a SHA-256 over the prefetch values in a
canonical form (sorted keys), the patient in context, the assessment date (today when none is given, so
nothing is carried over midnight) and the rule set: any difference in content is a different key, so a
cached answer is only ever reused for exactly the same input. Only successful mappings are kept (a refused
prefetch is checked afresh every time). Memory only, one per worker process, never written anywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson

from lss_pathway.api.report_reading import ReportReading
from lss_pathway.assess import Assessment
from lss_pathway.fhir.results import MappingResult


@dataclass(frozen=True, slots=True)
class Prepared:
    """A validated, mapped prefetch (with what its radiology reports added); its assessment once needed."""

    mapped: MappingResult
    reading: ReportReading
    assessment: Assessment | None = None


def prefetch_key(
    values: dict[str, Any], patient_id: str, on_date: dt.date | None, ruleset_ref: str
) -> str | None:
    """The content digest, or None when the content has no exact canonical form here (not cached).

    orjson writes NaN and infinities as ``null``: when ``null`` appears, the strict standard-library
    encoder decides instead (it refuses non-finite numbers), so two different inputs never share a key.
    """
    document = {
        "patient": patient_id,
        "date": (on_date or dt.date.today()).isoformat(),
        "date_given": on_date is not None,
        "ruleset": ruleset_ref,
        "values": values,
    }
    try:
        content = orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
        if b"null" in content:
            content = json.dumps(document, sort_keys=True, allow_nan=False).encode()
    except (TypeError, ValueError):  # integers beyond 64 bits, NaN: check afresh each time
        return None
    return hashlib.sha256(content).hexdigest()


class PrefetchCache:
    """A thread-safe LRU of ``Prepared`` by key; size 0 keeps nothing."""

    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._entries: OrderedDict[str, Prepared] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> Prepared | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: str, prepared: Prepared) -> None:
        if self._max <= 0:
            return
        with self._lock:
            self._entries[key] = prepared
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
