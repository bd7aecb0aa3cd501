"""Benchmark: full assessment time (parse + validate + evaluate + explain) on one core.

1. Median per assessment of a typical patient (examples/01), over many repeats.
2. Throughput over 10,000 varied patients: the examples perturbed with a fixed seed (values jittered,
   facts dropped to unknown, booleans flipped), each parsed from JSON text and fully explained.

Goal (issue 2): median <= 1 ms. Run: ``make bench`` or ``python benchmarks/bench_assessment.py``.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from lss_pathway.assess import assess
from lss_pathway.domain.parsing import InputError, parse_record
from lss_pathway.rulesets.catalog import load_ruleset

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _full_assessment(text: str, rules_ref: str) -> dict[str, Any]:
    record = parse_record(text, "json")
    return assess(record, load_ruleset(rules_ref)).to_dict()


def _jitter(value: Any, rng: random.Random) -> Any:
    if isinstance(value, bool):
        return (not value) if rng.random() < 0.1 else value
    if isinstance(value, float | int) and not isinstance(value, bool):
        return value if rng.random() < 0.7 else type(value)(value * rng.uniform(0.8, 1.1))
    return value


def _vary(data: Any, rng: random.Random) -> Any:
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if key not in ("level", "side", "agent", "type", "id", "assessment_date") and rng.random() < 0.08:
                continue  # becomes unknown
            out[key] = _vary(value, rng)
        return out
    if isinstance(data, list):
        return [_vary(item, rng) for item in data]
    return _jitter(data, rng)


def iter_varied_patients(n: int, seed: int = 20261124) -> Iterator[str]:
    """``n`` valid record texts, one at a time: the examples perturbed with a fixed seed."""
    rng = random.Random(seed)
    bases = [yaml.safe_load(p.read_text()) for p in sorted(EXAMPLES.glob("*.yaml"))]
    made = 0
    while made < n:
        candidate = _vary(copy.deepcopy(rng.choice(bases)), rng)
        text = json.dumps(candidate, default=str)
        try:
            parse_record(text, "json")
        except InputError:
            continue  # a perturbation crossed a plausibility bound (e.g. ages); keep only valid records
        made += 1
        yield text


def varied_patients(n: int, seed: int = 20261124) -> list[str]:
    return list(iter_varied_patients(n, seed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=2_000)
    parser.add_argument("--ruleset", default="textbook")
    args = parser.parse_args()

    typical = json.dumps(
        yaml.safe_load((EXAMPLES / "01-bilateral-l45-candidate.yaml").read_text()), default=str
    )
    for _ in range(50):  # warm caches (rule set, fact catalogue)
        _full_assessment(typical, args.ruleset)
    samples = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        _full_assessment(typical, args.ruleset)
        samples.append(time.perf_counter() - start)
    samples.sort()
    median_ms = statistics.median(samples) * 1000
    p95_ms = samples[int(len(samples) * 0.95)] * 1000

    patients = varied_patients(args.patients)
    verdicts: dict[str, int] = {}
    start = time.perf_counter()
    for text in patients:
        result = _full_assessment(text, args.ruleset)
        for cell in result["candidacy"]:
            verdicts[cell["verdict"]] = verdicts.get(cell["verdict"], 0) + 1
    elapsed = time.perf_counter() - start

    print(f"rule set: {args.ruleset}")
    print(
        f"typical patient (examples/01), {args.repeats} repeats: "
        f"median {median_ms:.3f} ms, p95 {p95_ms:.3f} ms"
    )
    print(
        f"{len(patients)} varied patients on one core: {elapsed:.2f} s, "
        f"{len(patients) / elapsed:,.0f} assessments/s, mean {elapsed / len(patients) * 1000:.3f} ms"
    )
    print("cell verdicts across the varied set:", ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items())))
    print(f"goal median <= 1 ms: {'met' if median_ms <= 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
