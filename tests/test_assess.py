"""The assessment's JSON shape: stable keys, self-consistent references, serialisable as is."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from lss_pathway.assess import SCHEMA_VERSION, assess
from lss_pathway.criteria.candidacy import Verdict
from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.parsing import parse_record
from lss_pathway.domain.record import PatientRecord

TOP_KEYS = {
    "schema_version",
    "tool_version",
    "reference_version",
    "ruleset",
    "record_id",
    "assessment_date",
    "red_flags",
    "cauda_equina",
    "diagnosis_support",
    "differential",
    "stenosis",
    "candidacy",
    "criteria",
    "pathway",
    "icd10",
    "missing_facts",
    "disclaimer",
}
CELL_KEYS = {
    "level",
    "side",
    "verdict",
    "met",
    "not_met",
    "unknown",
    "contraindications",
    "conditions",
    "pending_confirmations",
    "conditional",
    "conflicts",
    "missing_facts",
}


@pytest.mark.parametrize("ruleset", ["textbook", "mild-trial", "cms-ncd-150.13"])
def test_every_example_serialises_with_consistent_references(examples_dir: Path, ruleset: str) -> None:
    for path in sorted(examples_dir.glob("*.yaml")):
        data = assess(parse_record(path.read_text(), "yaml"), ruleset).to_dict()
        assert set(data) == TOP_KEYS
        assert data["schema_version"] == SCHEMA_VERSION
        json.dumps(data)  # plain JSON types only
        ids = {f"{c['id']}@{c['where']}" for c in data["criteria"]}
        assert len(data["candidacy"]) == 10
        for cell in data["candidacy"]:
            assert set(cell) == CELL_KEYS
            refs = cell["met"] + cell["not_met"] + cell["unknown"] + cell["pending_confirmations"]
            refs += cell["conditional"]
            assert set(refs) <= ids, path.name
            assert set(cell["contraindications"]) <= set(cell["not_met"])
            if cell["verdict"] == "candidate":
                assert not cell["not_met"] and not cell["unknown"] and not cell["missing_facts"]
                assert not cell["conflicts"]
            if cell["verdict"] == "undetermined":
                assert cell["unknown"] and cell["missing_facts"] and not cell["not_met"]


def test_unknown_criterion_names_the_facts_to_settle_it() -> None:
    data = assess(PatientRecord(), "textbook", today=dt.date.today()).to_dict()
    deficit = next(c for c in data["criteria"] if c["id"] == "no_severe_neurologic_deficit")
    assert deficit["value"] == "unknown"
    assert deficit["missing"] == ["exam.neurologic_deficit"]
    assert "exam.neurologic_deficit" in data["missing_facts"]
    assert all(cell["verdict"] == "undetermined" for cell in data["candidacy"])


def test_an_unrecorded_confirmation_is_pending_not_a_fact_to_document() -> None:
    data = assess(PatientRecord(), "textbook", today=dt.date.today()).to_dict()
    no_bleeding = next(c for c in data["criteria"] if c["id"] == "no_bleeding_disorder")
    assert no_bleeding["value"] == "unknown" and no_bleeding["confirmation"] is True
    assert "safety.bleeding_disorder" not in data["missing_facts"]
    assert all("no_bleeding_disorder@patient" in cell["pending_confirmations"] for cell in data["candidacy"])


def test_textbook_1_0_0_stays_loadable_and_keeps_its_verdicts() -> None:
    data = assess(PatientRecord(), "textbook@1.0.0", today=dt.date.today()).to_dict()
    assert data["ruleset"]["version"] == "1.0.0"
    assert "safety.bleeding_disorder" in data["missing_facts"]


def test_explanation_tree_shows_facts_read(examples_dir: Path) -> None:
    record = parse_record((examples_dir / "02-unilateral-left-l45-candidate.yaml").read_text(), "yaml")
    data = assess(record, "mild-trial").to_dict()
    lf = next(
        c for c in data["criteria"] if c["id"] == "lf_thickness_on_side" and c["where"] == "L4-L5 right"
    )
    assert lf["value"] == "not_met"
    assert lf["verification"] == "V"
    assert lf["explanation"]["facts"] == [
        {"fact": "imaging.levels[L4-L5].sides[right].lf_thickness_mm", "value": 2.0}
    ]
    assert lf["source"]["url"].startswith("https://")


def _eligible_but_no_conservative_care() -> PatientRecord:
    """Example 01 (a candidate at L4-L5), one month into symptoms and with no conservative care yet."""
    path = Path(__file__).resolve().parents[1] / "examples" / "01-bilateral-l45-candidate.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["conservative_care"] = {"months": 1, "physical_therapy": False}
    return PatientRecord.model_validate(data)


def test_a_candidate_without_conservative_care_carries_it_as_a_condition() -> None:
    """Issue 9, item 12: never an unqualified candidate before conservative care."""
    a = assess(_eligible_but_no_conservative_care(), "textbook")
    cell = a.candidacy.cell(Level.L4_L5, Side.LEFT)
    assert cell.verdict is Verdict.CANDIDATE
    gate = next(
        c for c in cell.conditions if c.action.startswith("After an adequate trial of conservative care")
    )
    assert (
        "not yet met" in gate.action and "conservative care for 1 month, no physical therapy" in gate.action
    )
    as_json = next(c for c in a.to_dict()["candidacy"] if c["level"] == "L4-L5" and c["side"] == "left")
    assert as_json["conditional"] == ["conservative_care_tried@patient"]
    assert any(c["action"].startswith("After an adequate trial") for c in as_json["conditions"])


def test_the_trial_set_still_requires_failed_conservative_care() -> None:
    a = assess(_eligible_but_no_conservative_care(), "mild-trial")
    assert a.candidacy.cell(Level.L4_L5, Side.LEFT).verdict is Verdict.NOT_CANDIDATE


def test_every_coverage_assessment_says_when_the_cms_text_was_checked() -> None:
    """Issue 9, item 11."""
    data = assess(PatientRecord(), "cms-ncd-150.13", today=dt.date.today()).to_dict()
    assert data["ruleset"]["verified_as_of"] == "2026-12-02"
    assert (
        assess(PatientRecord(), "textbook", today=dt.date.today()).to_dict()["ruleset"]["verified_as_of"]
        is None
    )
