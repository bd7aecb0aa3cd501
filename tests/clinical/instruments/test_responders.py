"""Change from baseline and responder status: thresholds from data, inclusive edges, missing scores.

Change = baseline - follow-up (lower is better), so positive = improvement. Expected values are hand
arithmetic on the published thresholds: ODI 10 points / 30 %, NPRS 2 points / 30 %, ZCQ 0.5, satisfaction 2.5.
"""

from __future__ import annotations

from typing import Any

import pytest

from lss_pathway.clinical.instruments.base import ScoreResult
from lss_pathway.clinical.instruments.responders import (
    INSTRUMENT_IDS,
    change,
    responder_definitions,
    score,
)
from lss_pathway.domain.parsing import InputError


def odi(value: float | None) -> ScoreResult:
    return ScoreResult("odi", value, "%", 10, 10)


def nprs(value: float | None) -> ScoreResult:
    return ScoreResult("nprs", value, "0-10", 1, 1)


def zcq(ss: float | None, pf: float | None, sat: float | None = None) -> ScoreResult:
    components = {"symptom_severity": ss, "physical_function": pf, "satisfaction": sat}
    return ScoreResult("zcq", ss, "mean", 12, 12, components=components)


def met(result: dict[str, Any]) -> dict[str, bool | None]:
    return {r["id"]: r["met"] for r in result["responders"]}


SUM_16 = {
    "pain_intensity": 3,
    "personal_care": 2,
    "lifting": 2,
    "walking": 1,
    "sitting": 2,
    "standing": 1,
    "sleeping": 2,
    "sex_life": 0,
    "social_life": 2,
    "travelling": 1,
}


# --- definitions ----------------------------------------------------------------------------------------


def test_instrument_ids() -> None:
    assert INSTRUMENT_IDS == ("odi", "zcq", "nprs")


def test_definitions_come_from_data_with_sources() -> None:
    by_id = {d.id: d for d in responder_definitions()}
    assert set(by_id) == {
        "odi_10_points",
        "odi_30_percent",
        "nprs_2_points",
        "nprs_30_percent",
        "zcq_ss_0_5",
        "zcq_pf_0_5",
        "zcq_satisfied",
    }
    expected = {
        "odi_10_points": (10.0, "absolute_improvement", "V"),
        "odi_30_percent": (30.0, "relative_improvement", "V"),
        "nprs_2_points": (2.0, "absolute_improvement", "V"),
        "nprs_30_percent": (30.0, "relative_improvement", "V"),
        "zcq_ss_0_5": (0.5, "absolute_improvement", "U"),
        "zcq_pf_0_5": (0.5, "absolute_improvement", "U"),
        "zcq_satisfied": (2.5, "follow_up_at_most", "V"),
    }
    for rid, (value, kind, tag) in expected.items():
        d = by_id[rid]
        assert (d.threshold.value, d.kind, d.threshold.source.verification) == (value, kind, tag)
        assert d.threshold.source.citation and d.threshold.source.url.startswith("http")
    assert "MiDAS ENCORE" in by_id["odi_10_points"].threshold.source.citation
    assert "Ostelo" in by_id["odi_30_percent"].threshold.source.citation
    assert "Farrar" in by_id["nprs_2_points"].threshold.source.citation
    assert "Minetama" in by_id["zcq_satisfied"].threshold.source.citation
    assert [d.id for d in responder_definitions("nprs")] == ["nprs_2_points", "nprs_30_percent"]


# --- dispatch -------------------------------------------------------------------------------------------


def test_score_dispatches() -> None:
    assert score("odi", SUM_16).value == 32.0
    assert score("nprs", {"nprs": 4}).value == 4
    assert score("zcq", {f"ss{i}": 3 for i in range(1, 8)}).value == 3.0


def test_score_passes_max_missing_to_odi_only() -> None:
    answers = dict(SUM_16, sex_life=None, walking=None, standing=None)
    assert score("odi", answers).value is None
    assert score("odi", answers, max_missing=3).value == 40.0  # 14/35 x 100
    with pytest.raises(InputError) as exc:
        score("nprs", {"nprs": 4}, max_missing=1)
    assert exc.value.errors[0].field == "max_missing"


def test_unknown_instrument_suggests_the_nearest() -> None:
    with pytest.raises(InputError) as exc:
        score("odl", {})
    assert "Did you mean 'odi'?" in exc.value.errors[0].message


def test_results_of_another_instrument_are_refused() -> None:
    with pytest.raises(InputError) as exc:
        change("odi", nprs(7), odi(30.0))
    assert [e.field for e in exc.value.errors] == ["baseline"]


# --- ODI ------------------------------------------------------------------------------------------------


def test_odi_change_of_exactly_10_is_a_responder() -> None:
    result = change("odi", odi(42.0), odi(32.0))
    assert result["absolute_change"] == 10.0
    assert result["relative_change_percent"] == 23.8  # 10/42 = 23.81 %
    assert met(result) == {"odi_10_points": True, "odi_30_percent": False}


def test_odi_change_of_9_9_is_not() -> None:
    result = change("odi", odi(42.0), odi(32.1))
    assert result["absolute_change"] == 9.9
    assert met(result)["odi_10_points"] is False


