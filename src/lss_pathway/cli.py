"""The ``lss`` command: a thin layer over the library.

Exit codes: 0 success; 1 a check found problems; 2 bad input (the message names the field, what was wrong
and what is allowed). No traceback reaches the user; output is built whole before it is printed, so a
failure never leaves partial output behind.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markdown import Markdown

from lss_pathway import __version__
from lss_pathway.assess import Assessment, assess
from lss_pathway.batch import RecordText
from lss_pathway.domain.parsing import InputError, format_for, parse_record
from lss_pathway.domain.record import PatientRecord
from lss_pathway.domain.scope import check_scope
from lss_pathway.fhir.views.cli import views_app
from lss_pathway.imaging.cli import measure_command
from lss_pathway.nlp.cli import app as extract_app
from lss_pathway.registry import cli as registry_cli
from lss_pathway.report.paper import Paper
from lss_pathway.rulesets.catalog import (
    DEFAULT_RULESET,
    RuleSetError,
    available,
    load_ruleset,
    ruleset_from_text,
)
from lss_pathway.screening.cli import screen_command

if TYPE_CHECKING:
    from lss_pathway.report.terminal import SummaryRow

app = typer.Typer(
    help="Explainable LSS assessment and mild candidacy per level and side.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
rulesets_app = typer.Typer(help="List, show, compare and lint rule sets.", no_args_is_help=True)
app.add_typer(rulesets_app, name="rulesets")
instruments_app = typer.Typer(help="Clinical instruments and what is shipped.", no_args_is_help=True)
app.add_typer(instruments_app, name="instruments")
app.add_typer(extract_app)  # adds `lss extract`
app.add_typer(views_app, name="views")
app.command("measure")(measure_command)
app.add_typer(registry_cli.app, name="registry")
app.command("screen")(screen_command)

out = Console(highlight=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


class Instrument(StrEnum):
    odi = "odi"
    zcq = "zcq"
    nprs = "nprs"
    cook = "cook"
    sshq = "sshq"


class ScoreFormat(StrEnum):
    text = "text"
    json = "json"


class CookReading(StrEnum):
    exactly = "exactly"
    at_least = "at_least"


class SshqComparator(StrEnum):
    more_than = "more_than"
    or_more = "or_more"


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", markup=True)
    raise typer.Exit(code)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        _fail(f"{path}: no such file")
    except IsADirectoryError:
        _fail(f"{path}: is a directory; give a patient file")
    except UnicodeDecodeError:
        _fail(f"{path}: not UTF-8 text")
    except OSError as exc:
        _fail(f"{path}: cannot be read ({exc.strerror})")


def _load_record(path: Path) -> PatientRecord:
    try:
        today = dt.date.today()  # the as-of date of a record without an assessment date
        return check_scope(parse_record(_read(path), format_for(path.name), today=today), today)
    except RecursionError:
        _fail(f"{path}: invalid patient record\n  - nesting too deep")
    except InputError as exc:
        lines = "\n".join(f"  - {e}" for e in exc.errors)
        _fail(f"{path}: invalid patient record\n{lines}")


def _assess(record: PatientRecord, ruleset: str, pretest: float | None = None) -> Assessment:
    try:
        return assess(record, load_ruleset(ruleset), today=dt.date.today(), pretest=pretest)
    except RuleSetError as exc:
        _fail(str(exc))


RulesetOption = Annotated[
    str, typer.Option("--ruleset", "-r", help="Rule set NAME or NAME@VERSION (see 'lss rulesets list').")
]


@app.command("assess")
def assess_command(
    file: Annotated[Path, typer.Argument(help="Patient record, .json or .yaml")],
    ruleset: RulesetOption = DEFAULT_RULESET,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.text,
    pretest: Annotated[
        float | None,
        typer.Option(
            "--pretest",
            help="Pre-test probability of LSS (0-1) for post-test estimates.",
            min=0.001,
            max=0.999,
        ),
    ] = None,
    segmentation: Annotated[
        list[Path] | None,
        typer.Option("--segmentation", help="Label map(s) to measure and merge (see 'lss measure')."),
    ] = None,
    profile: Annotated[str, typer.Option("--profile", help="Label profile of --segmentation.")] = "manual",
    report: Annotated[
        Path | None, typer.Option("--report", help="Radiology report text: fills unknown imaging facts.")
    ] = None,
    schema_version: Annotated[
        int,
        typer.Option(
            "--schema-version", min=1, max=2, help="JSON shape: 2 (criteria once), or 1 for one release."
        ),
    ] = 2,
    explain: Annotated[
        bool, typer.Option("--explain", help="JSON: add each criterion's explanation tree.")
    ] = False,
) -> None:
    """Assess one patient: red flags, claudication, stenosis, candidacy per level and side, next steps."""
    record, from_report = _load_record(file), None
    if report is not None:
        from lss_pathway.nlp.cli import merge_report

        record, from_report, lines = merge_report(record, _read(report), report.name)
        for line in lines:
            err.print(line, markup=False)
    if segmentation:
        from lss_pathway.imaging.cli import merge_segmentation

        record = merge_segmentation(record, segmentation, profile, ruleset)
    result = _assess(record, ruleset, pretest)
    if fmt is OutputFormat.json:
        from lss_pathway.assessment_json import assessment_json

        shape = assessment_json(result, schema=2 if schema_version == 2 else 1, explain=explain)
        document = shape | ({"report_reading": from_report} if from_report else {})
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    elif fmt is OutputFormat.markdown:
        from lss_pathway.report.markdown import render_markdown

        sys.stdout.write(render_markdown(result))
    else:
        from lss_pathway.report.terminal import render_assessment

        out.print(render_assessment(result))


@app.command("report")
def report_command(
    file: Annotated[Path, typer.Argument(help="Patient record, .json or .yaml")],
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Write the report as PDF to this file.")] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write the report as HTML to this file.")
    ] = None,
    ruleset: RulesetOption = DEFAULT_RULESET,
    paper: Annotated[Paper, typer.Option("--paper", help="Page size.")] = Paper.A4,
    segmentation: Annotated[
        list[Path] | None,
        typer.Option(
            "--segmentation", help="Label map(s) to measure, merge and draw per level (see 'lss measure')."
        ),
    ] = None,
    profile: Annotated[str, typer.Option("--profile", help="Label profile of --segmentation.")] = "manual",
) -> None:
    """The printable report (HTML, and PDF with --pdf); with neither option the HTML goes to stdout."""
    from lss_pathway.report.html import render_report_html

    record, outlines = _load_record(file), None
    if segmentation:
        from lss_pathway.imaging.cli import measured_outlines

        record, outlines = measured_outlines(record, segmentation, profile, ruleset)
    result = _assess(record, ruleset)
    page = render_report_html(result, paper, outlines=outlines)
    if pdf is None and html is None:
        sys.stdout.write(page)
        return
    if html is not None:
        _write(html, page.encode("utf-8"))
        err.print(f"wrote {html}")
    if pdf is not None:
        from lss_pathway.report.pdf import html_to_pdf

        with err.status("rendering PDF..."):
            document = html_to_pdf(page)
        _write(pdf, document)
        err.print(f"wrote {pdf} ({len(document) // 1024} KB)")


def _write(path: Path, data: bytes) -> None:
    """Write whole or not at all: a half-written report must never be mistaken for the real one."""
    temporary = path.with_name(f".{path.name}.partial")
    try:
        temporary.write_bytes(data)
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        _fail(f"{path}: cannot be written ({exc.strerror})")


SUMMARY_ROWS_PER_TABLE = 1000
"""A long summary prints as several tables of this many rows: rich lays a table out whole, in memory."""


def _summary_row(name: str, a: Assessment) -> SummaryRow:
    """Runs in the worker processes: only the row's few strings come back."""
    from lss_pathway.report.terminal import summary_row

    return summary_row(Path(name).stem, a)


