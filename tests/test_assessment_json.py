"""Schema 2 says everything schema 1 says (explanations when asked), each criterion's text once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lss_pathway.assess import SCHEMA_VERSION, Assessment, assess
from lss_pathway.assessment_json import LEVEL_PLACEHOLDER, _shared_by, assessment_json
from lss_pathway.cli import app
from lss_pathway.domain.parsing import parse_record
from lss_pathway.rulesets.catalog import available

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FILES = sorted(EXAMPLES.glob("*.yaml"))
RULESETS = sorted({entry.id for entry in available()})


def _assessment(path: Path, ruleset: str = "textbook") -> Assessment:
    return assess(parse_record(path.read_text(), "yaml"), ruleset)


def _fill(value: Any, level: str) -> Any:
    if isinstance(value, str):
        return value.replace(LEVEL_PLACEHOLDER, level)
    if isinstance(value, list):
        return [_fill(v, level) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, level) for k, v in value.items()}
    return value


def v1_entries_from_v2(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Rebuild schema 1's criterion entries from schema 2 alone, as a consumer would."""
    results = dict(doc["results"])
    for level in doc["not_reported"]["levels"]:
        for key, result in doc["not_reported"]["results"].items():
            results[_fill(key, level)] = _fill(result, level)
    out = {}
    for ref, result in results.items():
        cid, _, where = ref.partition("@")
        out[ref] = {
            "id": cid,
            "where": where,
            **doc["criteria"][cid],
            "value": result["value"],
            "missing": result.get("missing", []),
            "conflicts": result.get("conflicts", []),
            **({"explanation": result["explanation"]} if "explanation" in result else {}),
        }
    return out


@pytest.mark.parametrize("ruleset", RULESETS)
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_schema_2_loses_nothing_of_schema_1(path: Path, ruleset: str) -> None:
    a = _assessment(path, ruleset)
    v1 = a.to_dict()
    lean, full = assessment_json(a), assessment_json(a, explain=True)
    expected = {f"{e['id']}@{e['where']}": e for e in v1["criteria"]}
    assert v1_entries_from_v2(full) == expected
    without_trees = {ref: {k: v for k, v in e.items() if k != "explanation"} for ref, e in expected.items()}
    assert v1_entries_from_v2(lean) == without_trees
    for doc in (lean, full):
        assert {k: v for k, v in doc.items() if k not in _NEW} == {
            k: v for k, v in v1.items() if k not in ("criteria", "schema_version")
        }
        cell_refs = {
            ref
            for cell in doc["candidacy"]
            for key in ("met", "not_met", "unknown", "pending_confirmations", "conditional")
            for ref in cell[key]
        }
        assert cell_refs <= set(v1_entries_from_v2(doc))


_NEW = ("criteria", "results", "not_reported", "schema_version", "explanations")


@pytest.mark.parametrize("ruleset", RULESETS)
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_an_assessment_without_trees_gives_the_same_json_in_every_shape(path: Path, ruleset: str) -> None:
    """The service assesses verdicts only unless trees are asked for; schema 1 and ``explain=True`` build
    them on demand. Byte for byte (key order too) the same documents as from an explained assessment."""
    record = parse_record(path.read_text(), "yaml")
    explained, lean = assess(record, ruleset), assess(record, ruleset, explain=False)
    assert not lean.candidacy.explained and lean.explained().candidacy.explained
    for shape in ({}, {"explain": True}, {"schema": 1}):
        assert json.dumps(assessment_json(lean, **shape)) == json.dumps(assessment_json(explained, **shape))


def test_each_criterion_text_appears_once_and_unimaged_levels_are_collapsed() -> None:
    a = _assessment(EXAMPLES / "01-bilateral-l45-candidate.yaml")
    v1, doc = a.to_dict(), assessment_json(a)
    assert doc["schema_version"] == "2.0" and doc["explanations"] == "none"
    text = json.dumps(doc)
    statement = doc["criteria"]["lf_hypertrophy_on_side"]["statement"]
    assert text.count(json.dumps(statement)) == 1
    assert json.dumps(v1).count(json.dumps(statement)) > 1
    assert doc["not_reported"]["levels"] == ["L1-L2", "L2-L3"]
    assert "central_canal_stenosis@{level}" in doc["not_reported"]["results"]
    assert not any(ref.split("@")[1].startswith(("L1-L2", "L2-L3")) for ref in doc["results"])
    assert '"explanation"' not in text
    assert len(text) < len(json.dumps(v1)) / 2


def test_a_result_that_differs_between_unimaged_levels_stays_under_its_own_reference() -> None:
    results = {
        "central_canal_stenosis@L1-L2": {"value": "unknown", "missing": ["imaging.levels[L1-L2]"]},
        "central_canal_stenosis@L2-L3": {"value": "unknown", "missing": ["imaging.levels[L2-L3]"]},
        "no_instability@L1-L2": {"value": "unknown"},
        "no_instability@L2-L3": {"value": "met"},
        "only_one@L1-L2": {"value": "met"},
    }
    shared = _shared_by(["L1-L2", "L2-L3"], results)
    assert shared == {
        "central_canal_stenosis@{level}": {"value": "unknown", "missing": ["imaging.levels[{level}]"]}
    }
    assert set(results) == {"no_instability@L1-L2", "no_instability@L2-L3", "only_one@L1-L2"}


runner = CliRunner()


def test_cli_gives_schema_2_by_default_1_on_request_and_trees_with_explain() -> None:
    path = str(EXAMPLES / "01-bilateral-l45-candidate.yaml")
    a = _assessment(EXAMPLES / "01-bilateral-l45-candidate.yaml")
    default = json.loads(runner.invoke(app, ["assess", path, "-f", "json"]).stdout)
    old = json.loads(runner.invoke(app, ["assess", path, "-f", "json", "--schema-version", "1"]).stdout)
    full = json.loads(runner.invoke(app, ["assess", path, "-f", "json", "--explain"]).stdout)
    assert default["schema_version"] == "2.0" and "explanation" not in json.dumps(default["results"])
    assert old == a.to_dict() and old["schema_version"] == SCHEMA_VERSION
    assert full["explanations"] == "full"
    assert all("explanation" in r for r in full["results"].values())
