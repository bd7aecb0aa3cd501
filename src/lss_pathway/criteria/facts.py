"""The catalogue of facts a rule may read, each with its scope and how to find it in a record.

Raw facts are generated from the record model, so a new field is readable by rules without further code;
derived facts (age, months since imaging, prior surgery at a level, ...) are listed here by hand. The
linter checks rule sets against this catalogue, and explanations name facts by their concrete location
(``imaging.levels[L4-L5].sides[left].lf_thickness_mm``) so a clinician knows exactly what to document.
"""

from __future__ import annotations

import calendar
import datetime as dt
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, StrEnum
from functools import cache
from typing import Any

from pydantic import BaseModel

from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.record import (
    LevelFindings,
    PatientRecord,
    SideFindings,
)


class Scope(StrEnum):
    """Where a criterion applies: once per patient, per level, or per level and side."""

    PATIENT = "patient"
    LEVEL = "level"
    SIDE = "level_side"


_SCOPE_RANK = {Scope.PATIENT: 0, Scope.LEVEL: 1, Scope.SIDE: 2}


def scope_covers(outer: Scope, inner: Scope) -> bool:
    """A level-and-side criterion may read patient and level facts, but not the other way round."""
    return _SCOPE_RANK[inner] <= _SCOPE_RANK[outer]


@dataclass(slots=True)
class Context:
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
class FactSpec:
    path: str
    scope: Scope
    type: str
    description: str
    get: Getter
    locate: Locator
    """The concrete input fields to document when this fact is unknown."""
    unit: str | None = None
    allowed: tuple[str, ...] = ()
    from_imaging: bool = False
    """Read from a level's or side's imaging findings (so an unreported level leaves it unknown)."""


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _type_of(annotation: Any) -> tuple[str, tuple[str, ...]]:
    for arg in typing.get_args(annotation) or (annotation,):
        if arg is type(None):
            continue
        if arg is bool:
            return "boolean", ()
        if arg in (int, float):
            return "number", ()
        if arg is dt.date:
            return "date", ()
        if isinstance(arg, type) and issubclass(arg, Enum):
            return "code", tuple(str(m.value) for m in arg)
    return "text", ()


def _is_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _is_list(annotation: Any) -> bool:
    if typing.get_origin(annotation) is list:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(typing.get_origin(a) is list for a in typing.get_args(annotation))
    return False


def _unit_from(description: str | None) -> str | None:
    if not description:
        return None
    for unit in ("mm2", "mm", "degrees", "metres", "months", "days"):
        if description.rstrip().endswith(unit):
            return unit
    return None


def _fixed(path: str) -> Locator:
    located = (path,)
    return lambda ctx: located


_SKIPPED_TOP = {"id", "summary", "assessment_date", "prior_procedures", "imaging", "procedure"}


def _raw_patient_facts() -> list[FactSpec]:
    specs: list[FactSpec] = []

    def walk(model: type[BaseModel], prefix: str, chain: tuple[str, ...]) -> None:
        for name, field in model.model_fields.items():
            if not chain and name in _SKIPPED_TOP:
                continue
            path = f"{prefix}{name}"
            nested = _is_model(field.annotation)
            if nested is not None:
                walk(nested, f"{path}.", (*chain, name))
                continue
            if _is_list(field.annotation):
                continue
            kind, allowed = _type_of(field.annotation)
            attrs = (*chain, name)

            def get(ctx: Context, attrs: tuple[str, ...] = attrs) -> Any:
                value: Any = ctx.record
                for attr in attrs:
                    value = getattr(value, attr)
                return _plain(value)

            specs.append(
                FactSpec(
                    path=path,
                    scope=Scope.PATIENT,
                    type=kind,
                    description=field.description or name.replace("_", " "),
                    get=get,
                    locate=_fixed(path),
                    unit=_unit_from(field.description),
                    allowed=allowed,
                )
            )

    walk(PatientRecord, "", ())
    # Imaging study-level facts (modality, date) are patient-scoped.
    specs += [
        FactSpec(
            path="imaging.modality",
            scope=Scope.PATIENT,
            type="code",
            description="Imaging modality",
            get=lambda ctx: _plain(ctx.record.imaging.modality),
            locate=lambda ctx: ("imaging.modality",),
            allowed=("MRI", "CT", "CT_myelogram"),
        ),
    ]
    return specs


