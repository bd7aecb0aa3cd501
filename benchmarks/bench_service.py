"""Load benchmark of the HTTP service on loopback: latency (p50/p99) and throughput.

Starts ``lss serve`` in its own process on 127.0.0.1 (JWT checks off with --insecure-demo, so that the
figures measure the service, not key handling), then drives it with an async client at concurrency 1 and
32. Each scenario is bounded in request count and in time, and the app's ``/health`` runs in the same
round as the floor; each configuration (1 and 2 workers; the CDS prefetch cache on, and off) is measured
in ``--runs`` rounds on a fresh server and the medians are reported. The patient-view prefetch is the
first example's chart as an EHR would send it (99 resources). Goals (issue 12, at concurrency 32):
assessments >= 50 % of the floor with p99 <= 50 ms; patient-view >= 20 % with p99 <= 100 ms.

Run: ``make bench-service`` or ``python benchmarks/bench_service.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "01-bilateral-l45-candidate.yaml"


@dataclass
class Scenario:
    name: str
    method: str
    path: str
    body: bytes | None = None


@dataclass
class Result:
    name: str
    concurrency: int
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _patient_view_body() -> bytes:
    from lss_pathway.api.prefetch import prefetch_from_bundle
    from lss_pathway.domain.parsing import parse_record
    from lss_pathway.fhir.mapping import bundle_from_record

    patient_id, prefetch = prefetch_from_bundle(bundle_from_record(parse_record(EXAMPLE.read_text(), "yaml")))
    body = {
        "hook": "patient-view",
        "hookInstance": "00000000-0000-4000-8000-000000000000",
        "context": {"userId": "Practitioner/bench", "patientId": patient_id},
        "prefetch": prefetch,
    }
    return json.dumps(body).encode()


async def _request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes, body: bytes
) -> int:
    """One keep-alive HTTP/1.1 exchange; returns the status code (the body is read and dropped)."""
    writer.write(head + body)
    await writer.drain()
    status_line = await reader.readline()
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    await reader.readexactly(length)
    return int(status_line.split()[1])


async def _run(port: int, scenario: Scenario, concurrency: int, total: int, max_seconds: float) -> Result:
    """Each worker holds one connection; a lean client keeps the load generator from being the bottleneck."""
    latencies: list[float] = []
    errors = 0
    sent = 0
    deadline = time.perf_counter() + max_seconds
    body = scenario.body or b""
    head = (
        f"{scenario.method} {scenario.path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()

    async def worker() -> None:
        nonlocal sent, errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while sent < total and time.perf_counter() < deadline:
                sent += 1
                start = time.perf_counter()
                status = await _request(reader, writer, head, body)
                latencies.append(time.perf_counter() - start)
                if status != 200:
                    errors += 1
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return Result(
        scenario.name,
        concurrency,
        len(latencies),
        errors,
        elapsed,
        statistics.median(latencies) * 1000,
        p99 * 1000,
    )


def _serve(port: int, workers: int, extra: list[str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c", "from lss_pathway.cli import main; main()", "serve"]
    command += ["--port", str(port), "--insecure-demo", "--workers", str(workers), *extra]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("server did not start")


def _one_server(
    workers: int, extra: list[str], scenarios: list[Scenario], args: argparse.Namespace
) -> list[Result]:
    """Every scenario at concurrency 1 and 32 on one server; /health first in each round (the floor)."""
    port = _free_port()
    server = _serve(port, workers, extra)
    results: list[Result] = []
    try:
        for concurrency, total in ((1, max(200, args.requests // 4)), (32, args.requests)):
            for scenario in scenarios:
                asyncio.run(_run(port, scenario, concurrency, 50, 5))  # warm-up
                results.append(asyncio.run(_run(port, scenario, concurrency, total, args.max_seconds)))
    finally:
        server.terminate()
        server.wait(timeout=10)
    return results


@dataclass
class Summary:
    config: str
    name: str
    concurrency: int
    share: float
    """Throughput as a share of the /health floor in the same round (median over runs)."""
    throughput: float
    p99_ms: float
    errors: int


def _summarise(config: str, runs: list[list[Result]]) -> list[Summary]:
    out = []
    for concurrency in (1, 32):
        names = [r.name for r in runs[0] if r.concurrency == concurrency]
        for name in names:
            shares, rates, tails, errors = [], [], [], 0
            for results in runs:
                floor = next(
                    r for r in results if r.concurrency == concurrency and r.name.startswith("health")
                )
                mine = next(r for r in results if r.concurrency == concurrency and r.name == name)
                shares.append(mine.throughput / floor.throughput)
                rates.append(mine.throughput)
                tails.append(mine.p99_ms)
                errors += mine.errors
            out.append(
                Summary(
                    config,
                    name,
                    concurrency,
                    statistics.median(shares),
                    statistics.median(rates),
                    statistics.median(tails),
                    errors,
                )
            )
    return out


GOALS = {
    "POST /v1/assessments": (0.5, 50.0),
    "patient-view (same prefetch)": (0.2, 100.0),
    "patient-view (cache off)": (0.2, 100.0),
}
"""Issue 12 at c=32: (share of the /health floor, p99 ms)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per scenario at concurrency 32")
    parser.add_argument("--max-seconds", type=float, default=20.0, help="time bound per scenario")
    parser.add_argument("--runs", type=int, default=3, help="rounds per configuration (medians reported)")
    parser.add_argument(
        "--workers", default="1,2", help="server worker process counts to measure (the machine has 2 cores)"
    )
    parser.add_argument(
        "--access-log-sample", type=float, default=0.0, help="the server's --access-log-sample (0: off)"
    )
    args = parser.parse_args()

    record_json = json.dumps(yaml.safe_load(EXAMPLE.read_text()), default=str).encode()
    view = _patient_view_body()
    resources = _prefetch_size(view)
    scenarios = [
        Scenario("health (floor)", "GET", "/health"),
        Scenario("POST /v1/assessments", "POST", "/v1/assessments", record_json),
        Scenario("patient-view (same prefetch)", "POST", "/cds-services/lss-patient-view", view),
    ]
    cold = [
        Scenario("health (floor)", "GET", "/health"),
        Scenario("patient-view (cache off)", "POST", "/cds-services/lss-patient-view", view),
    ]
    log = ["--access-log-sample", str(args.access_log_sample)]
    summaries: list[Summary] = []
    for workers in (int(w) for w in args.workers.split(",")):
        config = f"{workers} worker(s)"
        summaries += _summarise(
            config, [_one_server(workers, log, scenarios, args) for _ in range(args.runs)]
        )
        cold_runs = [
            _one_server(workers, [*log, "--prefetch-cache", "0"], cold, args) for _ in range(args.runs)
        ]
        summaries += [s for s in _summarise(config, cold_runs) if not s.name.startswith("health")]

    print(
        f"patient-view prefetch: {resources} FHIR resources, {len(view) // 1024} KB; access log sample "
        f"{args.access_log_sample}; medians of {args.runs} runs, each share against /health in the same run"
    )
    print(
        f"{'config':12} {'scenario':30} {'conc':>4} {'req/s':>8} {'of floor':>8} {'p99 ms':>8} {'errors':>6}"
    )
    for s in summaries:
        print(
            f"{s.config:12} {s.name:30} {s.concurrency:>4} {s.throughput:>8.0f} {s.share:>8.1%} "
            f"{s.p99_ms:>8.2f} {s.errors:>6}"
        )
    for s in summaries:
        goal = GOALS.get(s.name)
        if goal is not None and s.concurrency == 32:
            met = s.share >= goal[0] and s.p99_ms <= goal[1]
            print(
                f"{s.config}: {s.name} at c=32: {s.share:.1%} of floor (goal >= {goal[0]:.0%}), "
                f"p99 {s.p99_ms:.1f} ms (goal <= {goal[1]:.0f}): {'met' if met else 'NOT met'}"
            )


def _prefetch_size(body: bytes) -> int:
    prefetch = json.loads(body)["prefetch"]
    return sum(len(v.get("entry", [])) if v.get("resourceType") == "Bundle" else 1 for v in prefetch.values())


if __name__ == "__main__":
    main()
