"""Load benchmark of the HTTP service on loopback: latency (p50/p99) and throughput.

Starts ``lss serve`` in its own process on 127.0.0.1 (JWT checks off with --insecure-demo, so that the
figures measure the service, not key handling), then drives it with an async client at concurrency 1 and
32. Each scenario is bounded in request count and in time, and the app's ``/health`` runs side by side as
the floor. Goal (issue 4): assessment throughput >= 50 % of the floor and p99 <= 50 ms at concurrency 32.

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per scenario at concurrency 32")
    parser.add_argument("--max-seconds", type=float, default=30.0, help="time bound per scenario")
    parser.add_argument(
        "--workers", type=int, default=2, help="server worker processes (the machine has 2 cores)"
    )
    args = parser.parse_args()

    record_json = json.dumps(yaml.safe_load(EXAMPLE.read_text()), default=str).encode()
    scenarios = [
        Scenario("health (floor)", "GET", "/health"),
        Scenario("POST /v1/assessments", "POST", "/v1/assessments", record_json),
        Scenario("patient-view (prefetch)", "POST", "/cds-services/lss-patient-view", _patient_view_body()),
    ]
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from lss_pathway.cli import main; main()",
            "serve",
            "--port",
            str(port),
            "--insecure-demo",
            "--workers",
            str(args.workers),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise SystemExit("server did not start")
        results: list[Result] = []
        for concurrency, total in ((1, max(200, args.requests // 4)), (32, args.requests)):
            for scenario in scenarios:
                asyncio.run(_run(port, scenario, concurrency, 50, 5))  # warm-up
                results.append(asyncio.run(_run(port, scenario, concurrency, total, args.max_seconds)))
    finally:
        server.terminate()
        server.wait(timeout=10)

    print(
        f"{'scenario':28} {'conc':>4} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}"
    )
    for r in results:
        print(
            f"{r.name:28} {r.concurrency:>4} {r.requests:>8} {r.errors:>6} {r.throughput:>8.0f} "
            f"{r.p50_ms:>8.2f} {r.p99_ms:>8.2f}"
        )
    for concurrency in (1, 32):
        floor = next(r for r in results if r.concurrency == concurrency and r.name.startswith("health"))
        for r in results:
            if r.concurrency == concurrency and not r.name.startswith("health"):
                share = r.throughput / floor.throughput * 100
                print(f"c={concurrency}: {r.name} throughput = {share:.0f}% of the /health floor")
    c32 = next(r for r in results if r.concurrency == 32 and r.name == "POST /v1/assessments")
    floor32 = next(r for r in results if r.concurrency == 32 and r.name.startswith("health"))
    met = c32.throughput >= 0.5 * floor32.throughput and c32.p99_ms <= 50
    print(f"goal (assessments >= 50% of floor and p99 <= 50 ms at c=32): {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
