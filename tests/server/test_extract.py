"""``POST /v1/extract`` through the app factory (in-process; no network)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from lss_pathway.server.app import create_app

client = TestClient(create_app())


def test_extract_returns_imaging_and_evidence() -> None:
    response = client.post(
        "/v1/extract", json={"text": "L4-5: Moderate right foraminal stenosis.", "report_id": "r1"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["report_id"] == "r1"
    side = body["imaging"]["levels"][0]["sides"][0]
    assert side == {"side": "right", "foraminal_stenosis": "moderate"}
    evidence = body["evidence"]["imaging.levels[L4-L5].sides[right].foraminal_stenosis"]
    assert evidence["rule_id"] == "loc.foramen" and evidence["span"]["start"] == 6


def test_extract_refuses_a_body_without_text() -> None:
    response = client.post("/v1/extract", json={"report": "L4-5"})
    assert response.status_code in (400, 422)


def test_implausible_values_are_dropped_not_a_server_error() -> None:
    response = client.post("/v1/extract", json={"text": "L4-5: dural sac area 9999 mm2. LF 99 mm."})
    assert response.status_code == 200
    body = response.json()
    assert body["imaging"]["levels"] == []
    assert any("plausible" in n["message"] for n in body["notes"])