def test_odi_edge_is_exact_on_decimals() -> None:
    # 35.6 - 25.6 is 10 exactly in decimal, though not in binary floating point
    assert met(change("odi", odi(35.6), odi(25.6)))["odi_10_points"] is True


def test_odi_30_percent_exactly_is_a_responder() -> None:
    result = change("odi", odi(20.0), odi(14.0))  # 6/20 = 30 %
    assert result["relative_change_percent"] == 30.0
    assert met(result) == {"odi_10_points": False, "odi_30_percent": True}


def test_odi_just_under_30_percent_is_not() -> None:
    result = change("odi", odi(20.0), odi(14.1))  # 5.9/20 = 29.5 %
    assert result["relative_change_percent"] == 29.5
    assert met(result)["odi_30_percent"] is False


def test_odi_from_scored_questionnaires() -> None:
    baseline = score("odi", dict(SUM_16, pain_intensity=5, walking=4))  # 16 - 3 + 5 - 1 + 4 = 21 -> 42.0
    follow_up = score("odi", SUM_16)  # 32.0
    assert baseline.value == 42.0
    result = change("odi", baseline, follow_up)
    assert result["measures"]["odi"]["absolute_change"] == 10.0
    assert met(result)["odi_10_points"] is True


def test_worsening_is_a_negative_change_and_not_a_response() -> None:
    result = change("odi", odi(30.0), odi(50.0))
    assert result["absolute_change"] == -20.0
    assert met(result) == {"odi_10_points": False, "odi_30_percent": False}


def test_missing_score_gives_met_none_with_reason() -> None:
    result = change("odi", odi(None), odi(30.0))
    assert result["absolute_change"] is None
    assert met(result) == {"odi_10_points": None, "odi_30_percent": None}
    assert all(r["reason"] == "baseline score missing" for r in result["responders"])
    follow_up_missing = change("odi", odi(30.0), odi(None))
    assert all(r["reason"] == "follow-up score missing" for r in follow_up_missing["responders"])


def test_each_responder_entry_carries_threshold_and_source() -> None:
    for entry in change("odi", odi(42.0), odi(32.0))["responders"]:
        assert {"id", "met", "threshold", "citation", "url", "verification"} <= set(entry)


# --- NPRS -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "points", "percent"),
    [
        (7, 5, True, False),  # 2 points, 2/7 = 28.6 %
        (7, 6, False, False),  # 1 point, 14.3 %
        (10, 7, True, True),  # 3 points, exactly 30 %
        (5, 4, False, False),  # 1 point, 20 %
        (3, 1, True, True),  # 2 points, 66.7 %
    ],
)
def test_nprs(before: int, after: int, points: bool, percent: bool) -> None:
    result = change("nprs", score("nprs", {"nprs": before}), score("nprs", {"nprs": after}))
    assert result["absolute_change"] == before - after
    assert met(result) == {"nprs_2_points": points, "nprs_30_percent": percent}


def test_nprs_baseline_zero_has_no_relative_change() -> None:
    result = change("nprs", nprs(0), nprs(0))
    assert result["relative_change_percent"] is None
    assert met(result) == {"nprs_2_points": False, "nprs_30_percent": None}
    reasons = {r["id"]: r["reason"] for r in result["responders"]}
    assert "relative change undefined" in reasons["nprs_30_percent"]


# --- ZCQ ------------------------------------------------------------------------------------------------


def test_zcq_per_subscale_and_satisfaction_at_follow_up() -> None:
    result = change("zcq", zcq(3.0, 2.0), zcq(2.5, 1.6, 2.5))
    assert result["measures"]["symptom_severity"]["absolute_change"] == 0.5
    assert result["measures"]["physical_function"]["absolute_change"] == 0.4
    assert met(result) == {"zcq_ss_0_5": True, "zcq_pf_0_5": False, "zcq_satisfied": True}
    by_id = {r["id"]: r for r in result["responders"]}
    assert by_id["zcq_ss_0_5"]["verification"] == "U"
    assert by_id["zcq_satisfied"]["verification"] == "V"


def test_zcq_not_satisfied_and_missing_subscale() -> None:
    result = change("zcq", zcq(3.0, None), zcq(2.6, 1.6, 2.667))
    assert met(result) == {"zcq_ss_0_5": False, "zcq_pf_0_5": None, "zcq_satisfied": False}


def test_zcq_satisfaction_not_administered_is_undecided() -> None:
    assert met(change("zcq", zcq(3.0, 2.0), zcq(2.0, 1.0)))["zcq_satisfied"] is None


def test_zcq_from_scored_questionnaires() -> None:
    ids = [f"ss{i}" for i in range(1, 8)]
    baseline = score("zcq", dict(zip(ids, [3, 2, 3, 4, 2, 2, 3], strict=True)))  # 19/7 = 2.714
    follow_up = score("zcq", dict(zip(ids, [2, 2, 2, 3, 2, 1, 1], strict=True)))  # 13/7 = 1.857
    result = change("zcq", baseline, follow_up)
    assert result["absolute_change"] == 0.857
    assert met(result)["zcq_ss_0_5"] is True
    assert met(result)["zcq_pf_0_5"] is None  # physical function not answered