def _record_texts(files: list[Path]) -> Iterator[RecordText]:
    for path in files:
        try:
            fmt = format_for(path.name)
        except InputError as exc:
            _fail(f"{path}: invalid patient record\n" + "\n".join(f"  - {e}" for e in exc.errors))
        yield RecordText(str(path), _read(path), fmt)


@app.command("summary")
def summary_command(
    paths: Annotated[list[Path], typer.Argument(help="Patient files or folders of them")],
    ruleset: RulesetOption = DEFAULT_RULESET,
    processes: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Worker processes (default: one per core for long lists)"),
    ] = None,
) -> None:
    """One screen for many patients: candidacy at the stenotic levels and the next pathway step.

    Streams: each patient is assessed (on every core), reduced to its row and forgotten; the rows wait
    in a temporary file until every patient has passed, so a refused record still leaves no output.
    """
    import pickle
    import tempfile

    from lss_pathway.batch import CHUNK, assess_stream
    from lss_pathway.report.terminal import summary_table

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix.lower() in (".json", ".yaml", ".yml"))
        else:
            files.append(path)
    if not files:
        _fail("no .json or .yaml patient files found")
    try:
        rules = load_ruleset(ruleset)
    except RuleSetError as exc:
        _fail(str(exc))
    workers = processes or (_cores() if len(files) > 2 * CHUNK else 1)
    with tempfile.TemporaryFile() as spool:
        for outcome in assess_stream(_record_texts(files), rules.ref, _summary_row, processes=workers):
            if not outcome.ok:
                lines = "\n".join(f"  - {e}" for e in outcome.errors)
                _fail(f"{outcome.name}: invalid patient record\n{lines}")
            pickle.dump(outcome.result, spool)
        spool.seek(0)
        for start in range(0, len(files), SUMMARY_ROWS_PER_TABLE):
            count = min(SUMMARY_ROWS_PER_TABLE, len(files) - start)
            rows = [pickle.load(spool) for _ in range(count)]
            out.print(summary_table(rows, title="lss-pathway: examples" if start == 0 else None))
    out.print(
        f"{len(files)} patients assessed with {rules.ref}. "
        "Details: lss assess FILE. Decision support only: the decision rests with the clinician."
    )


