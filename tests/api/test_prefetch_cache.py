"""The CDS prefetch cache: the same content answers from the validated result; a change is checked afresh."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import EXAMPLES

from lss_pathway.api.app import create_app
from lss_pathway.api.prefetch import prefetch_from_bundle
from lss_pathway.api.prefetch_cache import PrefetchCache, Prepared, prefetch_key
from lss_pathway.api.report_reading import ReportReading
from lss_pathway.api.settings import AuthSettings, ServiceSettings
from lss_pathway.domain.parsing import parse_record
from lss_pathway.fhir import mapping
from lss_pathway.fhir.mapping import bundle_from_record, record_from_resources
from lss_pathway.fhir.results import MappingResult

URL = "/cds-services/lss-patient-view"


def _view(name: str = "01-bilateral-l45-candidate") -> tuple[str, dict[str, Any]]:
    record = parse_record((EXAMPLES / f"{name}.yaml").read_text(), "yaml")
    return prefetch_from_bundle(bundle_from_record(record))


def _body(patient_id: str, prefetch: dict[str, Any]) -> dict[str, Any]:
    return {
        "hook": "patient-view",
        "hookInstance": "00000000-0000-4000-8000-000000000001",
        "context": {"userId": "Practitioner/1", "patientId": patient_id},
        "prefetch": prefetch,
    }


def _client(entries: int = 8) -> TestClient:
    settings = ServiceSettings(auth=AuthSettings(insecure_demo=True), prefetch_cache_entries=entries)
    return TestClient(create_app(settings))


@pytest.fixture
def mappings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the validations-and-mappings the service runs."""
    calls: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return record_from_resources(*args, **kwargs)

    monkeypatch.setattr(mapping, "record_from_resources", counted)
    return calls


def _without_uuids(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "uuid"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return [strip(c) for c in cards]


def test_the_same_prefetch_is_validated_once_and_answers_the_same(mappings: list[int]) -> None:
    client = _client()
    patient_id, prefetch = _view()
    first = client.post(URL, json=_body(patient_id, prefetch))
    second = client.post(URL, json=_body(patient_id, prefetch))
    assert first.status_code == second.status_code == 200
    assert len(mappings) == 1
    assert first.json()["cards"], "the example points to LSS: cards expected"
    assert _without_uuids(first.json()["cards"]) == _without_uuids(second.json()["cards"])
    assert first.json()["extension"] == {
        **second.json()["extension"],
        "org.lss-pathway": {
            **second.json()["extension"]["org.lss-pathway"],
            "inputDigest": first.json()["extension"]["org.lss-pathway"]["inputDigest"],
        },
    }
    # the cards are issued afresh (feedback refers to each one by its own uuid)
    assert first.json()["cards"][0]["uuid"] != second.json()["cards"][0]["uuid"]


def test_changed_content_is_validated_again_and_refused_when_invalid(mappings: list[int]) -> None:
    client = _client()
    patient_id, prefetch = _view()
    assert client.post(URL, json=_body(patient_id, prefetch)).status_code == 200
    broken = {**prefetch, "patient": {**prefetch["patient"], "birthDate": "not a date"}}
    answer = client.post(URL, json=_body(patient_id, broken))
    assert answer.status_code == 422
    assert "birthDate" in answer.text
    assert len(mappings) == 2


def test_a_different_chart_gets_its_own_answer(mappings: list[int]) -> None:
    client = _client()
    one, two = _view("01-bilateral-l45-candidate"), _view("07-apixaban-can-be-held")
    first = client.post(URL, json=_body(*one)).json()
    other = client.post(URL, json=_body(*two)).json()
    again = client.post(URL, json=_body(*one)).json()
    assert len(mappings) == 2
    assert _without_uuids(first["cards"]) == _without_uuids(again["cards"])
    assert _without_uuids(first["cards"]) != _without_uuids(other["cards"])


def test_size_zero_keeps_nothing(mappings: list[int]) -> None:
    client = _client(entries=0)
    patient_id, prefetch = _view()
    for _ in range(2):
        assert client.post(URL, json=_body(patient_id, prefetch)).status_code == 200
    assert len(mappings) == 2


def test_the_key_depends_on_every_part_of_the_input() -> None:
    values = {"patient": {"resourceType": "Patient", "id": "p", "birthDate": "1950-01-01"}}
    base = prefetch_key(values, "p", dt.date(2026, 1, 1), "textbook@1")
    assert base == prefetch_key(dict(values), "p", dt.date(2026, 1, 1), "textbook@1")
    changed = {"patient": {**values["patient"], "birthDate": "1950-01-02"}}
    assert base != prefetch_key(changed, "p", dt.date(2026, 1, 1), "textbook@1")
    assert base != prefetch_key(values, "q", dt.date(2026, 1, 1), "textbook@1")
    assert base != prefetch_key(values, "p", dt.date(2026, 1, 2), "textbook@1")
    assert base != prefetch_key(values, "p", dt.date(2026, 1, 1), "textbook@2")
    # today's date when none is given: a different key from the same date given explicitly
    assert prefetch_key(values, "p", None, "textbook@1") != prefetch_key(
        values, "p", dt.date.today(), "textbook@1"
    )


def test_nan_and_null_never_share_a_key() -> None:
    def quantity(value: Any) -> dict[str, Any]:
        return {"observations": {"resourceType": "Observation", "valueQuantity": {"value": value}}}

    assert prefetch_key(quantity(float("nan")), "p", None, "r") is None
    assert prefetch_key(quantity(float("inf")), "p", None, "r") is None
    assert prefetch_key(quantity(None), "p", None, "r") is not None
    assert prefetch_key(quantity(2**70), "p", None, "r") is None


def test_the_cache_is_a_bounded_lru() -> None:
    record = parse_record((EXAMPLES / "01-bilateral-l45-candidate.yaml").read_text(), "yaml")
    prepared = Prepared(MappingResult(record, ()), ReportReading(record))
    cache = PrefetchCache(2)
    cache.put("a", prepared)
    cache.put("b", prepared)
    assert cache.get("a") is prepared  # "a" is now the most recent
    cache.put("c", prepared)
    assert len(cache) == 2
    assert cache.get("b") is None
    assert cache.get("a") is prepared and cache.get("c") is prepared
