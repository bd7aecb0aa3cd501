"""An "active" infection Condition is read as current only while a date it carries is recent enough."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from lss_pathway.domain.packaged import packaged_yaml
from lss_pathway.fhir.codes import CONDITION_CLINICAL, FINDINGS, ICD10CM
from lss_pathway.fhir.currency import infection_current_days, latest_date, stale_since
from lss_pathway.fhir.mapping import record_from_resources

ON = dt.date(2026, 12, 1)


def test_the_window_is_unverified_data() -> None:
    entry = packaged_yaml("lss_pathway.fhir", "data/currency.yaml")["infection_current_days"]
    assert entry["verification"] == "U" and entry["unit"] == "days"
    assert infection_current_days() == entry["value"] == 90


@pytest.mark.parametrize(
    ("condition", "latest"),
    [
        ({"onsetDateTime": "1971-09-03T23:58:16-04:00"}, dt.date(1971, 9, 3)),
        ({"onsetDateTime": "1971"}, dt.date(1971, 12, 31)),  # a partial date counts as its end
        ({"onsetDateTime": "2024-02"}, dt.date(2024, 2, 29)),
        ({"onsetDateTime": "2023-12"}, dt.date(2023, 12, 31)),
        ({"onsetPeriod": {"start": "2001-01-01", "end": "2026-10-01"}}, dt.date(2026, 10, 1)),
        ({"onsetDateTime": "1990-01-01", "recordedDate": "2026-11-20"}, dt.date(2026, 11, 20)),
        ({"onsetString": "childhood"}, None),
        ({}, None),
    ],
)
def test_latest_date(condition: dict[str, Any], latest: dt.date | None) -> None:
    assert latest_date(condition) == latest


def test_stale_since_counts_whole_days_up_to_the_window() -> None:
    assert stale_since({"onsetDateTime": "2026-09-02"}, ON, 90) is None  # exactly 90 days: current
    assert stale_since({"onsetDateTime": "2026-09-01"}, ON, 90) == dt.date(2026, 9, 1)
    assert stale_since({}, ON, 90) is None  # no date: read as current (the cautious side)


def sepsis(**dates: Any) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": "active"}]},
        "code": {"coding": [{"system": ICD10CM, "code": "A41.9", "display": "Sepsis, unspecified organism"}]},
        "subject": {"reference": "Patient/p"},
        **dates,
    }


def finding(code: str, **value: Any) -> dict[str, Any]:
    """An Observation of a project finding."""
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": FINDINGS, "code": code}]},
        "subject": {"reference": "Patient/p"},
        **value,
    }


def read(*resources: dict[str, Any], days: int | None = None) -> Any:
    return record_from_resources(resources, assessment_date=ON, infection_days=days)


def test_an_old_unabated_infection_is_left_unknown_and_shown_for_confirmation() -> None:
    result = read(sepsis(onsetDateTime="2019-05-01"))
    assert result.record.safety.systemic_infection is None
    (item,) = result.relevant_ignored
    assert item.bears_on == "infection" and item.code == "A41.9"
    assert item.reason.startswith("confirm: is this infection current? 'Sepsis, unspecified organism'")
    assert "safety.systemic_infection left unknown, never read as absent" in item.reason


def test_a_current_infection_beside_a_stale_one_blocks_and_the_stale_one_says_so() -> None:
    result = read(sepsis(onsetDateTime="2019-05-01"), sepsis(onsetDateTime="2026-11-20"))
    assert result.record.safety.systemic_infection is True
    (item,) = result.relevant_ignored
    assert "safety.systemic_infection = True as resources[1]" in item.reason


def test_a_recent_or_undated_infection_still_blocks() -> None:
    assert read(sepsis(onsetDateTime="2026-11-01")).record.safety.systemic_infection is True
    assert read(sepsis()).record.safety.systemic_infection is True


def test_the_window_can_be_set_by_the_caller() -> None:
    assert read(sepsis(onsetDateTime="2019-05-01"), days=365 * 10).record.safety.systemic_infection is True
    assert read(sepsis(onsetDateTime="2026-11-01"), days=7).record.safety.systemic_infection is None


def test_a_recorded_answer_settles_the_confirmation() -> None:
    """The clinician's own "no systemic infection" (project code) is the answer to the confirm item."""
    result = read(sepsis(onsetDateTime="2019-05-01"), finding("systemic-infection", valueBoolean=False))
    assert result.record.safety.systemic_infection is False
    (item,) = result.relevant_ignored  # still shown beside it, saying which value is used
    assert item.bears_on == "infection" and "safety.systemic_infection = False as resources[1]" in item.reason


def test_a_stale_non_infection_condition_is_read_as_before() -> None:
    bleeding = sepsis(onsetDateTime="1980-01-01")
    bleeding["code"] = {"coding": [{"system": ICD10CM, "code": "D68.01"}]}
    assert read(bleeding).record.safety.bleeding_disorder is True


def test_the_assessment_date_in_the_bundle_dates_the_window_whatever_the_order() -> None:
    """An assessment-date Observation after the Condition still decides (not the reader's today)."""
    stated = finding("assessment-date", valueDateTime="2019-06-01")
    condition = sepsis(onsetDateTime="2019-05-01")
    for resources in ((condition, stated), (stated, condition)):
        result = record_from_resources(resources)
        assert result.record.safety.systemic_infection is True, resources
