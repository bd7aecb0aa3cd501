"""Shared fixtures for service tests: an app, a client, example records as JSON bodies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from lss_pathway.api.app import create_app
from lss_pathway.api.settings import ServiceSettings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example_json(name: str) -> str:
    return json.dumps(yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text()), default=str)


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(ServiceSettings()))
