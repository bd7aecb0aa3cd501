"""The per-patient Python runner's side of the fact catalogue: how each declared fact is read from a record.

``criteria.facts`` declares the facts (paths, scopes, types, derivation names) for every runner; this
module implements them for one record in memory. A raw fact is read at its path (``level.NAME`` and
``side.NAME`` from the level's or side's imaging findings); a derived fact by the implementation filed
under its derivation name. Each reader also says which inputs to document while the fact is unknown,
naming the concrete location (``prior_procedures[1].levels``) rather than the fact.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from lss_pathway.clinical.cauda_equina import ces_thresholds
from lss_pathway.criteria.facts import FactSpec, Scope
from lss_pathway.domain import cauda_equina as ces
from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.record import LevelFindings, PatientRecord, PriorProcedure, SideFindings
from lss_pathway.domain.vocabulary import Grade, ProcedureType


@dataclass(slots=True)
class Context:
    """One patient (and, for level and side facts, one level and side) on the as-of date."""

    record: PatientRecord
    on_date: dt.date
    level: Level | None = None
    side: Side | None = None
    level_findings: LevelFindings | None = None
    side_findings: SideFindings | None = None

    def where(self) -> str:
        if self.level is None:
            return ""
        return f"{self.level}" + (f" {self.side}" if self.side is not None else "")


Getter = Callable[[Context], Any]
Locator = Callable[[Context], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class FactReader:
    get: Getter
    """The fact's value in a context, ``None`` when unknown."""
    locate: Locator
    """The concrete input fields to document when this fact is unknown."""


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _record_field(path: str) -> FactReader:
    attrs = tuple(path.split("."))
    located = (path,)

    def get(ctx: Context) -> Any:
        value: Any = ctx.record
        for attr in attrs:
            value = getattr(value, attr)
        return _plain(value)

    return FactReader(get, lambda ctx: located)


def _level_field(name: str) -> FactReader:
    def get(ctx: Context) -> Any:
        found = ctx.level_findings
        return None if found is None else _plain(getattr(found, name))

    return FactReader(get, lambda ctx: (f"imaging.levels[{ctx.level}].{name}",))


def _side_field(name: str) -> FactReader:
    def get(ctx: Context) -> Any:
        found = ctx.side_findings
        return None if found is None else _plain(getattr(found, name))

    return FactReader(get, lambda ctx: (f"imaging.levels[{ctx.level}].sides[{ctx.side}].{name}",))


# --- derived facts -------------------------------------------------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _months_between(start: dt.date | None, end: dt.date) -> float | None:
    """Calendar months, so that a study exactly 12 months old is 12.0 whatever the leap years."""
    if start is None:
        return None
    whole = (end.year - start.year) * 12 + end.month - start.month
    if _add_months(start, whole) > end:
        whole -= 1
    anchor, following = _add_months(start, whole), _add_months(start, whole + 1)
    return round(whole + (end - anchor).days / (following - anchor).days, 2)


def _weeks_since_esi(ctx: Context) -> float | None:
    last = ctx.record.conservative_care.last_esi_date
    if last is None:
        return None
    return round((ctx.on_date - last).days / 7, 2)


# Open or implant surgery that changes the posterior elements at a level (not mild, discectomy, "other").
OPEN_SURGERY = frozenset(
    {
        ProcedureType.LAMINECTOMY,
        ProcedureType.LAMINOTOMY,
        ProcedureType.FUSION,
        ProcedureType.INTERSPINOUS_SPACER,
    }
)
# What the CMS-approved mild claims study excludes in the prior 12 months, at any level (NCT03072927).
LUMBAR_SURGERY = OPEN_SURGERY | {ProcedureType.MILD}


def _counted(ctx: Context, types: frozenset[ProcedureType] | None) -> list[tuple[int, PriorProcedure]]:
    procedures = ctx.record.prior_procedures or []
    return [(i, p) for i, p in enumerate(procedures) if types is None or p.type in types]


def _surgery_at_level(types: frozenset[ProcedureType] | None) -> FactReader:
    """True if a counted procedure names this level; false only when every counted one's levels are known."""

    def get(ctx: Context) -> bool | None:
        if ctx.record.prior_procedures is None:
            return None
        unknown = False
        for _, procedure in _counted(ctx, types):
            if procedure.levels is None:
                unknown = True
            elif ctx.level in procedure.levels:
                return True
        return None if unknown else False

    def locate(ctx: Context) -> tuple[str, ...]:
        if ctx.record.prior_procedures is None:
            return ("prior_procedures",)
        return tuple(f"prior_procedures[{i}].levels" for i, p in _counted(ctx, types) if p.levels is None)

    return FactReader(get, locate)


