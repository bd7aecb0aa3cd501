"""Benchmark: many patients in constant memory (issue 12, item 5): ``lss summary`` and the batch API.

1. Floor: ``PatientRecord.model_validate_json`` of the same generated records, on one core.
2. ``lss summary`` over a folder of ``--patients`` generated records (``--distinct`` different ones,
   repeated; written once, outside the timing),
   in its own process with its default worker pool (one per core): patients per second per core, as a
   ratio of the floor, and the peak memory of the whole process tree (PSS, sampled from /proc).
3. The library stream (``assess_stream``, the full JSON of every assessment, dropped as it arrives) over
   a generator of ``--stream-patients`` records, with 1 and 2 processes: patients per second per core and
   the peak memory of this process and its workers.

Medians of ``--runs`` runs. Goal: 100k patients with a peak <= 300 MB. Run:
``python benchmarks/bench_batch.py`` (about ten minutes on two loaded cores).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_assessment import iter_varied_patients
from lss_pathway.batch import RecordText, assess_stream
from lss_pathway.domain.record import PatientRecord

GOAL_MB = 300


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in task.read_text().split()]
    return found


def _tree_pss_mb(pid: int) -> float:
    """Proportional set size of the process and its descendants: pages the forked workers share with
    their parent count once, split between them (a sum of RSS would count them in every process)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
        stack += _children(current)
    return total / 1024


class PeakMemory:
    """Samples the memory (PSS) of a process and its descendants every 50 ms."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_pss_mb(self.pid))
            self._stop.wait(0.05)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _floor(texts: list[str]) -> float:
    start = time.perf_counter()
    for text in texts:
        PatientRecord.model_validate_json(text)
    return len(texts) / (time.perf_counter() - start)


def _summary_run(folder: Path, patients: int) -> tuple[float, float]:
    """Seconds and peak MB of ``lss summary`` over the folder (output discarded)."""
    command = [sys.executable, "-c", "from lss_pathway.cli import main; main()", "summary", str(folder)]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with PeakMemory(process.pid) as memory:
        _, stderr = process.communicate()
    elapsed = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"lss summary failed: {stderr.decode()[:500]}")
    return elapsed, memory.peak


def _stream_run(make: Callable[[], Iterator[str]], processes: int) -> tuple[float, float, int]:
    count = 0
    with PeakMemory(os.getpid()) as memory:
        start = time.perf_counter()
        records = (RecordText(str(i), text) for i, text in enumerate(make()))
        for outcome in assess_stream(records, processes=processes):
            count += outcome.ok
        elapsed = time.perf_counter() - start
    return elapsed, memory.peak, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000, help="records for lss summary")
    parser.add_argument("--stream-patients", type=int, default=10_000, help="records for the library stream")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--distinct", type=int, default=5_000, help="different records, repeated to fill --patients files"
    )
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))

    sample = list(iter_varied_patients(2000, seed=7))
    floors = []
    with tempfile.TemporaryDirectory(prefix="lss-bench-batch-") as tmp:
        folder = Path(tmp)
        distinct = list(iter_varied_patients(min(args.distinct, args.patients)))
        for i in range(args.patients):  # nothing is remembered between patients: a repeat costs the same
            (folder / f"p{i:07d}.json").write_text(distinct[i % len(distinct)])
        summary_runs = []
        print(f"wrote {args.patients:,} records to {folder}", flush=True)
        for run in range(args.runs):
            floors.append(_floor(sample))
            summary_runs.append(_summary_run(folder, args.patients))
            seconds, peak = summary_runs[-1]
            print(
                f"run {run + 1}: floor {floors[-1]:,.0f} records/s; lss summary {seconds:.1f} s, "
                f"{args.patients / seconds / cores:,.0f} patients/s per core, peak {peak:.0f} MB",
                flush=True,
            )
    stream: dict[int, list[tuple[float, float, int]]] = {1: [], 2: []}
    for _ in range(args.runs):
        for processes in (1, 2):
            stream[processes].append(
                _stream_run(lambda: iter_varied_patients(args.stream_patients, seed=11), processes)
            )

    floor = statistics.median(floors)
    seconds = statistics.median(s for s, _ in summary_runs)
    peak = statistics.median(m for _, m in summary_runs)
    per_core = args.patients / seconds / cores
    print(
        f"floor: PatientRecord.model_validate_json, one core: {floor:,.0f} records/s (median of {args.runs})"
    )
    print(
        f"lss summary, {args.patients:,} patients, {cores} cores: {seconds:.1f} s, "
        f"{per_core:,.0f} patients/s per core = {per_core / floor:.3f} x floor; "
        f"peak memory (process tree) {peak:.0f} MB (goal <= {GOAL_MB} MB: "
        f"{'met' if peak <= GOAL_MB else 'NOT met'}); runs: "
        + ", ".join(f"{s:.1f} s/{m:.0f} MB" for s, m in summary_runs)
    )
    for processes, runs in stream.items():
        secs = statistics.median(s for s, _, _ in runs)
        mem = statistics.median(m for _, m, _ in runs)
        rate = args.stream_patients / secs / processes
        print(
            f"assess_stream (full JSON kept per record, then dropped), {args.stream_patients:,} patients, "
            f"{processes} process(es): {rate:,.0f} patients/s per process = {rate / floor:.3f} x floor; "
            f"peak {mem:.0f} MB"
        )


if __name__ == "__main__":
    main()
