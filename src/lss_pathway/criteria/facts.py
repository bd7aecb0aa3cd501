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

from lss_pathway.clinical.cauda_equina import ces_thresholds
from lss_pathway.domain import cauda_equina as ces
from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.record import (
    LevelFindings,
    PatientRecord,
    PriorProcedure,
    SideFindings,
)
from lss_pathway.domain.vocabulary import Grade, ProcedureType


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
_OPEN_SURGERY = frozenset(
    {
        ProcedureType.LAMINECTOMY,
        ProcedureType.LAMINOTOMY,
        ProcedureType.FUSION,
        ProcedureType.INTERSPINOUS_SPACER,
    }
)
# What the CMS-approved mild claims study excludes in the prior 12 months, at any level (NCT03072927).
_LUMBAR_SURGERY = _OPEN_SURGERY | {ProcedureType.MILD}


def _counted(ctx: Context, types: frozenset[ProcedureType] | None) -> list[tuple[int, PriorProcedure]]:
    procedures = ctx.record.prior_procedures or []
    return [(i, p) for i, p in enumerate(procedures) if types is None or p.type in types]


def _surgery_at_level(types: frozenset[ProcedureType] | None) -> Getter:
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

    return get


def _surgery_levels_to_document(types: frozenset[ProcedureType] | None) -> Locator:
    def locate(ctx: Context) -> tuple[str, ...]:
        if ctx.record.prior_procedures is None:
            return ("prior_procedures",)
        return tuple(f"prior_procedures[{i}].levels" for i, p in _counted(ctx, types) if p.levels is None)

    return locate


def _any_lumbar_surgery(ctx: Context) -> bool | None:
    if ctx.record.prior_procedures is None:
        return None
    return bool(_counted(ctx, _LUMBAR_SURGERY))


def _months_since_lumbar_surgery(ctx: Context) -> float | None:
    """Months since the latest counted procedure; unknown when there is none or one has no date."""
    counted = _counted(ctx, _LUMBAR_SURGERY)
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
            _surgery_at_level(None),
            _surgery_levels_to_document(None),
        ),
        FactSpec(
            "level.prior_open_surgery",
            Scope.LEVEL,
            "boolean",
            "A prior laminectomy, laminotomy, fusion or interspinous spacer at this level",
            _surgery_at_level(_OPEN_SURGERY),
            _surgery_levels_to_document(_OPEN_SURGERY),
        ),
        FactSpec(
            "prior_procedures.any_lumbar_surgery",
            Scope.PATIENT,
            "boolean",
            "A prior laminectomy, laminotomy, fusion, interspinous spacer or mild at any level",
            _any_lumbar_surgery,
            lambda ctx: ("prior_procedures",),
        ),
        FactSpec(
            "prior_procedures.months_since_lumbar_surgery",
            Scope.PATIENT,
            "number",
            "Months since the latest laminectomy, laminotomy, fusion, spacer or mild (any level)",
            _months_since_lumbar_surgery,
            lambda ctx: tuple(
                f"prior_procedures[{i}].date" for i, p in _counted(ctx, _LUMBAR_SURGERY) if p.date is None
            ),
            unit="months",
        ),
        FactSpec(
            "cauda_equina.no_emergency",
            Scope.PATIENT,
            "boolean",
            "No cauda equina feature is new or worsening (each with its own onset), none is progressive, and "
            "long-standing saddle or bladder symptoms have a post-void residual below the emergency level",
            lambda ctx: _negate(ces.emergency(ctx.record, *ces_thresholds())),
            _ces_documents,
        ),
        FactSpec(
            "cauda_equina.long_standing_cleared",
            Scope.PATIENT,
            "boolean",
            "No long-standing cauda equina-type feature, or a specialist review cleared it",
            lambda ctx: ces.long_standing_cleared(ctx.record, ces_thresholds()[0]),
            _ces_review_documents,
        ),
        FactSpec(
            "red_flags.sexual_dysfunction_days",
            Scope.PATIENT,
            "number",
            "Days since the sexual dysfunction began or last worsened (its own onset, else the shared one)",
            lambda ctx: ctx.record.red_flags.onset_days("sexual_dysfunction"),
            lambda ctx: ("red_flags.sexual_dysfunction_onset_days",),
            unit="days",
        ),
        FactSpec(
            "exam.no_deficit_found",
            Scope.PATIENT,
            "boolean",
            "The neurological examination found no deficit (unknown otherwise: a deficit may be one-sided)",
            lambda ctx: True if ctx.record.exam.neurologic_deficit is Grade.NONE else None,
            lambda ctx: ("exam.neurologic_deficit",),
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
