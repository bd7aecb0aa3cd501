"""``lss registry ...``: the registry from the command line (needs the ``registry`` extra).

Database libraries are imported inside the commands, so ``lss --help`` works without the extra. Exit codes:
0 done; 2 bad input (the message names the field); 3 a conflict (e.g. a duplicate follow-up); 4 not found.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import secrets
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:
    from sqlalchemy import Engine

app = typer.Typer(help="Outcomes registry: procedures, follow-ups, responder rates.", no_args_is_help=True)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: LSS_REGISTRY_DB or the SQLite file in the data dir)"),
]
ActorOption = Annotated[
    str | None, typer.Option("--actor", help="Who makes the change (audit; default: user)")
]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (audit)")]


class ExportFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"
    redcap = "redcap"


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", markup=True)
    raise typer.Exit(code)


def _engine(db: str | None, *, ready: bool = True) -> Engine:
    try:
        from lss_pathway.registry.db import is_initialised, make_engine
    except ImportError as exc:
        _fail(f"the registry needs its extra: pip install 'lss-pathway[registry]' ({exc.name} missing)")
    engine = make_engine(db)
    if ready and not is_initialised(engine):
        _fail("the registry is not initialised here: run `lss registry init` (with the same --db)")
    return engine


def _actor(actor: str | None) -> str:
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def _run(action: Any) -> Any:
    """Run a registry call, turning its errors into a message and an exit code (never a traceback)."""
    from lss_pathway.registry.errors import Conflict, NotFound, RegistryError

    try:
        return action()
    except Conflict as exc:
        _fail(str(exc), 3)
    except NotFound as exc:
        _fail(str(exc), 4)
    except RegistryError as exc:
        _fail(str(exc))


def _date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        _fail(f"{field}: must be a date YYYY-MM-DD (got {value!r})")


def _complaints(values: list[str], field: str) -> list[Any]:
    from lss_pathway.registry.store import Complaint

    found = []
    for value in values:
        code, _, severity = value.partition(":")
        found.append(Complaint(code, severity or "minor"))
    if any(not c.code for c in found):
        _fail(f"{field}: give CODE or CODE:SEVERITY")
    return found


@app.command()
def init(db: DbOption = None) -> None:
    """Create or upgrade the database, install the packaged schedules, and print an admin token once."""
    from lss_pathway.registry.db import current_revision, upgrade
    from lss_pathway.registry.store import Registry
    from lss_pathway.registry.tokens import create_token, has_admin

    engine = _engine(db, ready=False)
    upgrade(engine)
    added = Registry(engine).install_schedules()
    out.print(
        f"registry at {engine.url.render_as_string(hide_password=True)} (revision {current_revision(engine)})"
    )
    if added:
        out.print(f"schedules installed: {', '.join(added)}")
    if not has_admin(engine):
        token = create_token(engine, "admin", "admin", actor=_actor(None))
        out.print("admin token (shown once; only its SHA-256 is stored):")
        out.print(token)


@app.command()
def token(
    name: Annotated[str, typer.Argument(help="A name for the credential")],
    role: Annotated[str, typer.Option(help="read, write or admin")] = "read",
    db: DbOption = None,
) -> None:
    """Create an API token with a role (read-only or data entry); the value is printed once."""
    from lss_pathway.registry.tokens import create_token

    engine = _engine(db)
    out.print(_run(lambda: create_token(engine, name, role, actor=_actor(None))))


@app.command()
def enrol(
    age: Annotated[int | None, typer.Option(help="Age in whole years at enrolment")] = None,
    sex: Annotated[str | None, typer.Option(help="female, male or other")] = None,
    schedule: Annotated[str, typer.Option(help="Follow-up schedule id")] = "lss-default",
    link: Annotated[str | None, typer.Option(help="SYSTEM|IDENTIFIER kept in the linkage table only")] = None,
    db: DbOption = None,
    actor: ActorOption = None,
    reason: ReasonOption = "enrolled via CLI",
) -> None:
    """Enrol a subject; prints the new random study id."""
    from lss_pathway.registry.store import Registry

    pair = None
    if link is not None:
        system, sep, identifier = link.rpartition("|")
        if not sep or not system or not identifier:
            _fail("link: give SYSTEM|IDENTIFIER")
        pair = (system, identifier)
    reg = Registry(_engine(db))
    out.print(
        _run(
            lambda: reg.enrol(
                actor=_actor(actor), reason=reason, schedule_id=schedule, age=age, sex=sex, link=pair
            )
        )
    )


@app.command("add-procedure")
def add_procedure(
    study_id: str,
    date: Annotated[str, typer.Option("--date", help="Date performed, YYYY-MM-DD")],
    level: Annotated[list[str], typer.Option("--level", help="Level and side, e.g. 'L4-L5 left' (repeat)")],
    kind: Annotated[str, typer.Option(help="mild, repeat_mild, decompression, fusion, ...")] = "mild",
    operator: Annotated[str | None, typer.Option(help="Operator id")] = None,
    complication: Annotated[list[str] | None, typer.Option(help="Surgeon-reported CODE[:SEVERITY]")] = None,
    db: DbOption = None,
    actor: ActorOption = None,
    reason: ReasonOption = "entered via CLI",
) -> None:
    """Record a procedure: the first is the index procedure (CPT 0275T for mild), later ones reoperations."""
    from lss_pathway.registry.store import Registry
    from lss_pathway.registry.validate import parse_level_side

    reg = Registry(_engine(db))
    on = _date(date, "date")
    complaints = _complaints(complication or [], "complication")
    pk = _run(
        lambda: reg.add_procedure(
            study_id,
            actor=_actor(actor),
            reason=reason,
            performed_on=on,
            kind=kind,
            operator=operator,
            levels=[parse_level_side(v, f"level[{i}]") for i, v in enumerate(level)],
            complications=complaints,
        )
    )
    out.print(f"procedure {pk} recorded for {study_id}")


@app.command("add-followup")
def add_followup(
    study_id: str,
    time_point: str,
    date: Annotated[str, typer.Option("--date", help="Date collected, YYYY-MM-DD")],
    answers: Annotated[Path, typer.Option(help='JSON {"odi": {...}, "nprs": {"nprs": 4}} ("-" = stdin)')],
    source: Annotated[str, typer.Option(help="patient or clinician")] = "patient",
    adverse_event: Annotated[list[str] | None, typer.Option(help="Patient-reported CODE[:SEVERITY]")] = None,
    db: DbOption = None,
    actor: ActorOption = None,
    reason: ReasonOption = "entered via CLI",
) -> None:
    """Score and store one time point's questionnaires (answers by item id)."""
    from lss_pathway.registry.store import Registry

    text = sys.stdin.read() if str(answers) == "-" else _read(answers)
    try:
        responses = json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(f"answers: not JSON ({exc.msg} at line {exc.lineno})")
    reg = Registry(_engine(db))
    on = _date(date, "date")
    events = _complaints(adverse_event or [], "adverse_event")
    result = _run(
        lambda: reg.add_follow_up(
            study_id,
            time_point,
            actor=_actor(actor),
            reason=reason,
            collected_on=on,
            responses=responses,
            source=source,
            adverse_events=events,
        )
    )
    window = {True: "in window", False: "OUT OF WINDOW", None: "no procedure yet"}[result.in_window]
    scores = ", ".join(f"{k} {v}" for k, v in result.scores.items())
    out.print(f"{study_id} {time_point}: {scores} (day {result.day}, {window})")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        _fail(f"{path}: {exc.strerror}")


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="JSON Lines, one subject per line (see docs/registry.md)")],
    db: DbOption = None,
    actor: ActorOption = None,
    reason: ReasonOption = "bulk import",
) -> None:
    """Import subjects with procedures and follow-ups, all or nothing."""
    from lss_pathway.registry.bulk import import_lines

    engine = _engine(db)
    text = _read(path)
    summary = _run(lambda: import_lines(engine, text.splitlines(), actor=_actor(actor), reason=reason))
    out.print(
        f"imported {summary.subjects} subjects, {summary.procedures} procedures,"
        f" {summary.follow_ups} follow-ups"
    )


