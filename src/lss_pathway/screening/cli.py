"""``lss screen``: a population screen from FHIR Bulk NDJSON, OMOP CDM or the projection's own tables.

Exit 0 with the summary printed; exit 2 with a clear message when the source cannot be screened at all
(items that can be skipped are skipped and listed in ``skipped.csv``, never silently lost).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lss_pathway.criteria.ruleset import RuleSet
from lss_pathway.rulesets.catalog import DEFAULT_RULESET, RuleSetError, load_ruleset
from lss_pathway.screening.inputs.report import InputError, InputReport
from lss_pathway.screening.inputs.validate import check_tables
from lss_pathway.screening.screen import Engine, ScreenMismatch, ScreenResult, run_screen
from lss_pathway.screening.screen import explain as explain_patients

out = Console(highlight=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class SourceFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"
    fhir_ndjson = "fhir-ndjson"
    omop = "omop"


class EngineName(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


def _fail(message: str) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", markup=True)
    raise typer.Exit(2)


def screen_command(
    source: Annotated[
        Path, typer.Argument(help="A folder (the export, the CDM tables, <table>.parquet) or a CDM .duckdb")
    ],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs (created)")],
    fmt: Annotated[
        SourceFormat, typer.Option("--format", "-f", help="What SOURCE holds")
    ] = SourceFormat.parquet,
    engine: Annotated[
        EngineName, typer.Option("--engine", help="duckdb (embedded) or spark")
    ] = EngineName.duckdb,
    ruleset: Annotated[
        str, typer.Option("--ruleset", "-r", help="Rule set NAME or NAME@VERSION")
    ] = DEFAULT_RULESET,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Date for records without an assessment date (default: today)"),
    ] = None,
    shortlist: Annotated[int, typer.Option(min=0, help="Undetermined patients to shortlist")] = 100,
    explain: Annotated[
        int, typer.Option(min=0, help="Explain the first N shortlisted patients with the per-patient engine")
    ] = 0,
    small_cell: Annotated[int, typer.Option(min=1, help="Floor for counts in shareable/ outputs")] = 10,
    master: Annotated[
        str, typer.Option(help="Spark master (local[2] here; spark://host:7077 on a cluster)")
    ] = "local[2]",
) -> None:
    """Screen a population for likely mild candidates: every patient x level x side, with the same rule set
    files as a single assessment."""
    try:
        rules = load_ruleset(ruleset)
    except RuleSetError as exc:
        _fail(str(exc))
    try:
        on = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        _fail(f"--as-of {as_of!r} is not a date; expected YYYY-MM-DD")
    if not source.exists():
        _fail(f"{source} does not exist")
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        report, folder = _read_source(source, fmt, out_dir, on)
        result = _run(engine, folder, rules, on, out_dir, shortlist, small_cell, master)
        if explain:
            explain_patients(folder, result, rules, out_dir, explain, out_dir / "cells.parquet")
    except InputError as exc:
        _fail(str(exc))
    except ScreenMismatch as exc:
        err.print(f"[bold red]internal error:[/] {exc}", markup=True)
        raise typer.Exit(70) from None
    _write_skipped(report, out_dir)
    _print_summary(result, report, out_dir)


def _read_source(source: Path, fmt: SourceFormat, out_dir: Path, on: dt.date) -> tuple[InputReport, Path]:
    """Read the source into the projection's tables under ``<out>/tables`` (checked, normalised)."""
    folder = out_dir / "tables"
    if fmt in (SourceFormat.parquet, SourceFormat.csv):
        from lss_pathway.screening.inputs.columnar import read_columnar

        with err.status(f"checking the {fmt.value} tables"):
            kind: Literal["parquet", "csv"] = "parquet" if fmt is SourceFormat.parquet else "csv"
            return read_columnar(source, folder, fmt=kind), folder
    if fmt is SourceFormat.fhir_ndjson:
        from lss_pathway.screening.inputs.fhir_ndjson import read_fhir_ndjson

        with _progress("reading the FHIR export (patients)") as tick:
            return read_fhir_ndjson(source, folder, today=on, progress=tick), folder
    from lss_pathway.screening.inputs.omop import read_omop

    with _progress("reading the OMOP CDM (persons)") as tick:
        return read_omop(source, folder, today=on, progress=tick), folder


@contextmanager
def _progress(what: str) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr for a reader that reports how many patients it has done."""
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task(what, total=None)
        yield lambda done: bar.update(task, completed=done)


def _run(
    engine: EngineName, folder: Path, rules: RuleSet, on: dt.date, out_dir: Path, shortlist: int,
    small_cell: int, master: str,
) -> ScreenResult:  # fmt: skip
    with err.status("screening") as status:
        if engine is EngineName.duckdb:
            from lss_pathway.screening.duckdb_runner import DuckDBEngine, connect

            check_tables(folder)  # NaN or infinity would read as a met threshold: refused, not screened
            runner: Engine = DuckDBEngine(connect(folder))
        else:
            from lss_pathway.screening.spark import SparkEngine, register_tables, spark_session

            status.update(f"starting Spark ({master})")
            session = spark_session(master)
            status.update("registering the tables")
            register_tables(session, folder)  # refuses NaN and infinity, counted by Spark itself
            runner = SparkEngine(session)
        return run_screen(
            runner,
            rules,
            on,
            out_dir,
            shortlist=shortlist,
            floor=small_cell,
            step=lambda text: status.update(f"screening: {text}"),
        )


def _write_skipped(report: InputReport, out_dir: Path) -> None:
    with (out_dir / "skipped.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source", "line", "reason"])
        writer.writerows([(s.source, s.line or "", s.reason) for s in report.skipped])


def _print_summary(result: ScreenResult, report: InputReport, out_dir: Path) -> None:
    table = Table(title=f"Screen with {result.ruleset} as of {result.as_of} ({result.engine})")
    table.add_column("best verdict")
    table.add_column("patients", justify="right")
    total = sum(result.patients.values())
    for verdict in ("candidate", "undetermined", "not_candidate"):
        table.add_row(verdict.replace("_", " "), str(result.patients.get(verdict, 0)))
    table.add_row("all", str(total))
    out.print(table)
    if report.skipped:
        out.print(f"{len(report.skipped)} items skipped: see {out_dir / 'skipped.csv'}")
    screened = f"{total} patient{'' if total == 1 else 's'} screened"
    out.print(f"{screened} in {result.seconds:.1f} s; outputs in {out_dir}")
