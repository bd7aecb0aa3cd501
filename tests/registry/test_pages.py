"""Registry pages: nothing without a signed-in token; dashboard, timeline and due list with one."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient

from lss_pathway.registry.bulk import import_lines
from lss_pathway.registry.demo import synthetic_lines
from lss_pathway.registry.store import Registry
from lss_pathway.registry.tokens import create_token
from lss_pathway.server.app import create_app

PAGES = ("/registry", "/registry/due", "/registry/subjects/DEMO-5-000001")


def _client(registry: Registry, subjects: int) -> TestClient:
    """A client of the app over this registry, holding a synthetic cohort; not signed in."""
    start = dt.date.today() - dt.timedelta(days=900)
    import_lines(registry.engine, synthetic_lines(subjects, seed=5, start=start), actor="seed", reason="demo")
    app = create_app()
    app.state.registry_engine = registry.engine
    return TestClient(app)


def test_pages_need_a_token_and_show_the_cohort_with_one(registry: Registry) -> None:
    client = _client(registry, 40)
    for path in PAGES:
        page = client.get(path)
        assert page.status_code == 401 and "Registry token" in page.text and "DEMO-" not in page.text
    assert client.post("/registry/login", data={"token": "lssr_wrong"}).status_code == 401
    token = create_token(registry.engine, "reader", "read")
    signed_in = client.post("/registry/login", data={"token": token}, follow_redirects=False)
    assert signed_in.status_code == 303
    cookie = signed_in.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie

    dashboard = client.get("/registry")
    assert dashboard.status_code == 200 and dashboard.headers["cache-control"] == "no-store"
    assert "Responder rates" in dashboard.text and dashboard.text.count("data:image/svg+xml;base64,") == 2
    assert "Follow-up completeness" in dashboard.text
    patient = client.get("/registry/subjects/DEMO-5-000001")
    assert (
        patient.status_code == 200
        and "seed" in patient.text
        and patient.text.count("data:image/svg+xml;base64,") == 2
    )
    assert "(index)" in patient.text
    due = client.get("/registry/due")
    assert due.status_code == 200 and ("due now" in due.text or "overdue" in due.text)
    assert client.get("/registry/subjects/NOPE").status_code == 404
    client.post("/registry/logout")
    assert client.get("/registry").status_code == 401


def _signed_in(registry: Registry) -> TestClient:
    client = _client(registry, 12)
    token = create_token(registry.engine, "reader", "read")
    assert client.post("/registry/login", data={"token": token}, follow_redirects=False).status_code == 303
    return client


def test_the_subject_page_lists_stored_assessments_with_what_each_decided(registry: Registry) -> None:
    from pathlib import Path

    from lss_pathway.assess import assess
    from lss_pathway.domain.parsing import parse_record

    client = _signed_in(registry)
    study_id = "DEMO-5-000002"
    raw = (Path(__file__).parents[2] / "examples" / "01-bilateral-l45-candidate.yaml").read_bytes()
    produced = assess(parse_record(raw.decode(), "yaml")).to_dict()
    registry.store_assessment(study_id, produced, raw, actor="t", reason="test")
    page = client.get(f"/registry/subjects/{study_id}")
    assert page.status_code == 200
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    section = page.text.split("<h2>Assessments</h2>")[1].split("<h2>")[0]
    ruleset = f"{produced['ruleset']['id']}@{produced['ruleset']['version']}"
    assert ruleset in section and "L4-L5 left, L4-L5 right" in section
    empty = client.get("/registry/subjects/DEMO-5-000003")
    assert "No assessment stored for this subject." in empty.text


def test_the_printable_report_carries_the_follow_up_plots_and_no_calendar_date(registry: Registry) -> None:
    client = _signed_in(registry)
    report = client.get("/registry/subjects/DEMO-5-000001/report")
    assert report.status_code == 200
    assert report.text.count("data:image/svg+xml;base64,") == 2
    body = report.text.replace(dt.date.today().isoformat(), "")  # the printing date is the one date shown
    assert not re.search(r"\b(19|20)\d\d-\d\d-\d\d\b", body)
    assert "<link" not in report.text and "<script" not in report.text  # self-contained
    assert client.get("/registry/subjects/DEMO-5-000001/report?format=docx").status_code == 422
    assert client.get("/registry/subjects/NOPE/report").status_code == 404
    client.post("/registry/logout")
    refused = client.get("/registry/subjects/DEMO-5-000001/report")
    assert refused.status_code == 401 and "DEMO-" not in refused.text


def test_the_printable_report_downloads_as_a_pdf(registry: Registry) -> None:
    pytest.importorskip("weasyprint", reason="the PDF needs WeasyPrint (make test installs it)")
    client = _signed_in(registry)
    pdf = client.get("/registry/subjects/DEMO-5-000001/report?format=pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert (
        pdf.content.startswith(b"%PDF-") and b"DEMO-5-000001" in pdf.headers["content-disposition"].encode()
    )