@app.command()
def demo(
    subjects: Annotated[int, typer.Option(help="How many synthetic subjects")] = 200,
    sign_in: Annotated[
        bool, typer.Option("--sign-in-token", help="Also print a new read-only token to sign in to the pages")
    ] = False,
    db: DbOption = None,
) -> None:
    """Load a clearly labelled SYNTHETIC demo cohort (study ids DEMO-...), once; no real patient."""
    from sqlalchemy import func, select

    from lss_pathway.registry.bulk import import_lines
    from lss_pathway.registry.demo import synthetic_lines
    from lss_pathway.registry.models import Subject
    from lss_pathway.registry.tokens import create_token

    engine = _engine(db)
    with engine.connect() as conn:
        present = conn.scalar(select(func.count()).where(Subject.study_id.startswith("DEMO-")))
    if present:
        out.print(f"the synthetic demo cohort is already loaded ({present} subjects)")
    else:
        start = dt.date.today() - dt.timedelta(days=900)
        lines = synthetic_lines(subjects, start=start)
        summary = _run(lambda: import_lines(engine, lines, actor="demo", reason="synthetic demo cohort"))
        out.print(f"loaded {summary.subjects} SYNTHETIC demo subjects (study ids DEMO-...)")
    if sign_in:
        name = f"demo-sign-in-{secrets.token_hex(4)}"  # token names are unique; each `make run` adds one
        token = _run(lambda: create_token(engine, name, "read", actor="demo"))
        out.print("read-only token to sign in at /registry (only its SHA-256 is stored):")
        out.print(token)


@app.command()
def export(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write into")],
    fmt: Annotated[ExportFormat, typer.Option("--format")] = ExportFormat.csv,
    schedule: Annotated[str, typer.Option(help="Schedule for REDCap events")] = "lss-default",
    db: DbOption = None,
) -> None:
    """De-identified export (Safe Harbor: day offsets, 90+, no free text, no identifiers)."""
    from lss_pathway.registry.export import deidentified_tables, redcap_project, write_tables

    engine = _engine(db)
    if fmt is ExportFormat.redcap:
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in redcap_project(engine, schedule).items():
            (out_dir / f"redcap_{name}.csv").write_text(text, encoding="utf-8")
            written.append(out_dir / f"redcap_{name}.csv")
    else:
        written = write_tables(deidentified_tables(engine), out_dir, fmt.value)
    for path in written:
        out.print(str(path))


@app.command()
def report(
    as_of: Annotated[str | None, typer.Option(help="Report date YYYY-MM-DD (default today)")] = None,
    floor: Annotated[int | None, typer.Option(help="Small-cell floor (default 10)")] = None,
    schedule: Annotated[str, typer.Option(help="Schedule id")] = "lss-default",
    db: DbOption = None,
) -> None:
    """Cohort report (JSON): responder rates, completeness, trajectories, durability; small cells withheld."""
    from lss_pathway.registry.report import cohort_report

    engine = _engine(db)
    day = _date(as_of, "as-of") if as_of else dt.date.today()
    if floor is not None and floor < 1:
        _fail("floor: must be at least 1")
    try:
        data = cohort_report(engine, day, schedule_id=schedule, floor=floor)
    except KeyError as exc:
        _fail(f"schedule: {exc.args[0]}")
    out.print_json(json.dumps(data))
