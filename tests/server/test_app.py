"""The composition root: the API edge alone, and the served application with every edge beside it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from lss_pathway.api.app import create_app as create_api_app
from lss_pathway.api.settings import ServiceSettings
from lss_pathway.server.app import create_app
from lss_pathway.web.routes import router as web_router


def test_the_served_application_mounts_every_edge_side_by_side() -> None:
    client = TestClient(create_app(ServiceSettings()))
    assert 'name="report_text"' in client.get("/").text  # the clinic form (web)
    assert client.get("/static/web/app.css").status_code == 200  # the pages' own stylesheet
    assert client.get("/registry").status_code in (200, 401)  # registry pages (sign-in without a token)
    assert client.get("/cds-services").status_code == 200  # CDS Hooks (api)
    extracted = client.post("/v1/extract", json={"text": "L4-L5: severe central canal stenosis."})
    assert extracted.status_code == 200 and extracted.json()["evidence"]  # report reading (nlp, over api)
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/assessments", "/v1/measure", "/v1/extract"} <= set(paths)  # imaging over the api too


def test_the_api_edge_alone_serves_the_api_and_no_pages() -> None:
    client = TestClient(create_api_app(ServiceSettings()))
    assert client.get("/health").json()["status"] == "ok"
    assert client.get("/cds-services").status_code == 200
    assert client.get("/").status_code == 404
    assert client.post("/v1/extract", json={"text": "L4-L5: severe stenosis."}).status_code == 404


def test_the_clinic_form_without_a_report_reader_says_so_instead_of_failing() -> None:
    """The web edge gets its report reader from the composition root; built without one, it explains."""
    app = create_api_app(ServiceSettings())
    app.include_router(web_router)
    response = TestClient(app).post("/prefill", data={"report_text": "L4-L5: severe central stenosis."})
    assert response.status_code == 501
    assert "reads no reports" in response.text
    assert 'name="report_text"' in response.text  # the form comes back, nothing is lost


def test_the_served_clinic_form_reads_a_pasted_report() -> None:
    client = TestClient(create_app(ServiceSettings()))
    response = client.post(
        "/prefill", data={"report_text": "FINDINGS: L4-L5: severe central canal stenosis."}
    )
    assert response.status_code == 200
    assert "severe central canal stenosis" in response.text
