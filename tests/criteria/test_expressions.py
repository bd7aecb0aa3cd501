"""Expression trees: YAML-shaped data in, the same data out; bad shapes are clear errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from lss_pathway.criteria.evaluate import Node, compile_expr
from lss_pathway.criteria.expressions import (
    Agree,
    AllOf,
    AnyOf,
    Compare,
    Hold,
    Not,
    Param,
    RuleSyntaxError,
    UnsupportedNode,
    dump_expr,
    parse_expr,
    walk,
)
from lss_pathway.criteria.labels import deciding, recorded
from lss_pathway.criteria.logic import Tri
from lss_pathway.criteria.thresholds import fact_thresholds
from lss_pathway.rulesets.catalog import load_ruleset
from lss_pathway.rulesets.lint import lint
from lss_pathway.rulesets.render import test_in_words as in_words

ROUND_TRIP = [
    {"fact": "symptoms.leg_symptoms", "op": "eq", "value": True},
    {"fact": "patient.age", "op": "ge", "value": 65},
    {"fact": "exam.abi.left", "op": "gt", "value": 0.9},
    {"fact": "level.central_stenosis", "op": "eq", "value": "severe"},
    {"fact": "patient.age", "op": "ge", "value": {"param": "min_age_years"}},
    {"fact": "level.schizas", "op": "in", "value": ["B", "C", "D"]},
    {"fact": "exam.neurologic_deficit", "op": "not_in", "value": ["severe"]},
    {"fact": "level.schizas", "op": "in", "value": {"param": "stenotic_grades"}},
    {"not": {"fact": "symptoms.relieved_by_standing_still", "op": "eq", "value": True}},
    {"hold": "antithrombotics"},
    {
        "agree": [
            {"fact": "level.meyerding_grade", "op": "le", "value": {"param": "meyerding_max_grade"}},
            {"fact": "level.slip_percent", "op": "le", "value": 25.0},
        ]
    },
    {
        "all": [
            {"fact": "symptoms.leg_symptoms", "op": "eq", "value": True},
            {
                "any": [
                    {"fact": "symptoms.provoked_by_walking", "op": "eq", "value": True},
                    {"not": {"any": [{"fact": "side.foraminal_stenosis", "op": "eq", "value": "severe"}]}},
                ]
            },
            {"hold": "antithrombotics"},
        ]
    },
]


@pytest.mark.parametrize("data", ROUND_TRIP)
def test_parse_then_dump_round_trips(data: dict[str, Any]) -> None:
    assert dump_expr(parse_expr(data)) == data


@pytest.mark.parametrize("data", ROUND_TRIP)
def test_dump_then_parse_gives_an_equal_tree(data: dict[str, Any]) -> None:
    expr = parse_expr(data)
    assert parse_expr(dump_expr(expr)) == expr


def test_parse_builds_the_expected_nodes() -> None:
    expr = parse_expr(
        {
            "all": [
                {"fact": "patient.age", "op": "ge", "value": {"param": "min_age_years"}},
                {"fact": "level.schizas", "op": "in", "value": ["B", "C"]},
                {"not": {"hold": "antithrombotics"}},
            ]
        }
    )
    assert expr == AllOf(
        (
            Compare("patient.age", "ge", Param("min_age_years")),
            Compare("level.schizas", "in", ("B", "C")),
            Not(Hold("antithrombotics")),
        )
    )
    assert parse_expr({"any": [{"hold": "antithrombotics"}]}) == AnyOf((Hold("antithrombotics"),))
    assert parse_expr({"agree": [{"fact": "a.b", "op": "eq", "value": 1}]}) == Agree(
        (Compare("a.b", "eq", 1),)
    )


def test_walk_lists_parents_before_children() -> None:
    expr = parse_expr(
        {"all": [{"fact": "a.b", "op": "eq", "value": 1}, {"not": {"fact": "c.d", "op": "eq", "value": 2}}]}
    )
    kinds = [type(n).__name__ for n in walk(expr)]
    assert kinds == ["AllOf", "Compare", "Not", "Compare"]
    agree = parse_expr(
        {"agree": [{"fact": "a.b", "op": "eq", "value": 1}, {"all": [{"hold": "antithrombotics"}]}]}
    )
    assert [type(n).__name__ for n in walk(agree)] == ["Agree", "Compare", "AllOf", "Hold"]


BAD = [
    pytest.param([], "expected a mapping", id="not-a-mapping"),
    pytest.param("patient.age", "expected a mapping", id="string"),
    pytest.param({"fact": "patient.age", "op": "approx", "value": 1}, "unknown op 'approx'", id="unknown-op"),
    pytest.param({"fact": "patient.age", "op": "ge"}, "exactly 'fact', 'op' and 'value'", id="missing-value"),
    pytest.param(
        {"fact": "patient.age", "op": "ge", "value": 1, "unit": "years"},
        "exactly 'fact', 'op' and 'value'",
        id="extra-key-on-compare",
    ),
    pytest.param({"all": []}, "'all' needs a non-empty list", id="empty-all"),
    pytest.param({"any": []}, "'any' needs a non-empty list", id="empty-any"),
    pytest.param({"agree": []}, "'agree' needs a non-empty list", id="empty-agree"),
    pytest.param(
        {"agree": {"hold": "antithrombotics"}}, "'agree' needs a non-empty list", id="agree-not-list"
    ),
    pytest.param(
        {"all": {"fact": "a", "op": "eq", "value": 1}}, "'all' needs a non-empty list", id="all-not-list"
    ),
    pytest.param(
        {"all": [{"fact": "a", "op": "eq", "value": 1}], "any": [{"fact": "a", "op": "eq", "value": 1}]},
        "expected one of fact/all/any",
        id="two-node-keys",
    ),
    pytest.param(
        {"not": {"fact": "a", "op": "eq", "value": 1}, "note": "x"},
        "expected one of fact/all/any",
        id="extra-key-on-not",
    ),
    pytest.param({"xor": [{"fact": "a", "op": "eq", "value": 1}]}, "unknown node 'xor'", id="unknown-node"),
    pytest.param({"hold": "statins"}, "'hold' supports only 'antithrombotics'", id="hold-other"),
    pytest.param(
        {"fact": "patient.age", "op": "lt", "value": [1, 2]}, "needs a single value", id="list-with-lt"
    ),
    pytest.param(
        {"fact": "patient.age", "op": "eq", "value": [1]}, "needs a single value", id="list-with-eq"
    ),
    pytest.param(
        {"fact": "level.schizas", "op": "in", "value": "B"}, "'in' needs a non-empty list", id="in-scalar"
    ),
    pytest.param(
        {"fact": "level.schizas", "op": "in", "value": []}, "'in' needs a non-empty list", id="in-empty"
    ),
    pytest.param(
        {"fact": "level.schizas", "op": "not_in", "value": []},
        "'not_in' needs a non-empty list",
        id="not-in-empty",
    ),
    pytest.param(
        {"fact": "patient.age", "op": "ge", "value": {"parameter": "x"}}, "{param: NAME}", id="bad-param-key"
    ),
    pytest.param(
        {"fact": "patient.age", "op": "ge", "value": {"param": "x", "unit": "y"}},
        "{param: NAME}",
        id="param-extra",
    ),
    pytest.param({"fact": "patient.age", "op": "ge", "value": None}, "unsupported value", id="null-value"),
    pytest.param({}, "expected one of fact/all/any", id="empty-mapping"),
]


@pytest.mark.parametrize(("data", "message"), BAD)
def test_bad_shapes_raise_rule_syntax_error(data: Any, message: str) -> None:
    with pytest.raises(RuleSyntaxError, match=None) as info:
        parse_expr(data)
    assert message in str(info.value)


def test_error_location_points_into_the_tree() -> None:
    data = {
        "all": [{"fact": "a", "op": "eq", "value": 1}, {"any": [{"fact": "b", "op": "bogus", "value": 1}]}]
    }
    with pytest.raises(RuleSyntaxError) as info:
        parse_expr(data, "criteria.x.test")
    assert info.value.where == "criteria.x.test.all[1].any[0]"
    assert str(info.value).startswith("criteria.x.test.all[1].any[0]: unknown op 'bogus'")


def test_rule_syntax_error_is_a_value_error() -> None:
    assert issubclass(RuleSyntaxError, ValueError)


# --- an expression node no walk knows fails loudly in every walk ----------------------------------------


@dataclass(frozen=True, slots=True)
class _Unknown:
    """A node type added to the language without teaching the walks about it."""

    fact: str = "patient.age"


def _with_unknown() -> Any:
    return AllOf((Compare("patient.age", "ge", 65), _Unknown()))  # type: ignore[arg-type]


def _rules_with_unknown() -> Any:
    rules = load_ruleset("textbook")
    criterion = rules.criteria[0].model_copy(update={"test": _with_unknown()})
    return rules.model_copy(update={"criteria": [criterion]})


UNKNOWN_NODE_WALKS: dict[str, Callable[[], object]] = {
    "dump_expr": lambda: dump_expr(_with_unknown()),
    "walk": lambda: walk(_with_unknown()),
    "criterion params": lambda: _rules_with_unknown().criteria[0].params(),
    "compile_expr": lambda: compile_expr(_with_unknown(), load_ruleset("textbook")),
    "lint": lambda: lint(_rules_with_unknown()),
    "fact_thresholds": lambda: fact_thresholds(_rules_with_unknown(), "patient.age"),
    "test_in_words": lambda: in_words(_with_unknown(), load_ruleset("textbook")),
    "deciding": lambda: deciding(_Unknown(), Node("?", Tri.UNKNOWN, missing=("patient.age",))),  # type: ignore[arg-type]
    "recorded": lambda: recorded(
        _with_unknown(),
        Node("all of", Tri.UNKNOWN, children=(Node("a", Tri.MET), Node("?", Tri.UNKNOWN))),
        load_ruleset("textbook"),
    ),
}


@pytest.mark.parametrize("name", UNKNOWN_NODE_WALKS)
def test_a_node_type_no_walk_knows_is_refused_by_every_walk(name: str) -> None:
    with pytest.raises(UnsupportedNode, match="_Unknown"):
        UNKNOWN_NODE_WALKS[name]()
