"""The batch API: one outcome per record, in order, the same with a process pool, refusals as outcomes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from lss_pathway.assess import Assessment, assess
from lss_pathway.batch import RecordText, assess_stream
from lss_pathway.domain.parsing import parse_record
from lss_pathway.rulesets.catalog import RuleSetError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _texts() -> list[RecordText]:
    return [RecordText(p.stem, p.read_text(), "yaml") for p in sorted(EXAMPLES.glob("*.yaml"))]


def verdicts(name: str, a: Assessment) -> tuple[str, list[str]]:
    return name, [cell.verdict.value for cell in a.candidacy.cells]


def test_the_stream_gives_what_assess_gives_one_by_one() -> None:
    items = _texts()
    outcomes = list(assess_stream(items))
    assert [o.name for o in outcomes] == [i.name for i in items]
    for item, outcome in zip(items, outcomes, strict=True):
        expected = assess(parse_record(item.text, "yaml")).to_dict()
        assert outcome.ok and outcome.result == expected


def test_two_processes_keep_the_order_and_the_results() -> None:
    items = _texts() * 3  # more records than one chunk per worker, so several tasks are in flight
    alone = list(assess_stream(items, keep=verdicts))
    pooled = list(assess_stream(items, keep=verdicts, processes=2, chunk=4))
    assert pooled == alone
    assert len(pooled) == len(items)
    assert {v for o in alone if o.result for v in o.result[1]} >= {"candidate", "not_candidate"}


def test_a_refused_record_is_an_outcome_and_the_stream_goes_on() -> None:
    good = _texts()[0]
    bad = RecordText("bad", json.dumps({"patient": {"age": "old"}}))
    not_json = RecordText("broken", "{")
    outcomes = list(assess_stream([bad, good, not_json], keep=verdicts, processes=2, chunk=1))
    assert [o.ok for o in outcomes] == [False, True, False]
    assert any("age" in e.field for e in outcomes[0].errors)
    assert outcomes[0].result is None
    assert "malformed JSON" in str(outcomes[2].errors[0])


def test_an_unknown_rule_set_fails_before_any_record_is_read() -> None:
    read: list[int] = []

    def records() -> Iterator[RecordText]:
        read.append(1)
        yield from _texts()

    with pytest.raises(RuleSetError):
        next(assess_stream(records(), "no-such-rules"))
    assert read == []


def test_the_input_is_read_lazily_within_a_bounded_window() -> None:
    """A consumer that stops early leaves the rest of an endless generator unread."""
    base = yaml.safe_load((EXAMPLES / "01-bilateral-l45-candidate.yaml").read_text())
    read = 0

    def endless() -> Iterator[RecordText]:
        nonlocal read
        while True:
            read += 1
            yield RecordText(str(read), json.dumps(base, default=str))

    stream = assess_stream(endless(), keep=verdicts, processes=2, chunk=2)
    first = [next(stream) for _ in range(3)]
    stream.close()
    assert [o.name for o in first] == ["1", "2", "3"]
    assert read <= 2 * 4 * 2 + 2 * 2  # processes x window x chunk, plus one refill per chunk consumed


def test_a_record_without_an_assessment_date_is_assessed_as_of_the_given_day() -> None:
    import datetime as dt

    data = yaml.safe_load(
        (Path(__file__).parent.parent / "examples" / "01-bilateral-l45-candidate.yaml").read_text()
    )
    data.pop("assessment_date", None)
    item = RecordText("undated", json.dumps(data, default=str))
    [outcome] = assess_stream([item], today=dt.date(2026, 11, 20))
    assert outcome.ok and outcome.result is not None
    assert outcome.result["assessment_date"] == "2026-11-20"
    [today] = assess_stream([item])
    assert today.ok, today.errors
