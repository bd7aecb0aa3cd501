"""REST under /v1/registry on both engines: tokens and roles first, then the same rules as the store."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.registry.helpers import answers

from lss_pathway.registry.models import FollowUp, Subject
from lss_pathway.registry.store import Registry
from lss_pathway.registry.tokens import create_token, digest
from lss_pathway.server.app import create_app


@pytest.fixture
def client(registry: Registry) -> TestClient:
    app = create_app()
    app.state.registry_engine = registry.engine
    return TestClient(app)


@pytest.fixture
def tokens(registry: Registry) -> dict[str, str]:
    return {role: create_token(registry.engine, f"t-{role}", role) for role in ("read", "write", "admin")}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def enrol_and_treat(client: TestClient, token: str) -> str:
    made = client.post("/v1/registry/subjects", json={"age": 70}, headers=auth(token))
    assert made.status_code == 201
    sid = str(made.json()["study_id"])
    base = {"time_point": "baseline", "date": "2025-01-03", "responses": answers(25, 8)}
    assert (
        client.post(f"/v1/registry/subjects/{sid}/follow-ups", json=base, headers=auth(token)).status_code
        == 201
    )
    proc = {"date": "2025-01-10", "levels": ["L4-L5 left", "L4-L5 right"], "operator": "op-1"}
    assert (
        client.post(f"/v1/registry/subjects/{sid}/procedures", json=proc, headers=auth(token)).status_code
        == 201
    )
    return sid


ROUTES = [
    ("get", "/v1/registry/report"),
    ("get", "/v1/registry/subjects/X"),
    ("get", "/v1/registry/audit"),
    ("post", "/v1/registry/subjects"),
    ("post", "/v1/registry/subjects/X/follow-ups"),
]


def test_no_valid_token_is_401_without_data(client: TestClient, tokens: dict[str, str]) -> None:
    revoked_shape = tokens["admin"][:-2] + "xx"  # right prefix, unknown digest
    for header in (None, "Bearer nope", "Basic abc", "Bearer ", f"Bearer {revoked_shape}"):
        headers = {} if header is None else {"Authorization": header}
        for method, path in ROUTES:
            response = client.request(method, path, headers=headers, json={})
            assert response.status_code == 401, (header, path)
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert set(response.json()) == {"detail"}


def test_roles(client: TestClient, tokens: dict[str, str], registry: Registry) -> None:
    before = registry.count(Subject)
    refused = client.post("/v1/registry/subjects", json={"age": 70}, headers=auth(tokens["read"]))
    assert refused.status_code == 403 and "study_id" not in refused.text
    assert registry.count(Subject) == before
    assert client.get("/v1/registry/audit", headers=auth(tokens["write"])).status_code == 403
    assert client.get("/v1/registry/report", headers=auth(tokens["read"])).status_code == 200
    assert client.get("/v1/registry/audit", headers=auth(tokens["admin"])).status_code == 200


def test_tokens_are_stored_only_as_digests(registry: Registry, tokens: dict[str, str]) -> None:
    from sqlalchemy import text

    with registry.engine.connect() as conn:
        stored = set(conn.execute(text("SELECT token_sha256 FROM access_tokens")).scalars())
    assert not any(t in stored for t in tokens.values())
    assert {digest(t) for t in tokens.values()} <= stored


def test_follow_up_flow_and_errors(client: TestClient, tokens: dict[str, str], registry: Registry) -> None:
    sid = enrol_and_treat(client, tokens["write"])
    url = f"/v1/registry/subjects/{sid}/follow-ups"
    good = {"time_point": "3m", "date": "2025-04-12", "responses": answers(10, 3)}
    made = client.post(url, json=good, headers=auth(tokens["write"]))
    assert made.status_code == 201 and made.json()["scores"] == {"odi": 20.0, "nprs": 3.0}
    count = registry.count(FollowUp)
    duplicate = client.post(url, json=good, headers=auth(tokens["write"]))
    assert duplicate.status_code == 409 and duplicate.json()["detail"][0]["field"] == "time_point"
    early = {**good, "time_point": "6m", "date": "2024-12-01"}
    assert client.post(url, json=early, headers=auth(tokens["write"])).status_code == 422
    wrong = {**good, "time_point": "6m", "date": "2025-07-10", "responses": {"nprs": {"nprs": 42}}}
    refused = client.post(url, json=wrong, headers=auth(tokens["write"]))
    assert (
        refused.status_code == 422 and refused.json()["detail"][0]["field"] == "responses.nprs.answers.nprs"
    )
    unknown = client.post("/v1/registry/subjects/SNOPE/follow-ups", json=good, headers=auth(tokens["write"]))
    assert unknown.status_code == 404
    assert registry.count(FollowUp) == count
    timeline = client.get(f"/v1/registry/subjects/{sid}", headers=auth(tokens["read"])).json()
    assert [f["time_point"] for f in timeline["follow_ups"]] == ["baseline", "3m"]
    assert timeline["procedures"][0]["levels"] == "L4-L5 left;L4-L5 right" and "op-1" not in str(timeline)
    audit = client.get("/v1/registry/audit", params={"key": sid}, headers=auth(tokens["admin"])).json()
    assert {e["actor"] for e in audit} == {"t-write"}


def test_uninitialised_database_is_503_not_500(engine: object) -> None:
    app = create_app()
    app.state.registry_engine = engine
    response = TestClient(app).get("/v1/registry/report", headers={"Authorization": "Bearer lssr_x"})
    assert response.status_code == 503 and "registry init" in response.text
