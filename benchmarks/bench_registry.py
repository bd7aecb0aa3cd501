"""Benchmark: registry bulk import and the cohort dashboard query, on SQLite and PostgreSQL.

For each engine and each of 3 runs, on a fresh database: (1) ``import_lines`` of a seeded synthetic
cohort (checking and scoring every questionnaire, then one executemany per table in one transaction) beside
the floor: the same rows inserted with the driver's raw ``executemany`` and no checks; (2) the cohort
report (``cohort_report``: read, responder rates for every rule, completeness, trajectories, Kaplan-Meier)
beside the floor: the driver fetching the same rows with no analysis. Medians of 3, with ratio to floor.

PostgreSQL is started like the tests do (``tests/registry/pg_server.py``, fsync on here); it is skipped
with a message when absent. Run: ``python benchmarks/bench_registry.py --subjects 100000``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine  # noqa: E402

from lss_pathway.registry.bulk import import_lines, prepare_lines  # noqa: E402
from lss_pathway.registry.db import make_engine, upgrade  # noqa: E402
from lss_pathway.registry.demo import synthetic_lines  # noqa: E402
from lss_pathway.registry.report import cohort_report  # noqa: E402
from lss_pathway.registry.store import Registry  # noqa: E402

AS_OF = dt.date(2026, 6, 30)
RUNS = 3


def fresh(url_for: Callable[[int], str], run: int) -> Engine:
    engine = make_engine(url_for(run))
    upgrade(engine)
    Registry(engine).install_schedules()
    return engine


def raw_floor_insert(engine: Engine, subjects: list[Any]) -> int:
    """The same rows through the bare driver: explicit keys, no checks, one executemany per table."""
    sqlite = engine.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"

    def day(value: dt.date) -> Any:
        return value.isoformat() if sqlite else value

    def sql(table: str, columns: list[str]) -> str:
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"

    rows: dict[str, list[tuple[Any, ...]]] = {k: [] for k in ("s", "p", "l", "f", "q")}
    pid = fid = 0
    for sid, s in enumerate(subjects, start=1_000_000):
        r = s.row
        rows["s"].append(
            (
                sid,
                r["study_id"] + "-raw",
                r["schedule_pk"],
                r["age_at_enrolment"],
                r["sex"],
                day(r["enrolled_on"]),
            )
        )
        for proc, levels, _ in s.procedures:
            pid += 1
            rows["p"].append(
                (pid, sid, day(proc["performed_on"]), proc["is_index"], proc["kind"], proc["cpt_code"])
            )
            rows["l"] += [(pid, lv["level"], lv["side"]) for lv in levels]
        for fup, responses, _ in s.follow_ups:
            fid += 1
            rows["f"].append((fid, sid, fup["time_point_pk"], day(fup["collected_on"]), fup["source"]))
            rows["q"] += [
                (
                    fid,
                    q["instrument"],
                    json.dumps(q["answers"]),
                    q["score"],
                    json.dumps(q["components"]),
                    q["answered"],
                    q["expected"],
                    q["scorer_version"],
                    q["collected_at"].isoformat(),
                )
                for q in responses
            ]
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if sqlite:
            cur.execute("BEGIN")  # the registry's SQLite connections are in driver autocommit mode
        cur.executemany(
            sql("subjects", ["id", "study_id", "schedule_pk", "age_at_enrolment", "sex", "enrolled_on"]),
            rows["s"],
        )
        cur.executemany(
            sql("procedures", ["id", "subject_pk", "performed_on", "is_index", "kind", "cpt_code"]), rows["p"]
        )
        cur.executemany(sql("procedure_levels", ["procedure_pk", "level", "side"]), rows["l"])
        cur.executemany(
            sql("follow_ups", ["id", "subject_pk", "time_point_pk", "collected_on", "source"]), rows["f"]
        )
        cur.executemany(
            sql(
                "questionnaire_responses",
                [
                    "follow_up_pk",
                    "instrument",
                    "answers",
                    "score",
                    "components",
                    "answered",
                    "expected",
                    "scorer_version",
                    "collected_at",
                ],
            ),
            rows["q"],
        )
        raw.commit()
    finally:
        raw.close()
    return len(rows["f"])


def raw_floor_read(engine: Engine) -> int:
    with engine.connect() as conn:
        n = len(
            conn.exec_driver_sql(
                "SELECT p.subject_pk, p.performed_on FROM procedures p WHERE p.is_index"
            ).fetchall()
        )
        n += len(
            conn.exec_driver_sql(
                "SELECT f.subject_pk, t.code, f.collected_on, q.instrument, q.score, q.components"
                " FROM follow_ups f JOIN time_points t ON t.id = f.time_point_pk"
                " JOIN questionnaire_responses q ON q.follow_up_pk = f.id"
            ).fetchall()
        )
    return n


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def bench(name: str, url_for: Callable[[int], str], lines: list[str]) -> None:
    imports, import_floors, reports, report_floors = [], [], [], []
    follow_ups = 0
    for run in range(RUNS):
        engine = fresh(url_for, 2 * run)
        seconds, summary = timed(lambda e=engine: import_lines(e, lines, actor="bench", reason="bench"))
        imports.append(seconds)
        follow_ups = summary.follow_ups
        seconds, _ = timed(lambda e=engine: cohort_report(e, AS_OF))
        reports.append(seconds)
        report_floors.append(timed(lambda e=engine: raw_floor_read(e))[0])
        engine.dispose()
        floor_engine = fresh(url_for, 2 * run + 1)
        prepared = prepare_lines(lines, floor_engine)  # checked and scored outside the floor's clock
        import_floors.append(timed(lambda e=floor_engine, p=prepared: raw_floor_insert(e, p))[0])
        floor_engine.dispose()
    m = statistics.median
    print(f"{name}: {len(lines)} subjects, {follow_ups} follow-ups")
    for label, runs, floors, floor_name in (
        ("bulk import", imports, import_floors, "raw executemany, no checks"),
        ("dashboard report", reports, report_floors, "raw fetch, no analysis"),
    ):
        print(
            f"  {label:<17} median {m(runs):8.2f} s   floor ({floor_name}) {m(floors):7.2f} s"
            f"   ratio {m(runs) / m(floors):5.1f}x   runs [{', '.join(f'{x:.2f}' for x in runs)}]"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    lines = list(synthetic_lines(args.subjects, seed=7))
    engines = args.engines.split(",")
    with tempfile.TemporaryDirectory(prefix="lss-bench-") as folder:
        if "sqlite" in engines:
            bench("SQLite (WAL, synchronous=FULL)", lambda run: f"sqlite:///{folder}/r{run}.sqlite3", lines)
    if "postgresql" in engines:
        from tests.registry import pg_server

        try:
            server = pg_server.start(durable=True)
        except pg_server.Unavailable as exc:
            print(f"PostgreSQL skipped: {exc}")
            return
        try:
            bench(
                "PostgreSQL 15 (loopback, fsync on)", lambda run: server.create_database(f"bench{run}"), lines
            )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
