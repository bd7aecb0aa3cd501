"""Many patients in, one result per patient out, in order, in constant memory.

``assess_stream`` takes any iterable of record texts (a generator over a folder, a database cursor, a
file of JSON lines) and yields one ``Outcome`` per record as soon as it is ready, never holding more
than a bounded window of records and results: the caller's loop decides what is kept. With
``processes=2`` the records are parsed and assessed in a pool of worker processes (one per core); the
order of the outcomes is the order of the input either way, and so are the results (the same functions
run on the same text).

What crosses back from a worker is what ``keep`` returns for each assessment (by default its JSON
shape); a summary keeps a few strings instead, which is what lets 100,000 patients fit in a few tens of
megabytes. ``keep`` must be a module-level function (it is sent to the workers by name).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from lss_pathway.assess import Assessment, assess
from lss_pathway.domain.parsing import FieldError, Format, InputError, parse_record
from lss_pathway.domain.scope import check_scope
from lss_pathway.rulesets.catalog import DEFAULT_RULESET, load_ruleset

T = TypeVar("T")

CHUNK = 64
"""Records per task sent to a worker: large enough that the hand-over costs little per record."""
WINDOW_PER_PROCESS = 4
"""Tasks in flight per worker: keeps every worker busy while bounding memory to a few chunks."""


@dataclass(frozen=True, slots=True)
class RecordText:
    """One patient's record as text, with the name its outcome carries (a file name, a row id)."""

    name: str
    text: str
    fmt: Format = "json"


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    """What ``keep`` made of the assessment, or the reasons the record was refused (never both)."""

    name: str
    result: T | None
    errors: tuple[FieldError, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


def assessment_json(name: str, assessment: Assessment) -> dict[str, Any]:
    """The default ``keep``: the assessment's JSON shape."""
    return assessment.to_dict()


def assess_one(
    item: RecordText, rules: str, keep: Callable[[str, Assessment], T], today: dt.date
) -> Outcome[T]:
    """Parse, check and assess one record as of ``today`` where it has no assessment date; a refusal is an
    outcome, not an exception."""
    try:
        record = check_scope(parse_record(item.text, item.fmt, today=today), today)
    except RecursionError:
        return Outcome(item.name, None, (FieldError("", "nesting too deep"),))
    except InputError as exc:
        return Outcome(item.name, None, tuple(exc.errors))
    return Outcome(item.name, keep(item.name, assess(record, load_ruleset(rules), today=today)))


def _assess_chunk(
    items: list[RecordText], rules: str, keep: Callable[[str, Assessment], T], today: dt.date
) -> list[Outcome[T]]:
    return [assess_one(item, rules, keep, today) for item in items]


def assess_stream(
    records: Iterable[RecordText],
    rules: str = DEFAULT_RULESET,
    keep: Callable[[str, Assessment], T] = assessment_json,  # type: ignore[assignment]
    *,
    processes: int = 1,
    chunk: int = CHUNK,
    today: dt.date | None = None,
) -> Iterator[Outcome[T]]:
    """One outcome per record, in input order; ``processes`` > 1 spreads the work over a process pool.

    The rule set is resolved first, so that an unknown one fails before any record is read. A record
    without an assessment date is assessed as of ``today`` (default: the date the stream starts, one date
    for the whole batch).
    """
    load_ruleset(rules)
    as_of = today or dt.date.today()
    if processes <= 1:
        for item in records:
            yield assess_one(item, rules, keep, as_of)
        return
    source = iter(records)
    pending: deque[Future[list[Outcome[T]]]] = deque()
    with ProcessPoolExecutor(max_workers=processes) as pool:

        def submit() -> bool:
            batch = list(itertools.islice(source, chunk))
            if batch:
                pending.append(pool.submit(_assess_chunk, batch, rules, keep, as_of))
            return bool(batch)

        try:
            for _ in range(processes * WINDOW_PER_PROCESS):  # fill the window, or read the source dry
                if not submit():
                    break
            while pending:
                done = pending.popleft().result()
                submit()
                yield from done
        finally:  # the caller stopped early: drop the work not yet started
            for future in pending:
                future.cancel()
