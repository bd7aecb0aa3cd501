"""The cut-offs a rule set tests on a fact, found by walking its criteria."""

from __future__ import annotations

from lss_pathway.criteria.thresholds import fact_thresholds
from lss_pathway.rulesets.catalog import load_ruleset


def test_lf_cut_offs_differ_by_rule_set() -> None:
    textbook = fact_thresholds(load_ruleset("textbook"), "side.lf_thickness_mm")
    trial = fact_thresholds(load_ruleset("mild-trial"), "side.lf_thickness_mm")
    assert [(t.op, t.value) for t in textbook] == [("gt", 4.0)]  # textbook 1.1.0: thicker than 4 mm
    earlier = fact_thresholds(load_ruleset("textbook@1.0.0"), "side.lf_thickness_mm")
    assert [(t.op, t.value) for t in earlier] == [("ge", 4.0)]
    assert [(t.op, t.value) for t in trial] == [("ge", 2.5)]
    assert all(t.source and t.verification for t in (*textbook, *trial))


def test_canal_area_cut_off_and_an_untested_fact() -> None:
    rules = load_ruleset("textbook")
    assert [(t.op, t.value) for t in fact_thresholds(rules, "level.canal_area_mm2")] == [("lt", 100.0)]
    assert [(t.op, t.value) for t in fact_thresholds(rules, "level.ap_diameter_mm")] == [("lt", 12.0)]
    assert fact_thresholds(load_ruleset("textbook@1.0.0"), "level.ap_diameter_mm") == ()
    assert fact_thresholds(rules, "symptoms.walking_tolerance_m") == ()
