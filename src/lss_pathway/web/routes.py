"""The clinic pages: the form, the result, and the report as HTML or PDF.

Stateless on purpose: nothing about a patient is stored on the server. The result page carries the
submitted form values in hidden fields, so "print", "PDF" and "edit" re-send them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from lss_pathway import __version__
from lss_pathway.assess import Assessment, assess
from lss_pathway.domain.parsing import FieldError, InputError, record_from_data
from lss_pathway.report.csp import PAGE_CSP, REPORT_CSP
from lss_pathway.report.html import figure_parts, render_report_html
from lss_pathway.report.paper import Paper
from lss_pathway.report.view import report_view
from lss_pathway.rulesets.catalog import DEFAULT_RULESET, RuleSetError, available, load_ruleset
from lss_pathway.web.examples import default_examples_dir, list_examples, load_example
from lss_pathway.web.form import (
    ADD_ROW,
    MAX_ROWS,
    ROWS_FIELD,
    FormValues,
    ListRows,
    all_fields,
    field_for_error,
    form_sections,
    form_to_data,
    place_for_error,
    record_to_form,
    rows_for,
    unknown_fields,
)
from lss_pathway.web.report_prefill import REPORT_FIELD, Prefill, ReportReader, prefill
from lss_pathway.web.templating import environment
from lss_pathway.web.upload import FILE_FIELD, FileReader, LoadedForm, to_form

router = APIRouter(include_in_schema=False)

_SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def install_report_reader(app: FastAPI, read: ReportReader) -> None:
    """Give the form's "paste the MRI report" its reader (the composition root passes the nlp edge's)."""
    app.state.report_reader = read


def install_file_reader(app: FastAPI, read: FileReader) -> None:
    """Let the form load patient files and FHIR Bundles (the composition root passes the API's checks)."""
    app.state.file_reader = read


def _file_reader(request: Request) -> FileReader | None:
    read: FileReader | None = getattr(request.app.state, "file_reader", None)
    return read


def _report_reader(request: Request) -> ReportReader | None:
    read: ReportReader | None = getattr(request.app.state, "report_reader", None)
    return read


def _examples_dir(request: Request) -> Path | None:
    configured = request.app.state.settings.examples_dir
    return Path(configured) if configured else default_examples_dir()


def _page(template: str, status: int = 200, csp: str = PAGE_CSP, **context: Any) -> HTMLResponse:
    html = environment().get_template(template).render(tool_version=__version__, **context)
    return HTMLResponse(html, status_code=status, headers={**_SECURITY, "Content-Security-Policy": csp})


def _rulesets() -> list[dict[str, str]]:
    out = []
    for entry in available():
        rules = load_ruleset(entry.ref)
        out.append({"ref": rules.id, "label": f"{rules.id} {rules.version}: {rules.title}"})
    return out


def _form_page(
    request: Request,
    values: FormValues,
    ruleset: str,
    errors: dict[str, list[str]] | None = None,
    general: list[str] | None = None,
    status: int = 200,
    loaded: str | None = None,
    report: Prefill | None = None,
    uploaded: LoadedForm | None = None,
    rows: ListRows | None = None,
) -> HTMLResponse:
    rows = rows or rows_for(values)
    fields = all_fields(rows)
    return _page(
        "form.html",
        status=status,
        sections=form_sections(rows),
        max_rows=MAX_ROWS,
        values=values,
        errors=errors or {},
        general_errors=general or [],
        labels={f.name: f.label for f in fields},
        ids={f.name: f.html_id for f in fields},
        rulesets=_rulesets(),
        ruleset=ruleset,
        examples=list_examples(_examples_dir(request)),
        loaded=loaded,
        report=report,
        uploaded=uploaded,
        can_upload=_file_reader(request) is not None,
        upload_limit_kb=request.app.state.settings.max_body_bytes // 1000,
    )


def _values(form: FormData) -> tuple[FormValues, str]:
    """The submitted form as field values (lists only for multi-select fields) and the chosen rule set."""
    multi = {f.name for f in all_fields() if f.kind == "multi"}
    values: FormValues = {}
    for key in form:
        if key in ("ruleset", "paper", REPORT_FIELD, ADD_ROW) or key.startswith(ROWS_FIELD):
            continue
        items = [str(v) for v in form.getlist(key)]
        values[key] = items if key in multi else (items[-1] if items else "")
    return values, str(form.get("ruleset") or DEFAULT_RULESET)


def _errors_by_field(
    errors: list[FieldError], data: dict[str, Any]
) -> tuple[dict[str, list[str]], list[str]]:
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    for err in errors:
        name = field_for_error(err.field, data) if err.field else None
        if name is None:
            place = place_for_error(err.field, data)
            general.append(f"{place}: {err.message}" if place else err.message)
        else:
            by_field.setdefault(name, []).append(err.message)
    return by_field, general


class _Invalid(Exception):
    def __init__(self, errors: dict[str, list[str]], general: list[str]):
        self.errors, self.general = errors, general


def _assess_form(values: FormValues, ruleset: str) -> Assessment:
    unknown = unknown_fields(values)
    if unknown:
        raise _Invalid(
            {},
            [
                f"the form sent '{name}', which this version does not know, so it was not used; "
                "reload the form and enter it again"
                for name in unknown
            ],
        )
    data = form_to_data(values)
    today = dt.date.today()  # the as-of date of a form without an assessment date
    try:
        rules = load_ruleset(ruleset)
    except RuleSetError as exc:
        raise _Invalid({}, [f"rule set: {exc}"]) from None
    try:
        record = record_from_data(data, today=today)
    except InputError as exc:
        raise _Invalid(*_errors_by_field(exc.errors, data)) from None
    return assess(record, rules, today=today)


@router.get("/", response_class=HTMLResponse)
def form_page(request: Request, example: str | None = None, ruleset: str = DEFAULT_RULESET) -> HTMLResponse:
    """The empty form, or the form filled from a named example."""
    if example:
        record = load_example(_examples_dir(request), example)
        if record is None:
            return _form_page(request, {}, ruleset, general=[f"no example named '{example}'"], status=404)
        return _form_page(request, record_to_form(record), ruleset, loaded=example)
    return _form_page(request, {}, ruleset)


@router.post("/", response_class=HTMLResponse)
async def edit_page(request: Request) -> HTMLResponse:
    """Back to the form with the values the result page carried, or with one more row in a list table
    ("Add a row": a round trip, since the pages run no script)."""
    form = await request.form()
    values, ruleset = _values(form)
    shown = {key.removeprefix(ROWS_FIELD): str(form[key]) for key in form if key.startswith(ROWS_FIELD)}
    rows = rows_for(values, shown, add=str(form.get(ADD_ROW) or ""))
    return _form_page(request, values, ruleset, rows=rows)


@router.post("/assess", response_class=HTMLResponse)
async def result_page(request: Request) -> HTMLResponse:
    values, ruleset = _values(await request.form())
    return await _result(request, values, ruleset)


@router.post("/upload", response_class=HTMLResponse)
async def upload_page(request: Request) -> HTMLResponse:
    """The form filled from a patient file or FHIR Bundle sent from the clinician's computer.

    The file is read from this request only and never written anywhere by this code. Errors are the API's,
    listed above the empty form (a file's paths do not always have a field on the form).
    """
    read = _file_reader(request)
    limit = request.app.state.settings.max_body_bytes
    async with request.form(max_files=1, max_fields=8) as form:
        ruleset = str(form.get("ruleset") or DEFAULT_RULESET)
        upload = form.get(FILE_FIELD)
        if read is None:
            return _form_page(request, {}, ruleset, general=["this server loads no files"], status=501)
        if upload is None or isinstance(upload, str) or not upload.filename:
            return _form_page(request, {}, ruleset, general=["choose a file to load"], status=422)
        content = await upload.read(limit + 1)
        name = upload.filename
    if len(content) > limit:
        message = f"the file is larger than {limit} bytes, the service's limit (--max-body-bytes)"
        return _form_page(request, {}, ruleset, general=[message], status=413)
    try:
        loaded = await run_in_threadpool(read, content, name)
    except InputError as exc:
        general = [f"{e.field}: {e.message}" if e.field else e.message for e in exc.errors]
        return _form_page(request, {}, ruleset, general=general, status=422)
    except RecursionError:
        return _form_page(request, {}, ruleset, general=["nesting too deep"], status=422)
    filled = await run_in_threadpool(to_form, loaded, dt.date.today())
    return _form_page(request, filled.values, ruleset, loaded=name, uploaded=filled)


@router.post("/prefill", response_class=HTMLResponse)
async def prefill_page(request: Request) -> HTMLResponse:
    """The form again, its blank imaging fields filled from the pasted report, each with its sentence.

    Its button is the form's first, so Enter in a field lands here too: with no report text this assesses,
    exactly as ``/assess`` does.
    """
    form = await request.form()
    values, ruleset = _values(form)
    text = str(form.get(REPORT_FIELD) or "")
    if not text.strip():
        return await _result(request, values, ruleset)
    read = _report_reader(request)
    if read is None:
        general = ["this server reads no reports (no report reader installed); enter the imaging by hand"]
        return _form_page(request, values, ruleset, general=general, status=501)
    found = await run_in_threadpool(prefill, values, text, read)
    return _form_page(request, found.values, ruleset, report=found)


async def _result(request: Request, values: FormValues, ruleset: str) -> HTMLResponse:
    try:
        a = _assess_form(values, ruleset)
    except _Invalid as bad:
        return _form_page(request, values, ruleset, bad.errors, bad.general, status=422)
    svg, caption = await run_in_threadpool(figure_parts, a)
    return _page(
        "result.html",
        v=report_view(a),
        figure_svg=svg,
        figure_caption=caption,
        carried=_carried(values),
        ruleset=ruleset,
    )


def _carried(values: FormValues) -> list[tuple[str, str]]:
    """Non-blank values as (name, value) pairs for hidden inputs, so the next request can re-assess."""
    pairs: list[tuple[str, str]] = []
    for name, value in values.items():
        for item in value if isinstance(value, list) else [value]:
            if item.strip():
                pairs.append((name, item))
    return pairs


def _paper(form: FormData) -> Paper:
    return Paper.LETTER if str(form.get("paper", "")).lower() == "letter" else Paper.A4


async def _report_html(request: Request) -> str | HTMLResponse:
    """The report page for the posted values, or the form with its errors."""
    form = await request.form()
    values, ruleset = _values(form)
    try:
        a = _assess_form(values, ruleset)
    except _Invalid as bad:
        return _form_page(request, values, ruleset, bad.errors, bad.general, status=422)
    return await run_in_threadpool(render_report_html, a, _paper(form))


@router.post("/report", response_class=HTMLResponse)
async def report_page(request: Request) -> HTMLResponse:
    html = await _report_html(request)
    if isinstance(html, HTMLResponse):
        return html
    return HTMLResponse(html, headers={**_SECURITY, "Content-Security-Policy": REPORT_CSP})


@router.post("/report.pdf")
async def report_pdf(request: Request) -> Response:
    from lss_pathway.report.pdf import html_to_pdf

    html = await _report_html(request)
    if isinstance(html, HTMLResponse):
        return html
    pdf = await run_in_threadpool(html_to_pdf, html)
    # A fixed file name: a record reference could identify the patient in a downloads folder.
    headers = {**_SECURITY, "Content-Disposition": 'attachment; filename="lss-assessment.pdf"'}
    return Response(pdf, media_type="application/pdf", headers=headers)


@router.get("/static/web/report.css")
def report_css() -> Response:
    """The report's stylesheet, shared with the result page (the standalone report inlines it)."""
    from importlib.resources import files

    css = files("lss_pathway.report").joinpath("templates/report.css").read_text(encoding="utf-8")
    return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=3600"})
