"""`lss views list|show|run`: the packaged ViewDefinitions and flattening Bulk NDJSON to Parquet/CSV.

Imports only typer/rich at start; the views' heavy dependencies (fhirpathpy, DuckDB, pyarrow) are
loaded by the commands, with a clear message when the `views` extra is not installed.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

views_app = typer.Typer(
    help="SQL-on-FHIR v2 ViewDefinitions: list, show, and run them over FHIR Bulk NDJSON.",
    no_args_is_help=True,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class EngineOption(StrEnum):
    python = "python"
    duckdb = "duckdb"


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False)
    raise typer.Exit(code)


def _needs_extra() -> None:
    try:
        import duckdb  # noqa: F401
        import fhirpathpy  # noqa: F401
    except ImportError as exc:
        _fail(f"the views need the 'views' extra: pip install 'lss-pathway[views]' ({exc.name} is missing)")


@views_app.command("list")
def list_command() -> None:
    """List the packaged views (name, FHIR resource, title)."""
    from rich.table import Table

    from lss_pathway.fhir.views.catalog import catalog

    table = Table("view", "resource", "title")
    for info in catalog():
        table.add_row(info.name, info.resource, info.title)
    out.print(table)


@views_app.command("show")
def show_command(
    view: Annotated[str, typer.Argument(help="A packaged view name or a ViewDefinition JSON file")],
    sql: Annotated[bool, typer.Option("--sql", help="Print the DuckDB SQL it compiles to instead")] = False,
) -> None:
    """Print a view's JSON, or with --sql the DuckDB SQL (or why it runs in Python)."""
    _needs_extra()
    from lss_pathway.fhir.views.catalog import load_view_json
    from lss_pathway.fhir.views.model import ViewDefinitionError, compile_view
    from lss_pathway.fhir.views.runner import sql_or_reason

    try:
        data = load_view_json(view)
        compiled = compile_view(data)
    except ViewDefinitionError as exc:
        _fail(str(exc))
    if not sql:
        out.print_json(json.dumps(data))
        return
    text, reason = sql_or_reason(compiled, "read_ndjson_objects($files)")
    if text is None:
        out.print(f"not compiled to SQL, runs in Python: {reason}", highlight=False)
    else:
        out.print(text, highlight=False, soft_wrap=True)


@views_app.command("run")
def run_command(
    view: Annotated[str, typer.Argument(help="A packaged view name or a ViewDefinition JSON file")],
    source: Annotated[Path, typer.Argument(help="A Bulk Data export folder of NDJSON files, or one file")],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="Output table: a .parquet or .csv file")],
    engine: Annotated[EngineOption, typer.Option("--engine", "-e", help="Execution")] = EngineOption.duckdb,
) -> None:
    """Flatten NDJSON with a view into a Parquet or CSV table; bad lines are reported, not dropped."""
    _needs_extra()
    import duckdb

    from lss_pathway.fhir.views.catalog import load_view
    from lss_pathway.fhir.views.model import ViewDefinitionError
    from lss_pathway.fhir.views.ndjson import ndjson_files, total_bytes
    from lss_pathway.fhir.views.python_runner import ViewRunError
    from lss_pathway.fhir.views.runner import connect, run_view, sql_or_reason

    if out_path.suffix.lower() not in (".parquet", ".csv"):
        _fail(f"{out_path}: the output must end in .parquet or .csv")
    if not out_path.parent.is_dir():
        _fail(f"{out_path.parent}: no such folder for the output")
    try:
        compiled = load_view(view)
        files = ndjson_files(source, compiled.resource)
    except (ViewDefinitionError, FileNotFoundError) as exc:
        _fail(str(exc))
    con = connect()
    in_duckdb = engine is EngineOption.duckdb and sql_or_reason(compiled)[0] is not None
    if in_duckdb and sys.stderr.isatty():
        con.execute("SET enable_progress_bar = true")  # DuckDB draws its own bar while it reads
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    columns = ("{task.description}", BarColumn(), DownloadColumn(), TimeRemainingColumn())
    # Python reads line by line and reports the bytes done; DuckDB's bar (above) replaces this one.
    with Progress(*columns, console=err, transient=True, disable=in_duckdb) as progress:
        task = progress.add_task(f"{compiled.name} ({engine.value})", total=total_bytes(files))
        try:
            run = run_view(
                compiled,
                files,
                engine.value,
                out_path,
                progress=lambda done: progress.update(task, completed=done),
                con=con,
            )
        except (ViewRunError, duckdb.Error, OSError) as exc:
            _fail(f"{compiled.name} failed: {exc}")
    if run.fallback:
        err.print(
            f"note: DuckDB cannot run this view; it ran in Python because {run.fallback}", highlight=False
        )
    out.print(
        f"{run.row_count} rows of {compiled.name} from {len(files)} file(s) "
        f"written to {out_path} ({run.engine})",
        highlight=False,
    )
    if run.errors:
        for error in run.errors:
            err.print(f"  bad line {error}", highlight=False, markup=False)
        _fail(
            f"{len(run.errors)} line(s) could not be read (listed above); the other lines were flattened", 1
        )
