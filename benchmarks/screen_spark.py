"""The hand-written textbook@1.1.0 screen (``screen_hand_sql.py``) on Spark local mode beside DuckDB.

Same Parquet files, same query text: DuckDB runs it as written, Spark after ``screening.spark.to_spark_sql``
(sqlglot, macros inlined). Each engine's figure stands beside its own floor measured in the same run, a
``count(*)`` over the six tables, so the ratios say how much of the time is the screen and how much is the
engine's fixed cost per query (Spark plans, compiles and schedules every query, however small).

One warm-up run per engine (Spark's first query also generates and compiles its code), then the median of
``--runs`` interleaved runs. The verdict counts of the two engines must be equal.

    python benchmarks/screen_spark.py                          # 100k patients, local[2], 2 DuckDB threads
    python benchmarks/screen_spark.py --patients 20000 --runs 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lss_pathway.screening.spark import register_tables, run_sql, spark_session
from lss_pathway.screening.synthetic import generate
from screen_hand_sql import COUNT_FLOOR, MACROS, connect, verdict_counts_query


def _seconds(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads and Spark local[N]")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--data", type=Path, help="folder of the population (generated there if empty)")
    args = parser.parse_args()
    folder = args.data or Path(tempfile.gettempdir()) / f"lss-screen-{args.patients}-{args.seed}"
    if not (folder / "patients.parquet").exists():
        written = generate(args.patients, folder, args.seed)
        print(f"generated {written.patients} patients in {written.seconds:.1f} s")

    con = connect(folder, args.threads)
    start, spark = _seconds(lambda: spark_session(f"local[{args.threads}]", driver_memory=args.driver_memory))
    register, _ = _seconds(lambda: register_tables(spark, folder))  # includes the NaN check (one job)
    print(f"Spark session started in {start:.1f} s; tables registered and checked in {register:.1f} s")

    screen, floor = verdict_counts_query(), f"SELECT {COUNT_FLOOR}"
    runners: dict[str, Callable[[], Any]] = {
        "DuckDB count(*) floor": lambda: con.execute(floor).fetchall(),
        "DuckDB hand SQL": lambda: con.execute(screen).fetchall(),
        "Spark count(*) floor": lambda: run_sql(spark, floor),
        "Spark hand SQL": lambda: run_sql(spark, screen, MACROS),
    }
    first = {label: _seconds(run)[0] for label, run in runners.items()}  # warm-up
    times: dict[str, list[float]] = {label: [] for label in runners}
    results: dict[str, Any] = {}
    for _ in range(args.runs):  # interleaved, so that load on the shared machine hits every query alike
        for label, run in runners.items():
            seconds, results[label] = _seconds(run)
            times[label].append(seconds)
    spark.stop()

    assert sorted(results["Spark hand SQL"]) == sorted(results["DuckDB hand SQL"]), "the engines disagree"
    median = {label: statistics.median(found) for label, found in times.items()}
    print(f"\n{args.patients} patients x 10 cells, median of {args.runs} after one warm-up run:")
    for label in runners:
        print(f"  {label:22} {median[label]:8.3f} s   (first run {first[label]:.3f} s)")
    duck = median["DuckDB hand SQL"] / median["DuckDB count(*) floor"]
    spark_ratio = median["Spark hand SQL"] / median["Spark count(*) floor"]
    print(f"  DuckDB hand SQL / its count(*) floor: {duck:.1f}x")
    print(f"  Spark hand SQL / its count(*) floor:  {spark_ratio:.1f}x")
    across = median["Spark hand SQL"] / median["DuckDB hand SQL"]
    print(f"  Spark / DuckDB, hand SQL:             {across:.1f}x")
    print("  verdicts (both engines):", ", ".join(f"{v} {n}" for v, n in sorted(results["DuckDB hand SQL"])))


if __name__ == "__main__":
    main()
