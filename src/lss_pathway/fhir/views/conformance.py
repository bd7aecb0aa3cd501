"""Running the official SQL-on-FHIR v2 test suite on an execution and writing its test report.

Each suite file holds resources and tests; a test passes when the view's rows equal `expect` as a
multiset (order-insensitive, as the suite's own runner compares), its columns equal `expectColumns`
when given, its row count equals `expectCount`, or, with `expectError`, when compiling or running the
view raises. The report follows the suite's `test-report.schema.json`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Row = dict[str, Any]
# An execution: (view JSON, resources) -> (column names, rows). Raising means "the view failed".
Execution = Callable[[Mapping[str, Any], Sequence[Mapping[str, Any]]], tuple[list[str], list[Row]]]


@dataclass(frozen=True)
class SuiteCase:
    file: str
    title: str
    tags: tuple[str, ...]
    test: Mapping[str, Any]
    resources: Sequence[Mapping[str, Any]]

    @property
    def case_id(self) -> str:
        return f"{self.file}::{self.title}"


@dataclass(frozen=True)
class CaseResult:
    case: SuiteCase
    passed: bool
    error: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


def load_suite(folder: Path) -> list[SuiteCase]:
    """Every test of every suite file in the folder (schema files skipped), in file order."""
    cases: list[SuiteCase] = []
    for path in sorted(folder.glob("*.json")):
        if path.name.endswith(".schema.json"):
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        for test in data["tests"]:
            cases.append(
                SuiteCase(path.name, test["title"], tuple(test.get("tags", ())), test, data["resources"])
            )
    return cases


def run_case(case: SuiteCase, execution: Execution, details: Mapping[str, Any] | None = None) -> CaseResult:
    test = case.test
    extra = dict(details or {})
    try:
        columns, rows = execution(test["view"], case.resources)
    except Exception as exc:  # any failure of the view is what expectError asks for
        if test.get("expectError"):
            return CaseResult(case, True, details={**extra, "raised": f"{type(exc).__name__}: {exc}"})
        return CaseResult(case, False, f"{type(exc).__name__}: {exc}", extra)
    if test.get("expectError"):
        return CaseResult(case, False, f"expected an error, got {len(rows)} rows", extra)
    if "expectColumns" in test and list(test["expectColumns"]) != columns:
        return CaseResult(case, False, f"columns {columns} != expected {test['expectColumns']}", extra)
    if "expectCount" in test:
        ok = len(rows) == test["expectCount"]
        return CaseResult(case, ok, None if ok else f"{len(rows)} rows != {test['expectCount']}", extra)
    want = sorted(canonical_row(r) for r in test["expect"])
    got = sorted(canonical_row(r) for r in rows)
    if want == got:
        return CaseResult(case, True, details=extra)
    missing = [r for r in want if r not in got][:3]
    unexpected = [r for r in got if r not in want][:3]
    return CaseResult(
        case, False, f"rows differ; missing {missing}, unexpected {unexpected}", {**extra, "rows": len(rows)}
    )


def canonical_row(row: Mapping[str, Any]) -> str:
    """A row as sorted-key JSON with numbers normalised (1 == 1.0), so rows compare as values."""
    return json.dumps({k: _canonical(v) for k, v in row.items()}, sort_keys=True)


def _canonical(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        number = float(value)
        return int(number) if number.is_integer() else round(number, 12)
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _canonical(v) for k, v in value.items()}
    return str(value)


def suite_report(results: Sequence[CaseResult]) -> dict[str, Any]:
    """The suite's test-report JSON: {file: {"tests": [{"name", "result": {passed, error?, details?}}]}}."""
    report: dict[str, Any] = {}
    for result in results:
        entry: dict[str, Any] = {"passed": result.passed}
        if result.error:
            entry["error"] = result.error
        if result.details:
            entry["details"] = dict(result.details)
        report.setdefault(result.case.file, {"tests": []})["tests"].append(
            {"name": result.case.title, "result": entry}
        )
    return report
