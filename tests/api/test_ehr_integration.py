"""Issue 10 on the service: real Synthea charts over CDS Hooks, fetching from a FHIR server on loopback,
scope refusals on every path, and robustness against malformed bodies. Each test fails on the old main.
"""

from __future__ import annotations

import json
import socket
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import example_json
from tests.api.fhir_test_server import fhir_app
from tests.fhir.synthea import CLOPIDOGREL_ORDER, _resources, active_condition, patients
from tests.live_server import free_port, serving
from typer.testing import CliRunner

from lss_pathway.api.app import create_app
from lss_pathway.api.cards import shorten
from lss_pathway.api.cds_hooks import PREFETCH
from lss_pathway.api.settings import AuthSettings, ServiceSettings
from lss_pathway.cli import app as cli_app
from lss_pathway.fhir.codes import ICD10CM, RXNORM

TOKEN = "test-access-token-0123456789"
EXT = "org.lss-pathway"


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(ServiceSettings(auth=AuthSettings(insecure_demo=True))))


def synthea_id(prefix: str) -> str:
    return next(p["id"] for p in patients() if p["id"].startswith(prefix))


def chart(prefix: str, *extra: dict[str, Any]) -> list[dict[str, Any]]:
    """Every stored resource of every Synthea patient, plus extra resources for the one named."""
    resources = [
        r for kind in ("Patient", "Condition", "MedicationRequest", "Procedure") for r in _resources(kind)
    ]
    pid = synthea_id(prefix)
    for i, resource in enumerate(extra):
        resources.append({"id": f"extra-{i}", "subject": {"reference": f"Patient/{pid}"}, **resource})
    return resources


LSS_DIAGNOSIS = active_condition(ICD10CM, "M48.062")
CLOPIDOGREL = CLOPIDOGREL_ORDER


def hook(patient_id: str, server: str | None, token: str = TOKEN, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/1", "patientId": patient_id},
        **extra,
    }
    if server is not None:
        body["fhirServer"] = server
        body["fhirAuthorization"] = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "x",
        }
    return body


# --- fetching from fhirServer ---------------------------------------------------------------------------


def test_missing_prefetch_is_fetched_from_the_fhir_server_with_the_token(client: TestClient) -> None:
    fhir = fhir_app(chart("ca15b832", LSS_DIAGNOSIS, CLOPIDOGREL), TOKEN)
    with serving(fhir) as base:
        response = client.post(
            "/cds-services/lss-patient-view", json=hook(synthea_id("ca15b832"), f"{base}/fhir")
        )
    assert response.status_code == 200, response.text
    body = response.json()
    ours = body["extension"][EXT]
    assert ours["unavailablePrefetch"] == [] and ours["failedPrefetch"] == []
    assert len(body["cards"]) == 1 and body["cards"][0]["indicator"] == "info"
    searched = " ".join(fhir.state.requests)
    assert "MedicationRequest?patient=" in searched and "status=active" in searched
    assert TOKEN not in response.text


def test_a_real_chart_without_lss_signs_gets_no_card(client: TestClient) -> None:
    fhir = fhir_app(chart("ca15b832"), TOKEN)
    with serving(fhir) as base:
        response = client.post(
            "/cds-services/lss-patient-view", json=hook(synthea_id("ca15b832"), f"{base}/fhir")
        )
    assert response.status_code == 200 and response.json()["cards"] == []


def test_a_refused_fetch_is_a_clear_card_not_an_error(client: TestClient) -> None:
    fhir = fhir_app(chart("ca15b832"), TOKEN)
    with serving(fhir) as base:
        response = client.post(
            "/cds-services/lss-patient-view", json=hook(synthea_id("ca15b832"), f"{base}/fhir", token="wrong")
        )
    assert response.status_code == 200
    (card,) = response.json()["cards"]
    assert card["indicator"] == "warning" and "could not be fetched" in card["summary"]
    assert "HTTP 401" in card["detail"] and "patient" in response.json()["extension"][EXT]["failedPrefetch"]


