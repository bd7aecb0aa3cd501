"""The packaged schedules and responder rules: well formed, sourced, and refusing unknown ids."""

from __future__ import annotations

import itertools

import pytest

from lss_pathway.clinical.outcomes.data import (
    responder_rule,
    responder_rules,
    schedule,
    schedule_from_data,
    schedules,
    small_cell_floor_default,
)


def test_schedules_named_in_the_issue_are_packaged() -> None:
    found = {s.id: [tp.code for tp in s.time_points] for s in schedules()}
    assert found["lss-default"] == ["baseline", "6w", "3m", "6m", "12m", "24m"]
    assert found["ichom-lbp"] == ["baseline", "6m", "12m", "24m"]
    assert found["midas-encore"] == ["baseline", "6m", "12m", "24m"]
    six_weeks = schedule().time_point("6w")
    assert (six_weeks.target_day, six_weeks.first_day, six_weeks.last_day) == (42, 28, 56)
    assert all(s.source.verification in {"V", "P", "S", "U"} and s.source.citation for s in schedules())


def test_time_points_within_a_schedule_do_not_overlap() -> None:
    for s in schedules():
        ups = s.follow_ups
        assert all(a.last_day < b.first_day for a, b in itertools.pairwise(ups)), s.id


def test_rules_are_single_instrument_and_sourced() -> None:
    rules = {r.id: r for r in responder_rules()}
    assert rules["odi_10_points_and_30_percent"].all_of == ("odi_10_points", "odi_30_percent")
    assert rules["nprs_2_points_and_30_percent"].instrument == "nprs"
    assert rules["zcq_severity_and_function"].instrument == "zcq"
    assert small_cell_floor_default() == 10


def test_unknown_ids_are_refused_with_the_known_ones() -> None:
    with pytest.raises(KeyError, match="lss-default"):
        schedule("nope")
    with pytest.raises(KeyError, match="odi_10_points"):
        responder_rule("nope")
    with pytest.raises(ValueError, match="baseline"):
        schedule_from_data(
            {
                "id": "x",
                "version": "1",
                "title": "t",
                "source": "ichom_lbp",
                "verification": "U",
                "time_points": [
                    {"code": "6m", "label": "6", "target_day": 182, "window_before": 1, "window_after": 1}
                ],
            }
        )
