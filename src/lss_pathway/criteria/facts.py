"""The catalogue of facts a rule may read: declarations only, so that every runner reads the same list.

Each fact has a path, a scope, a type, a unit, bounds or allowed codes, and a description; a derived fact
(age, months since imaging, prior surgery at a level, ...) also names its derivation. How a fact is read
from a record is a runner's business: the per-patient Python runner (``criteria.python_runner``) keeps a
reader for every raw path and an implementation for every derivation name, and a compiled runner gives
each the equivalent column expression. Raw facts are generated from the record model, so a new field is
readable by rules without further code. The linter checks rule sets against this catalogue, and
explanations name facts by their concrete location (``imaging.levels[L4-L5].sides[left].lf_thickness_mm``)
so a clinician knows exactly what to document.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass
from enum import Enum, StrEnum
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from lss_pathway.domain.record import LevelFindings, PatientRecord, SideFindings


class Scope(StrEnum):
    """Where a criterion applies: once per patient, per level, or per level and side."""

    PATIENT = "patient"
    LEVEL = "level"
    SIDE = "level_side"


_SCOPE_RANK = {Scope.PATIENT: 0, Scope.LEVEL: 1, Scope.SIDE: 2}


def scope_covers(outer: Scope, inner: Scope) -> bool:
    """A level-and-side criterion may read patient and level facts, but not the other way round."""
    return _SCOPE_RANK[inner] <= _SCOPE_RANK[outer]


@dataclass(frozen=True, slots=True)
class FactSpec:
    """One fact a rule may read, as data: no callables, so that any runner can implement it."""

    path: str
    scope: Scope
    type: str
    description: str
    unit: str | None = None
    allowed: tuple[str, ...] = ()
    minimum: float | None = None
    """The record model's plausibility bounds (not clinical thresholds), where it states them."""
    maximum: float | None = None
    from_imaging: bool = False
    """Read from a level's or side's imaging findings (so an unreported level leaves it unknown)."""
    derivation: str | None = None
    """For a derived fact, the name runners implement it under; ``None`` for a field read as recorded."""


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


def _bound(field: FieldInfo, *names: str) -> float | None:
    """The field's ``ge``/``gt`` (or ``le``/``lt``) constraint, as pydantic keeps it in its metadata."""
    for rule in field.metadata:
        for name in names:
            value = getattr(rule, name, None)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
    return None


def _field_fact(path: str, scope: Scope, name: str, field: FieldInfo, from_imaging: bool) -> FactSpec:
    kind, allowed = _type_of(field.annotation)
    return FactSpec(
        path=path,
        scope=scope,
        type=kind,
        description=field.description or name.replace("_", " "),
        unit=_unit_from(field.description),
        allowed=allowed,
        minimum=_bound(field, "ge", "gt"),
        maximum=_bound(field, "le", "lt"),
        from_imaging=from_imaging,
    )


_SKIPPED_TOP = {"id", "summary", "assessment_date", "prior_procedures", "imaging", "procedure"}


def _raw_patient_facts() -> list[FactSpec]:
    """Every scalar field of the record outside imaging, read at its own dotted path."""
    specs: list[FactSpec] = []

    def walk(model: type[BaseModel], prefix: str, top: bool) -> None:
        for name, field in model.model_fields.items():
            if top and name in _SKIPPED_TOP:
                continue
            path = f"{prefix}{name}"
            nested = _is_model(field.annotation)
            if nested is not None:
                walk(nested, f"{path}.", False)
            elif not _is_list(field.annotation):
                specs.append(_field_fact(path, Scope.PATIENT, name, field, from_imaging=False))

    walk(PatientRecord, "", True)
    # Imaging study-level facts (modality, date) are patient-scoped.
    specs.append(
        FactSpec(
            path="imaging.modality",
            scope=Scope.PATIENT,
            type="code",
            description="Imaging modality",
            allowed=("MRI", "CT", "CT_myelogram"),
        )
    )
    return specs


def _raw_findings_facts(model: type[BaseModel], scope: Scope, skip: str) -> list[FactSpec]:
    """Each scalar finding of a level (``level.NAME``) or of one side of it (``side.NAME``)."""
    prefix = "level" if scope is Scope.LEVEL else "side"
    return [
        _field_fact(f"{prefix}.{name}", scope, name, field, from_imaging=True)
        for name, field in model.model_fields.items()
        if name != skip and not _is_list(field.annotation)
    ]


# --- derived facts -------------------------------------------------------------------------------------


def _derived(
    derivation: str, path: str, scope: Scope, type_: str, description: str, unit: str | None = None
) -> FactSpec:
    return FactSpec(path, scope, type_, description, unit=unit, derivation=derivation)


def _derived_facts() -> list[FactSpec]:
    return [
        _derived(
            "age", "patient.age", Scope.PATIENT, "number", "Age in years at the assessment date", "years"
        ),
        _derived(
            "months_since_imaging",
            "imaging.months_since",
            Scope.PATIENT,
            "number",
            "Months from the imaging study to the assessment date",
            "months",
        ),
        _derived(
            "weeks_since_last_esi",
            "conservative_care.weeks_since_last_esi",
            Scope.PATIENT,
            "number",
            "Weeks since the last epidural steroid injection",
            "weeks",
        ),
        _derived(
            "any_procedure_at_level",
            "level.prior_surgery",
            Scope.LEVEL,
            "boolean",
            "A prior spine procedure (any type) was done at this level",
        ),
        _derived(
            "open_surgery_at_level",
            "level.prior_open_surgery",
            Scope.LEVEL,
            "boolean",
            "A prior laminectomy, laminotomy, fusion or interspinous spacer at this level",
        ),
        _derived(
            "any_lumbar_surgery",
            "prior_procedures.any_lumbar_surgery",
            Scope.PATIENT,
            "boolean",
            "A prior laminectomy, laminotomy, fusion, interspinous spacer or mild at any level",
        ),
        _derived(
            "months_since_lumbar_surgery",
            "prior_procedures.months_since_lumbar_surgery",
            Scope.PATIENT,
            "number",
            "Months since the latest laminectomy, laminotomy, fusion, spacer or mild (any level)",
            "months",
        ),
        _derived(
            "no_cauda_equina_emergency",
            "cauda_equina.no_emergency",
            Scope.PATIENT,
            "boolean",
            "No cauda equina feature is new or worsening (each with its own onset), none is progressive, and "
            "long-standing saddle or bladder symptoms have a post-void residual below the emergency level",
        ),
        _derived(
            "long_standing_cauda_equina_cleared",
            "cauda_equina.long_standing_cleared",
            Scope.PATIENT,
            "boolean",
            "No long-standing cauda equina-type feature, or a specialist review cleared it",
        ),
        _derived(
            "sexual_dysfunction_days",
            "red_flags.sexual_dysfunction_days",
            Scope.PATIENT,
            "number",
            "Days since the sexual dysfunction began or last worsened (its own onset, else the shared one)",
            "days",
        ),
        _derived(
            "no_neurologic_deficit_found",
            "exam.no_deficit_found",
            Scope.PATIENT,
            "boolean",
            "The neurological examination found no deficit (unknown otherwise: a deficit may be one-sided)",
        ),
        _derived(
            "epidurogram_appreciated",
            "side.epidurogram_appreciated",
            Scope.SIDE,
            "boolean",
            "The epidurogram can be appreciated at this level and side (known during the procedure)",
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
