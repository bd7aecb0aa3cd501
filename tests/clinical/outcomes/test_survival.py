"""Kaplan-Meier estimate, Greenwood log(-log) band and at-risk counts, checked against lifelines."""

from __future__ import annotations

import random

import pytest

from lss_pathway.clinical.outcomes.survival import at_risk_table, kaplan_meier

lifelines = pytest.importorskip("lifelines", reason="lifelines (dev extra) is the oracle for these tests")


def _cohort(seed: int, n: int) -> tuple[list[int], list[bool]]:
    rng = random.Random(seed)
    durations = [rng.choice([30, 42, 91, 182, 182, 365, 400, 730]) + rng.randint(0, 3) for _ in range(n)]
    events = [rng.random() < 0.45 for _ in range(n)]
    return durations, events


@pytest.mark.parametrize(("seed", "n"), [(1, 25), (2, 80), (3, 200), (4, 12)])
def test_estimate_and_band_match_lifelines(seed: int, n: int) -> None:
    durations, events = _cohort(seed, n)
    ours = kaplan_meier(durations, events)
    kmf = lifelines.KaplanMeierFitter().fit(durations, events, alpha=0.05)
    band = kmf.confidence_interval_survival_function_
    table = kmf.event_table
    for step in ours.steps:
        assert step.survival == pytest.approx(kmf.survival_function_.loc[step.day].iloc[0], rel=1e-12)
        assert step.at_risk == table.loc[step.day, "at_risk"]
        assert step.events == table.loc[step.day, "observed"]
        assert step.censored == table.loc[step.day, "censored"]
        if 0 < step.survival < 1:
            assert step.low == pytest.approx(band.loc[step.day].iloc[0], rel=1e-9)
            assert step.high == pytest.approx(band.loc[step.day].iloc[1], rel=1e-9)
    assert ours.median_day() == (
        None if kmf.median_survival_time_ == float("inf") else kmf.median_survival_time_
    )


def test_at_risk_table_matches_lifelines_at_chosen_days() -> None:
    durations, events = _cohort(5, 60)
    kmf = lifelines.KaplanMeierFitter().fit(durations, events)
    rows = at_risk_table(durations, events, [0, 91, 182, 365, 730])
    for row in rows:
        expected = sum(1 for d in durations if d >= row.day)
        assert row.at_risk == expected
        assert row.events_so_far == int(
            kmf.event_table.loc[kmf.event_table.index < row.day, "observed"].sum()
        )


def test_hand_worked_example() -> None:
    # 5 subjects: events at 10 and 20, censored at 15, 30, 30. S(10) = 4/5; at 20, 3 at risk: 4/5 x 2/3.
    km = kaplan_meier([10, 15, 20, 30, 30], [True, False, True, False, False])
    assert [(s.day, s.at_risk, s.survival) for s in km.steps] == [
        (10, 5, pytest.approx(0.8)),
        (15, 4, pytest.approx(0.8)),
        (20, 3, pytest.approx(0.8 * 2 / 3)),
        (30, 2, pytest.approx(0.8 * 2 / 3)),
    ]
    assert km.survival_at(25) == pytest.approx(0.8 * 2 / 3)
    assert km.steps[0].greenwood == pytest.approx(1 / (5 * 4))


def test_everyone_failing_closes_the_curve_at_zero() -> None:
    km = kaplan_meier([5, 5], [True, True])
    assert km.steps[-1].survival == 0 and km.steps[-1].low == 0 and km.median_day() == 5
