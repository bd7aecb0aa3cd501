"""REST: the CLI's JSON, 422 naming the field, 413 over the limit, digest and rule set on responses."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import EXAMPLES, example_json

from lss_pathway.api.app import create_app
from lss_pathway.api.settings import ServiceSettings
from lss_pathway.assess import assess
from lss_pathway.domain.parsing import parse_record

JSON = {"content-type": "application/json"}


def test_health_is_plain_and_carries_a_digest(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert response.headers["x-input-digest"].startswith("sha256:")


def test_assessment_matches_the_library(client: TestClient) -> None:
    body = example_json("01-bilateral-l45-candidate")
    response = client.post("/v1/assessments", content=body, headers=JSON)
    assert response.status_code == 200
    data = response.json()
    expected = assess(
        parse_record((EXAMPLES / "01-bilateral-l45-candidate.yaml").read_text(), "yaml")
    ).to_dict()
    assert data["candidacy"] == expected["candidacy"]
    assert response.headers["x-ruleset"] == "textbook@1.2.0"
    assert data["input_digest"] == response.headers["x-input-digest"]


def test_digest_is_of_the_exact_input(client: TestClient) -> None:
    first = client.post("/v1/assessments", content='{"patient": {"age_years": 70}}', headers=JSON)
    second = client.post("/v1/assessments", content='{"patient": {"age_years": 71}}', headers=JSON)
    assert first.json()["input_digest"] != second.json()["input_digest"]


def test_ruleset_and_pretest_parameters(client: TestClient) -> None:
    body = example_json("01-bilateral-l45-candidate")
    response = client.post("/v1/assessments?ruleset=mild-trial@1.0.0&pretest=0.3", content=body, headers=JSON)
    assert response.status_code == 200
    assert response.headers["x-ruleset"] == "mild-trial@1.0.0"
    assert response.json()["diagnosis_support"]["pretest_probability"] == 0.3


@pytest.mark.parametrize(
    ("body", "query", "field", "fragment"),
    [
        ('{"symptom": {}}', "", "symptom", "Did you mean 'symptoms'"),
        ('{"exam": {"abi": {"left": 3.5}}}', "", "exam.abi.left", "less than or equal to 3"),
        ('{"imaging": {"levels": [{"level": "L5-L6"}]}}', "", "imaging.levels[0].level", "transitional"),
        ("{bad", "", "", "malformed JSON"),
        ('{"a": 1, "a": 2}', "", "a", "twice"),
        ("[1]", "", "", "expected a mapping"),
        ("{}", "?ruleset=nope", "ruleset", "unknown rule set"),
        ("{}", "?pretest=2", "query.pretest", "less than 1"),
    ],
)
def test_bad_input_is_422_with_field_and_reason(
    client: TestClient, body: str, query: str, field: str, fragment: str
) -> None:
    response = client.post(f"/v1/assessments{query}", content=body, headers=JSON)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert any(d["field"] == field and fragment in d["message"] for d in detail), detail


def test_body_over_the_limit_is_413() -> None:
    small = TestClient(create_app(ServiceSettings(max_body_bytes=2048)))
    response = small.post("/v1/assessments", content="x" * 4096, headers=JSON)
    assert response.status_code == 413


def test_rulesets_endpoints(client: TestClient) -> None:
    listing = client.get("/v1/rulesets").json()
    refs = {
        f"{name}@{version}"
        for name in ("textbook", "mild-trial", "cms-ncd-150.13")
        for version in ("1.0.0", "1.1.0")
    } | {"textbook@1.2.0"}
    assert {r["ref"] for r in listing} == refs
    detail = client.get("/v1/rulesets/mild-trial")
    assert detail.status_code == 200 and detail.json()["ref"] == "mild-trial@1.1.0"
    assert "Ligamentum flavum at least 2.5 mm" in detail.json()["markdown"]
    assert client.get("/v1/rulesets/nope").status_code == 404


def test_docs_are_served_offline(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "https://" not in page.text and "http://" not in page.text
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "PatientRecord" in schema["components"]["schemas"]


def test_cors_is_off_by_default_and_configurable(client: TestClient) -> None:
    origin = {"origin": "http://127.0.0.1:9999"}
    assert "access-control-allow-origin" not in client.get("/health", headers=origin).headers
    allowed = TestClient(create_app(ServiceSettings(cors_origins=("http://127.0.0.1:9999",))))
    assert (
        allowed.get("/health", headers=origin).headers["access-control-allow-origin"]
        == "http://127.0.0.1:9999"
    )


def test_no_patient_identifiers_in_logs(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    record = json.loads(example_json("01-bilateral-l45-candidate"))
    record["id"] = "MRN-0042-SECRET"
    record["summary"] = "Jane Example, born 1950"
    with caplog.at_level(logging.DEBUG):
        client.post("/v1/assessments", content=json.dumps(record), headers=JSON)
        client.post("/v1/assessments", content=json.dumps({**record, "symptom": 1}), headers=JSON)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "MRN-0042-SECRET" not in logged and "Jane Example" not in logged