def _any_lumbar_surgery(ctx: Context) -> bool | None:
    if ctx.record.prior_procedures is None:
        return None
    return bool(_counted(ctx, LUMBAR_SURGERY))


def _months_since_lumbar_surgery(ctx: Context) -> float | None:
    """Months since the latest counted procedure; unknown when there is none or one has no date."""
    counted = _counted(ctx, LUMBAR_SURGERY)
    if not counted or any(p.date is None for _, p in counted):
        return None
    return min(m for _, p in counted if (m := _months_between(p.date, ctx.on_date)) is not None)


def _ces_documents(ctx: Context) -> tuple[str, ...]:
    """The cauda equina facts still to record, in the order a clinician asks them."""
    record = ctx.record
    days = ces_thresholds()[0]
    wanted: list[str] = []
    if record.red_flags.progressive_motor_deficit is None:
        wanted.append("red_flags.progressive_motor_deficit")
    for feature in ces.features(record, days):
        if feature.id not in ces.CORE_FEATURES:
            continue
        if feature.onset is ces.Onset.NOT_DOCUMENTED:
            extra = " (or a normal neurological examination)" if feature.id == "bilateral_leg_deficit" else ""
            wanted.append(f"red_flags.{feature.id}{extra}")
        elif (
            feature.onset is ces.Onset.LONG_STANDING
            and feature.id in ces.SACRAL_FEATURES
            and record.red_flags.post_void_residual_ml is None
        ):
            wanted.append("red_flags.post_void_residual_ml")
    return tuple(dict.fromkeys(wanted))


def _ces_review_documents(ctx: Context) -> tuple[str, ...]:
    return _ces_documents(ctx) or ("red_flags.specialist_review_cleared",)


def _negate(value: bool | None) -> bool | None:
    return None if value is None else not value


def _epidurogram(ctx: Context) -> bool | None:
    if ctx.level is None or ctx.side is None:
        return None
    return ctx.record.procedure.appreciated(ctx.level, ctx.side)


DERIVATIONS: dict[str, FactReader] = {
    "age": FactReader(
        lambda ctx: ctx.record.age(ctx.on_date), lambda ctx: ("patient.age_years", "patient.birth_date")
    ),
    "months_since_imaging": FactReader(
        lambda ctx: _months_between(ctx.record.imaging.date, ctx.on_date), lambda ctx: ("imaging.date",)
    ),
    "weeks_since_last_esi": FactReader(_weeks_since_esi, lambda ctx: ("conservative_care.last_esi_date",)),
    "any_procedure_at_level": _surgery_at_level(None),
    "open_surgery_at_level": _surgery_at_level(OPEN_SURGERY),
    "any_lumbar_surgery": FactReader(_any_lumbar_surgery, lambda ctx: ("prior_procedures",)),
    "months_since_lumbar_surgery": FactReader(
        _months_since_lumbar_surgery,
        lambda ctx: tuple(
            f"prior_procedures[{i}].date" for i, p in _counted(ctx, LUMBAR_SURGERY) if p.date is None
        ),
    ),
    "no_cauda_equina_emergency": FactReader(
        lambda ctx: _negate(ces.emergency(ctx.record, *ces_thresholds())), _ces_documents
    ),
    "long_standing_cauda_equina_cleared": FactReader(
        lambda ctx: ces.long_standing_cleared(ctx.record, ces_thresholds()[0]), _ces_review_documents
    ),
    "sexual_dysfunction_days": FactReader(
        lambda ctx: ctx.record.red_flags.onset_days("sexual_dysfunction"),
        lambda ctx: ("red_flags.sexual_dysfunction_onset_days",),
    ),
    "no_neurologic_deficit_found": FactReader(
        lambda ctx: True if ctx.record.exam.neurologic_deficit is Grade.NONE else None,
        lambda ctx: ("exam.neurologic_deficit",),
    ),
    "epidurogram_appreciated": FactReader(
        _epidurogram, lambda ctx: (f"procedure.epidurogram[{ctx.level} {ctx.side}].appreciated",)
    ),
}
"""The Python implementation of every derivation the catalogue names (a test keeps the two in step)."""


def fact_reader(spec: FactSpec) -> FactReader:
    """How this runner reads a declared fact: its derivation, else the field at its path."""
    if spec.derivation is not None:
        return DERIVATIONS[spec.derivation]
    if spec.scope is Scope.LEVEL:
        return _level_field(spec.path.removeprefix("level."))
    if spec.scope is Scope.SIDE:
        return _side_field(spec.path.removeprefix("side."))
    return _record_field(spec.path)