def test_an_unreachable_fhir_server_is_a_clear_card(client: TestClient) -> None:
    port = free_port()  # nothing listens there
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    response = client.post("/cds-services/lss-patient-view", json=hook("p1", f"http://127.0.0.1:{port}/fhir"))
    assert response.status_code == 200
    assert "could not be reached" in response.json()["cards"][0]["detail"]


def test_operation_outcome_prefetch_is_a_failed_fetch_named_on_the_card(client: TestClient) -> None:
    body = json.loads(example_json("01-bilateral-l45-candidate"))
    from lss_pathway.api.prefetch import prefetch_from_bundle
    from lss_pathway.domain.parsing import record_from_data
    from lss_pathway.fhir.mapping import bundle_from_record

    patient_id, prefetch = prefetch_from_bundle(bundle_from_record(record_from_data(body)))
    prefetch["medications"] = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "timeout"}],
    }
    request = hook(patient_id, None, prefetch=prefetch, extension={EXT: {"assessmentDate": "2026-11-01"}})
    response = client.post("/cds-services/lss-patient-view", json=request)
    assert response.status_code == 200, response.text
    assert (
        "The EHR could not fetch (treated as unknown): medications." in response.json()["cards"][0]["detail"]
    )
    assert response.json()["extension"][EXT]["failedPrefetch"] == ["medications"]


def test_narrowed_templates_fit_a_long_real_chart_in_the_body_limit() -> None:
    """The longest Synthea chart (2,000+ resources, most of them stopped orders) as the EHR would send it.

    (The issue's 1.48 MB came from the 13-patient release; this export's longest chart is 0.86 MB.)
    """
    fhir = fhir_app(chart("79a66c97"), TOKEN)
    pid = synthea_id("79a66c97")
    from lss_pathway.api.fhir_fetch import FhirServer, fetch_missing

    with serving(fhir) as base:
        narrowed = fetch_missing(FhirServer(f"{base}/fhir", TOKEN), PREFETCH, pid)
        wide = fetch_missing(
            FhirServer(f"{base}/fhir", TOKEN),
            {
                "conditions": "Condition?patient={{context.patientId}}",
                "medications": "MedicationRequest?patient={{context.patientId}}",
            },
            pid,
        )
    limit = ServiceSettings().max_body_bytes
    assert len(json.dumps(narrowed)) < limit  # every template, narrowed, fits
    assert len(json.dumps(narrowed["medications"])) * 20 < len(json.dumps(wide["medications"]))
    assert len(json.dumps(wide)) + len(json.dumps(narrowed["procedures"])) > limit  # unnarrowed would not


# --- CDS Hooks request rules -----------------------------------------------------------------------------


def test_user_id_is_required(client: TestClient) -> None:
    body = hook("p1", None, prefetch={"patient": {"resourceType": "Patient", "id": "p1"}})
    del body["context"]["userId"]
    response = client.post("/cds-services/lss-patient-view", json=body)
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "context.userId"


def test_summaries_are_cut_between_words() -> None:
    text = "mild candidate at L3-L4 (both sides), L4-L5 (both sides) " + "undeterminable " * 12
    short = shorten(text)
    assert len(short) <= 139 and short.endswith("\u2026")
    assert short[:-1].split()[-1] in text.split()  # the last word is whole


@pytest.mark.parametrize(
    ("where", "value"),
    [("draftOrders", "not-a-list"), ("draftOrders", {"a": 1}), ("selections", "ServiceRequest/a")],
)
def test_non_lists_where_lists_belong_are_422(client: TestClient, where: str, value: Any) -> None:
    body = hook("p1", None, prefetch={"patient": {"resourceType": "Patient", "id": "p1"}})
    body["hook"] = "order-select"
    body["context"]["draftOrders"] = {"resourceType": "Bundle", "type": "collection", "entry": []}
    if where == "draftOrders":
        body["context"]["draftOrders"]["entry"] = value
    else:
        body["context"]["selections"] = value
    response = client.post("/cds-services/lss-order-select", json=body)
    assert response.status_code == 422, response.text


