"""Schemathesis against our own OpenAPI document: generated requests never produce a server error."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from lss_pathway.api.app import create_app
from lss_pathway.api.settings import ServiceSettings

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(ServiceSettings()))


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code}"
