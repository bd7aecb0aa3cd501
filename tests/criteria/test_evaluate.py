"""The evaluator: three-valued results, the facts read, and exactly what to document when unknown."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from lss_pathway.criteria.evaluate import Condition, Node, evaluate
from lss_pathway.criteria.expressions import Hold, parse_expr
from lss_pathway.criteria.logic import Tri
from lss_pathway.criteria.python_runner import Context
from lss_pathway.criteria.ruleset import RuleSet
from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.record import PatientRecord
from lss_pathway.rulesets.catalog import load_ruleset

ON = dt.date(2026, 11, 1)
L45 = Level.L4_L5
LEFT = Side.LEFT


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_ruleset("textbook")


def record(**data: Any) -> PatientRecord:
    return PatientRecord.model_validate({"assessment_date": ON.isoformat(), **data})


def ctx(rec: PatientRecord, level: Level | None = None, side: Side | None = None) -> Context:
    if level is None:
        return Context(rec, rec.on_date())
    findings = rec.imaging.level(level)
    if side is None:
        return Context(rec, rec.on_date(), level, None, findings)
    side_findings = findings.side(side) if findings is not None else None
    return Context(rec, rec.on_date(), level, side, findings, side_findings)


def run(
    test: dict[str, Any],
    rec: PatientRecord,
    rules: RuleSet,
    level: Level | None = None,
    side: Side | None = None,
) -> Node:
    return evaluate(parse_expr(test), ctx(rec, level, side), rules)


LF_GE_4 = {"fact": "side.lf_thickness_mm", "op": "ge", "value": 4.0}


# --- comparisons ---------------------------------------------------------------------------------------


def test_known_fact_met_and_not_met(rules: RuleSet) -> None:
    rec = record(patient={"age_years": 70})
    met = run({"fact": "patient.age", "op": "ge", "value": 65}, rec, rules)
    assert met.value is Tri.MET
    assert met.missing == ()
    assert met.facts == (("patient.age (patient)", 70),)
    not_met = run({"fact": "patient.age", "op": "ge", "value": 71}, rec, rules)
    assert not_met.value is Tri.NOT_MET
    assert not_met.missing == ()


def test_param_value_is_read_from_the_rule_set(rules: RuleSet) -> None:
    rec = record(exam={"abi": {"left": 0.95}})
    node = run({"fact": "exam.abi.left", "op": "gt", "value": {"param": "abi_abnormal_max"}}, rec, rules)
    assert node.value is Tri.MET
    assert "0.9" in node.label


def test_unknown_side_fact_names_the_concrete_field(rules: RuleSet) -> None:
    rec = record(imaging={"levels": [{"level": "L4-L5", "sides": [{"side": "left"}]}]})
    node = run(LF_GE_4, rec, rules, L45, LEFT)
    assert node.value is Tri.UNKNOWN
    assert node.missing == ("imaging.levels[L4-L5].sides[left].lf_thickness_mm",)


def test_unknown_level_fact_names_the_concrete_field(rules: RuleSet) -> None:
    rec = record(imaging={"levels": [{"level": "L4-L5"}]})
    node = run({"fact": "level.canal_area_mm2", "op": "lt", "value": 100}, rec, rules, L45)
    assert node.value is Tri.UNKNOWN
    assert node.missing == ("imaging.levels[L4-L5].canal_area_mm2",)


def test_unreported_level_is_named_as_a_whole(rules: RuleSet) -> None:
    rec = record(imaging={"levels": [{"level": "L3-L4"}]})
    for test, side in ((LF_GE_4, LEFT), ({"fact": "level.canal_area_mm2", "op": "lt", "value": 100}, None)):
        node = run(test, rec, rules, L45, side)
        assert node.value is Tri.UNKNOWN
        assert node.missing == ("imaging.levels[L4-L5] (level not reported)",)


def test_unreported_side_is_named_as_a_whole(rules: RuleSet) -> None:
    rec = record(imaging={"levels": [{"level": "L4-L5", "sides": [{"side": "right"}]}]})
    node = run(LF_GE_4, rec, rules, L45, LEFT)
    assert node.value is Tri.UNKNOWN
    assert node.missing == ("imaging.levels[L4-L5].sides[left] (side not reported)",)


def test_unknown_patient_fact_names_the_field(rules: RuleSet) -> None:
    node = run({"fact": "safety.bleeding_disorder", "op": "eq", "value": False}, record(), rules)
    assert node.value is Tri.UNKNOWN
    assert node.missing == ("safety.bleeding_disorder",)


def test_unknown_age_names_both_ways_to_document_it(rules: RuleSet) -> None:
    node = run({"fact": "patient.age", "op": "ge", "value": 65}, record(), rules)
    assert node.missing == ("patient.age_years", "patient.birth_date")


def test_unknown_prior_surgery_names_prior_procedures_even_on_an_unreported_level(rules: RuleSet) -> None:
    """Documenting the imaging level cannot settle prior surgery: the missing fact is the history."""
    test = {"fact": "level.prior_surgery", "op": "eq", "value": False}
    reported = run(test, record(imaging={"levels": [{"level": "L4-L5"}]}), rules, L45)
    assert reported.missing == ("prior_procedures",)
    unreported = run(test, record(), rules, L45)
    assert unreported.value is Tri.UNKNOWN
    assert unreported.missing == ("prior_procedures",)


def test_prior_procedure_with_unknown_levels_is_named(rules: RuleSet) -> None:
    rec = record(prior_procedures=[{"type": "laminectomy"}], imaging={"levels": [{"level": "L4-L5"}]})
    node = run({"fact": "level.prior_surgery", "op": "eq", "value": False}, rec, rules, L45)
    assert node.value is Tri.UNKNOWN
    assert node.missing == ("prior_procedures[0].levels",)


def test_prior_procedure_at_the_level_settles_despite_another_unknown(rules: RuleSet) -> None:
    rec = record(prior_procedures=[{"type": "laminectomy"}, {"type": "fusion", "levels": ["L4-5"]}])
    node = run({"fact": "level.prior_surgery", "op": "eq", "value": False}, rec, rules, L45)
    assert node.value is Tri.NOT_MET


def test_unknown_epidurogram_names_the_procedure_finding(rules: RuleSet) -> None:
    test = {"fact": "side.epidurogram_appreciated", "op": "eq", "value": True}
    rec = record(imaging={"levels": [{"level": "L4-L5", "sides": [{"side": "left"}]}]})
    assert run(test, rec, rules, L45, LEFT).missing == ("procedure.epidurogram[L4-L5 left].appreciated",)
    assert run(test, record(), rules, L45, LEFT).missing == ("procedure.epidurogram[L4-L5 left].appreciated",)


# --- combinations ----------------------------------------------------------------------------------------


def test_settled_all_of_reports_no_missing_facts(rules: RuleSet) -> None:
    rec = record(symptoms={"leg_symptoms": False})
    node = run(
        {
            "all": [
                {"fact": "symptoms.leg_symptoms", "op": "eq", "value": True},
                {"fact": "symptoms.provoked_by_walking", "op": "eq", "value": True},
            ]
        },
        rec,
        rules,
    )
    assert node.value is Tri.NOT_MET
    assert node.missing == ()
    assert [c.value for c in node.children] == [Tri.NOT_MET, Tri.UNKNOWN]


def test_any_of_met_with_unknown_sibling_reports_no_missing(rules: RuleSet) -> None:
    rec = record(symptoms={"provoked_by_standing": True})
    node = run(
        {
            "any": [
                {"fact": "symptoms.provoked_by_walking", "op": "eq", "value": True},
                {"fact": "symptoms.provoked_by_standing", "op": "eq", "value": True},
            ]
        },
        rec,
        rules,
    )
    assert node.value is Tri.MET
    assert node.missing == ()


def test_unknown_all_of_collects_only_the_unknown_childrens_missing_facts(rules: RuleSet) -> None:
    rec = record(symptoms={"leg_symptoms": True})
    node = run(
        {
            "all": [
                {"fact": "symptoms.leg_symptoms", "op": "eq", "value": True},
                {"fact": "symptoms.provoked_by_walking", "op": "eq", "value": True},
                {"fact": "symptoms.provoked_by_walking", "op": "ne", "value": False},
                {"fact": "symptoms.relieved_by_sitting", "op": "eq", "value": True},
            ]
        },
        rec,
        rules,
    )
    assert node.value is Tri.UNKNOWN
    assert node.missing == ("symptoms.provoked_by_walking", "symptoms.relieved_by_sitting")


def test_not_inverts_and_keeps_missing(rules: RuleSet) -> None:
    test = {"not": {"fact": "symptoms.relieved_by_standing_still", "op": "eq", "value": True}}
    assert run(test, record(symptoms={"relieved_by_standing_still": True}), rules).value is Tri.NOT_MET
    assert run(test, record(symptoms={"relieved_by_standing_still": False}), rules).value is Tri.MET
    unknown = run(test, record(), rules)
    assert unknown.value is Tri.UNKNOWN
    assert unknown.missing == ("symptoms.relieved_by_standing_still",)


@pytest.mark.parametrize(
    ("op", "value", "actual", "expected"),
    [
        ("eq", "severe", "severe", Tri.MET),
        ("ne", "severe", "severe", Tri.NOT_MET),
        ("in", ["moderate", "severe"], "moderate", Tri.MET),
        ("in", ["moderate", "severe"], "mild", Tri.NOT_MET),
        ("not_in", ["severe"], "mild", Tri.MET),
        ("not_in", ["severe"], "severe", Tri.NOT_MET),
    ],
)
def test_code_comparisons(rules: RuleSet, op: str, value: Any, actual: str, expected: Tri) -> None:
    rec = record(exam={"neurologic_deficit": actual})
    assert run({"fact": "exam.neurologic_deficit", "op": op, "value": value}, rec, rules).value is expected


@pytest.mark.parametrize(
    ("op", "actual", "expected"),
    [
        ("lt", 99.9, Tri.MET),
        ("lt", 100, Tri.NOT_MET),
        ("le", 100, Tri.MET),
        ("le", 100.1, Tri.NOT_MET),
        ("gt", 100.1, Tri.MET),
        ("gt", 100, Tri.NOT_MET),
        ("ge", 100, Tri.MET),
        ("ge", 99.9, Tri.NOT_MET),
    ],
)
def test_numeric_comparisons_at_the_boundary(rules: RuleSet, op: str, actual: float, expected: Tri) -> None:
    rec = record(imaging={"levels": [{"level": "L4-L5", "canal_area_mm2": actual}]})
    node = run({"fact": "level.canal_area_mm2", "op": op, "value": 100}, rec, rules, L45)
    assert node.value is expected
    assert node.facts == (("imaging.levels[L4-L5].canal_area_mm2", actual),)


# --- holds -----------------------------------------------------------------------------------------------


def hold(rec: PatientRecord, rules: RuleSet) -> Node:
    return evaluate(Hold("antithrombotics"), ctx(rec), rules)


def test_hold_with_unknown_antithrombotics_is_unknown(rules: RuleSet) -> None:
    node = hold(record(), rules)
    assert node.value is Tri.UNKNOWN
    assert node.missing == ("safety.antithrombotics",)
    assert node.conditions == ()


def test_hold_with_no_antithrombotics_is_met_without_conditions(rules: RuleSet) -> None:
    node = hold(record(safety={"antithrombotics": []}), rules)
    assert node.value is Tri.MET
    assert node.missing == ()
    assert node.conditions == ()


def test_warfarin_that_can_be_held_is_a_condition_with_interval_and_inr(rules: RuleSet) -> None:
    node = hold(record(safety={"antithrombotics": [{"agent": "warfarin", "can_be_held": True}]}), rules)
    assert node.value is Tri.MET
    assert len(node.conditions) == 1
    condition = node.conditions[0]
    assert isinstance(condition, Condition)
    assert "warfarin" in condition.action
    assert "5 days" in condition.action
    assert "normal INR" in condition.action
    source = rules.sources[rules.antithrombotic_holds["warfarin"].source]
    assert condition.source == source.citation
    assert condition.url == source.url
    assert condition.verification == rules.antithrombotic_holds["warfarin"].verification.value


def test_each_holdable_agent_gives_its_own_condition(rules: RuleSet) -> None:
    agents = [{"agent": "clopidogrel", "can_be_held": True}, {"agent": "Apixaban", "can_be_held": True}]
    node = hold(record(safety={"antithrombotics": agents}), rules)
    assert node.value is Tri.MET
    actions = [c.action for c in node.conditions]
    assert len(actions) == 2
    assert "clopidogrel" in actions[0] and "7 days" in actions[0]
    assert "apixaban" in actions[1] and "5 days" in actions[1]


def test_agent_without_fixed_interval_says_decide_with_prescriber(rules: RuleSet) -> None:
    node = hold(
        record(safety={"antithrombotics": [{"agent": "aspirin_secondary", "can_be_held": True}]}), rules
    )
    assert node.value is Tri.MET
    assert "prescriber" in node.conditions[0].action


def test_agent_that_cannot_be_held_is_not_met(rules: RuleSet) -> None:
    agents = [{"agent": "warfarin", "can_be_held": True}, {"agent": "clopidogrel", "can_be_held": False}]
    node = hold(record(safety={"antithrombotics": agents}), rules)
    assert node.value is Tri.NOT_MET
    assert node.conditions == ()
    assert node.missing == ()


def test_agent_with_unknown_hold_status_is_unknown_and_names_the_field(rules: RuleSet) -> None:
    agents = [{"agent": "warfarin", "can_be_held": True}, {"agent": "rivaroxaban"}]
    node = hold(record(safety={"antithrombotics": agents}), rules)
    assert node.value is Tri.UNKNOWN
    assert node.missing == ("safety.antithrombotics[1].can_be_held",)
    assert node.conditions == ()


@pytest.mark.parametrize(
    ("can_be_held", "days_held", "expected"),
    [
        (False, 0, Tri.NOT_MET),
        (False, 30, Tri.NOT_MET),
        (False, 365, Tri.NOT_MET),
        (None, 30, Tri.UNKNOWN),
        (None, 0, Tri.UNKNOWN),
        (True, 0, Tri.MET),
        (True, 2, Tri.MET),
        (True, 30, Tri.MET),
    ],
)
def test_days_held_never_overrides_can_be_held(
    rules: RuleSet, can_be_held: bool | None, days_held: float, expected: Tri
) -> None:
    agent = {"agent": "warfarin", "can_be_held": can_be_held, "days_held": days_held}
    assert hold(record(safety={"antithrombotics": [agent]}), rules).value is expected


def test_already_held_long_enough_says_keep_held(rules: RuleSet) -> None:
    agent = {"agent": "warfarin", "can_be_held": True, "days_held": 6}
    node = hold(record(safety={"antithrombotics": [agent]}), rules)
    assert "keep held" in node.conditions[0].action


def test_agent_missing_from_hold_table(rules: RuleSet) -> None:
    trimmed = rules.model_copy(
        update={
            "antithrombotic_holds": {k: v for k, v in rules.antithrombotic_holds.items() if k != "warfarin"}
        }
    )
    held = hold(record(safety={"antithrombotics": [{"agent": "warfarin", "can_be_held": True}]}), trimmed)
    assert held.value is Tri.UNKNOWN
    assert any("warfarin" in m for m in held.missing)
    blocked = hold(record(safety={"antithrombotics": [{"agent": "warfarin", "can_be_held": False}]}), trimmed)
    assert blocked.value is Tri.NOT_MET


def test_conditions_propagate_through_a_met_all_of(rules: RuleSet) -> None:
    rec = record(
        safety={"antithrombotics": [{"agent": "warfarin", "can_be_held": True}], "bleeding_disorder": False}
    )
    node = run(
        {
            "all": [
                {"hold": "antithrombotics"},
                {"fact": "safety.bleeding_disorder", "op": "eq", "value": False},
            ]
        },
        rec,
        rules,
    )
    assert node.value is Tri.MET
    assert len(node.conditions) == 1
    not_met = run(
        {
            "all": [
                {"hold": "antithrombotics"},
                {"fact": "safety.bleeding_disorder", "op": "eq", "value": True},
            ]
        },
        rec,
        rules,
    )
    assert not_met.conditions == ()


# --- agree: alternative measures of one finding ------------------------------------------------------------

AGREE_SLIP = {
    "agree": [
        {"fact": "level.meyerding_grade", "op": "le", "value": 1},
        {"fact": "level.slip_percent", "op": "le", "value": 25},
    ]
}


@pytest.mark.parametrize(
    ("findings", "expected"),
    [
        ({"meyerding_grade": 1}, Tri.MET),
        ({"meyerding_grade": 2}, Tri.NOT_MET),
        ({"slip_percent": 20}, Tri.MET),
        ({"slip_percent": 30}, Tri.NOT_MET),
        ({"meyerding_grade": 1, "slip_percent": 20}, Tri.MET),
        ({"meyerding_grade": 2, "slip_percent": 30}, Tri.NOT_MET),
    ],
)
def test_agree_known_measures_decide(rules: RuleSet, findings: dict[str, Any], expected: Tri) -> None:
    rec = record(imaging={"levels": [{"level": "L4-L5", **findings}]})
    node = run(AGREE_SLIP, rec, rules, L45)
    assert node.value is expected
    assert node.missing == ()


def test_agree_with_nothing_known_asks_for_every_measure(rules: RuleSet) -> None:
    node = run(AGREE_SLIP, record(imaging={"levels": [{"level": "L4-L5"}]}), rules, L45)
    assert node.value is Tri.UNKNOWN
    assert node.missing == (
        "imaging.levels[L4-L5].meyerding_grade",
        "imaging.levels[L4-L5].slip_percent",
    )


def test_agree_conflict_is_unknown_and_names_the_conflict(rules: RuleSet) -> None:
    test = {
        "agree": [
            {"fact": "level.canal_area_mm2", "op": "lt", "value": 100},
            {"fact": "level.central_stenosis", "op": "in", "value": ["moderate", "severe"]},
        ]
    }
    rec = record(imaging={"levels": [{"level": "L4-L5", "canal_area_mm2": 80, "central_stenosis": "mild"}]})
    node = run(test, rec, rules, L45)
    assert node.value is Tri.UNKNOWN
    assert node.missing == node.conflicts
    assert node.conflicts == (
        "reconcile: imaging.levels[L4-L5].canal_area_mm2 = 80 "
        "contradicts imaging.levels[L4-L5].central_stenosis = mild",
    )


def test_a_conflict_is_carried_up_even_when_the_logic_around_it_decides(rules: RuleSet) -> None:
    test = {
        "any": [
            {"fact": "level.instability", "op": "eq", "value": False},
            {
                "agree": [
                    {"fact": "level.canal_area_mm2", "op": "lt", "value": 100},
                    {"fact": "level.central_stenosis", "op": "in", "value": ["moderate", "severe"]},
                ]
            },
        ]
    }
    findings = {"level": "L4-L5", "instability": False, "canal_area_mm2": 80, "central_stenosis": "mild"}
    node = run(test, record(imaging={"levels": [findings]}), rules, L45)
    assert node.value is Tri.MET
    assert len(node.conflicts) == 1 and "central_stenosis = mild" in node.conflicts[0]


@pytest.mark.parametrize(
    ("findings", "agrees"),
    [
        ({"meyerding_grade": 0, "slip_mm": 0}, True),
        ({"meyerding_grade": 1, "slip_mm": 4}, True),
        ({"meyerding_grade": 0}, True),
        ({}, True),
        ({"meyerding_grade": 0, "slip_mm": 10}, False),
        ({"meyerding_grade": 1, "slip_mm": 0}, False),
    ],
)
def test_consistent_is_met_unless_readings_contradict(
    rules: RuleSet, findings: dict[str, Any], agrees: bool
) -> None:
    test = {
        "consistent": [
            {"fact": "level.meyerding_grade", "op": "eq", "value": 0},
            {"fact": "level.slip_mm", "op": "eq", "value": 0},
        ]
    }
    node = run(test, record(imaging={"levels": [{"level": "L4-L5", **findings}]}), rules, L45)
    assert node.value is (Tri.MET if agrees else Tri.UNKNOWN)
    assert bool(node.conflicts) is not agrees


# --- issue 9, item 13: agents outside the vocabulary, plain aspirin, days already held ------------------


def test_other_antithrombotic_is_recorded_and_held_with_the_prescriber(rules: RuleSet) -> None:
    agents = [{"agent": "other_antithrombotic", "name": "fondaparinux", "can_be_held": True}]
    node = hold(record(safety={"antithrombotics": agents}), rules)
    assert node.value is Tri.MET
    (condition,) = node.conditions
    assert "other antithrombotic (fondaparinux)" in condition.action
    assert "agreed with the prescriber" in condition.action


def test_other_antithrombotic_needs_the_prescribers_answer(rules: RuleSet) -> None:
    agents = [{"agent": "other_antithrombotic", "name": "ticagrelor-like trial drug"}]
    node = hold(record(safety={"antithrombotics": agents}), rules)
    assert node.value is Tri.UNKNOWN
    assert node.missing == ("safety.antithrombotics[0].can_be_held",)


@pytest.mark.parametrize("agent", ["fondaparinux", "ticlopidine", "tinzaparin therapeutic", "celecoxib"])
def test_agents_once_refused_are_now_in_the_vocabulary(rules: RuleSet, agent: str) -> None:
    node = hold(record(safety={"antithrombotics": [{"agent": agent, "can_be_held": True}]}), rules)
    assert node.value is Tri.MET and node.conditions


def test_plain_aspirin_asks_for_its_purpose(rules: RuleSet) -> None:
    node = hold(record(safety={"antithrombotics": [{"agent": "aspirin", "can_be_held": True}]}), rules)
    assert node.value is Tri.MET
    action = node.conditions[0].action
    assert action.startswith("aspirin (purpose not recorded): stop 6 days before")
    assert "primary or secondary prevention" in action


def test_an_unlisted_agent_is_refused_with_the_way_to_record_it() -> None:
    with pytest.raises(ValueError, match="other_antithrombotic, name: dabigatrin"):
        record(safety={"antithrombotics": [{"agent": "dabigatrin", "can_be_held": True}]})


@pytest.mark.parametrize(
    ("days_held", "expected"),
    [
        (3, "apixaban: held 3 of 5 days; 2 more (stop 5 days before"),
        (5, "apixaban: held 5 days already; keep held until the procedure"),
        (0, "apixaban: stop 5 days before"),
    ],
)
def test_days_already_held_count_down(rules: RuleSet, days_held: float, expected: str) -> None:
    agents = [{"agent": "apixaban", "can_be_held": True, "days_held": days_held}]
    node = hold(record(safety={"antithrombotics": agents}), rules)
    assert node.conditions[0].action.startswith(expected)
