"""Clinic pages for the registry: cohort dashboard, a patient's timeline, due follow-ups.

Signing in posts a registry token once; the server keeps it in an HttpOnly, SameSite=Strict cookie and
checks it (read role or above) on every page. Without a valid one the page is a 401 sign-in form with no
registry data on it. The dashboard uses the same small-cell floor as exports.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

router = APIRouter(prefix="/registry", include_in_schema=False)
COOKIE = "lss_registry_token"
READ_ROLES = ("read", "write", "admin")


@cache
def _templates() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    from lss_pathway.report.html import b64

    env = Environment(
        loader=PackageLoader("lss_pathway.registry", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
    )
    # Plots go in as data: images, because the pages' CSP refuses the inline styles matplotlib's SVG uses.
    env.filters["b64"] = b64
    return env


def _count(value: int | None, floor: int = 10) -> str:
    return f"< {floor}" if value is None else str(value)


def _rate(row: dict[str, Any]) -> str:
    if row.get("rate") is None:
        return "withheld" if row.get("suppressed") else "-"
    low, high = row["ci95"]
    return f"{row['rate'] * 100:.0f}% ({low * 100:.0f}-{high * 100:.0f}%)"


def _page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    from lss_pathway.report.csp import PAGE_CSP

    html = _templates().get_template(name).render(n=_count, rate=_rate, **context)
    headers = {"Cache-Control": "no-store", "Content-Security-Policy": PAGE_CSP}
    return HTMLResponse(html, status_code=status, headers=headers)


def _login(message: str | None = None) -> HTMLResponse:
    return _page("registry_login.html", 401, title="Registry sign-in", message=message)


def _engine_if_allowed(request: Request) -> Any:
    """The registry engine when the cookie holds a live token with a read role, else None."""
    from lss_pathway.registry.rest import registry_engine
    from lss_pathway.registry.tokens import credential

    token = request.cookies.get(COOKIE)
    if not token:
        return None
    engine = registry_engine(request)
    found = credential(engine, token)
    return engine if found is not None and found[1] in READ_ROLES else None


@router.post("/login")
def login(request: Request, token: Annotated[str, Form()]) -> Response:
    from lss_pathway.registry.rest import registry_engine
    from lss_pathway.registry.tokens import credential

    found = credential(registry_engine(request), token.strip())
    if found is None or found[1] not in READ_ROLES:
        return _login("That token is not valid for the registry.")
    response = RedirectResponse("/registry", status_code=303)
    response.set_cookie(
        COOKIE,
        token.strip(),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/registry",
    )
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/registry", status_code=303)
    response.delete_cookie(COOKIE, path="/registry")
    return response


@router.get("")
def dashboard(request: Request) -> Response:
    from lss_pathway.registry.plots import km_svg, trajectory_svg
    from lss_pathway.registry.report import cohort_report

    engine = _engine_if_allowed(request)
    if engine is None:
        return _login()
    report = cohort_report(engine, dt.date.today())
    return _page(
        "registry_dashboard.html",
        title="Cohort dashboard",
        report=report,
        km_svg=km_svg(report["durability"]["reoperation"]["steps"], "Free of reoperation"),
        odi_svg=trajectory_svg(report["trajectories"]["odi"], None, "ODI %"),
    )


def _subject_context(engine: Any, study_id: str) -> dict[str, Any] | None:
    """Everything a subject's page and its printable report show, or None for an unknown study id."""
    from lss_pathway.clinical.outcomes.cohort import trajectories
    from lss_pathway.registry.export import deidentified_tables
    from lss_pathway.registry.plots import trajectory_svg
    from lss_pathway.registry.reading import courses, stored_schedule
    from lss_pathway.registry.report import cohort_report
    from lss_pathway.registry.store import Registry
    from lss_pathway.registry.timeline import assessment_timeline

    tables = deidentified_tables(engine, study_id)
    if not tables["subjects"]:
        return None
    subject = tables["subjects"][0]
    schedule_id = subject["schedule"].split("@")[0]
    today = dt.date.today()
    cohort = cohort_report(engine, today, schedule_id=schedule_id)
    mine = [c for c in courses(engine, today, schedule_id) if c.study_id == study_id]
    schedule = stored_schedule(engine, schedule_id)
    plots = {}
    for instrument, label in (("odi", "ODI %"), ("nprs", "NPRS")):
        _rows, paths = trajectories(mine, schedule, instrument)
        plots[f"{instrument}_svg"] = trajectory_svg(cohort["trajectories"][instrument], paths, label)
    return {
        "title": f"Registry: {study_id}",
        "subject": subject,
        "procedures": tables["procedures"],
        "follow_ups": tables["follow_ups"],
        "assessments": assessment_timeline(engine, study_id),
        "audit": Registry(engine).audit_trail(study_id),
        **plots,
    }


@router.get("/subjects/{study_id}")
def subject_page(request: Request, study_id: str) -> Response:
    engine = _engine_if_allowed(request)
    if engine is None:
        return _login()
    context = _subject_context(engine, study_id)
    if context is None:
        return _page("registry_due.html", 404, title=f"No subject {study_id}", due=[])
    return _page("registry_subject.html", **context)


@router.get("/subjects/{study_id}/report")
def subject_report(request: Request, study_id: str, format: str = "html") -> Response:
    """The subject's printable report with the follow-up plots: one self-contained page, or its PDF."""
    from lss_pathway.report.csp import REPORT_CSP

    engine = _engine_if_allowed(request)
    if engine is None:
        return _login()
    if format not in ("html", "pdf"):
        return _page("registry_due.html", 422, title="The report format is html or pdf", due=[])
    context = _subject_context(engine, study_id)
    if context is None:
        return _page("registry_due.html", 404, title=f"No subject {study_id}", due=[])
    html = (
        _templates()
        .get_template("registry_print.html")
        .render(n=_count, printed_on=dt.date.today().isoformat(), **context)
    )
    if format == "pdf":
        from lss_pathway.report.pdf import html_to_pdf

        return Response(
            html_to_pdf(html),
            media_type="application/pdf",
            headers={
                "Cache-Control": "no-store",
                "Content-Disposition": f'attachment; filename="registry-{study_id}.pdf"',
            },
        )
    return HTMLResponse(html, headers={"Cache-Control": "no-store", "Content-Security-Policy": REPORT_CSP})


@router.get("/due")
def due_page(request: Request) -> Response:
    from lss_pathway.clinical.outcomes.cohort import due_follow_ups
    from lss_pathway.registry.reading import courses, stored_schedule

    engine = _engine_if_allowed(request)
    if engine is None:
        return _login()
    today = dt.date.today()
    schedule = stored_schedule(engine)
    due = due_follow_ups(courses(engine, today, schedule.id), schedule)
    return _page("registry_due.html", title="Due follow-ups", due=due)
