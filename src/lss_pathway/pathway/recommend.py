"""Recommend pathway steps, least to most invasive, each with its reasons; never imposed.

Routing away from mild comes from rule data: a criterion that is not met at a stenotic level names, via
``routes_to``, the step that fits instead (instability -> decompression with fusion, and so on).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lss_pathway.clinical.claudication import Differential, Pattern
from lss_pathway.clinical.red_flags import RedFlag
from lss_pathway.clinical.reference import reference
from lss_pathway.clinical.stenosis import LevelStenosis
from lss_pathway.criteria.candidacy import Candidacy, Verdict
from lss_pathway.criteria.logic import Tri
from lss_pathway.domain.anatomy import Level
from lss_pathway.domain.record import PatientRecord
from lss_pathway.domain.vocabulary import Grade, PathwayStep


@dataclass(slots=True)
class Recommendation:
    step: PathwayStep
    title: str
    short: str
    reasons: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)


def _add(found: dict[PathwayStep, Recommendation], step: PathwayStep, reason: str, where: str = "") -> None:
    if step not in found:
        entry = reference()["pathway"]["steps"][step.value]
        found[step] = Recommendation(step, entry["title"], entry["short"])
    rec = found[step]
    if reason not in rec.reasons:
        rec.reasons.append(reason)
    if where and where not in rec.levels:
        rec.levels.append(where)


def _conservative_reasons(record: PatientRecord) -> list[str]:
    care = record.conservative_care
    minimum = reference()["pathway"]["min_conservative_care_months"]["value"]
    reasons = []
    if care.months is None:
        reasons.append("duration of conservative care not documented")
    elif care.months < minimum:
        reasons.append(f"{care.months:g} months of conservative care so far (< {minimum:g})")
    untried = [
        name
        for name, done in (
            ("physical therapy", care.physical_therapy),
            ("home exercise", care.home_exercise),
            ("analgesics", care.analgesics),
        )
        if done is not True
    ]
    if untried:
        reasons.append(f"not yet tried or not documented: {', '.join(untried)}")
    return reasons


_ROOT_NARROWING = (Grade.MODERATE, Grade.SEVERE)


def _root_narrowed_levels(record: PatientRecord) -> set[Level]:
    """Levels with a foramen or lateral recess moderately or severely narrowed on either side.

    Nerve-root narrowing an epidural steroid injection is offered for even where the canal itself is not
    stenotic: without this, a severe foraminal stenosis with radicular pain would leave the pathway empty.
    """
    return {
        found.level
        for found in record.imaging.levels
        for sd in found.sides
        if sd.foraminal_stenosis in _ROOT_NARROWING or sd.lateral_recess_stenosis in _ROOT_NARROWING
    }


def recommend(
    record: PatientRecord,
    red_flags: list[RedFlag],
    differential: Differential,
    stenosis: list[LevelStenosis],
    candidacy: Candidacy,
) -> list[Recommendation]:
    found: dict[PathwayStep, Recommendation] = {}
    present = [f for f in red_flags if f.status is Tri.MET]
    urgent = [f for f in present if f.urgent]
    reviewed = record.red_flags.specialist_review_cleared is True
    for flag in present:
        if flag.urgent:
            _add(found, PathwayStep.URGENT_SURGICAL_EVALUATION, f"{flag.label}: {flag.action}")
        elif not reviewed:  # a recorded review that cleared the long-standing features is done
            _add(found, PathwayStep.SPECIALIST_REVIEW, f"{flag.label}: {flag.action}")
    if differential.pattern in (Pattern.VASCULAR, Pattern.MIXED):
        _add(found, PathwayStep.VASCULAR_WORKUP, f"claudication pattern is {differential.pattern.value}")

    stenotic = {s.level for s in stenosis if s.present}
    candidates = [c for c in candidacy.cells if c.verdict is Verdict.CANDIDATE]
    undetermined = [c for c in candidacy.cells if c.verdict is Verdict.UNDETERMINED and c.level in stenotic]

    for reason in _conservative_reasons(record):
        _add(found, PathwayStep.CONSERVATIVE_CARE, reason)
    neurogenic = differential.pattern in (Pattern.NEUROGENIC, Pattern.MIXED)
    narrowed = stenotic | _root_narrowed_levels(record)
    if narrowed and neurogenic and record.conservative_care.esi_count == 0:
        _add(
            found,
            PathwayStep.EPIDURAL_STEROID_INJECTION,
            "no epidural steroid injection so far (an option "
            "before or instead of mild; MIST reports Level I evidence favouring mild over ESI)",
        )
        if record.safety.antithrombotics:
            _add(
                found,
                PathwayStep.EPIDURAL_STEROID_INJECTION,
                "current antithrombotics need a management plan "
                "for the injection too (ASRA 2018 rates ESIs intermediate risk)",
            )

    for cell in candidates:
        label = f"{cell.level} {cell.side}"
        conditions = "; ".join(c.action for c in cell.conditions)
        reason = "all pre-procedure criteria met" + (f"; conditions: {conditions}" if conditions else "")
        _add(found, PathwayStep.MILD, reason, label)
    if not record.imaging.levels and any(c.verdict is Verdict.UNDETERMINED for c in candidacy.cells):
        _add(
            found,
            PathwayStep.MILD,
            "undetermined: no imaging findings recorded; obtain lumbar MRI (or CT) "
            "reporting canal area, ligamentum flavum thickness per side, slip and stability per level",
        )
    if undetermined:
        cells = ", ".join(f"{c.level} {c.side}" for c in undetermined)
        _add(found, PathwayStep.MILD, f"undetermined at {cells}: document the missing facts")

    for cell in candidacy.cells:
        if cell.verdict is not Verdict.NOT_CANDIDATE or cell.level not in stenotic:
            continue
        for result in cell.results:
            if result.value is not Tri.NOT_MET:
                continue
            statement = candidacy.rules.statement(result.criterion)
            per_patient = result.criterion.scope.value == "patient"
            for step in result.criterion.routes_to:
                if step is not PathwayStep.MILD:
                    _add(
                        found,
                        step,
                        f"not met: {statement}",
                        "" if per_patient else f"{cell.level} {cell.side}",
                    )

    if urgent:
        # Elective steps wait until the urgent evaluation is done.
        for step, rec in found.items():
            if step is not PathwayStep.URGENT_SURGICAL_EVALUATION:
                rec.reasons.insert(0, "only after the urgent evaluation")
    order = list(PathwayStep)
    return sorted(found.values(), key=lambda r: order.index(r.step))
