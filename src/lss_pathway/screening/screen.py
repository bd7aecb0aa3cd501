"""Run a screen: the compiled rule set over the projection's tables, and every output beside it.

The cells come from one compiled query (``compiler``); the patient table, shortlist, attrition and summary
are SQL over those cells (``outputs``), so they are computed by whichever engine ran the screen. For the
first shortlisted patients, ``explain`` re-assesses each with the per-patient engine, writes its full
explanation, and refuses to go on if the engine's verdicts differ from the screen's in any cell.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from lss_pathway.assess import assess
from lss_pathway.assessment_json import assessment_json
from lss_pathway.criteria.ruleset import RuleSet
from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.schema import record_from_rows, tables
from lss_pathway.screening.compiler import compile_ruleset
from lss_pathway.screening.outputs import SUMMARY_SQL, attrition_sql, patients_sql, shareable, shortlist_sql


class Engine(Protocol):
    """What a runner offers a screen: tables made from queries, rows read back, Parquet written."""

    name: str

    def materialise(self, name: str, sql: str) -> None: ...

    def rows(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]: ...

    def write_parquet(self, name: str, path: Path) -> None: ...


class ScreenMismatch(RuntimeError):
    """The per-patient engine disagreed with the compiled screen: a defect, never to be shown as a result."""


@dataclass(slots=True)
class ScreenResult:
    ruleset: str
    as_of: dt.date
    engine: str
    patients: dict[str, int] = field(default_factory=dict)
    """Patients by best verdict."""
    cells: dict[str, int] = field(default_factory=dict)
    attrition: list[dict[str, Any]] = field(default_factory=list)
    shortlist: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    explained: int = 0


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def run_screen(
    engine: Engine,
    rules: RuleSet,
    as_of: dt.date,
    out: Path,
    *,
    shortlist: int = 100,
    floor: int = 10,
    step: Callable[[str], None] | None = None,
) -> ScreenResult:
    """Screen the tables the engine sees and write the outputs into ``out``."""
    started = time.perf_counter()
    tell = step or (lambda _: None)
    out.mkdir(parents=True, exist_ok=True)
    tell("evaluating every cell")
    engine.materialise("screen_cells", compile_ruleset(rules).cells_sql(as_of, flags=True))
    tell("reducing to patients")
    engine.materialise("screen_patients", patients_sql())
    result = ScreenResult(rules.ref, as_of, engine.name)
    for unit, verdict, n in engine.rows(SUMMARY_SQL)[1]:
        (result.patients if unit == "patients" else result.cells)[verdict] = int(n)

    tell("attrition and shortlist")
    query, blocking = attrition_sql(rules)
    names, (counts,) = engine.rows(query)
    row = dict(zip(names, counts, strict=True))
    previous = int(row["total"])
    for cid in blocking:
        remaining = int(row[f"r__{cid}"])
        result.attrition.append(
            {"criterion": cid, "patients_remaining": remaining, "patients_excluded": previous - remaining,
             "patients_held": int(row[f"h__{cid}"]), "cells_excluded": int(row[f"x__{cid}"] or 0)}
        )  # fmt: skip
        previous = remaining
    names, found = engine.rows(shortlist_sql(shortlist))
    result.shortlist = [dict(zip(names, r, strict=True)) for r in found]

    tell("writing the outputs")
    engine.write_parquet("screen_cells", out / "cells.parquet")
    engine.write_parquet("screen_patients", out / "patients.parquet")
    _write_outputs(result, out, floor, int(row["total"]))
    result.seconds = time.perf_counter() - started
    return result


def _write_shortlist(out: Path, shortlist: list[dict[str, Any]]) -> None:
    header = list(shortlist[0]) if shortlist else ["patient_key"]
    _write_csv(out / "shortlist.csv", header, [[s.get(h, "") for h in header] for s in shortlist])


def _write_outputs(result: ScreenResult, out: Path, floor: int, total: int) -> None:
    header = ["criterion", "patients_remaining", "patients_excluded", "patients_held", "cells_excluded"]
    _write_csv(out / "attrition.csv", header, [[a[h] for h in header] for a in result.attrition])
    if result.shortlist:
        _write_csv(
            out / "shortlist.csv", list(result.shortlist[0]), [list(s.values()) for s in result.shortlist]
        )
    else:
        _write_csv(out / "shortlist.csv", ["patient_key"], [])
    summary = [("patients", v, n) for v, n in sorted(result.patients.items())]
    summary += [("cells", v, n) for v, n in sorted(result.cells.items())]
    _write_csv(out / "summary.csv", ["unit", "verdict", "n"], summary)
    share = out / "shareable"
    share.mkdir(exist_ok=True)
    _write_csv(
        share / "attrition.csv",
        ["criterion", "patients_remaining", "patients_held"],
        [[a["criterion"], shareable(a["patients_remaining"], floor), shareable(a["patients_held"], floor)]
         for a in result.attrition],
    )  # fmt: skip
    _write_csv(
        share / "summary.csv",
        ["unit", "verdict", "n"],
        [(u, v, shareable(n, floor)) for u, v, n in [("patients", "all", total), *summary]],
    )
    meta = {
        "ruleset": result.ruleset, "as_of": result.as_of.isoformat(), "engine": result.engine,
        "small_cell_floor": floor, "patients": result.patients, "cells": result.cells,
    }  # fmt: skip
    (out / "screen.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def explain(
    tables_folder: Path, result: ScreenResult, rules: RuleSet, out: Path, count: int, cells: Path
) -> int:
    """Re-assess the first ``count`` shortlisted patients with the per-patient engine; write each one's full
    explanation as ``explain/patient-<key>.json`` and what to document into the shortlist. Raises
    ``ScreenMismatch`` if the engine's verdict differs from the screen's in any cell."""
    import duckdb

    keys = [int(s["patient_key"]) for s in result.shortlist[:count]]
    if not keys:
        return 0
    con = duckdb.connect()
    wanted = ", ".join(str(k) for k in keys)
    rows: dict[int, dict[str, list[dict[str, Any]]]] = {k: {n: [] for n in tables()} for k in keys}
    for name in tables():
        path = str(tables_folder / f"{name}.parquet").replace("'", "''")
        cursor = con.execute(f"SELECT * FROM read_parquet('{path}') WHERE patient_key IN ({wanted})")
        names = [d[0] for d in cursor.description]
        for found in cursor.fetchall():
            item = dict(zip(names, found, strict=True))
            rows[item["patient_key"]][name].append(item)
    screened: dict[tuple[int, str, str], str] = {}
    # Spark writes a table as a folder of part files; DuckDB reads either through a glob.
    path = str(cells / "*.parquet" if cells.is_dir() else cells).replace("'", "''")
    query = f"SELECT patient_key, level, side, verdict FROM read_parquet('{path}') WHERE patient_key IN "
    for key, level, side, verdict in con.execute(f"{query}({wanted})").fetchall():
        screened[key, level, side] = verdict
    folder = out / "explain"
    folder.mkdir(parents=True, exist_ok=True)
    by_key = {int(s["patient_key"]): s for s in result.shortlist}
    for key in keys:
        entry = by_key[key]
        try:
            record = record_from_rows(rows[key])
        except ValidationError as exc:  # readings that contradict each other, which a column check cannot see
            first = exc.errors()[0]
            entry["facts_to_document"] = f"the record is refused: {first['msg']}"
            entry["next_step"] = "correct the record, then assess it"
            continue
        assessment = assess(record, rules, today=result.as_of)
        for cell in assessment.candidacy.cells:
            if screened[key, cell.level.value, cell.side.value] != cell.verdict.value:
                raise ScreenMismatch(
                    f"patient_key {key} {cell.level} {cell.side}: the screen and the engine differ"
                )
        body = assessment_json(assessment, explain=True)
        (folder / f"patient-{key}.json").write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
        closest = assessment.candidacy.cell(Level(entry["level"]), Side(entry["side"]))
        entry["facts_to_document"] = "; ".join(closest.missing_facts)
        entry["next_step"] = assessment.pathway[0].title if assessment.pathway else ""
    shortlist = result.shortlist
    _write_csv(
        out / "shortlist.csv", list(shortlist[0]), [[s.get(h, "") for h in shortlist[0]] for s in shortlist]
    )
    return len(keys)
