"""Benchmark (issue 12, item 3 outside the engine): would orjson parsing pay, duplicate keys still refused?

Today a record body is parsed by ``json.loads`` with a pairs hook that refuses duplicate keys
(``domain.parsing.parse_data``). The candidate: ``orjson.loads`` (which keeps the last of duplicate keys
silently) followed by a duplicate check that needs no second parse: every ``:`` outside a string
separates one key from its value, so the colons in the text equal the parsed pairs plus the colons inside
parsed strings exactly when no key was dropped (a ``\\u003a`` escape, or anything orjson refuses, falls back
to the standard parser). Both are timed beside the floor they would sit in, a full assessment of the same
record (parse, validate, evaluate, explain, serialise), medians of ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import yaml

from lss_pathway.assess import assess
from lss_pathway.domain.parsing import InputError, parse_data, parse_record
from lss_pathway.rulesets.catalog import load_ruleset

ROOT = Path(__file__).resolve().parent.parent


def _pairs_and_colons(data: Any) -> tuple[int, int]:
    pairs = colons = 0
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            pairs += len(node)
            for key, value in node.items():
                colons += key.count(":")
                stack.append(value)
        elif isinstance(node, list):
            stack += node
        elif isinstance(node, str):
            colons += node.count(":")
    return pairs, colons


def orjson_unique(body: bytes) -> Any:
    """orjson, refusing duplicate keys like ``parse_data``; any doubt goes to the standard parser."""
    if b"\\u003a" in body.lower():
        return parse_data(body.decode(), "json")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return parse_data(body.decode(), "json")
    pairs, colons = _pairs_and_colons(data)
    if body.count(b":") != pairs + colons:
        return parse_data(body.decode(), "json")  # names the duplicate key in the usual words
    return data


def _median_us(fn: Callable[[], object], repeats: int) -> float:
    for _ in range(50):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2000)
    args = parser.parse_args()
    text = json.dumps(
        yaml.safe_load((ROOT / "examples" / "01-bilateral-l45-candidate.yaml").read_text()), default=str
    )
    body = text.encode()
    assert orjson_unique(body) == parse_data(text, "json")
    duplicated = body.replace(b'"patient": {', b'"patient": {"age_years": 70, ', 1)
    try:
        orjson_unique(duplicated)
    except InputError:
        refused = True
    else:
        refused = False
    if not refused:
        raise SystemExit("a duplicate key was not refused")
    rules = load_ruleset("textbook")
    rows: dict[str, list[float]] = {"assessment (floor)": [], "json + pairs hook": [], "orjson + check": []}
    for _ in range(args.runs):
        rows["assessment (floor)"].append(
            _median_us(lambda: assess(parse_record(text, "json"), rules).to_dict(), args.repeats // 4)
        )
        rows["json + pairs hook"].append(_median_us(lambda: parse_data(text, "json"), args.repeats))
        rows["orjson + check"].append(_median_us(lambda: orjson_unique(body), args.repeats))
    floor = statistics.median(rows["assessment (floor)"])
    print(f"record body {len(body)} bytes; medians of {args.runs} runs")
    for name, values in rows.items():
        us = statistics.median(values)
        print(f"{name:22} {us:9.1f} us = {us / floor:.4f} x the full assessment")
    saved = statistics.median(rows["json + pairs hook"]) - statistics.median(rows["orjson + check"])
    print(f"orjson would save {saved:.1f} us per request = {saved / floor:.2%} of an assessment")


if __name__ == "__main__":
    main()
