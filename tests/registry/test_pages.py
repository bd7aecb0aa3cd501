"""Registry pages: nothing without a signed-in token; dashboard, timeline and due list with one."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from lss_pathway.api.app import create_app
from lss_pathway.registry.bulk import import_lines
from lss_pathway.registry.demo import synthetic_lines
from lss_pathway.registry.store import Registry
from lss_pathway.registry.tokens import create_token

PAGES = ("/registry", "/registry/due", "/registry/subjects/DEMO-5-000001")


def test_pages_need_a_token_and_show_the_cohort_with_one(registry: Registry) -> None:
    start = dt.date.today() - dt.timedelta(days=900)
    import_lines(registry.engine, synthetic_lines(40, seed=5, start=start), actor="seed", reason="demo")
    app = create_app()
    app.state.registry_engine = registry.engine
    client = TestClient(app)
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
    assert "Responder rates" in dashboard.text and dashboard.text.count("<svg") == 2
    assert "Follow-up completeness" in dashboard.text
    patient = client.get("/registry/subjects/DEMO-5-000001")
    assert patient.status_code == 200 and "seed" in patient.text and patient.text.count("<svg") == 2
    assert "(index)" in patient.text
    due = client.get("/registry/due")
    assert due.status_code == 200 and ("due now" in due.text or "overdue" in due.text)
    assert client.get("/registry/subjects/NOPE").status_code == 404
    client.post("/registry/logout")
    assert client.get("/registry").status_code == 401
