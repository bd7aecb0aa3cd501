"""Kaplan-Meier survival with Greenwood variance, log(-log) confidence bands and an at-risk table.

The band is the "exponential Greenwood" one (Kalbfleisch & Prentice): it stays inside (0, 1), and is the
band ``lifelines`` reports, which the tests use as an oracle. Durations are whole days.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from lss_pathway.clinical.outcomes.stats import Z95


@dataclass(frozen=True, slots=True)
class Step:
    """The estimate just after ``day``: survival and its 95% band; counts at that day."""

    day: int
    at_risk: int
    events: int
    censored: int
    survival: float
    low: float
    high: float
    greenwood: float  # sum of d / (n (n - d)) so far: Var(S) = S^2 x greenwood


@dataclass(frozen=True, slots=True)
class AtRisk:
    day: int
    at_risk: int
    events_so_far: int
    censored_so_far: int


@dataclass(frozen=True, slots=True)
class KaplanMeier:
    n: int
    steps: tuple[Step, ...]

    def survival_at(self, day: int) -> float:
        value = 1.0
        for step in self.steps:
            if step.day > day:
                break
            value = step.survival
        return value

    def median_day(self) -> int | None:
        """The first day survival falls to 0.5 or below (None when it never does)."""
        return next((s.day for s in self.steps if s.survival <= 0.5), None)


def _band(survival: float, greenwood: float, z: float) -> tuple[float, float]:
    if survival >= 1.0 or survival <= 0.0 or math.isinf(greenwood):
        return survival, survival
    log_s = math.log(survival)
    spread = z * math.sqrt(greenwood) / log_s  # negative, as log_s < 0
    centre = math.log(-log_s)
    low = math.exp(-math.exp(centre - spread))
    high = math.exp(-math.exp(centre + spread))
    return low, high


def kaplan_meier(durations: Sequence[int], events: Sequence[bool], z: float = Z95) -> KaplanMeier:
    """Estimate S(t) from durations and whether each ended in the event (False: censored then)."""
    if len(durations) != len(events):
        raise ValueError("durations and events must have the same length")
    if any(d < 0 for d in durations):
        raise ValueError("durations must not be negative")
    by_day: dict[int, list[int]] = {}
    for day, event in zip(durations, events, strict=True):
        counts = by_day.setdefault(day, [0, 0])
        counts[0 if event else 1] += 1
    at_risk = len(durations)
    survival, greenwood = 1.0, 0.0
    steps = []
    for day in sorted(by_day):
        deaths, censored = by_day[day]
        if deaths:
            survival *= 1 - deaths / at_risk
            greenwood += math.inf if deaths == at_risk else deaths / (at_risk * (at_risk - deaths))
        low, high = _band(survival, greenwood, z)
        steps.append(Step(day, at_risk, deaths, censored, survival, low, high, greenwood))
        at_risk -= deaths + censored
    return KaplanMeier(len(durations), tuple(steps))


def at_risk_table(durations: Sequence[int], events: Sequence[bool], days: Sequence[int]) -> list[AtRisk]:
    """At each day: how many are still followed (duration >= day), events and censorings before it."""
    rows = []
    for day in days:
        rows.append(
            AtRisk(
                day,
                sum(1 for d in durations if d >= day),
                sum(1 for d, e in zip(durations, events, strict=True) if e and d < day),
                sum(1 for d, e in zip(durations, events, strict=True) if not e and d < day),
            )
        )
    return rows