def test_prefetch_bundle_entry_not_a_list_is_422(client: TestClient) -> None:
    prefetch = {
        "patient": {"resourceType": "Patient", "id": "p1"},
        "conditions": {"resourceType": "Bundle", "type": "searchset", "entry": {"resource": {}}},
    }
    response = client.post("/cds-services/lss-patient-view", json=hook("p1", None, prefetch=prefetch))
    assert (
        response.status_code == 422 and response.json()["detail"][0]["field"] == "prefetch.conditions.entry"
    )


# --- scope: minors and the deceased on every path --------------------------------------------------------


def minor_record() -> dict[str, Any]:
    record = json.loads(example_json("01-bilateral-l45-candidate"))
    record["patient"] = {"birth_date": "2012-01-01", "sex": "female"}
    return record


def test_a_minor_by_birth_date_is_outside_scope_on_rest(client: TestClient) -> None:
    response = client.post("/v1/assessments", json=minor_record())
    assert response.status_code == 422 and "outside the tool's scope" in response.text


def test_a_minor_by_birth_date_is_outside_scope_on_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "minor.json"
    path.write_text(json.dumps(minor_record()))
    result = CliRunner().invoke(cli_app, ["assess", str(path)])
    assert result.exit_code == 2 and "outside the tool's scope" in result.output


def test_deeply_nested_cli_input_is_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"summary": ' + "[" * 100_000 + "]" * 100_000 + "}")
    result = CliRunner().invoke(cli_app, ["assess", str(path)])
    assert result.exit_code == 2 and "nesting too deep" in result.output


@pytest.mark.parametrize("prefix", ["63ee2253", "79a66c97"], ids=["minor", "deceased"])
def test_synthea_minor_and_deceased_are_refused_over_fhir_and_cds(client: TestClient, prefix: str) -> None:
    from tests.fhir.synthea import patient_bundle

    pid = synthea_id(prefix)
    response = client.post("/v1/fhir/assessments", json=patient_bundle(pid, ("Patient",)))
    assert response.status_code == 422
    assert "outside the tool's scope" in response.text or "deceased" in response.text
    patient = next(p for p in patients() if p["id"] == pid)
    cds = client.post("/cds-services/lss-patient-view", json=hook(pid, None, prefetch={"patient": patient}))
    assert cds.status_code == 422 and cds.json()["detail"][0]["field"]


# --- unread input bearing on a criterion, on the card and in the JSON ------------------------------------


def test_an_unmapped_antithrombotic_is_shown_on_the_card_and_in_the_json(client: TestClient) -> None:
    from lss_pathway.api.prefetch import prefetch_from_bundle
    from lss_pathway.domain.parsing import record_from_data
    from lss_pathway.fhir.mapping import bundle_from_record

    record = json.loads(example_json("01-bilateral-l45-candidate"))
    del record["safety"]["antithrombotics"]
    bundle = bundle_from_record(record_from_data(record))
    patient_id, prefetch = prefetch_from_bundle(bundle)
    prefetch["medications"]["entry"].append(
        {
            "resource": {
                "resourceType": "MedicationRequest",
                "id": "plavix",
                "status": "active",
                "intent": "order",
                "medicationCodeableConcept": {
                    "coding": [{"system": RXNORM, "code": "999999", "display": "Plavix 75 MG"}]
                },
                "subject": {"reference": f"Patient/{patient_id}"},
            }
        }
    )
    request = hook(patient_id, None, prefetch=prefetch, extension={EXT: {"assessmentDate": "2026-11-01"}})
    response = client.post("/cds-services/lss-patient-view", json=request)
    assert response.status_code == 200, response.text
    card = response.json()["cards"][0]
    assert (
        "could not be read" in card["detail"]
        and "MedicationRequest/plavix (antithrombotics)" in card["detail"]
    )
    assert [i["resource_id"] for i in response.json()["extension"][EXT]["unmappedRelevantInput"]] == [
        "plavix"
    ]
    rest = client.post(
        "/v1/fhir/assessments",
        json={
            **bundle,
            "entry": [*bundle["entry"], {"resource": prefetch["medications"]["entry"][-1]["resource"]}],
        },
    )
    assert [i["resource_id"] for i in rest.json()["unmapped_relevant_input"]] == ["plavix"]


