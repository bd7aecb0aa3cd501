"""Benchmark of the ViewDefinition runner: rows/s flattening Condition and MedicationRequest NDJSON.

The Synthea sample (`../shared/data/synthea-bulk-10-patients`) is replicated with new, seeded resource
ids to --resources resources in total (half Conditions, half MedicationRequests). In one run, three ways
write the same columns to Parquet: the DuckDB execution of the packaged views (`lss_condition`,
`lss_medication_request`), a hand-written DuckDB `read_ndjson_objects` query of the same columns (the
floor), and the Python execution, which is measured on a --python-sample of resources and extrapolated
(rows/s is a rate, so the sample's rate is reported as is, marked "sample"). Each figure is the median
of --repeat runs. Goal (issue 13): the DuckDB execution within 1.5x of the hand query.

Run: ``python benchmarks/bench_views.py`` (default 1,000,000 resources; ~1 GB of temporary NDJSON).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lss_pathway.fhir.views.catalog import load_view
from lss_pathway.fhir.views.model import CompiledView
from lss_pathway.fhir.views.runner import connect, ndjson_source, run_view

ROOT = Path(__file__).resolve().parent.parent
SYNTHEA = ROOT.parent / "shared" / "data" / "synthea-bulk-10-patients"
ID = re.compile(r'"id":"([^"]+)"')
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
REF = r"([A-Za-z][A-Za-z0-9]*)/([A-Za-z0-9.\-]{1,64})(/_history/[^/]*)?$"

# What a person who knows the data's shapes writes by hand: the same columns, one row per coding.
HAND_QUERIES = {
    "Condition": f"""
SELECT json ->> 'resourceType' || '/' || (json ->> 'id') AS resource_key,
  CASE WHEN regexp_extract(json ->> '$.subject.reference', '{REF}', 1) = 'Patient'
    THEN 'Patient/' || regexp_extract(json ->> '$.subject.reference', '{REF}', 2) END AS patient_key,
  list_filter(CAST(json -> '$.clinicalStatus.coding' AS JSON[]), lambda c: c ->> 'system' = '{CLINICAL}')[1]
    ->> 'code' AS clinical_status,
  list_filter(CAST(json -> '$.verificationStatus.coding' AS JSON[]),
    lambda c: c ->> 'system' = '{VERIFICATION}')[1]
    ->> 'code' AS verification_status,
  json ->> 'onsetDateTime' AS onset_date_time, json ->> 'abatementDateTime' AS abatement_date_time,
  json ->> 'recordedDate' AS recorded_date, json ->> '$.code.text' AS code_text,
  coding ->> 'system' AS code_system, coding ->> 'code' AS code, coding ->> 'display' AS code_display
FROM {{source}},
  unnest(coalesce(nullif(CAST(json -> '$.code.coding' AS JSON[]), []), [NULL::JSON])) AS t(coding)
WHERE json ->> 'resourceType' = 'Condition'
""",
    "MedicationRequest": f"""
SELECT json ->> 'resourceType' || '/' || (json ->> 'id') AS resource_key,
  CASE WHEN regexp_extract(json ->> '$.subject.reference', '{REF}', 1) = 'Patient'
    THEN 'Patient/' || regexp_extract(json ->> '$.subject.reference', '{REF}', 2) END AS patient_key,
  json ->> 'status' AS status, json ->> 'intent' AS intent, json ->> 'authoredOn' AS authored_on,
  CASE WHEN regexp_extract(json ->> '$.medicationReference.reference', '{REF}', 1) = 'Medication'
    THEN 'Medication/' || regexp_extract(json ->> '$.medicationReference.reference', '{REF}', 2)
    END AS medication_key,
  coding ->> 'system' AS code_system, coding ->> 'code' AS code, coding ->> 'display' AS code_display
FROM {{source}},
  unnest(coalesce(nullif(CAST(json -> '$.medicationCodeableConcept.coding' AS JSON[]), []), [NULL::JSON]))
    AS t(coding)
WHERE json ->> 'resourceType' = 'MedicationRequest'
""",
}
VIEWS = {"Condition": "lss_condition", "MedicationRequest": "lss_medication_request"}


def replicate(resource_type: str, count: int, target: Path, seed: int) -> Path:
    """`count` resources cycling through the Synthea file, each with a new random (seeded) id."""
    lines = (SYNTHEA / f"{resource_type}.000.ndjson").read_text(encoding="utf-8").splitlines()
    rng = random.Random(seed)
    path = target / f"{resource_type}.000.ndjson"
    with path.open("w", encoding="utf-8") as handle:
        for i in range(count):
            new_id = f"{rng.getrandbits(128):032x}"
            handle.write(ID.sub(f'"id":"{new_id}"', lines[i % len(lines)], count=1) + "\n")
    return path


def median_time(repeat: int, action: Callable[[], int]) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        rows = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--resources", type=int, default=1_000_000)
    parser.add_argument("--python-sample", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    if not SYNTHEA.is_dir():
        print(f"{SYNTHEA} is absent: the shared data is needed", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-views-") as tmp:
        work = Path(tmp)
        print(f"replicating to {args.resources:,} resources (seed {args.seed}) ...", flush=True)
        full = work / "full"
        sample = work / "sample"
        full.mkdir()
        sample.mkdir()
        per_type = args.resources // 2
        files = {t: replicate(t, per_type, full, args.seed + i) for i, t in enumerate(VIEWS)}
        small = {t: replicate(t, args.python_sample // 2, sample, args.seed + i) for i, t in enumerate(VIEWS)}
        con = connect()
        print(f"{'resource':<18} {'way':<36} {'rows':>10} {'median s':>9} {'rows/s':>12} {'vs hand':>8}")
        ratios = []
        for resource_type, view_name in VIEWS.items():
            view = load_view(view_name)
            out = work / f"{view_name}.parquet"

            def hand(rt: str = resource_type, path: Path = files[resource_type], o: Path = out) -> int:
                query = HAND_QUERIES[rt].replace("{source}", ndjson_source([path]))
                row = con.execute(f"COPY ({query}) TO '{o}' (FORMAT parquet)").fetchone()
                return int(row[0]) if row else 0

            def duck(v: CompiledView = view, path: Path = files[resource_type], o: Path = out) -> int:
                return run_view(v, [path], "duckdb", o, con=con).row_count

            def python(v: CompiledView = view, path: Path = small[resource_type], o: Path = out) -> int:
                return run_view(v, [path], "python", o).row_count

            hand_s, hand_rows = median_time(args.repeat, hand)
            duck_s, duck_rows = median_time(args.repeat, duck)
            py_s, py_rows = median_time(args.repeat, python)
            if hand_rows != duck_rows:
                print(f"row counts differ: hand {hand_rows}, view {duck_rows}", file=sys.stderr)
                return 1
            ratio = duck_s / hand_s
            ratios.append(ratio)
            for way, rows, seconds in (
                ("hand-written DuckDB query", hand_rows, hand_s),
                ("DuckDB execution", duck_rows, duck_s),
                (f"Python execution (sample {args.python_sample // 2:,})", py_rows, py_s),
            ):
                rate = rows / seconds
                slower = (hand_rows / hand_s) / rate
                figures = f"{rows:>10,} {seconds:>9.2f} {rate:>12,.0f} {slower:>7.2f}x"
                print(f"{resource_type:<18} {way:<36} {figures}")
        worst = max(ratios)
        print(
            f"DuckDB execution / hand query: worst {worst:.2f}x (goal <= 1.5x): "
            f"{'met' if worst <= 1.5 else 'NOT met'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
