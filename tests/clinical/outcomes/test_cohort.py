"""Responder rates, completeness, trajectories and durability on small hand-built cohorts."""

from __future__ import annotations

import pytest

from lss_pathway.clinical.instruments.nprs import score_nprs
from lss_pathway.clinical.instruments.odi import ODI_SECTION_IDS, score_odi
from lss_pathway.clinical.outcomes.cohort import (
    Course,
    Visit,
    completeness,
    responder_rates,
    responder_status,
    time_to_loss_of_response,
    time_to_reoperation,
    trajectories,
)
from lss_pathway.clinical.outcomes.data import responder_rule, schedule

DEFAULT = schedule("lss-default")
ODI_RULE = responder_rule("odi_10_points_and_30_percent")


def odi(total: int) -> dict[str, int]:
    codes = [min(5, max(0, total - 5 * i)) for i in range(len(ODI_SECTION_IDS))]
    return dict(zip(ODI_SECTION_IDS, codes, strict=True))


def visit(tp: str, day: int, odi_total: int | None = None, pain: int | None = None) -> Visit:
    scores = {}
    if odi_total is not None:
        scores["odi"] = score_odi(odi(odi_total))
    if pain is not None:
        scores["nprs"] = score_nprs({"nprs": pain})
    return Visit(tp, day, scores)


def course(sid: str, *visits: Visit, until: int = 800, reop: int | None = None) -> Course:
    return Course(sid, (visit("baseline", -5, 25, 8), *visits), until, reop)


@pytest.mark.parametrize(
    ("odi_total", "expected"),
    [
        (20, False),  # ODI 50 -> 40: 10 points but only 20%
        (17, True),  # 50 -> 34: 16 points, 32%
        (18, False),  # 50 -> 36: 14 points, 28%
        (10, True),
    ],
)
def test_responder_needs_every_definition_of_the_rule(odi_total: int, expected: bool) -> None:
    c = course("a", visit("6m", 180, odi_total))
    assert responder_status(c, ODI_RULE, "6m") is expected


def test_missing_scores_leave_the_status_undecided() -> None:
    c = course("a", visit("6m", 180, pain=2))
    assert responder_status(c, ODI_RULE, "6m") is None
    assert responder_status(c, responder_rule("nprs_2_points_and_30_percent"), "6m") is True
    assert responder_status(c, ODI_RULE, "12m") is None


def test_rates_per_time_point_with_wilson_interval() -> None:
    cohort = [course(f"r{i}", visit("6m", 180, 10)) for i in range(3)]
    cohort += [course("n", visit("6m", 180, 24)), course("u", visit("6m", 180, pain=3))]
    rows = {r.time_point: r for r in responder_rates(cohort, DEFAULT, ODI_RULE)}
    assert (rows["6m"].responders.successes, rows["6m"].responders.n, rows["6m"].undecided) == (3, 4, 1)
    assert (
        rows["6m"].responders.low is not None
        and rows["6m"].responders.low < 0.75 < rows["6m"].responders.high
    )
    assert rows["12m"].responders.n == 0 and rows["12m"].responders.rate is None
    assert list(rows) == ["6w", "3m", "6m", "12m", "24m"]


def test_completeness_counts_only_closed_windows() -> None:
    six_m = DEFAULT.time_point("6m")
    cohort = [
        course("seen", visit("6m", 182, 10), until=400),
        course("missed", until=400),
        course("open", until=six_m.last_day),  # window not closed yet: not missing
        course("early", visit("6m", 170, 12), until=175),
    ]
    row = next(r for r in completeness(cohort, DEFAULT) if r.time_point == "6m")
    assert (row.due, row.collected.successes, row.open_window, row.collected_early) == (2, 1, 2, 1)


def test_trajectories_give_cohort_quartiles_and_each_path() -> None:
    cohort = [course(f"s{i}", visit("6m", 180 + i, total)) for i, total in enumerate([5, 10, 15, 20])]
    rows, paths = trajectories(cohort, DEFAULT, "odi")
    six = next(r for r in rows if r.time_point == "6m")
    assert (six.summary.n, six.summary.median, six.summary.q1, six.summary.q3) == (4, 25.0, 17.5, 32.5)
    assert paths["s1"] == [(-5, 50.0), (181, 20.0)]


def test_reoperation_time_is_censored_at_the_as_of_date() -> None:
    d = time_to_reoperation(
        [course("a", until=500, reop=300), course("b", until=500), course("c", until=200, reop=300)]
    )
    assert list(zip(d.days, d.events, strict=True)) == [(300, True), (500, False), (200, False)]


def test_loss_of_response() -> None:
    cohort = [
        course("kept", visit("3m", 91, 10), visit("12m", 365, 10)),
        course("lost", visit("3m", 91, 10), visit("6m", 182, 10), visit("12m", 370, 24)),
        course("reoperated", visit("3m", 91, 10), reop=250),
        course("never", visit("3m", 91, 24), visit("6m", 182, 10)),
    ]
    d = time_to_loss_of_response(cohort, DEFAULT, ODI_RULE)
    assert list(zip(d.study_ids, d.days, d.events, strict=True)) == [
        ("kept", 365, False),
        ("lost", 370, True),
        ("reoperated", 250, True),
    ]
    fit = d.fit()  # 250: 1 of 3 at risk lost; 365: censored; 370: the last one at risk lost
    assert (fit.survival_at(300), fit.survival_at(400)) == (pytest.approx(2 / 3), 0.0)


def test_memoised_status_agrees_with_change_on_random_scores() -> None:
    import random

    from lss_pathway.clinical.instruments.responders import change
    from lss_pathway.clinical.instruments.zcq import ZCQ_ITEMS, score_zcq
    from lss_pathway.clinical.outcomes.data import responder_rules

    rng = random.Random(14)

    def zcq() -> dict[str, int | None]:
        return {i.id: (None if rng.random() < 0.1 else rng.choice(i.allowed)) for i in ZCQ_ITEMS}

    for _ in range(300):
        before = {
            "odi": score_odi(odi(rng.randint(0, 50))),
            "nprs": score_nprs({"nprs": rng.randint(0, 10)}),
            "zcq": score_zcq(zcq()),
        }
        after = {
            "odi": score_odi(odi(rng.randint(0, 50))),
            "nprs": score_nprs({"nprs": rng.randint(0, 10)}),
            "zcq": score_zcq(zcq()),
        }
        c = Course("x", (Visit("baseline", -1, before), Visit("6m", 180, after)), 800)
        for rule in responder_rules():
            met = {
                r["id"]: r["met"]
                for r in change(rule.instrument, before[rule.instrument], after[rule.instrument])[
                    "responders"
                ]
            }
            verdicts = [met[d] for d in rule.all_of]
            expected = False if False in verdicts else (None if None in verdicts else True)
            assert responder_status(c, rule, "6m") is expected


def test_due_follow_ups_open_and_overdue() -> None:
    from lss_pathway.clinical.outcomes.cohort import due_follow_ups

    six_w = DEFAULT.time_point("6w")
    cohort = [
        course("open", until=six_w.first_day + 1),
        course("seen", visit("6w", 42, 10), until=six_w.first_day + 1),
        course("late", until=100),
    ]
    found = [(d.study_id, d.time_point, d.overdue) for d in due_follow_ups(cohort, DEFAULT)]
    # open windows first, the one closing soonest (3m closes on day 121, 21 days away; 6w in 27) first
    assert found == [("late", "3m", False), ("open", "6w", False), ("late", "6w", True)]