# --- robustness: every API endpoint, the project's error shape -------------------------------------------

ENDPOINTS = [
    "/v1/assessments",
    "/v1/fhir/assessments",
    "/cds-services/lss-patient-view",
    "/cds-services/lss-order-sign/feedback",
]


def is_problem(response: Any) -> bool:
    body = response.json()
    return isinstance(body.get("detail"), list) and all(
        set(d) == {"field", "message"} for d in body["detail"]
    )


@pytest.mark.parametrize("path", ENDPOINTS)
def test_invalid_utf8_is_422_in_the_project_shape(client: TestClient, path: str) -> None:
    response = client.post(path, content=b'{"id": "\xff\xfe"}', headers={"content-type": "application/json"})
    assert response.status_code == 422 and is_problem(response) and "UTF-8" in response.text


@pytest.mark.parametrize("path", ENDPOINTS)
def test_json_nested_1000_deep_is_422(client: TestClient, path: str) -> None:
    body = b'{"a": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422 and is_problem(response) and "nesting too deep" in response.text


def test_fhir_extensions_nested_150_deep_are_422(client: TestClient) -> None:
    extension: dict[str, Any] = {"url": "urn:x", "valueString": "y"}
    for _ in range(150):
        extension = {"url": "urn:x", "extension": [extension]}
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": {"resourceType": "Patient", "extension": [extension]}}],
    }
    response = client.post("/v1/fhir/assessments", json=bundle)
    assert response.status_code == 422 and "nesting too deep" in response.text


def test_fhir_extension_depth_is_refused_in_the_mapping_too() -> None:
    from lss_pathway.domain.parsing import InputError
    from lss_pathway.fhir.mapping import record_from_resources

    extension: dict[str, Any] = {"url": "urn:x", "valueString": "y"}
    for _ in range(600):
        extension = {"url": "urn:x", "extension": [extension]}
    with pytest.raises(InputError, match="nesting too deep"):
        record_from_resources([{"resourceType": "Patient", "extension": [extension]}])


def test_413_names_the_option_that_raises_the_limit() -> None:
    small = TestClient(create_app(ServiceSettings(max_body_bytes=2048)))
    response = small.post(
        "/v1/assessments", content=b"{" + b" " * 5000 + b"}", headers={"content-type": "application/json"}
    )
    assert response.status_code == 413 and "--max-body-bytes" in response.text and is_problem(response)


def test_malformed_json_is_400_in_the_project_shape(client: TestClient) -> None:
    response = client.post(
        "/v1/fhir/assessments", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code in (400, 422) and is_problem(response)


def test_unknown_rule_set_is_404(client: TestClient) -> None:
    response = client.get("/v1/rulesets/unknown")
    assert response.status_code == 404 and is_problem(response)


def test_long_lists_are_refused_before_any_per_item_check(client: TestClient) -> None:
    """A 1 MB record of repeated agents used to hold the server for seconds in quadratic duplicate checks."""
    record = {"safety": {"antithrombotics": [{"agent": "aspirin"}] * 30_000}}
    response = client.post("/v1/assessments", json=record)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"field": "safety.antithrombotics", "message": "more than 100 items"}
    ]
    levels = {"imaging": {"levels": [{"level": "L4-L5"}] * 5_000}}
    assert client.post("/v1/assessments", json=levels).status_code == 422


def test_json_types_are_checked_as_documented(client: TestClient) -> None:
    response = client.post("/v1/assessments", json={"coverage": {"ced_study_enrolled": 0}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "coverage.ced_study_enrolled"
