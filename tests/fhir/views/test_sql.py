"""The FHIRPath-to-SQL compiler: what it refuses (with a reason) and edge semantics checked in DuckDB."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lss_pathway.fhir.views.model import compile_view
from lss_pathway.fhir.views.runner import run_view, sql_or_reason


def _view(path: str, resource: str = "Observation", **column: Any) -> dict[str, Any]:
    return {"resource": resource, "select": [{"column": [{"name": "v", "path": path, **column}]}]}


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("value", "choice element Observation.value used without ofType()"),
        ("code.ofType(CodeableConcept)", "ofType() is compiled only on a choice element"),
        (
            "status.lowBoundary()",
            "lowBoundary() is compiled for date, dateTime, instant and time elements only",
        ),
        ("value.ofType(Quantity).value.highBoundary()", "not for decimal"),
        ("code.coding.code | code.coding.display", "union expressions are not compiled"),
        ("status ~ 'final'", "operator ~ is not compiled"),
    ],
)
def test_unsupported_fhirpath_gives_the_reason(path: str, reason: str) -> None:
    sql, why = sql_or_reason(compile_view(_view(path)))
    assert sql is None and why is not None
    assert reason in why


def test_repeat_is_refused_with_a_reason() -> None:
    view = {
        "resource": "QuestionnaireResponse",
        "select": [{"repeat": ["item"], "column": [{"name": "l", "path": "linkId"}]}],
    }
    assert sql_or_reason(compile_view(view))[1] == "repeat (recursive descent) is not compiled to SQL"


def _both(view: dict[str, Any], resources: list[dict[str, Any]], tmp_path: Path) -> dict[str, list[Any]]:
    path = tmp_path / "r.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in resources))
    compiled = compile_view(view)
    out = {}
    for engine in ("python", "duckdb"):
        run = run_view(compiled, [path], engine)  # type: ignore[arg-type]
        assert run.engine == engine and run.rows is not None
        out[engine] = [row["v"] for row in run.rows]
    return out


def test_fallback_is_returned_and_rows_still_come(tmp_path: Path) -> None:
    path = tmp_path / "r.ndjson"
    path.write_text(json.dumps({"resourceType": "Patient", "birthDate": "2001"}) + "\n")
    view = {"resource": "Patient", "select": [{"repeat": ["link"], "column": [{"name": "v", "path": "'x'"}]}]}
    run = run_view(compile_view(view), [path], "duckdb")
    assert run.requested == "duckdb" and run.engine == "python"
    assert run.fallback is not None and "repeat" in run.fallback
    assert run.rows == []


@pytest.mark.parametrize(
    ("path", "column", "expected"),
    [
        # a collection of two is not equal to one string (FHIRPath), and that is not an error
        ("name.family = 'a'", {"type": "boolean"}, [False, True, None]),
        ("name.given.join('+')", {"type": "string"}, ["x+y", "z", ""]),
        ("name.where(family = 'a').given.first()", {"type": "string"}, ["x", "z", None]),
        ("name[1].family", {"type": "string"}, ["b", None, None]),
        ("name.family.count()", {"type": "integer"}, [2, 1, 0]),
        ("name.family", {"collection": True, "type": "string"}, [["a", "b"], ["a"], []]),
    ],
)
def test_duckdb_agrees_with_python_on_collection_semantics(
    path: str, column: dict[str, Any], expected: list[Any], tmp_path: Path
) -> None:
    resources = [
        {
            "resourceType": "Patient",
            "id": "1",
            "name": [{"family": "a", "given": ["x", "y"]}, {"family": "b"}],
        },
        {"resourceType": "Patient", "id": "2", "name": [{"family": "a", "given": ["z"]}]},
        {"resourceType": "Patient", "id": "3"},
    ]
    view = {
        "resource": "Patient",
        "select": [{"column": [{"name": "id", "path": "id"}, {"name": "v", "path": path, **column}]}],
    }
    got = _both(view, resources, tmp_path)
    assert got["python"] == expected
    assert sorted(map(json.dumps, got["duckdb"])) == sorted(map(json.dumps, expected))


def test_a_singleton_column_with_many_values_fails_on_both(tmp_path: Path) -> None:
    resources = [{"resourceType": "Patient", "name": [{"family": "a"}, {"family": "b"}]}]
    for engine in ("python", "duckdb"):
        path = tmp_path / "r.ndjson"
        path.write_text(json.dumps(resources[0]) + "\n")
        with pytest.raises(Exception, match="2 values where one is allowed"):
            run_view(compile_view(_view("name.family", "Patient")), [path], engine)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("resource", "path"),
    [
        ({"resourceType": "Patient", "birthDate": "1970"}, "birthDate"),
        ({"resourceType": "Patient", "birthDate": "2024-02"}, "birthDate"),
        ({"resourceType": "Patient", "birthDate": "2024-02-10"}, "birthDate"),
        ({"resourceType": "Observation", "valueDateTime": "2010-10"}, "value.ofType(dateTime)"),
        ({"resourceType": "Observation", "valueDateTime": "2010-10-10T10:30Z"}, "value.ofType(dateTime)"),
        (
            {"resourceType": "Observation", "valueDateTime": "2010-10-10T10:30:05.5+02:00"},
            "value.ofType(dateTime)",
        ),
        ({"resourceType": "Observation", "issued": "2015-02-07T13:28:17.239+02:00"}, "issued"),
        ({"resourceType": "Observation", "valueTime": "12:34"}, "value.ofType(time)"),
        ({"resourceType": "Observation", "valueTime": "12:34:56.1"}, "value.ofType(time)"),
        ({"resourceType": "Observation"}, "value.ofType(time)"),
    ],
)
def test_boundaries_in_sql_equal_the_python_ones(resource: dict[str, Any], path: str, tmp_path: Path) -> None:
    for function in ("lowBoundary", "highBoundary"):
        view = {
            "resource": resource["resourceType"],
            "select": [{"column": [{"name": "v", "path": f"{path}.{function}()", "type": "string"}]}],
        }
        assert sql_or_reason(compile_view(view))[0] is not None
        got = _both(view, [resource], tmp_path)
        assert got["duckdb"] == got["python"], function
