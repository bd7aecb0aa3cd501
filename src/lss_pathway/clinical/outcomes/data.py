"""The packaged registry outcome data: versioned follow-up schedules and composite responder rules."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from lss_pathway.clinical.instruments.base import Citation
from lss_pathway.clinical.instruments.responders import responder_definitions
from lss_pathway.domain.packaged import packaged_yaml

REGISTRY_DATA_VERSION = "1.0.0"
BASELINE = "baseline"


@cache
def registry_data() -> dict[str, Any]:
    data: dict[str, Any] = packaged_yaml(
        "lss_pathway.clinical.outcomes", f"data/registry-{REGISTRY_DATA_VERSION}.yaml"
    )
    return data


def _citation(source_id: str, verification: str) -> Citation:
    src = registry_data()["sources"][source_id]
    return Citation(str(src["citation"]), str(src["url"]), verification)


@dataclass(frozen=True, slots=True)
class TimePoint:
    """A scheduled follow-up: ``target_day`` after the index procedure, counted within its window."""

    code: str
    label: str
    target_day: int
    window_before: int
    window_after: int

    @property
    def first_day(self) -> int:
        return self.target_day - self.window_before

    @property
    def last_day(self) -> int:
        return self.target_day + self.window_after

    def contains(self, day: int) -> bool:
        return self.first_day <= day <= self.last_day


@dataclass(frozen=True, slots=True)
class Schedule:
    id: str
    version: str
    title: str
    source: Citation
    time_points: tuple[TimePoint, ...]

    def time_point(self, code: str) -> TimePoint:
        for tp in self.time_points:
            if tp.code == code:
                return tp
        known = ", ".join(tp.code for tp in self.time_points)
        raise KeyError(f"time point '{code}' is not in schedule {self.id} {self.version} (known: {known})")

    @property
    def follow_ups(self) -> tuple[TimePoint, ...]:
        """The time points after the procedure (all but baseline)."""
        return tuple(tp for tp in self.time_points if tp.code != BASELINE)


def schedule_from_data(raw: dict[str, Any]) -> Schedule:
    points = tuple(
        TimePoint(
            str(tp["code"]),
            str(tp["label"]),
            int(tp["target_day"]),
            int(tp["window_before"]),
            int(tp["window_after"]),
        )
        for tp in raw["time_points"]
    )
    codes = [tp.code for tp in points]
    if len(set(codes)) != len(codes) or BASELINE not in codes:
        raise ValueError(f"schedule {raw['id']}: time point codes must be unique and include '{BASELINE}'")
    return Schedule(
        str(raw["id"]),
        str(raw["version"]),
        str(raw["title"]),
        _citation(raw["source"], raw["verification"]),
        points,
    )


def schedules() -> tuple[Schedule, ...]:
    return tuple(schedule_from_data(raw) for raw in registry_data()["schedules"])


def schedule(schedule_id: str = "lss-default") -> Schedule:
    for found in schedules():
        if found.id == schedule_id:
            return found
    known = ", ".join(s.id for s in schedules())
    raise KeyError(f"unknown schedule '{schedule_id}' (known: {known})")


@dataclass(frozen=True, slots=True)
class ResponderRule:
    """A responder is someone who meets every listed packaged responder definition (one instrument)."""

    id: str
    label: str
    instrument: str
    all_of: tuple[str, ...]
    source: Citation


def responder_rules() -> tuple[ResponderRule, ...]:
    known = {d.id: d for d in responder_definitions()}
    rules = []
    for raw in registry_data()["responder_rules"]:
        ids = tuple(str(i) for i in raw["all_of"])
        missing = [i for i in ids if i not in known]
        instruments = {known[i].instrument for i in ids if i in known}
        if missing or len(instruments) != 1:
            raise ValueError(
                f"responder rule {raw['id']}: unknown definitions {missing} or mixed instruments"
            )
        rules.append(
            ResponderRule(
                str(raw["id"]),
                str(raw["label"]),
                instruments.pop(),
                ids,
                _citation(raw["source"], raw["verification"]),
            )
        )
    return tuple(rules)


def responder_rule(rule_id: str) -> ResponderRule:
    for rule in responder_rules():
        if rule.id == rule_id:
            return rule
    known = ", ".join(r.id for r in responder_rules())
    raise KeyError(f"unknown responder rule '{rule_id}' (known: {known})")


def small_cell_floor_default() -> int:
    return int(registry_data()["suppression"]["small_cell_floor_default"])