def _raw_findings_facts(model: type[BaseModel], scope: Scope, skip: str) -> list[FactSpec]:
    specs: list[FactSpec] = []
    prefix = "level" if scope is Scope.LEVEL else "side"
    for name, field in model.model_fields.items():
        if name == skip or _is_list(field.annotation):
            continue
        kind, allowed = _type_of(field.annotation)
        if scope is Scope.LEVEL:

            def get(ctx: Context, name: str = name) -> Any:
                found = ctx.level_findings
                return None if found is None else _plain(getattr(found, name))

            def locate(ctx: Context, name: str = name) -> tuple[str, ...]:
                return (f"imaging.levels[{ctx.level}].{name}",)

        else:

            def get(ctx: Context, name: str = name) -> Any:
                found = ctx.side_findings
                return None if found is None else _plain(getattr(found, name))

            def locate(ctx: Context, name: str = name) -> tuple[str, ...]:
                return (f"imaging.levels[{ctx.level}].sides[{ctx.side}].{name}",)

        specs.append(
            FactSpec(
                path=f"{prefix}.{name}",
                scope=scope,
                type=kind,
                description=field.description or name.replace("_", " "),
                get=get,
                locate=locate,
                unit=_unit_from(field.description),
                allowed=allowed,
                from_imaging=True,
            )
        )
    return specs


# Facts the record validator keeps consistent with one another (see LevelFindings._slip_consistent).
# Only these may be combined with 'agree': for other facts a disagreement would be possible, and then
# learning a fact could turn a met criterion into an unknown one.
CONSISTENT_GROUPS: tuple[frozenset[str], ...] = (frozenset({"level.meyerding_grade", "level.slip_percent"}),)


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


def _prior_surgery_at_level(ctx: Context) -> bool | None:
    """True if any procedure names this level; false only when every procedure's levels are known."""
    procedures = ctx.record.prior_procedures
    if procedures is None:
        return None
    unknown = False
    for procedure in procedures:
        if procedure.levels is None:
            unknown = True
        elif ctx.level in procedure.levels:
            return True
    return None if unknown else False


def _epidurogram(ctx: Context) -> bool | None:
    if ctx.level is None or ctx.side is None:
        return None
    return ctx.record.procedure.appreciated(ctx.level, ctx.side)


def _derived_facts() -> list[FactSpec]:
    return [
        FactSpec(
            "patient.age",
            Scope.PATIENT,
            "number",
            "Age in years at the assessment date",
            lambda ctx: ctx.record.age(ctx.on_date),
            lambda ctx: ("patient.age_years", "patient.birth_date"),
            unit="years",
        ),
        FactSpec(
            "imaging.months_since",
            Scope.PATIENT,
            "number",
            "Months from the imaging study to the assessment date",
            lambda ctx: _months_between(ctx.record.imaging.date, ctx.on_date),
            lambda ctx: ("imaging.date",),
            unit="months",
        ),
        FactSpec(
            "conservative_care.weeks_since_last_esi",
            Scope.PATIENT,
            "number",
            "Weeks since the last epidural steroid injection",
            _weeks_since_esi,
            lambda ctx: ("conservative_care.last_esi_date",),
            unit="weeks",
        ),
        FactSpec(
            "level.prior_surgery",
            Scope.LEVEL,
            "boolean",
            "A prior spine procedure (any type) was done at this level",
            _prior_surgery_at_level,
            lambda ctx: (
                ("prior_procedures",)
                if ctx.record.prior_procedures is None
                else tuple(
                    f"prior_procedures[{i}].levels"
                    for i, p in enumerate(ctx.record.prior_procedures)
                    if p.levels is None
                )
            ),
        ),
        FactSpec(
            "side.epidurogram_appreciated",
            Scope.SIDE,
            "boolean",
            "The epidurogram can be appreciated at this level and side (known during the procedure)",
            _epidurogram,
            lambda ctx: (f"procedure.epidurogram[{ctx.level} {ctx.side}].appreciated",),
        ),
    ]


@cache
def fact_catalogue() -> dict[str, FactSpec]:
    specs = (
        _raw_patient_facts()
        + _raw_findings_facts(LevelFindings, Scope.LEVEL, skip="level")
        + _raw_findings_facts(SideFindings, Scope.SIDE, skip="side")
        + _derived_facts()
    )
    return {spec.path: spec for spec in specs}
