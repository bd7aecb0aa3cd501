"""The real server (uvicorn) on loopback: started, queried over HTTP, stopped."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from tests.api.conftest import example_json

from lss_pathway.api.app import create_app
from lss_pathway.api.settings import ServiceSettings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(ServiceSettings()), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "server did not start within 10 s"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


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
