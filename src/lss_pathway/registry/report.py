"""The cohort report: responder rates, completeness, trajectories and durability, small cells withheld.

Every count between 1 and ``floor - 1`` is replaced by ``None`` and marked suppressed, and a rate is
withheld when its numerator, its complement or its denominator is such a count. Kaplan-Meier steps are
reported only while at least ``floor`` subjects are at risk.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine

from lss_pathway.clinical.outcomes.cohort import (
    Durations,
    completeness,
    responder_rates,
    time_to_loss_of_response,
    time_to_reoperation,
    trajectories,
)
from lss_pathway.clinical.outcomes.data import responder_rules, small_cell_floor_default
from lss_pathway.clinical.outcomes.stats import Proportion, rate_is_suppressed, suppress_count
from lss_pathway.clinical.outcomes.survival import at_risk_table
from lss_pathway.registry.reading import courses, stored_schedule

AT_RISK_DAYS = (0, 91, 182, 365, 730)


def _proportion(p: Proportion, floor: int) -> dict[str, Any]:
    if rate_is_suppressed(p.successes, p.n, floor):
        return {
            "count": None,
            "n": suppress_count(p.n, floor),
            "rate": None,
            "ci95": None,
            "suppressed": True,
        }
    ci = None if p.low is None or p.high is None else [round(p.low, 4), round(p.high, 4)]
    rate = None if p.rate is None else round(p.rate, 4)
    return {"count": p.successes, "n": p.n, "rate": rate, "ci95": ci, "suppressed": False}


def _survival(durations: Durations, floor: int) -> dict[str, Any]:
    fit = durations.fit()
    steps = [
        {
            "day": s.day,
            "at_risk": s.at_risk,
            "events": s.events,
            "survival": round(s.survival, 4),
            "ci95": [round(s.low, 4), round(s.high, 4)],
        }
        for s in fit.steps
        if s.at_risk >= floor
    ]
    table = [
        {
            "day": r.day,
            "at_risk": suppress_count(r.at_risk, floor),
            "events_so_far": suppress_count(r.events_so_far, floor),
            "censored_so_far": suppress_count(r.censored_so_far, floor),
        }
        for r in at_risk_table(durations.days, durations.events, AT_RISK_DAYS)
    ]
    return {
        "n": suppress_count(fit.n, floor),
        "steps": steps,
        "at_risk": table,
        "note": f"steps shown while at least {floor} are at risk",
    }


def cohort_report(
    engine: Engine, as_of: dt.date, *, schedule_id: str = "lss-default", floor: int | None = None
) -> dict[str, Any]:
    """Everything the dashboard and the exported report show, already suppressed."""
    floor = small_cell_floor_default() if floor is None else floor
    if floor < 1:
        raise ValueError("the small-cell floor must be at least 1")
    schedule = stored_schedule(engine, schedule_id)
    cohort = courses(engine, as_of, schedule_id)
    rules = responder_rules()
    out: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "schedule": {"id": schedule.id, "version": schedule.version, "title": schedule.title},
        "small_cell_floor": floor,
        "subjects": suppress_count(len(cohort), floor),
        "responder_rates": {
            rule.id: {
                "label": rule.label,
                "verification": rule.source.verification,
                "time_points": [
                    {
                        "time_point": r.time_point,
                        "label": r.label,
                        **_proportion(r.responders, floor),
                        "undecided": suppress_count(r.undecided, floor),
                    }
                    for r in responder_rates(cohort, schedule, rule)
                ],
            }
            for rule in rules
        },
        "completeness": [
            {
                "time_point": r.time_point,
                "label": r.label,
                "due": suppress_count(r.due, floor),
                **_proportion(r.collected, floor),
                "window_open": suppress_count(r.open_window, floor),
            }
            for r in completeness(cohort, schedule)
        ],
        "trajectories": {},
        "durability": {
            "reoperation": _survival(time_to_reoperation(cohort), floor),
            **{
                f"loss_of_response:{rule.id}": _survival(
                    time_to_loss_of_response(cohort, schedule, rule), floor
                )
                for rule in rules
            },
        },
    }
    for instrument in ("odi", "nprs"):
        rows, _paths = trajectories(cohort, schedule, instrument)
        out["trajectories"][instrument] = [
            {
                "time_point": r.time_point,
                "day": r.target_day,
                "n": suppress_count(r.summary.n, floor),
                **(
                    {"median": None, "q1": None, "q3": None}
                    if r.summary.n < floor
                    else {"median": r.summary.median, "q1": r.summary.q1, "q3": r.summary.q3}
                ),
            }
            for r in rows
        ]
    return out
