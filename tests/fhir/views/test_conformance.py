"""The official SQL-on-FHIR v2 test suite on both executions, with its test report under build/.

Every test of every file in `../shared/data/sql-on-fhir-v2-tests/` runs on the Python and the DuckDB
execution (DuckDB reads the test's resources from an NDJSON file, as in production). Known failures
are data (`known_failures.yaml`) and strict: one that passes fails the run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from lss_pathway.fhir.views.conformance import CaseResult, SuiteCase, load_suite, run_case, suite_report
from lss_pathway.fhir.views.model import compile_view
from lss_pathway.fhir.views.runner import ENGINES, Engine, run_view

from .conftest import BUILD, SUITE_DIR, SUITE_SUMMARY, require

KNOWN = yaml.safe_load((Path(__file__).parent / "known_failures.yaml").read_text()) or []
KNOWN_BY_KEY = {(k["test"], k["execution"]): k["reason"] for k in KNOWN}
CASES = load_suite(SUITE_DIR) if SUITE_DIR.is_dir() else []
RESULTS: dict[str, list[CaseResult]] = {engine: [] for engine in ENGINES}


class Execution:
    """Runs a view on one engine through run_view (DuckDB reads an NDJSON file) and notes any fallback."""

    def __init__(self, engine: Engine, folder: Path) -> None:
        self.engine = engine
        self.folder = folder
        self.fallback: str | None = None

    def __call__(
        self, view: Mapping[str, Any], resources: Sequence[Mapping[str, Any]]
    ) -> tuple[list[str], list[dict[str, Any]]]:
        compiled = compile_view(view)
        path = self.folder / "resources.ndjson"
        path.write_text("".join(json.dumps(r) + "\n" for r in resources), encoding="utf-8")
        run = run_view(compiled, [path], self.engine)
        self.fallback = run.fallback
        assert run.rows is not None and not run.errors
        return compiled.column_names, run.rows


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    yield
    if not CASES:
        return
    BUILD.mkdir(parents=True, exist_ok=True)
    for engine, results in RESULTS.items():
        if not results:
            continue
        path = BUILD / f"test-report-{engine}.json"
        path.write_text(json.dumps(suite_report(results), indent=2), encoding="utf-8")
        passed = sum(r.passed for r in results)
        shareable = [r for r in results if "shareable" in r.case.tags]
        line = (
            f"SQL-on-FHIR v2 suite, {engine}: {passed}/{len(results)} passed "
            f"(shareable {sum(r.passed for r in shareable)}/{len(shareable)})"
        )
        if engine == "duckdb":
            fallbacks = sum(1 for r in results if "fallback" in r.details)
            line += f"; {len(results) - fallbacks} compiled to SQL, {fallbacks} by explicit Python fallback"
        SUITE_SUMMARY.append(f"{line}; report {path.relative_to(BUILD.parent.parent)}")


def _params() -> list[Any]:
    return [pytest.param(engine, case, id=f"{engine}:{case.case_id}") for engine in ENGINES for case in CASES]


@pytest.mark.parametrize(("engine", "case"), _params())
def test_official_case(engine: Engine, case: SuiteCase, tmp_path: Path) -> None:
    execution = Execution(engine, tmp_path)
    result = run_case(case, execution)
    if execution.fallback:
        result = replace(result, details={**result.details, "fallback": execution.fallback})
    RESULTS[engine].append(result)
    verdict, message = outcome(result, KNOWN_BY_KEY.get((case.case_id, engine)))
    if verdict == "xfail":
        pytest.xfail(message)
    assert verdict == "pass", message


def outcome(result: CaseResult, known_reason: str | None) -> tuple[str, str | None]:
    """pass / fail / xfail; a known failure that passes is a failure (strict), so the list stays true."""
    if known_reason is None:
        return ("pass", None) if result.passed else ("fail", result.error)
    if result.passed:
        return "fail", f"known failure now passes; remove it from known_failures.yaml ({known_reason})"
    return "xfail", known_reason


def test_suite_is_present_and_complete() -> None:
    require(SUITE_DIR)
    assert len(CASES) >= 134, "the suite at commit 49fc1ad has 134 tests"


def test_known_failures_name_real_tests() -> None:
    require(SUITE_DIR)
    ids = {case.case_id for case in CASES}
    stale = [k for k in KNOWN if k["test"] not in ids or k["execution"] not in ENGINES or not k.get("reason")]
    assert not stale, f"known_failures.yaml entries with no such test/execution or no reason: {stale}"


def test_expected_errors_are_the_views_own(tmp_path: Path) -> None:
    """An expectError test must fail for its stated reason, not because of an unrelated crash."""
    require(SUITE_DIR)
    by_title = {case.title: case for case in CASES}
    expectations = {
        "fail when 'collection' is not true": "values where one is allowed",
        "accessing an undefined constant": "undefined constant",
        "incorrect constant definition": "value[x]",
        "column mismatch": "differ from unionAll[0]",
        "column order mismatch": "differ from unionAll[0]",
        "wrong fhirpath": "FHIRPath",
        "wrong type in forEach": "expected a FHIRPath expression",
        "where with path resolving to not boolean": "single boolean",
        "resource not specified": "'resource' is required",
    }
    for engine in ENGINES:
        for title, fragment in expectations.items():
            result = run_case(by_title[title], Execution(engine, tmp_path))
            assert result.passed
            assert fragment in result.details["raised"], (engine, title, result.details["raised"])


def test_report_follows_the_suites_schema(tmp_path: Path) -> None:
    schema_rs = pytest.importorskip(
        "jsonschema_rs", reason="jsonschema_rs (a dev dependency) validates the report"
    )
    require(SUITE_DIR)
    schema = json.loads((SUITE_DIR / "test-report.schema.json").read_text())
    results = [run_case(case, Execution("python", tmp_path)) for case in CASES[:12]]
    report = suite_report(results)
    schema_rs.validate(schema, report)
    assert sum(len(v["tests"]) for v in report.values()) == 12


def test_known_failures_are_strict() -> None:
    case = SuiteCase("f.json", "t", (), {}, [])
    assert outcome(CaseResult(case, True), None) == ("pass", None)
    assert outcome(CaseResult(case, False, "rows differ"), None) == ("fail", "rows differ")
    assert outcome(CaseResult(case, False, "rows differ"), "no boundary") == ("xfail", "no boundary")
    verdict, message = outcome(CaseResult(case, True), "no boundary")
    assert verdict == "fail" and message is not None and "now passes" in message
