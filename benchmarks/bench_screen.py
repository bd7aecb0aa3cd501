"""Benchmark of the compiled screen (issue 11): one rule set compiled to SQL, against the hand-written floor.

In one run, on a seeded synthetic population in the columnar schema (default 1M patients x 10 cells):

(a) the compiled DuckDB screen of textbook@1.1.0 (``screening.compiler``), verdict counts;
(b) the hand-written DuckDB SQL of the same criteria (``screen_hand_sql.py``, the floor a data engineer
    would write), verdict counts; the two must give the same counts;
(c) the per-patient engine on a sample (default 10k patients), extrapolated to the population;
plus the count(*) floor, each a median of ``--runs`` interleaved runs on ``--threads`` threads. Peak memory
is this process's maximum resident set size.

    python benchmarks/bench_screen.py                       # 1M patients
    python benchmarks/bench_screen.py --patients 100000 --sample 2000
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from lss_pathway.criteria.candidacy import run_candidacy
from lss_pathway.domain.schema import record_from_rows, rows_by_patient, tables
from lss_pathway.rulesets.catalog import load_ruleset
from lss_pathway.screening.compiler import compile_ruleset
from lss_pathway.screening.duckdb_runner import connect
from lss_pathway.screening.synthetic import AS_OF, generate
from screen_hand_sql import COUNT_FLOOR, MACROS, RULESET, _check_parameters, verdict_counts_query


def compiled_counts_query() -> str:
    cells = compile_ruleset(load_ruleset(RULESET)).cells_sql(AS_OF)
    return f"SELECT verdict, count(*) AS n FROM ({cells}) GROUP BY verdict ORDER BY verdict"


def _sample_records(folder: Path, keys: list[int]) -> list[Any]:
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE sample AS SELECT unnest(?::BIGINT[]) AS patient_key", [keys])
    rows: dict[str, list[dict[str, Any]]] = {}
    for name in tables():
        path = folder / f"{name}.parquet"
        cursor = con.execute(
            f"SELECT * FROM read_parquet('{path}') WHERE patient_key IN (SELECT * FROM sample)"
        )
        names = [d[0] for d in cursor.description]
        rows[name] = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    return [record_from_rows(patient_rows) for _, patient_rows in rows_by_patient(rows)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=10_000, help="patients through the per-patient engine")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, help="folder of the population (generated there if empty)")
    args = parser.parse_args()
    _check_parameters()
    folder = args.data or Path(tempfile.gettempdir()) / f"lss-screen-{args.patients}-{args.seed}"
    if not (folder / "patients.parquet").exists():
        generate(args.patients, folder, args.seed)
    print(f"{pq.read_metadata(folder / 'patients.parquet').num_rows} patients in {folder}")
    con = connect(folder, args.threads)
    con.execute(MACROS)  # the hand SQL's own helper (the compiled query needs none but add_months)

    queries = {
        "count(*) floor": f"SELECT {COUNT_FLOOR}",
        "hand SQL": verdict_counts_query(),
        "compiled": compiled_counts_query(),
    }
    walls: dict[str, list[float]] = {label: [] for label in queries}
    results: dict[str, Any] = {}
    for _ in range(args.runs):  # interleaved, so that load on the machine hits all alike
        for label, sql in queries.items():
            started = time.perf_counter()
            results[label] = con.execute(sql).fetchall()
            walls[label].append(time.perf_counter() - started)
    assert results["compiled"] == results["hand SQL"], (results["compiled"], results["hand SQL"])
    median = {label: statistics.median(times) for label, times in walls.items()}

    keys = sorted(random.Random(args.seed).sample(range(args.patients), min(args.sample, args.patients)))
    records = _sample_records(folder, keys)
    rules = load_ruleset(RULESET)
    started = time.perf_counter()
    for record in records:
        run_candidacy(record, rules, record.on_date(AS_OF), explain=False)
    per_patient = (time.perf_counter() - started) / len(records)
    engine_total = per_patient * args.patients
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"\n{args.patients} patients x 10 cells, {RULESET}, median of {args.runs}, {args.threads} threads:")
    for label in queries:
        print(f"  {label:15} {median[label]:8.3f} s")
    print(f"  per-patient engine ({len(records)} sampled, verdicts only): {1000 * per_patient:.3f} ms"
          f" per patient, extrapolated {engine_total:.0f} s")  # fmt: skip
    print(f"  compiled / hand SQL: {median['compiled'] / median['hand SQL']:.2f}x (goal <= 1.5x)")
    print(f"  per-patient engine / compiled: {engine_total / median['compiled']:.0f}x (goal >= 100x)")
    print(f"  compiled / count(*) floor: {median['compiled'] / median['count(*) floor']:.0f}x")
    print("  verdicts:", ", ".join(f"{v} {n}" for v, n in results["compiled"]))
    print(f"  peak resident memory of this process: {peak_mb:.0f} MB")
    print(f"  as of {dt.date.isoformat(AS_OF)}; python {sys.version.split()[0]}, duckdb {duckdb.__version__}")


if __name__ == "__main__":
    main()
