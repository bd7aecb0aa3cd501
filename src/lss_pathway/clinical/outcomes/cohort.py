"""A treated cohort per time point: responder rates, follow-up completeness, trajectories, durability.

Input is one ``Course`` per subject: the scored questionnaires at each time point (days counted from the
index procedure) and, if any, the day of a later procedure. Responder status reuses the packaged responder
definitions through ``instruments.responders.change``; nothing is rescored here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache

from lss_pathway.clinical.instruments.base import ScoreResult
from lss_pathway.clinical.instruments.responders import CHANGE_MEASURES, change, responder_definitions
from lss_pathway.clinical.outcomes.data import BASELINE, ResponderRule, Schedule
from lss_pathway.clinical.outcomes.stats import Proportion, Summary, summarise, wilson
from lss_pathway.clinical.outcomes.survival import KaplanMeier, kaplan_meier


@dataclass(frozen=True, slots=True)
class Visit:
    """The questionnaires scored at one time point, ``day`` days after the index procedure."""

    time_point: str
    day: int
    scores: Mapping[str, ScoreResult] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Course:
    """One subject after the index procedure, seen up to ``observed_until`` days (the as-of date)."""

    study_id: str
    visits: tuple[Visit, ...]
    observed_until: int
    reoperation_day: int | None = None
    _by_time_point: dict[str, Visit] = field(init=False, repr=False, compare=False)
    _statuses: dict[tuple[str, str, str], bool | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_time_point", {v.time_point: v for v in self.visits})
        object.__setattr__(self, "_statuses", {})

    def visit(self, time_point: str) -> Visit | None:
        return self._by_time_point.get(time_point)


@cache
def _measures(instrument: str) -> tuple[str, ...]:
    """The component measures any change or responder definition of ``instrument`` reads."""
    wanted = {d.measure for d in responder_definitions(instrument)} | set(CHANGE_MEASURES[instrument])
    return tuple(sorted(wanted - {"value"}))


def _key(score: ScoreResult) -> tuple[float | None, tuple[float | None, ...]]:
    return score.value, tuple(score.components.get(m) for m in _measures(score.instrument))


@lru_cache(maxsize=65536)
def _verdicts(
    instrument: str,
    before: tuple[float | None, tuple[float | None, ...]],
    after: tuple[float | None, tuple[float | None, ...]],
) -> dict[str, bool | None]:
    """``change()``'s verdict per responder definition, memoised on the only values it reads.

    Scores take few distinct values, so a cohort of any size needs few calls of ``change()``.
    """

    def rebuilt(key: tuple[float | None, tuple[float | None, ...]]) -> ScoreResult:
        return ScoreResult(
            instrument, key[0], "", 0, 0, None, (), dict(zip(_measures(instrument), key[1], strict=True))
        )

    return {r["id"]: r["met"] for r in change(instrument, rebuilt(before), rebuilt(after))["responders"]}


def responder_status(course: Course, rule: ResponderRule, time_point: str) -> bool | None:
    """Whether the subject meets every definition of ``rule`` at ``time_point``; None when undecided."""
    key = (rule.id, ",".join(rule.all_of), time_point)
    if key not in course._statuses:
        course._statuses[key] = _status(course, rule, time_point)
    return course._statuses[key]


def _status(course: Course, rule: ResponderRule, time_point: str) -> bool | None:
    baseline, later = course.visit(BASELINE), course.visit(time_point)
    if baseline is None or later is None:
        return None
    before, after = baseline.scores.get(rule.instrument), later.scores.get(rule.instrument)
    if before is None or after is None:
        return None
    judged = _verdicts(rule.instrument, _key(before), _key(after))
    verdicts = [judged[d] for d in rule.all_of]
    if any(v is False for v in verdicts):
        return False
    return None if any(v is None for v in verdicts) else True


@dataclass(frozen=True, slots=True)
class RateRow:
    time_point: str
    label: str
    responders: Proportion
    undecided: int  # seen at the time point but without both scores needed


def responder_rates(courses: Sequence[Course], schedule: Schedule, rule: ResponderRule) -> list[RateRow]:
    """Per follow-up time point: responders among subjects whose status can be decided, Wilson 95% CI."""
    rows = []
    for tp in schedule.follow_ups:
        statuses = [responder_status(c, rule, tp.code) for c in courses if c.visit(tp.code) is not None]
        decided = [s for s in statuses if s is not None]
        rows.append(
            RateRow(tp.code, tp.label, wilson(sum(decided), len(decided)), len(statuses) - len(decided))
        )
    return rows


@dataclass(frozen=True, slots=True)
class CompletenessRow:
    time_point: str
    label: str
    due: int  # subjects whose window has closed by the as-of date
    collected: Proportion  # of those due, how many have the follow-up
    open_window: int  # window still open; not yet counted as missing
    collected_early: int  # collected while the window is still open (not in the denominator yet)


def completeness(courses: Sequence[Course], schedule: Schedule) -> list[CompletenessRow]:
    """Follow-up completeness per time point; a follow-up is missing only once its window has closed."""
    rows = []
    for tp in schedule.follow_ups:
        due = [c for c in courses if c.observed_until > tp.last_day]
        still_open = [c for c in courses if c.observed_until <= tp.last_day]
        collected = sum(1 for c in due if c.visit(tp.code) is not None)
        early = sum(1 for c in still_open if c.visit(tp.code) is not None)
        rows.append(
            CompletenessRow(tp.code, tp.label, len(due), wilson(collected, len(due)), len(still_open), early)
        )
    return rows


@dataclass(frozen=True, slots=True)
class TrajectoryRow:
    time_point: str
    label: str
    target_day: int
    summary: Summary


def _measure(score: ScoreResult, measure: str) -> float | None:
    return score.value if measure == "value" else score.components.get(measure)


def trajectories(
    courses: Sequence[Course], schedule: Schedule, instrument: str, measure: str = "value"
) -> tuple[list[TrajectoryRow], dict[str, list[tuple[int, float]]]]:
    """The cohort's median and IQR per time point, and each subject's (day, score) path."""
    rows = []
    paths: dict[str, list[tuple[int, float]]] = {}
    for tp in schedule.time_points:
        values = []
        for course in courses:
            visit = course.visit(tp.code)
            score = visit.scores.get(instrument) if visit else None
            value = _measure(score, measure) if score else None
            if visit is not None and value is not None:
                values.append(value)
                paths.setdefault(course.study_id, []).append((visit.day, value))
        rows.append(TrajectoryRow(tp.code, tp.label, tp.target_day, summarise(values)))
    for path in paths.values():
        path.sort()
    return rows, paths


@dataclass(frozen=True, slots=True)
class Durations:
    """Per subject at risk: days to the event or to censoring, and whether the event happened."""

    study_ids: tuple[str, ...]
    days: tuple[int, ...]
    events: tuple[bool, ...]

    def fit(self) -> KaplanMeier:
        return kaplan_meier(self.days, self.events)


def time_to_reoperation(courses: Sequence[Course]) -> Durations:
    """Days from the index procedure to the first later spine procedure, censored at the as-of date."""
    ids, days, events = [], [], []
    for c in courses:
        ids.append(c.study_id)
        if c.reoperation_day is not None and c.reoperation_day <= c.observed_until:
            days.append(c.reoperation_day)
            events.append(True)
        else:
            days.append(c.observed_until)
            events.append(False)
    return Durations(tuple(ids), tuple(days), tuple(events))


def time_to_loss_of_response(courses: Sequence[Course], schedule: Schedule, rule: ResponderRule) -> Durations:
    """Among subjects responding at their first decided follow-up: days until response is lost.

    Loss is the first later decided follow-up that is not a response, or a later procedure, whichever is
    first; subjects still responding are censored at their last responding follow-up. Subjects who never
    responded are not at risk of losing a response and are left out.
    """
    ids, days, events = [], [], []
    for c in courses:
        decided = [
            (v.day, s)
            for tp in schedule.follow_ups
            if (v := c.visit(tp.code)) is not None and (s := responder_status(c, rule, tp.code)) is not None
        ]
        decided.sort()
        if not decided or decided[0][1] is not True:
            continue
        last_responding = decided[0][0]
        lost = None
        for day, responding in decided[1:]:
            if not responding:
                lost = day
                break
            last_responding = day
        reop = c.reoperation_day
        if reop is not None and not 0 < reop <= c.observed_until:
            reop = None
        ends = [d for d in (lost, reop) if d is not None]
        ids.append(c.study_id)
        days.append(min(ends) if ends else last_responding)
        events.append(bool(ends))
    return Durations(tuple(ids), tuple(days), tuple(events))


@dataclass(frozen=True, slots=True)
class Due:
    study_id: str
    time_point: str
    label: str
    first_day: int
    last_day: int
    today: int  # days since the index procedure
    overdue: bool  # the window has closed without the follow-up


def due_follow_ups(courses: Sequence[Course], schedule: Schedule) -> list[Due]:
    """Follow-ups whose window is open now, or closed without them (overdue), earliest window first.

    Subjects reoperated are still followed (the reoperation is an outcome, not a withdrawal).
    """
    found = []
    for c in courses:
        for tp in schedule.follow_ups:
            if c.visit(tp.code) is None and tp.first_day <= c.observed_until:
                found.append(
                    Due(
                        c.study_id,
                        tp.code,
                        tp.label,
                        tp.first_day,
                        tp.last_day,
                        c.observed_until,
                        c.observed_until > tp.last_day,
                    )
                )
    return sorted(found, key=lambda d: (d.overdue, d.last_day - d.today, d.study_id))
