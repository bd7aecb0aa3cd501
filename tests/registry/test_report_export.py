"""The cohort report and the exports, on a seeded synthetic cohort imported into both engines."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from lss_pathway.clinical.outcomes.cohort import responder_rates
from lss_pathway.clinical.outcomes.data import responder_rule
from lss_pathway.registry.bulk import import_lines
from lss_pathway.registry.demo import synthetic_lines
from lss_pathway.registry.export import age_group, deidentified_tables, redcap_dictionary, redcap_project
from lss_pathway.registry.reading import courses, stored_schedule
from lss_pathway.registry.report import cohort_report
from lss_pathway.registry.store import Registry

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture
def cohort(registry: Registry) -> Registry:
    import_lines(registry.engine, synthetic_lines(120, seed=3), actor="t", reason="synthetic")
    registry.enrol(age=93, link=("urn:mrn:x", "MRN-SECRET-1"), actor="t", reason="identifier probe")
    return registry


def test_report_matches_the_core_analysis_and_suppresses_small_cells(cohort: Registry) -> None:
    report = cohort_report(cohort.engine, AS_OF, floor=10)
    rule = responder_rule("odi_10_points")
    expected = responder_rates(courses(cohort.engine, AS_OF), stored_schedule(cohort.engine), rule)
    shown = report["responder_rates"]["odi_10_points"]["time_points"]
    for row, want in zip(shown, expected, strict=True):
        if row["suppressed"]:
            assert row["count"] is None and row["rate"] is None
            p = want.responders
            assert p.n < 10 or 0 < p.successes < 10 or 0 < p.n - p.successes < 10
        else:
            assert (row["count"], row["n"]) == (want.responders.successes, want.responders.n)
    assert report["subjects"] == 120
    for name, curve in report["durability"].items():
        assert all(step["at_risk"] >= 10 for step in curve["steps"]), name
        assert all(r["at_risk"] is None or r["at_risk"] == 0 or r["at_risk"] >= 10 for r in curve["at_risk"])


def test_a_high_floor_withholds_everything_small(cohort: Registry) -> None:
    report = cohort_report(cohort.engine, AS_OF, floor=1000)
    assert report["subjects"] is None
    assert all(r["suppressed"] for r in report["completeness"])
    assert all(t["median"] is None for t in report["trajectories"]["odi"])


def test_completeness_reflects_missing_follow_ups(cohort: Registry) -> None:
    rows = {r["time_point"]: r for r in cohort_report(cohort.engine, AS_OF, floor=1)["completeness"]}
    assert 0.55 < rows["12m"]["rate"] < 0.9  # the synthetic cohort drops about a quarter


def test_deidentified_tables_have_no_dates_identifiers_or_free_text(cohort: Registry) -> None:
    tables = deidentified_tables(cohort.engine)
    text = repr(tables)
    assert "MRN-SECRET-1" not in text and "urn:mrn" not in text
    assert "op-" not in text  # operator names are left out
    assert not any(isinstance(v, dt.date) for rows in tables.values() for r in rows for v in r.values())
    ages = {r["age_group"] for r in tables["subjects"]}
    assert "90+" in ages and not any(a is not None and a != "90+" and int(a) > 89 for a in ages)
    baseline_days = [r["day"] for r in tables["follow_ups"] if r["time_point"] == "baseline"]
    assert baseline_days and all(d <= 0 for d in baseline_days)
    assert {r["day"] for r in tables["procedures"] if r["index"]} == {0}


@pytest.mark.parametrize(("age", "shown"), [(None, None), (89, "89"), (90, "90+"), (104, "90+")])
def test_age_over_89_is_aggregated(age: int | None, shown: str | None) -> None:
    assert age_group(age) == shown


def test_redcap_project_is_consistent(cohort: Registry) -> None:
    project = redcap_project(cohort.engine)
    dictionary = list(csv.DictReader(io.StringIO(project["dictionary"])))
    assert list(dictionary[0])[:5] == [
        "Variable / Field Name",
        "Form Name",
        "Section Header",
        "Field Type",
        "Field Label",
    ]
    assert dictionary[0]["Variable / Field Name"] == "record_id"
    fields = {r["Variable / Field Name"] for r in dictionary}
    forms = {r["Form Name"] for r in dictionary}
    events = {r["unique_event_name"] for r in csv.DictReader(io.StringIO(project["events"]))}
    assert "baseline_arm_1" in events and "6_weeks_arm_1" in events
    mapping = list(csv.DictReader(io.StringIO(project["instrument_events"])))
    assert {m["form"] for m in mapping} <= forms and {m["unique_event_name"] for m in mapping} <= events
    records = list(csv.DictReader(io.StringIO(project["records"])))
    assert records and {r["redcap_event_name"] for r in records} <= events
    extra = set(records[0]) - fields - {"redcap_event_name"} - {f"{f}_complete" for f in forms}
    assert extra == set()
    scored = [r for r in records if r["odi_score"]]
    assert scored and all(0 <= float(r["odi_score"]) <= 100 for r in scored)


def test_dictionary_labels_are_paraphrases_by_item_id() -> None:
    rows = redcap_dictionary()
    odi_rows = [r for r in rows if r["Form Name"] == "odi" and r["Field Type"] == "radio"]
    assert len(odi_rows) == 10 and all(len(r["Field Label"]) < 60 for r in odi_rows)