@app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the patient record."""
    sys.stdout.write(json.dumps(PatientRecord.model_json_schema(), indent=2) + "\n")


@rulesets_app.command("list")
def rulesets_list() -> None:
    """Every packaged rule set version."""
    from rich.table import Table

    table = Table()
    for col in ("rule set", "title", "extends", "criteria"):
        table.add_column(col)
    for entry in available():
        rules = load_ruleset(entry.ref)
        default = " (default)" if entry.id == DEFAULT_RULESET else ""
        table.add_row(entry.ref + default, rules.title, rules.extends or "-", str(len(rules.criteria)))
    out.print(table)


@rulesets_app.command("show")
def rulesets_show(
    name: Annotated[str, typer.Argument(help="NAME or NAME@VERSION")],
    markdown: Annotated[bool, typer.Option("--markdown", help="Print raw Markdown")] = False,
) -> None:
    """Render a rule set as readable text for clinicians, ending with what changed since the last version."""
    from lss_pathway.rulesets.catalog import previous_version
    from lss_pathway.rulesets.diff import diff_rulesets, summary_lines
    from lss_pathway.rulesets.render import render_markdown

    try:
        rules = load_ruleset(name)
        text = render_markdown(rules)
        before = previous_version(rules)
        if before is not None:
            lines = summary_lines(diff_rulesets(load_ruleset(before.ref), rules))
            text += (
                f"\n## What changed since `{before.ref}`\n\n"
                "Each criterion's note says why; "
                f"`lss rulesets diff {before.ref} {rules.ref}` gives the detail.\n\n"
                + "\n".join(lines)
                + "\n"
            )
    except RuleSetError as exc:
        _fail(str(exc))
    if markdown:
        sys.stdout.write(text)
    else:
        out.print(Markdown(text))


@rulesets_app.command("diff")
def rulesets_diff(
    old: Annotated[str, typer.Argument(help="NAME or NAME@VERSION, e.g. textbook@1.0.0")],
    new: Annotated[str, typer.Argument(help="NAME or NAME@VERSION to compare it with")],
    fmt: Annotated[
        OutputFormat | None,
        typer.Option("--format", "-f", help="Output format (default: text on a terminal, else markdown)."),
    ] = None,
) -> None:
    """What changed between two rule sets: criteria, thresholds, holds, sources, for clinical review."""
    from lss_pathway.rulesets.diff import diff_rulesets, render_diff_markdown

    try:
        result = diff_rulesets(load_ruleset(old), load_ruleset(new))
    except RuleSetError as exc:
        _fail(str(exc))
    chosen = fmt or (OutputFormat.text if sys.stdout.isatty() else OutputFormat.markdown)
    if chosen is OutputFormat.json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    elif chosen is OutputFormat.markdown:
        sys.stdout.write(render_diff_markdown(result))
    else:
        out.print(Markdown(render_diff_markdown(result)))


@rulesets_app.command("check")
def rulesets_check(file: Annotated[Path, typer.Argument(help="A rule set YAML file")]) -> None:
    """Lint a rule set file: unknown facts, missing sources, contradictory or unreachable criteria."""
    from lss_pathway.rulesets.lint import lint

    try:
        rules = ruleset_from_text(_read(file), str(file))
    except RuleSetError as exc:
        _fail(str(exc))
    findings = lint(rules)
    for finding in findings:
        style = "red" if finding.severity == "error" else "yellow"
        out.print(f"[{style}]{finding.severity}[/]: {finding.where}: {finding.message}", markup=True)
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    out.print(f"{file}: {rules.ref}: {errors} error(s), {warnings} warning(s)")
    if errors:
        raise typer.Exit(1)


@instruments_app.command("list")
def instruments_list(
    fmt: Annotated[ScoreFormat, typer.Option("--format", "-f", help="Output format.")] = ScoreFormat.text,
) -> None:
    """Each instrument with its source, verification and whether it is shipped as a score."""
    from lss_pathway.clinical.instruments.catalogue import instruments

    entries = instruments()
    if fmt is ScoreFormat.json:
        rows = [
            {
                "id": e.id,
                "name": e.name,
                "kind": e.kind,
                "shipped": e.is_shipped,
                "shipped_as": e.shipped,
                "score_command": f"lss score {e.id}" if e.scored_by_command else None,
                "source": e.source.to_dict(),
            }
            for e in entries
        ]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    for e in entries:
        style = "green" if e.is_shipped else "yellow"
        out.print(f"[bold]{e.id}[/]  {e.name}  [dim]({e.kind}, tag {e.source.verification})[/]", markup=True)
        command = f"  -> lss score {e.id}" if e.scored_by_command else ""
        out.print(f"    [{style}]{e.shipped}[/]{command}", markup=True)
        out.print(f"    source: {e.source.url}", markup=False)
    out.print("Tags: V verified in the source text, S secondary source only, U unverified.")


def _read_answers(path: Path) -> object:
    from lss_pathway.domain.parsing import parse_data

    try:
        data = parse_data(_read(path), format_for(path.name))
    except InputError as exc:
        _fail(f"{path}: " + "; ".join(str(e) for e in exc.errors))
    if isinstance(data, dict) and "answers" in data:
        return data["answers"]
    return data


@app.command("score")
def score_command(
    instrument: Annotated[Instrument, typer.Argument(help="Which instrument")],
    file: Annotated[
        Path, typer.Argument(help="Answers by item id (.json or .yaml), optionally under 'answers'")
    ],
    baseline: Annotated[
        Path | None, typer.Option("--baseline", help="Baseline answers: adds change and responder status")
    ] = None,
    fmt: Annotated[ScoreFormat, typer.Option("--format", "-f")] = ScoreFormat.text,
    cook_reading: Annotated[
        CookReading | None,
        typer.Option("--four-of-five", help="Cook: read '4 of 5' as exactly or at least four"),
    ] = None,
    comparator: Annotated[
        SshqComparator | None, typer.Option("--sshq-comparator", help="SSHQ: how to read 'more than'")
    ] = None,
) -> None:
    """Score a questionnaire or cluster from answers given by item id (never the licensed wording)."""
    answers = _read_answers(file)
    try:
        if instrument in (Instrument.cook, Instrument.sshq):
            if baseline is not None:
                _fail("--baseline applies to outcome instruments (odi, zcq, nprs)")
            from lss_pathway.clinical.diagnosis import FourOfFive, cook_from_answers, score_sshq
            from lss_pathway.clinical.diagnosis import SshqComparator as Comparator

            if instrument is Instrument.cook:
                reading: FourOfFive | None = None if cook_reading is None else cook_reading.value
                payload = cook_from_answers(answers, reading).to_dict()
            else:
                chosen: Comparator | None = None if comparator is None else comparator.value
                payload = score_sshq(answers, chosen).to_dict()
        else:
            from lss_pathway.clinical.instruments import responders

            result = responders.score(instrument.value, answers)
            payload = result.to_dict()
            if baseline is not None:
                before = responders.score(instrument.value, _read_answers(baseline))
                payload["baseline"] = before.to_dict()
                payload["change"] = responders.change(instrument.value, before, result)
    except InputError as exc:
        lines = "\n".join(f"  - {e}" for e in exc.errors)
        _fail(f"{file}: invalid answers for {instrument.value}\n{lines}")
    if fmt is ScoreFormat.json:
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        from lss_pathway.report.scores import render_score

        out.print(render_score(payload))


def _state_path(state_file: Path | None, workers: int) -> str | None:
    """One SQLite file the workers share, so that a token is accepted once whichever worker gets it."""
    if state_file is not None:
        return str(state_file.resolve())
    if workers > 1:
        import tempfile

        return str(Path(tempfile.mkdtemp(prefix="lss-pathway-")) / "cds-state.sqlite")
    return None


def _cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Interface to bind; loopback by default")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="TCP port; 0 lets the system pick a free one")
    ] = 8000,
    jwks: Annotated[
        Path | None, typer.Option(help="JWKS file with the EHRs' public keys (CDS Hooks)")
    ] = None,
    issuer: Annotated[list[str] | None, typer.Option(help="Allowed JWT issuer (repeatable)")] = None,
    audience: Annotated[str | None, typer.Option(help="Expected JWT audience: this service's URL")] = None,
    insecure_demo: Annotated[
        bool, typer.Option("--insecure-demo", help="Turn JWT verification OFF (local demos only)")
    ] = False,
    cors_origin: Annotated[
        list[str] | None, typer.Option(help="Allowed CORS origin (repeatable); none by default")
    ] = None,
    max_body_bytes: Annotated[int, typer.Option(min=1024)] = 1_000_000,
    max_upload_bytes: Annotated[
        int, typer.Option(min=1024, help="Limit for label-map uploads to /v1/measure")
    ] = 64_000_000,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1, max=64, help="Worker processes (default: one per core; they share one state file)"
        ),
    ] = None,
    examples: Annotated[
        Path | None,
        typer.Option(help="Patient files the clinic form offers to load (default: the checkout's examples/)"),
    ] = None,
    report_url: Annotated[
        str | None, typer.Option(help="The clinic app's report URL that CDS cards link to")
    ] = None,
    state_file: Annotated[
        Path | None,
        typer.Option(
            help="SQLite file for the JWT replay cache and issued cards (default with --workers > 1)"
        ),
    ] = None,
    access_log_sample: Annotated[
        float,
        typer.Option(
            min=0.0, max=1.0, help="Share of requests in the access log: 1 all, 0 none, 0.01 one in a hundred"
        ),
    ] = 1.0,
    prefetch_cache: Annotated[
        int, typer.Option(min=0, help="CDS prefetch results kept per worker by content digest (0: none)")
    ] = 128,
) -> None:
    """Serve the clinic form (/), the REST API, FHIR input and CDS Hooks (OpenAPI docs at /docs, offline)."""
    from lss_pathway.api.settings import AuthSettings, ServiceSettings
    from lss_pathway.server.run import bind, bound_url, run

    if examples is not None and not examples.is_dir():
        _fail(f"{examples}: not a directory of patient files")
    workers = workers or _cores()
    keys = None
    if jwks is not None:
        try:
            keys = json.loads(_read(jwks))
        except json.JSONDecodeError as exc:
            _fail(f"{jwks}: not a JSON Web Key Set ({exc.msg})")
    if not insecure_demo and keys is None:
        err.print(
            "note: no --jwks given: CDS Hooks requests will be refused until keys are configured "
            "(or run with --insecure-demo for a local demo)"
        )
    settings = ServiceSettings(
        auth=AuthSettings(
            jwks=keys, issuers=tuple(issuer or ()), audience=audience, insecure_demo=insecure_demo
        ),
        cors_origins=tuple(cors_origin or ()),
        max_body_bytes=max_body_bytes,
        max_upload_bytes=max_upload_bytes,
        report_url=report_url,
        examples_dir=None if examples is None else str(examples.resolve()),
        state_path=_state_path(state_file, workers),
        access_log_sample=access_log_sample,
        prefetch_cache_entries=prefetch_cache,
    )
    try:
        sock = bind(host, port)
    except OSError as exc:
        _fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}; choose another --port")
    base = bound_url(sock)  # announced once bound and listening: the address is really ours
    out.print(f"lss-pathway {__version__} serving on {base} ({workers} worker process(es))")
    out.print(f"  Clinic form:          {base}/")
    out.print(f"  API docs (offline):   {base}/docs")
    out.print(f"  REST assessments:     POST {base}/v1/assessments, POST {base}/v1/fhir/assessments")
    out.print(f"  CDS Hooks discovery:  {base}/cds-services")
    if insecure_demo:
        out.print(
            "  [bold yellow]JWT verification is OFF (--insecure-demo): never use this with real patients[/]",
            markup=True,
        )
    sys.stdout.flush()  # the banner reaches a pipe or a log before the server's own lines
    run(sock, settings, workers)


@app.command("version")
def version_command() -> None:
    """Print the tool version."""
    out.print(f"lss-pathway {__version__}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:
        err.print(f"internal error ({type(exc).__name__}); please report it with the command you ran")
        sys.exit(70)
