"""The rule-set linter: packaged sets are clean, and each kind of mistake is caught."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from lss_pathway.domain.drugs import antithrombotic_agents
from lss_pathway.rulesets.catalog import available, packaged_text, ruleset_from_text
from lss_pathway.rulesets.lint import Finding, lint

# Agents the vocabulary gained after the 1.0.0 rule sets were released (those sets stay as released).
_ADDED_AFTER_1_0_0 = (
    "aspirin, ticlopidine, tinzaparin_therapeutic, fondaparinux, celecoxib, other_antithrombotic"
)


@pytest.mark.parametrize("entry", available(), ids=lambda e: e.ref)
def test_packaged_rule_set_files_have_no_findings(entry: Any) -> None:
    rules = ruleset_from_text(packaged_text(entry), entry.filename)
    findings = [str(f) for f in lint(rules)]
    if entry.version == "1.0.0":
        expected = f"warning: antithrombotic_holds: no hold interval for: {_ADDED_AFTER_1_0_0}"
        assert findings in ([], [f"{expected} (such patients stay undetermined)"])
    else:
        assert findings == []


# --- synthetic rule sets ---------------------------------------------------------------------------------


def crit(cid: str, test: dict[str, Any], scope: str = "patient", **extra: Any) -> dict[str, Any]:
    return {
        "id": cid,
        "kind": "inclusion",
        "scope": scope,
        "statement": f"{cid} holds",
        "source": "src",
        "verification": "V",
        "test": test,
        **extra,
    }


BASE: dict[str, Any] = {
    "id": "synthetic",
    "version": "1.0.0",
    "title": "Synthetic",
    "description": "For linter tests",
    "status": "draft",
    "sources": {"src": {"citation": "A citation", "url": "https://example.org/x"}},
    "parameters": {"min_age": {"value": 65, "unit": "years", "source": "src", "verification": "V"}},
    "criteria": [
        crit(
            "old_enough",
            {"fact": "patient.age", "op": "ge", "value": {"param": "min_age"}},
            statement="Age {min_age} or older",
        ),
    ],
}


def build(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    extra = changes.pop("add_criteria", [])
    data.update(changes)
    data["criteria"] = [*data["criteria"], *extra]
    return data


def run(data: dict[str, Any]) -> list[Finding]:
    """Lint the text form, as the CLI does for a file outside the package."""
    return lint(ruleset_from_text(yaml.safe_dump(data, sort_keys=False)))


def messages(findings: list[Finding], severity: str | None = None) -> list[str]:
    return [f"{f.where}: {f.message}" for f in findings if severity is None or f.severity == severity]


def test_base_synthetic_rule_set_is_clean() -> None:
    assert run(BASE) == []


def test_unknown_fact_with_did_you_mean() -> None:
    data = build(add_criteria=[crit("typo", {"fact": "symptoms.leg_symptom", "op": "eq", "value": True})])
    errors = messages(run(data), "error")
    assert errors == [
        "criteria.typo: unknown fact 'symptoms.leg_symptom' (did you mean 'symptoms.leg_symptoms'?)"
    ]


def test_unknown_fact_without_close_match_has_no_hint() -> None:
    data = build(add_criteria=[crit("typo", {"fact": "zzz.qqq", "op": "eq", "value": True})])
    assert messages(run(data), "error") == ["criteria.typo: unknown fact 'zzz.qqq'"]


@pytest.mark.parametrize(
    ("scope", "fact", "value"),
    [
        ("patient", "side.lf_thickness_mm", 4.0),
        ("patient", "level.canal_area_mm2", 100),
        ("level", "side.laminar_shelf", True),
        ("patient", "side.epidurogram_appreciated", True),
    ],
)
def test_scope_violation(scope: str, fact: str, value: Any) -> None:
    data = build(add_criteria=[crit("wrong_scope", {"fact": fact, "op": "eq", "value": value}, scope=scope)])
    errors = messages(run(data), "error")
    assert len(errors) == 1
    assert f"fact '{fact}'" in errors[0]
    assert f"but the criterion is {scope}-scoped" in errors[0]


def test_narrower_criterion_may_read_wider_facts() -> None:
    data = build(
        add_criteria=[
            crit("side_reads_patient", {"fact": "patient.age", "op": "ge", "value": 18}, scope="level_side"),
            crit(
                "side_reads_level",
                {"fact": "level.instability", "op": "eq", "value": False},
                scope="level_side",
            ),
        ]
    )
    assert messages(run(data), "error") == []


@pytest.mark.parametrize(
    ("test", "fragment"),
    [
        (
            {"fact": "symptoms.leg_symptoms", "op": "eq", "value": "yes"},
            "is yes/no but is compared with 'yes'",
        ),
        ({"fact": "patient.age", "op": "ge", "value": "65"}, "is a number but is compared with '65'"),
        ({"fact": "patient.age", "op": "ge", "value": True}, "is a number but is compared with True"),
        (
            {"fact": "exam.neurologic_deficit", "op": "eq", "value": "terrible"},
            "'terrible' is not a value of",
        ),
        ({"fact": "level.schizas", "op": "in", "value": ["B", "E"]}, "'E' is not a value of 'level.schizas'"),
        ({"fact": "symptoms.leg_symptoms", "op": "lt", "value": True}, "'<' on boolean fact"),
    ],
)
def test_wrong_value_type_or_code_not_allowed(test: dict[str, Any], fragment: str) -> None:
    scope = "level" if test["fact"].startswith("level.") else "patient"
    data = build(add_criteria=[crit("bad_value", test, scope=scope)])
    errors = messages(run(data), "error")
    assert any(fragment in e for e in errors), errors


def test_code_list_is_named_in_the_message() -> None:
    data = build(
        add_criteria=[crit("bad", {"fact": "exam.neurologic_deficit", "op": "eq", "value": "terrible"})]
    )
    (error,) = messages(run(data), "error")
    assert "allowed: none, mild, moderate, severe" in error


def test_ordering_a_code_fact_is_reported_not_a_crash() -> None:
    """'central stenosis >= moderate' reads naturally, but codes are unordered: a finding, not a crash."""
    data = build(
        add_criteria=[
            crit(
                "ordered_code",
                {"fact": "level.central_stenosis", "op": "ge", "value": "moderate"},
                scope="level",
            )
        ]
    )
    errors = messages(run(data), "error")
    assert any("'≥' on code fact 'level.central_stenosis'" in e for e in errors), errors


def test_undefined_source() -> None:
    data = build(
        add_criteria=[
            crit(
                "unsourced",
                {"fact": "safety.bleeding_disorder", "op": "eq", "value": False},
                source="nowhere",
            )
        ]
    )
    assert messages(run(data), "error") == [
        "criteria.unsourced: source 'nowhere' is not defined under sources"
    ]


def test_undefined_source_for_parameter_and_hold() -> None:
    data = build(
        parameters={"min_age": {"value": 65, "source": "ghost", "verification": "V"}},
        antithrombotic_holds={"warfarin": {"stop_days": 5, "source": "ghost", "verification": "V"}},
    )
    errors = messages(run(data), "error")
    assert "parameters.min_age: source 'ghost' is not defined under sources" in errors
    assert "antithrombotic_holds.warfarin: source 'ghost' is not defined under sources" in errors


def test_source_needs_citation_and_http_url() -> None:
    data = build(sources={"src": {"citation": " ", "url": "ftp://example.org"}})
    assert "sources.src: a source needs a citation and an http(s) URL" in messages(run(data), "error")


def test_undefined_parameter_in_test() -> None:
    data = build(
        add_criteria=[crit("needs_param", {"fact": "patient.age", "op": "le", "value": {"param": "max_age"}})]
    )
    assert messages(run(data), "error") == ["criteria.needs_param: parameter 'max_age' is not defined"]


def test_undefined_parameter_in_statement() -> None:
    data = build(
        add_criteria=[
            crit(
                "needs_param",
                {"fact": "patient.age", "op": "le", "value": 100},
                statement="At most {max_age}",
            )
        ]
    )
    assert messages(run(data), "error") == ["criteria.needs_param: parameter 'max_age' is not defined"]


def test_contradictory_criterion() -> None:
    test = {
        "all": [
            {"fact": "symptoms.duration_months", "op": "lt", "value": 2},
            {"fact": "symptoms.duration_months", "op": "gt", "value": 5},
        ]
    }
    errors = messages(run(build(add_criteria=[crit("never", test)])), "error")
    assert "criteria.never: contradictory: this test can never be met" in errors


@pytest.mark.parametrize(
    "conjuncts",
    [
        [("lt", 3), ("ge", 3)],
        [("le", 3), ("gt", 3)],
        [("eq", 1), ("eq", 2)],
        [("in", [1, 2]), ("not_in", [1, 2])],
        [("in", [1, 2]), ("gt", 5)],
    ],
)
def test_contradictions_on_one_fact(conjuncts: list[tuple[str, Any]]) -> None:
    test = {"all": [{"fact": "conservative_care.esi_count", "op": op, "value": v} for op, v in conjuncts]}
    errors = messages(run(build(add_criteria=[crit("never", test)])), "error")
    assert "criteria.never: contradictory: this test can never be met" in errors


@pytest.mark.parametrize(
    "conjuncts",
    [[("le", 3), ("ge", 3)], [("in", [1, 2, 9]), ("gt", 5)], [("ne", 1), ("lt", 4)]],
)
def test_satisfiable_conjunctions_are_not_flagged(conjuncts: list[tuple[str, Any]]) -> None:
    test = {"all": [{"fact": "conservative_care.esi_count", "op": op, "value": v} for op, v in conjuncts]}
    assert run(build(add_criteria=[crit("fine", test)])) == []


def test_criteria_jointly_contradictory() -> None:
    data = build(
        add_criteria=[crit("young", {"fact": "patient.age", "op": "lt", "value": 60})],
    )
    found = run(data)
    errors = messages(found, "error")
    assert errors == ["criteria: the criteria contradict one another: no patient can meet them all"]


def test_intra_procedure_criteria_do_not_count_towards_joint_contradiction() -> None:
    data = build(
        add_criteria=[
            crit("shelf", {"fact": "side.laminar_shelf", "op": "eq", "value": True}, scope="level_side"),
            crit(
                "no_shelf",
                {"fact": "side.laminar_shelf", "op": "eq", "value": False},
                scope="level_side",
                phase="intra_procedure",
            ),
        ]
    )
    assert messages(run(data), "error") == []


def test_dead_any_branch() -> None:
    test = {
        "any": [
            {
                "all": [
                    {"fact": "symptoms.duration_months", "op": "lt", "value": 2},
                    {"fact": "symptoms.duration_months", "op": "gt", "value": 5},
                ]
            },
            {"fact": "symptoms.leg_symptoms", "op": "eq", "value": True},
        ]
    }
    found = run(build(add_criteria=[crit("half_dead", test)]))
    assert messages(found, "warning") == ["criteria.half_dead: 'any' branch 0 can never be met (dead branch)"]
    assert messages(found, "error") == []


def test_redundant_identical_tests() -> None:
    test = {"fact": "safety.bleeding_disorder", "op": "eq", "value": False}
    found = run(build(add_criteria=[crit("first", test), crit("second", test)]))
    warnings = messages(found, "warning")
    assert len(warnings) == 1
    assert warnings[0].startswith("criteria.second: same test as 'first'")


def test_same_test_at_another_scope_is_not_redundant() -> None:
    test = {"fact": "patient.age", "op": "ge", "value": 18}
    found = run(build(add_criteria=[crit("a", test), crit("b", test, scope="level")]))
    assert messages(found, "warning") == []


def test_duplicate_criterion_id() -> None:
    test = {"fact": "safety.bleeding_disorder", "op": "eq", "value": False}
    found = run(
        build(add_criteria=[crit("dup", test), crit("dup", {"fact": "patient.age", "op": "ge", "value": 1})])
    )
    assert "criteria.dup: criterion id used twice" in messages(found, "error")


def test_hold_for_unknown_agent() -> None:
    data = build(
        antithrombotic_holds={"aspirin_daily": {"stop_days": 7, "source": "src", "verification": "V"}}
    )
    assert messages(run(data), "error") == [
        "antithrombotic_holds.aspirin_daily: agent is not in the antithrombotic vocabulary"
    ]


def test_hold_test_with_an_incomplete_table_warns() -> None:
    data = build(
        add_criteria=[crit("holdable", {"hold": "antithrombotics"})],
        antithrombotic_holds={"warfarin": {"stop_days": 5, "source": "src", "verification": "V"}},
    )
    warnings = messages(run(data), "warning")
    assert len(warnings) == 1
    assert warnings[0].startswith("antithrombotic_holds: no hold interval for: ")
    assert "clopidogrel" in warnings[0] and "warfarin" not in warnings[0].split(": ", 2)[2]


def test_complete_hold_table_is_clean() -> None:
    holds = {a: {"stop_days": 1, "source": "src", "verification": "V"} for a in antithrombotic_agents()}
    data = build(add_criteria=[crit("holdable", {"hold": "antithrombotics"})], antithrombotic_holds=holds)
    assert run(data) == []


def test_extends_without_version() -> None:
    data = build(extends="textbook")
    found = run(data)
    assert len(found) == 1
    assert found[0].severity == "error"
    assert "'extends' must pin a version (NAME@VERSION)" in found[0].message


def test_extends_unknown_rule_set() -> None:
    found = run(build(extends="nope@1.0.0"))
    assert [f.severity for f in found] == ["error"]
    assert "unknown rule set 'nope@1.0.0'" in found[0].message


def test_unused_parameter_warns() -> None:
    data = build(
        parameters={**BASE["parameters"], "spare": {"value": 1, "source": "src", "verification": "V"}}
    )
    assert messages(run(data), "warning") == ["parameters.spare: parameter is never used"]


def test_intra_procedure_criterion_at_patient_scope_warns() -> None:
    data = build(
        add_criteria=[
            crit(
                "intra",
                {"fact": "safety.bleeding_disorder", "op": "eq", "value": False},
                phase="intra_procedure",
            )
        ]
    )
    assert messages(run(data), "warning") == [
        "criteria.intra: intra-procedure findings are per level and side"
    ]


def test_child_extending_a_released_set_is_checked_in_context() -> None:
    data = {
        "id": "child",
        "version": "1.0.0",
        "title": "t",
        "description": "d",
        "status": "draft",
        "extends": "textbook@1.0.0",
        "criteria": [
            {
                "id": "too_young",
                "kind": "inclusion",
                "scope": "patient",
                "statement": "Under {canal_area_relative_mm2}",
                "source": "chapter",
                "verification": "V",
                "test": {"fact": "exam.neurologic_deficit", "op": "eq", "value": "severe"},
            }
        ],
    }
    # Inherited sources and parameters resolve; a clash with inherited criteria is caught.
    assert messages(run(data), "error") == [
        "criteria: the criteria contradict one another: no patient can meet them all"
    ]


def test_finding_str() -> None:
    assert str(Finding("error", "criteria.x", "boom")) == "error: criteria.x: boom"


def test_dead_agree_branch() -> None:
    test = {
        "agree": [
            {
                "all": [
                    {"fact": "level.slip_mm", "op": "lt", "value": 2},
                    {"fact": "level.slip_mm", "op": "gt", "value": 5},
                ]
            },
            {"fact": "level.meyerding_grade", "op": "le", "value": 1},
        ]
    }
    found = run(build(add_criteria=[crit("half_dead", test, scope="level")]))
    assert messages(found, "warning") == [
        "criteria.half_dead: 'agree' branch 0 can never be met (dead branch)"
    ]


def test_agree_with_a_single_measure_warns() -> None:
    test = {"agree": [{"fact": "level.meyerding_grade", "op": "le", "value": 1}]}
    found = run(build(add_criteria=[crit("lonely", test, scope="level")]))
    assert messages(found, "warning") == ["criteria.lonely: 'agree' needs at least two measures to compare"]


def test_facts_inside_agree_are_checked() -> None:
    test = {
        "agree": [
            {"fact": "level.meyerding", "op": "le", "value": 1},
            {"fact": "side.laminar_shelf", "op": "eq", "value": True},
        ]
    }
    errors = messages(run(build(add_criteria=[crit("bad_agree", test, scope="level")])), "error")
    assert any("unknown fact 'level.meyerding'" in e for e in errors), errors
    assert any("fact 'side.laminar_shelf' is level_side-scoped" in e for e in errors), errors
