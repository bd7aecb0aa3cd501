"""The shared fact assembly: provenance, contradictions naming both sources, lists, blame, scope."""

from __future__ import annotations

import datetime as dt

import pytest

from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.assembly import ANTITHROMBOTICS, NAME_SEP, PRIOR_PROCEDURES, FactAssembly
from lss_pathway.domain.parsing import InputError


def test_the_same_fact_twice_agrees_or_is_a_contradiction_naming_both() -> None:
    facts = FactAssembly()
    facts.set(("symptoms", "leg_symptoms"), True, "report line 3")
    facts.set(("symptoms", "leg_symptoms"), True, "Observation/a")
    assert facts.errors == []
    facts.set(("imaging", "levels", Level.L4_L5, "sides", Side.LEFT, "lf_thickness_mm"), 6.1, "MRI report")
    facts.set(("imaging", "levels", Level.L4_L5, "sides", Side.LEFT, "lf_thickness_mm"), 4.0, "segmentation")
    (error,) = facts.errors
    assert error.field == "imaging.levels[L4-L5].sides[left].lf_thickness_mm"
    assert "MRI report says 6.1 but segmentation says 4.0" in error.message


def test_levels_sides_and_agents_are_built_as_nested_record_data() -> None:
    facts = FactAssembly()
    facts.touch_level(Level.L4_L5, Side.RIGHT)
    facts.set(("imaging", "levels", Level.L4_L5, "canal_area_mm2"), 62.0, "report")
    facts.agents["clopidogrel"] = "order 1"
    facts.agents[f"other_antithrombotic{NAME_SEP}vorapaxar"] = "order 2"
    facts.set(("safety", "antithrombotics", "clopidogrel", "can_be_held"), True, "note")
    data, blame = facts.build()
    assert data["imaging"]["levels"] == [
        {"level": "L4-L5", "canal_area_mm2": 62.0, "sides": [{"side": "right"}]}
    ]
    assert data["safety"]["antithrombotics"] == [
        {"agent": "clopidogrel", "can_be_held": True},
        {"agent": "other_antithrombotic", "name": "vorapaxar"},
    ]
    assert blame["imaging.levels[0].canal_area_mm2"] == "report"
    record = facts.record(data, blame)
    assert [a.name for a in record.safety.antithrombotics or []] == [None, "vorapaxar"]


def test_list_rules_none_named_unknown_and_contradiction() -> None:
    empty = FactAssembly()
    empty.claim_list(ANTITHROMBOTICS, False, "form")
    assert empty.build()[0]["safety"]["antithrombotics"] == []
    vague = FactAssembly()
    vague.claim_list(ANTITHROMBOTICS, False, "form")
    vague.uncertain.append("an unmapped order")
    data, _ = vague.build()
    assert (
        "safety" not in data
        and "says there is none but an unmapped order names one" in vague.errors[0].message
    )
    unsupported = FactAssembly()
    unsupported.claim_list(PRIOR_PROCEDURES, True, "form")
    data, _ = unsupported.build()
    assert "prior_procedures" not in data and unsupported.unsupported_lists == [
        (PRIOR_PROCEDURES, "prior spine procedure")
    ]


def test_record_errors_name_their_source_and_scope_is_checked() -> None:
    facts = FactAssembly()
    facts.set(("exam", "abi", "left"), 7.0, "Observation/abi")
    data, blame = facts.build()
    with pytest.raises(InputError, match=r"from Observation/abi"):
        facts.record(data, blame)
    minor = FactAssembly()
    minor.set(("patient", "birth_date"), dt.date(2015, 1, 1), "Patient/p")
    minor.set(("assessment_date",), dt.date(2026, 1, 1), "argument")
    data, blame = minor.build()
    with pytest.raises(InputError, match="outside the tool's scope"):
        minor.record(data, blame)
