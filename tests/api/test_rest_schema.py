"""The assessment endpoints answer in schema 2 by default, schema 1 on request, trees with explain=full."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.api.conftest import EXAMPLES, example_json

from lss_pathway.assess import assess
from lss_pathway.assessment_json import assessment_json
from lss_pathway.domain.parsing import parse_record
from lss_pathway.fhir.mapping import bundle_from_record

JSON = {"Content-Type": "application/json"}
NAME = "01-bilateral-l45-candidate"


def _library(**kwargs: object) -> dict[str, object]:
    a = assess(parse_record((EXAMPLES / f"{NAME}.yaml").read_text(), "yaml"))
    return assessment_json(a, **kwargs)  # type: ignore[arg-type]


def _without_digest(data: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in data.items() if k != "input_digest"}


def test_each_shape_is_the_librarys(client: TestClient) -> None:
    body = example_json(NAME)
    for query, expected in (
        ("", _library()),
        ("?schema=2&explain=full", _library(explain=True)),
        ("?schema=1", _library(schema=1)),
    ):
        response = client.post(f"/v1/assessments{query}", content=body, headers=JSON)
        assert response.status_code == 200, query
        assert _without_digest(response.json()) == expected, query


def test_fhir_assessments_take_the_same_parameters(client: TestClient) -> None:
    bundle = bundle_from_record(parse_record((EXAMPLES / f"{NAME}.yaml").read_text(), "yaml"))
    lean = client.post("/v1/fhir/assessments", json=bundle).json()
    old = client.post("/v1/fhir/assessments?schema=1", json=bundle).json()
    assert lean["schema_version"] == "2.0" and isinstance(lean["criteria"], dict)
    assert old["schema_version"] == "1.1" and isinstance(old["criteria"], list)
    assert lean["candidacy"] == old["candidacy"]
    assert lean["ignored_input"] == old["ignored_input"]


def test_unknown_shapes_are_refused(client: TestClient) -> None:
    body = example_json(NAME)
    for query, field in (("?schema=3", "query.schema"), ("?explain=yes", "query.explain")):
        response = client.post(f"/v1/assessments{query}", content=body, headers=JSON)
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == field
