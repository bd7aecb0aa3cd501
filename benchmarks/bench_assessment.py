"""Benchmark: full assessment time (parse + validate + evaluate + explain) on one core.

1. Median per assessment of a typical patient (examples/01), over many repeats.
2. Throughput over 10,000 varied patients: the examples perturbed with a fixed seed (values jittered,
   facts dropped to unknown, booleans flipped), each parsed from JSON text and fully explained.
3. Issue 12's ratios: one assessment of examples/01 (parse, validate, evaluate, schema 2 JSON serialised)
   beside its floor, ``PatientRecord.model_validate_json`` of the same text, measured in the same round;
   verdicts only (goal <= 2x) and with the full explanation (goal <= 5x), and the service's input type
   check. CPU time per call (the machine is shared: wall time counts other people's work), medians of
   ``--rounds`` rounds.

Goal (issue 2): median <= 1 ms. Run: ``make bench`` or ``python benchmarks/bench_assessment.py``.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import yaml

from lss_pathway.api.json_types import type_errors
from lss_pathway.api.rest import patient_record_schema
from lss_pathway.assess import assess
from lss_pathway.assessment_json import assessment_json
from lss_pathway.domain.parsing import InputError, parse_data, parse_record
from lss_pathway.domain.record import PatientRecord
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


def cpu_per_call(fn: Callable[[], object], repeats: int) -> float:
    """Mean CPU seconds of one call over ``repeats`` calls, after a short warm-up."""
    for _ in range(max(3, repeats // 20)):
        fn()
    start = time.process_time()
    for _ in range(repeats):
        fn()
    return (time.process_time() - start) / repeats


def floor_ratios(text: str, rules_ref: str, rounds: int, repeats: int) -> dict[str, list[float]]:
    """Per round: the floor and each scenario's CPU time per call, every scenario in the same round."""
    rules = load_ruleset(rules_ref)
    schema = patient_record_schema()
    data = parse_data(text, "json")

    def verdicts_only() -> bytes:
        return orjson.dumps(assessment_json(assess(parse_record(text, "json"), rules, explain=False)))

    def explained() -> bytes:
        return orjson.dumps(assessment_json(assess(parse_record(text, "json"), rules), explain=True))

    scenarios: dict[str, tuple[Callable[[], object], int]] = {
        "floor: PatientRecord.model_validate_json": (lambda: PatientRecord.model_validate_json(text), 10),
        "assessment, verdicts only": (verdicts_only, 1),
        "assessment, full explanation": (explained, 1),
        "service input type check": (lambda: type_errors(data, schema, schema["$defs"]), 5),
    }
    seconds: dict[str, list[float]] = {name: [] for name in scenarios}
    for _ in range(rounds):
        for name, (fn, weight) in scenarios.items():
            seconds[name].append(cpu_per_call(fn, repeats * weight))
    return seconds


def print_ratios(seconds: dict[str, list[float]]) -> None:
    floor_name = next(iter(seconds))
    floors = seconds[floor_name]
    goals = {"assessment, verdicts only": 2.0, "assessment, full explanation": 5.0}
    print(f"issue 12 ratios, CPU time per call, medians of {len(floors)} rounds (ratio = per-round ratio):")
    for name, values in seconds.items():
        ratio = statistics.median(v / f for v, f in zip(values, floors, strict=True))
        goal = goals.get(name)
        verdict = "" if goal is None else f"  goal <= {goal:g}x: {'met' if ratio <= goal else 'NOT met'}"
        print(f"  {name:42} {statistics.median(values) * 1e6:9.1f} us  {ratio:6.2f}x floor{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=2_000)
    parser.add_argument("--ruleset", default="textbook")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the issue 12 ratios")
    parser.add_argument("--ratio-repeats", type=int, default=200, help="assessments per scenario and round")
    parser.add_argument("--ratios-only", action="store_true", help="only the issue 12 ratios")
    args = parser.parse_args()

    typical = json.dumps(
        yaml.safe_load((EXAMPLES / "01-bilateral-l45-candidate.yaml").read_text()), default=str
    )
    print_ratios(floor_ratios(typical, args.ruleset, args.rounds, args.ratio_repeats))
    if args.ratios_only:
        return
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
