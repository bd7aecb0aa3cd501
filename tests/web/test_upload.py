"""The clinic form loads a patient file or a FHIR Bundle from the clinician's computer: validated as the
API validates (the same errors), filling the form for review, nothing kept, the pages' CSP unchanged."""

from __future__ import annotations

import datetime as dt
import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from lss_pathway.api.settings import ServiceSettings
from lss_pathway.assess import assess
from lss_pathway.domain.parsing import parse_record, record_from_data
from lss_pathway.fhir.writer import bundle_from_record
from lss_pathway.report.csp import PAGE_CSP
from lss_pathway.rulesets.catalog import DEFAULT_RULESET, load_ruleset
from lss_pathway.server.app import create_app
from lss_pathway.server.upload import read_file
from lss_pathway.web.form import form_to_data
from lss_pathway.web.upload import Loaded, to_form

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TODAY = dt.date.today()


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(ServiceSettings(examples_dir=str(EXAMPLES))))


def _upload(client: TestClient, name: str, content: bytes) -> httpx.Response:
    return client.post("/upload", files={"patient_file": (name, content)}, data={"ruleset": DEFAULT_RULESET})


def _example(name: str) -> bytes:
    return (EXAMPLES / f"{name}.yaml").read_bytes()


def _bundle(name: str) -> dict[str, Any]:
    return bundle_from_record(parse_record(_example(name).decode(), "yaml"))


def _value(html: str, name: str) -> str | None:
    found = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', html)
    return unescape(found[1]) if found else None


def _listed_errors(html: str) -> list[str]:
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert summary is not None, "no error summary on the page"
    return [
        unescape(re.sub(r"<[^>]+>", "", item)) for item in re.findall(r"<li>(.*?)</li>", summary[0], re.S)
    ]


def _verdicts(record_data: Any) -> dict[tuple[str, str], str]:
    record = record_from_data(record_data, today=TODAY)
    a = assess(record, load_ruleset(DEFAULT_RULESET), today=TODAY)
    return {(str(c.level), str(c.side)): str(c.verdict) for c in a.candidacy.cells}


def test_a_yaml_patient_file_fills_the_form_for_review(client: TestClient) -> None:
    response = _upload(client, "07-apixaban-can-be-held.yaml", _example("07-apixaban-can-be-held"))
    assert response.status_code == 200
    assert "Loaded patient file" in response.text and "07-apixaban-can-be-held.yaml" in response.text
    assert _value(response.text, "safety.antithrombotics.0.agent") is None  # a choice, not an input
    assert 'value="apixaban" selected' in response.text
    assert 'id="assess-button"' in response.text  # the form, not a result: the clinician assesses


def test_a_fhir_bundle_fills_the_form_with_the_same_verdicts_as_the_api(client: TestClient) -> None:
    bundle = _bundle("08-clopidogrel-cannot-be-held")
    response = _upload(client, "chart.json", json.dumps(bundle).encode())
    assert response.status_code == 200 and "Loaded FHIR Bundle" in response.text
    filled = to_form(read_file(json.dumps(bundle).encode(), "chart.json"), TODAY)
    assert filled.not_shown == []
    api = client.post("/v1/fhir/assessments", json=bundle).json()
    from_api = {(c["level"], c["side"]): c["verdict"] for c in api["candidacy"]}
    assert _verdicts(form_to_data(filled.values)) == from_api


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("record.json", b'{"patient": {"age_years": "70"}}'),  # a string for a number
        ("record.json", b'{"patient": {"age_years": 70}, "unheard_of": 1}'),  # an unknown section
        ("record.json", b'{"patient": {"age_years": 70'),  # malformed JSON
        ("record.json", b'{"patient": {"age_years": 15}}'),  # outside the tool's scope
        ("record.json", b"[" * 200 + b"]" * 200),  # nested too deep
        ("record.json", b'{"patient": {"sex": "\xff"}}'),  # not UTF-8
        ("bundle.json", b'{"resourceType": "Bundle", "entry": {"resource": {}}}'),  # entry not a list
        (
            "bundle.json",
            b'{"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient", "gender": 3}}]}',
        ),
    ],
)
def test_a_bad_file_gets_the_apis_own_errors(client: TestClient, name: str, body: bytes) -> None:
    path = "/v1/fhir/assessments" if name.startswith("bundle") else "/v1/assessments"
    api = client.post(path, content=body, headers={"content-type": "application/json"})
    assert api.status_code == 422
    expected = [f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in api.json()["detail"]]
    page = _upload(client, name, body)
    assert page.status_code == 422
    shown = _listed_errors(page.text)
    if "UTF-8" in expected[0]:  # the API speaks of the request body, the page of the file
        assert len(shown) == 1 and "not valid UTF-8" in shown[0]
    else:
        assert shown == expected


def test_a_file_over_the_body_limit_is_refused_and_nothing_is_assessed() -> None:
    small = TestClient(create_app(ServiceSettings(max_body_bytes=2_000)))
    response = _upload(small, "record.json", b'{"summary": "' + b"x" * 3_000 + b'"}')
    assert response.status_code == 413
    assert "--max-body-bytes" in response.text


def test_no_file_chosen_says_so(client: TestClient) -> None:
    response = client.post("/upload", files={"patient_file": ("", b"")}, data={"ruleset": DEFAULT_RULESET})
    assert response.status_code == 422 and "choose a file to load" in response.text


def test_the_upload_page_keeps_the_strict_policy_and_is_not_cached(client: TestClient) -> None:
    response = _upload(client, "a.yaml", _example("01-bilateral-l45-candidate"))
    assert response.headers["content-security-policy"] == PAGE_CSP
    assert response.headers["cache-control"] == "no-store"
    form = re.search(r'<form method="post" action="/upload" enctype="multipart/form-data"', response.text)
    assert form is not None


def test_inputs_the_bundle_could_not_use_are_shown_those_that_matter_first(client: TestClient) -> None:
    bundle = _bundle("07-apixaban-can-be-held")
    drug = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {"text": "ticagrelor-like study drug XYZ antiplatelet"},
        "subject": {"reference": "Patient/patient"},
    }
    weight = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
    }
    bundle["entry"] += [{"resource": weight}, {"resource": drug}]
    loaded = read_file(json.dumps(bundle).encode(), "b.json")
    assert len(loaded.not_used) >= 2
    assert "bears on" in loaded.not_used[0] and "bears on" not in loaded.not_used[-1]
    response = _upload(client, "b.json", json.dumps(bundle).encode())
    assert "not used" in response.text and unescape(response.text).count("bears on") >= 1


def test_what_the_form_cannot_hold_is_listed_never_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should the form ever lack a field for something a file says, the loss is listed by its path."""
    import lss_pathway.web.upload as upload

    record = parse_record(_example("07-apixaban-can-be-held").decode(), "yaml")
    full = upload.record_to_form

    def without_drugs(r: Any) -> Any:
        return {k: v for k, v in full(r).items() if not k.startswith("safety.antithrombotics")}

    monkeypatch.setattr(upload, "record_to_form", without_drugs)
    assert to_form(Loaded(record, "patient file"), TODAY).not_shown == ["safety.antithrombotics"]


def test_every_example_loads_into_the_form_whole() -> None:
    for path in sorted(EXAMPLES.glob("*.yaml")):
        assert to_form(read_file(path.read_bytes(), path.name), TODAY).not_shown == [], path.name
