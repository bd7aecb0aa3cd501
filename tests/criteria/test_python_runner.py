"""The Python runner implements exactly the facts the catalogue declares, and the declarations stay data."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
import yaml

from lss_pathway.criteria.facts import FactSpec, Scope, fact_catalogue
from lss_pathway.criteria.python_runner import DERIVATIONS, Context, fact_reader
from lss_pathway.domain.anatomy import LEVELS, SIDES, Level, Side
from lss_pathway.domain.record import PatientRecord

ON = dt.date(2026, 11, 1)
EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))


def _contexts(record: PatientRecord) -> list[Context]:
    """The patient context, then every level and every level and side, as the candidacy loop builds them."""
    contexts = [Context(record, ON)]
    for level in LEVELS:
        findings = record.imaging.level(level)
        contexts.append(Context(record, ON, level, None, findings))
        for side in SIDES:
            side_findings = findings.side(side) if findings is not None else None
            contexts.append(Context(record, ON, level, side, findings, side_findings))
    return contexts


def _fits(spec: FactSpec, context: Context) -> bool:
    if spec.scope is Scope.PATIENT:
        return context.level is None
    if spec.scope is Scope.LEVEL:
        return context.level is not None and context.side is None
    return context.side is not None


def test_every_derivation_declared_is_implemented_and_nothing_else() -> None:
    declared = {spec.derivation for spec in fact_catalogue().values() if spec.derivation is not None}
    assert declared == set(DERIVATIONS)
    assert len(declared) == sum(1 for spec in fact_catalogue().values() if spec.derivation is not None)


def test_a_fact_declaration_holds_no_callable() -> None:
    for spec in fact_catalogue().values():
        for field in dataclasses.fields(FactSpec):
            assert not callable(getattr(spec, field.name)), (spec.path, field.name)


def test_every_raw_fact_is_unknown_in_an_empty_record() -> None:
    record = PatientRecord.model_validate({"assessment_date": ON.isoformat()})
    for context in _contexts(record):
        for spec in fact_catalogue().values():
            if spec.derivation is None and _fits(spec, context):
                assert fact_reader(spec).get(context) is None, (spec.path, context.where())


@pytest.mark.parametrize("path", EXAMPLES[:6], ids=lambda p: p.stem)
def test_every_fact_reads_and_locates_in_every_cell_of_an_example(path: Path) -> None:
    record = PatientRecord.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    for context in _contexts(record):
        for spec in fact_catalogue().values():
            if not _fits(spec, context):
                continue
            reader = fact_reader(spec)
            value = reader.get(context)
            if value is None:
                assert all(isinstance(where, str) and where for where in reader.locate(context)), spec.path


def test_raw_facts_read_their_own_field() -> None:
    record = PatientRecord.model_validate(yaml.safe_load(EXAMPLES[0].read_text(encoding="utf-8")))
    contexts = _contexts(record)
    patient = contexts[0]
    level = next(c for c in contexts if c.level is Level.L4_L5 and c.side is None)
    side = next(c for c in contexts if c.level is Level.L4_L5 and c.side is Side.LEFT)
    catalogue = fact_catalogue()
    assert fact_reader(catalogue["imaging.modality"]).get(patient) == "MRI" == record.imaging.modality
    assert fact_reader(catalogue["exam.abi.left"]).get(patient) == record.exam.abi.left
    assert level.level_findings is not None and side.side_findings is not None
    assert fact_reader(catalogue["level.canal_area_mm2"]).get(level) == level.level_findings.canal_area_mm2
    assert fact_reader(catalogue["side.lf_thickness_mm"]).get(side) == side.side_findings.lf_thickness_mm
    assert fact_reader(catalogue["side.lf_thickness_mm"]).locate(side) == (
        "imaging.levels[L4-L5].sides[left].lf_thickness_mm",
    )


def test_the_record_models_bounds_are_declared() -> None:
    odi = fact_catalogue()["baseline.odi_percent"]
    assert (odi.minimum, odi.maximum, odi.derivation) == (0.0, 100.0, None)
    assert fact_catalogue()["patient.age"].derivation == "age"
