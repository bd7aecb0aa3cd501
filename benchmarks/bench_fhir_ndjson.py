"""Memory and time of the FHIR Bulk NDJSON reader (``screening.inputs.fhir_ndjson``) as an export grows.

The reader indexes lines by patient in an on-disk SQLite file and maps one patient at a time, so its peak
memory should not grow with the export. This script scales the shared Synthea export (13 patients) by
copying every patient ``k`` times with fresh ids, then, for each size, in fresh subprocesses:

- **ours**: ``read_fhir_ndjson`` into Parquet tables: peak RSS and wall time;
- **floor (naive)**: what the reader avoids: every mapped resource of the export parsed into Python dicts
  held at once (peak RSS), and the time to parse them (the least any reader must spend on the lines).

Each figure is the median of ``--runs`` runs, shown beside its floor as a ratio. Growth is the point:
ours should stay flat from the small to the large export while the naive floor grows with it.

    python benchmarks/bench_fhir_ndjson.py                    # copies 2 and 8, 3 runs each
    python benchmarks/bench_fhir_ndjson.py --copies 1 4 --runs 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SYNTHEA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "synthea-bulk-10-patients"
MAPPED = ("Patient", "Condition", "MedicationRequest", "Procedure")

OURS = """
import datetime as dt, json, resource, sys, time
from pathlib import Path
from lss_pathway.screening.inputs.fhir_ndjson import read_fhir_ndjson
start = time.perf_counter()
report = read_fhir_ndjson(Path(sys.argv[1]), Path(sys.argv[2]), today=dt.date(2026, 12, 1))
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "patients": report.patients}))
"""

NAIVE = """
import json, resource, sys, time
from pathlib import Path
import lss_pathway.screening.inputs.fhir_ndjson  # the same imports, so the baseline RSS is alike
start = time.perf_counter()
held = [json.loads(line) for path in sorted(Path(sys.argv[1]).glob("*.ndjson"))
        if path.name.split(".")[0] in sys.argv[2].split(",") for line in path.open("rb") if line.strip()]
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "resources": len(held)}))
"""


def scaled_export(dest: Path, copies: int) -> int:
    """The Synthea export with every patient copied ``copies`` times (fresh ids); its size in bytes."""
    dest.mkdir(parents=True)
    for path in SYNTHEA.glob("*.ndjson"):
        kind = path.name.split(".")[0]
        with (dest / path.name).open("w") as out:
            for k in range(copies):
                for line in path.read_text().splitlines():
                    resource = json.loads(line)
                    resource["id"] = f"{resource['id']}-{k}"
                    subject = resource.get("subject") or resource.get("patient")
                    if kind != "Patient" and isinstance(subject, dict) and "reference" in subject:
                        subject["reference"] = f"{subject['reference']}-{k}"
                    out.write(json.dumps(resource) + "\n")
    return sum(p.stat().st_size for p in dest.iterdir())


def run(code: str, *args: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, nargs="+", default=[2, 8])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not SYNTHEA.is_dir():
        sys.exit(f"the Synthea export is not at {SYNTHEA}")
    print(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {args.runs} runs per figure (median)")
    header = "copies  MB   resources  ours s  floor s  ratio | ours peak MB  naive peak MB  ratio"
    print(header)
    with tempfile.TemporaryDirectory() as scratch:
        for copies in args.copies:
            export = Path(scratch) / f"x{copies}"
            size = scaled_export(export, copies)
            ours = [run(OURS, str(export), str(Path(scratch) / f"out{copies}-{i}")) for i in range(args.runs)]
            naive = [run(NAIVE, str(export), ",".join(MAPPED)) for _ in range(args.runs)]
            t_ours = statistics.median(r["seconds"] for r in ours)
            t_floor = statistics.median(r["seconds"] for r in naive)
            m_ours = statistics.median(r["peak_mb"] for r in ours)
            m_naive = statistics.median(r["peak_mb"] for r in naive)
            resources = int(naive[0]["resources"])
            print(
                f"{copies:>6} {size / 1e6:>4.0f} {resources:>10}  {t_ours:>6.1f}  {t_floor:>7.2f} "
                f"{t_ours / t_floor:>6.0f} | {m_ours:>12.0f}  {m_naive:>13.0f}  {m_ours / m_naive:>5.2f}"
            )


if __name__ == "__main__":
    main()
