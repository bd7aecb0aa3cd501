"""Refusals are logged with their reason and never with a patient identifier (issue 10)."""

from __future__ import annotations

import json
import logging
import logging.config

import pytest
from fastapi.testclient import TestClient

from lss_pathway.api.app import create_app
from lss_pathway.api.refusals import route_of, scrub, scrub_field
from lss_pathway.api.settings import AuthSettings, ServiceSettings
from lss_pathway.server.logs import log_config

SECRET = "MRN-4411-SECRET"
"""A patient identifier planted in each request: it must never reach a log line."""


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="lss_pathway")
    return caplog


def _refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("lss_pathway")]
    assert all(SECRET not in line and "4411" not in line for line in lines), lines
    return [line for line in lines if line.startswith("refused")]


def test_a_refused_record_is_logged_with_its_fields_and_reasons_not_its_values(
    logged: pytest.LogCaptureFixture,
) -> None:
    client = TestClient(create_app(ServiceSettings()))
    body = {
        "id": SECRET,
        "patient": {"age_years": "70"},
        "safety": {"antithrombotics": [{"agent": SECRET}]},
    }
    assert client.post("/v1/assessments", json=body).status_code == 422
    body["patient"] = {"age_years": 70}
    assert client.post("/v1/assessments", json=body).status_code == 422  # now the agent's own check
    lines = _refusals(logged)
    assert lines[0].startswith("refused 422 POST /v1/assessments: patient.age_years: expected integer")
    assert "safety.antithrombotics[0].agent: unknown antithrombotic agent '…'" in lines[1]


def test_a_refused_fhir_bundle_names_the_resource_type_not_its_id(logged: pytest.LogCaptureFixture) -> None:
    client = TestClient(create_app(ServiceSettings()))
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "Patient",
                    "id": SECRET,
                    "gender": "male",
                    "birthDate": "1950-01-01",
                }
            },
            {
                "resource": {
                    "resourceType": "MedicationRequest",
                    "id": SECRET,
                    "status": "active",
                    "intent": "order",
                    "subject": {"reference": f"Patient/{SECRET}-other"},
                    "medicationCodeableConcept": {"text": "aspirin"},
                }
            },
        ],
    }
    assert client.post("/v1/fhir/assessments", json=bundle).status_code == 422
    lines = _refusals(logged)
    assert len(lines) == 1 and "refused 422 POST /v1/fhir/assessments: " in lines[0]
    assert "Patient/…" in lines[0]


def test_a_body_over_the_limit_is_logged_with_the_option_that_raises_it(
    logged: pytest.LogCaptureFixture,
) -> None:
    client = TestClient(create_app(ServiceSettings(max_body_bytes=100)))
    body = json.dumps({"id": SECRET, "summary": "x" * 200})
    response = client.post("/v1/assessments", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    (line,) = _refusals(logged)
    assert line.startswith("refused 413 POST /v1/assessments: request body larger than 100 bytes")
    assert "--max-body-bytes" in line


def test_cds_refusals_are_logged_with_the_reason(logged: pytest.LogCaptureFixture) -> None:
    request = {
        "hook": "patient-view",
        "hookInstance": "d1f0a5d4-2d7e-4b2e-9b1e-8f2c3e4d5a6b",
        "context": {"patientId": SECRET},
    }
    secured = TestClient(create_app(ServiceSettings(auth=AuthSettings(jwks={"keys": []}))))
    assert secured.post("/cds-services/lss-patient-view", json=request).status_code == 401
    demo = TestClient(create_app(ServiceSettings(auth=AuthSettings(insecure_demo=True))))
    assert demo.post("/cds-services/lss-patient-view", json=request).status_code == 422
    lines = _refusals(logged)
    assert lines[0] == "refused 401 POST /cds-services/{service_id}: authorization: missing bearer token"
    assert (
        lines[1]
        == "refused 422 POST /cds-services/{service_id}: context.userId: required (CDS Hooks 2.0, every hook)"
    )


def test_what_could_echo_the_input_is_taken_out() -> None:
    assert (
        scrub("agent 'Jane Doe' unknown; refers to Patient/123456")
        == "agent '…' unknown; refers to Patient/…"
    )
    assert (
        scrub_field("entry[3].resource (Observation/abc-1).subject")
        == "entry[3].resource (Observation/…).subject"
    )
    assert scrub_field("imaging.levels[0].canal_area_mm2") == "imaging.levels[0].canal_area_mm2"
    assert scrub_field("safety.MRN12345") == "safety.…"
    assert route_of({"path": "/registry/subjects/S-0012/report"}) == "/registry/subjects/…/report"


def test_the_served_logging_sends_lss_pathway_lines_at_info(caplog: pytest.LogCaptureFixture) -> None:
    config = log_config()
    assert config["loggers"]["lss_pathway"]["level"] == "INFO"
    assert config["loggers"]["lss_pathway"]["handlers"] == ["default"]
    assert "uvicorn.access" in config["loggers"]  # uvicorn's own configuration is kept
