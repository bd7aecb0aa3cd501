"""The real server (uvicorn) on loopback: started, queried over HTTP, stopped."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from tests.api.conftest import example_json
from tests.live_server import serving

from lss_pathway.api.app import create_app
from lss_pathway.api.settings import ServiceSettings


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serving(create_app(ServiceSettings())) as url:
        yield url


def test_real_server_answers_health_and_assessments(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as http:
        assert http.get("/health").json()["status"] == "ok"
        response = http.post(
            "/v1/assessments",
            content=example_json("01-bilateral-l45-candidate"),
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 200
        cells = {(c["level"], c["side"]): c["verdict"] for c in response.json()["candidacy"]}
        assert cells[("L4-L5", "left")] == "candidate"
        assert http.get("/cds-services").status_code == 200
