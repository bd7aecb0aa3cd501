"""Measured values into a patient record: thresholds straddled stay unknown, disagreements are conflicts.

A measurement is only as decisive as its interval: if the interval contains a cut-off the rule set tests
on that fact (or a stenosis band of the clinical reference, for the canal area), the fact is left
unknown with the reason, so a criterion is never met by the luck of a point estimate. A value already in
the record (typed, or stated in a report) is never overwritten: a measurement that agrees with it is
noted, one that disagrees is reported as a conflict for the clinician to reconcile. Proxies are never
written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from lss_pathway.clinical.reference import reference
from lss_pathway.criteria.ruleset import RuleSet
from lss_pathway.criteria.thresholds import fact_thresholds
from lss_pathway.domain.record import TODAY, PatientRecord
from lss_pathway.imaging.measurement import Measured, StudyMeasurement

AREA_FACT = "level.canal_area_mm2"
AP_FACT = "level.ap_diameter_mm"
LF_FACT = "side.lf_thickness_mm"
Outcome = Literal["written", "unknown", "agrees", "conflict", "not a record level"]


@dataclass(frozen=True)
class FactDecision:
    path: str  # where the fact lives in the record, e.g. imaging.levels[L4-L5].canal_area_mm2
    measured: Measured
    outcome: Outcome
    detail: str

    def to_dict(self) -> dict[str, Any]:
        m = self.measured
        return {
            "path": self.path,
            "outcome": self.outcome,
            "detail": self.detail,
            "value": m.value,
            "interval": None if m.low is None else [m.low, m.high],
            "method": m.method,
        }


@dataclass(frozen=True)
class Merged:
    record: PatientRecord
    decisions: tuple[FactDecision, ...]

    @property
    def conflicts(self) -> tuple[FactDecision, ...]:
        return tuple(d for d in self.decisions if d.outcome == "conflict")


def thresholds_for(rules: RuleSet, fact: str) -> tuple[float, ...]:
    """The cut-offs a measurement of ``fact`` must clear to be decisive under ``rules``."""
    values = {t.value for t in fact_thresholds(rules, fact)}
    if fact == AREA_FACT:  # the stenosis grade bands (relative 100, absolute 75 mm²) also decide
        values |= {float(b["value"]) for k, b in reference()["stenosis"].items() if k.endswith("_below_mm2")}
    return tuple(sorted(values))


def straddled(m: Measured, thresholds: tuple[float, ...]) -> float | None:
    if m.low is None or m.high is None:
        return None
    return next((t for t in thresholds if m.low <= t <= m.high), None)


def _decide(path: str, m: Measured, existing: float | None, thresholds: tuple[float, ...]) -> FactDecision:
    if m.value is None:
        return FactDecision(path, m, "unknown", m.reason or "not measured")
    if existing is not None:
        assert m.low is not None and m.high is not None
        if m.low <= existing <= m.high:
            return FactDecision(path, m, "agrees", f"recorded {existing:g} lies within the measured interval")
        return FactDecision(
            path,
            m,
            "conflict",
            f"measured {m.value:g} [{m.low:g}, {m.high:g}] disagrees with recorded {existing:g}; "
            "the recorded value is kept: reconcile them",
        )
    cut = straddled(m, thresholds)
    if cut is not None:
        return FactDecision(
            path, m, "unknown", f"interval [{m.low:g}, {m.high:g}] straddles the rule set threshold {cut:g}"
        )
    return FactDecision(path, m, "written", f"measured {m.value:g} [{m.low:g}, {m.high:g}] ({m.method})")


def merge_measurements(record: PatientRecord, study: StudyMeasurement, rules: RuleSet) -> Merged:
    """The record with the decisive measurements added, and a decision for every measured fact."""
    data = record.model_dump(mode="json", exclude_none=True)
    levels: list[dict[str, Any]] = data.setdefault("imaging", {}).setdefault("levels", [])
    decisions: list[FactDecision] = []
    limits = {f: thresholds_for(rules, f) for f in (AREA_FACT, AP_FACT, LF_FACT)}
    for lm in study.levels:
        if lm.level is None:
            decisions.append(
                FactDecision(
                    f"imaging.levels[{lm.name}]",
                    lm.canal_area_min,
                    "not a record level",
                    f"{lm.name} is not one of L1-L2..L5-S1; measured but not written",
                )
            )
            continue
        entry = next((e for e in levels if e.get("level") == lm.level.value), None)
        if entry is None:
            entry = {"level": lm.level.value}
            levels.append(entry)
        before = record.imaging.level(lm.level)
        for key, fact, m in (
            ("canal_area_mm2", AREA_FACT, lm.canal_area_min),
            ("ap_diameter_mm", AP_FACT, lm.ap_diameter),
        ):
            existing = None if before is None else getattr(before, key)
            d = _decide(f"imaging.levels[{lm.level.value}].{key}", m, existing, limits[fact])
            decisions.append(d)
            if d.outcome == "written":
                entry[key] = m.value
        sides: list[dict[str, Any]] = entry.setdefault("sides", [])
        for sm in lm.sides:
            cell = next((c for c in sides if c.get("side") == sm.side), None)
            found = (
                None if before is None else next((s for s in before.sides if s.side.value == sm.side), None)
            )
            existing = None if found is None else found.lf_thickness_mm
            path = f"imaging.levels[{lm.level.value}].sides[{sm.side}].lf_thickness_mm"
            d = _decide(path, sm.lf_thickness, existing, limits[LF_FACT])
            decisions.append(d)
            if d.outcome == "written":
                if cell is None:
                    cell = {"side": sm.side}
                    sides.append(cell)
                cell["lf_thickness_mm"] = sm.lf_thickness.value
            if sm.proxy_gap is not None and sm.proxy_gap.value is not None:
                decisions.append(
                    FactDecision(
                        f"imaging.levels[{lm.level.value}].sides[{sm.side}] (proxy)",
                        sm.proxy_gap,
                        "unknown",
                        "a posterolateral-gap proxy is reported only; it is never LF thickness",
                    )
                )
        if not sides:
            entry.pop("sides")
    data["imaging"]["levels"] = [e for e in levels if len(e) > 1]
    record = PatientRecord.model_validate(data, context={TODAY: dt.date.today()})  # dates not past today
    return Merged(record, tuple(decisions))
