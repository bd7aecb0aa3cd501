"""Change from baseline and responder status for ODI, NPRS and ZCQ, with every threshold from packaged data.

Lower is better on all three (ZCQ symptom severity and physical function), so the change is reported as
baseline - follow-up: positive means improvement. Each responder definition is applied inclusively ("at
least 10 points") on the exact decimal values reported, so a change of exactly 10.0 is a response; a
definition whose scores are missing gives ``met = None``, never a guess. ZCQ is judged per subscale, and
satisfaction (asked after treatment only) on the follow-up value alone.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal, cast

from lss_pathway.clinical.instruments.base import ScoreResult, Threshold
from lss_pathway.clinical.instruments.nprs import score_nprs
from lss_pathway.clinical.instruments.odi import score_odi
from lss_pathway.clinical.instruments.outcome_data import outcome_citation, outcomes_data
from lss_pathway.clinical.instruments.zcq import score_zcq
from lss_pathway.domain.parsing import FieldError, InputError

INSTRUMENT_IDS: tuple[str, ...] = ("odi", "zcq", "nprs")

Kind = Literal["absolute_improvement", "relative_improvement", "follow_up_at_most"]
KINDS: tuple[Kind, ...] = ("absolute_improvement", "relative_improvement", "follow_up_at_most")

# Which scores have a change from baseline: the main value, or ZCQ's two subscales that are asked twice.
CHANGE_MEASURES: dict[str, tuple[str, ...]] = {
    "odi": ("value",),
    "nprs": ("value",),
    "zcq": ("symptom_severity", "physical_function"),
}


@dataclass(frozen=True, slots=True)
class ResponderDefinition:
    id: str
    instrument: str
    measure: str  # "value" (the main score) or a component name
    kind: Kind
    threshold: Threshold
    unit: str
    label: str


def _definition(raw: Mapping[str, Any]) -> ResponderDefinition:
    kind = raw["kind"]
    if kind not in KINDS:
        raise ValueError(f"responder {raw['id']}: unknown kind {kind!r}")
    return ResponderDefinition(
        id=str(raw["id"]),
        instrument=str(raw["instrument"]),
        measure=str(raw["measure"]),
        kind=cast(Kind, kind),
        threshold=Threshold(
            float(raw["value"]), outcome_citation(raw["source"], raw["verification"]), raw.get("note")
        ),
        unit=str(raw["unit"]),
        label=str(raw["label"]),
    )


def responder_definitions(instrument: str | None = None) -> tuple[ResponderDefinition, ...]:
    """The packaged responder definitions, optionally only those of one instrument."""
    if instrument is not None:
        _check_instrument(instrument)
    found = (_definition(raw) for raw in outcomes_data()["responders"])
    return tuple(d for d in found if instrument is None or d.instrument == instrument)


def _check_instrument(instrument: str) -> None:
    if instrument not in INSTRUMENT_IDS:
        hint = difflib.get_close_matches(str(instrument), INSTRUMENT_IDS, n=1)
        suffix = f" Did you mean '{hint[0]}'?" if hint else ""
        raise InputError(
            [
                FieldError(
                    "instrument",
                    f"unknown instrument '{instrument}'.{suffix} Known: {', '.join(INSTRUMENT_IDS)}",
                )
            ]
        )


def score(instrument: str, answers: Any, *, max_missing: int | None = None) -> ScoreResult:
    """Score one outcome instrument by id; ``max_missing`` (ODI sections allowed missing) is for ODI only."""
    _check_instrument(instrument)
    if instrument == "odi":
        return score_odi(answers, max_missing=max_missing)
    if max_missing is not None:
        raise InputError([FieldError("max_missing", f"applies to odi only, not {instrument}")])
    if instrument == "zcq":
        return score_zcq(answers)
    return score_nprs(answers)


def _measure(result: ScoreResult, measure: str) -> float | None:
    return result.value if measure == "value" else result.components.get(measure)


def _decimal(value: float) -> Decimal:
    return Decimal(repr(value))


def _relative(baseline: Decimal, improvement: Decimal) -> Decimal | None:
    return None if baseline == 0 else improvement / baseline * 100


def _measure_change(baseline: float | None, follow_up: float | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "baseline": baseline,
        "follow_up": follow_up,
        "absolute_change": None,
        "relative_change_percent": None,
    }
    if baseline is not None and follow_up is not None:
        improvement = _decimal(baseline) - _decimal(follow_up)
        out["absolute_change"] = float(improvement)
        relative = _relative(_decimal(baseline), improvement)
        if relative is not None:
            out["relative_change_percent"] = float(relative.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    return out


def _judge(
    definition: ResponderDefinition, baseline: float | None, follow_up: float | None
) -> tuple[bool | None, str | None]:
    """Whether the definition is met, or None with the reason it cannot be decided."""
    limit = _decimal(definition.threshold.value)
    if follow_up is None:
        return None, "follow-up score missing"
    if definition.kind == "follow_up_at_most":
        return _decimal(follow_up) <= limit, None
    if baseline is None:
        return None, "baseline score missing"
    improvement = _decimal(baseline) - _decimal(follow_up)
    if definition.kind == "absolute_improvement":
        return improvement >= limit, None
    relative = _relative(_decimal(baseline), improvement)
    if relative is None:
        return None, "baseline is 0: relative change undefined"
    return relative >= limit, None


def change(instrument: str, baseline: ScoreResult, follow_up: ScoreResult) -> dict[str, Any]:
    """Change from baseline (baseline - follow-up; positive = improvement) and each responder definition."""
    _check_instrument(instrument)
    errors = [
        FieldError(where, f"is a {result.instrument} result, expected {instrument}")
        for where, result in (("baseline", baseline), ("follow_up", follow_up))
        if result.instrument != instrument
    ]
    if errors:
        raise InputError(errors)

    measures = {
        (instrument if m == "value" else m): _measure_change(_measure(baseline, m), _measure(follow_up, m))
        for m in CHANGE_MEASURES[instrument]
    }
    main = next(iter(measures.values()))
    responders: list[dict[str, Any]] = []
    for definition in responder_definitions(instrument):
        before, after = _measure(baseline, definition.measure), _measure(follow_up, definition.measure)
        met, reason = _judge(definition, before, after)
        source = definition.threshold.source
        responders.append(
            {
                "id": definition.id,
                "label": definition.label,
                "measure": definition.measure,
                "kind": definition.kind,
                "threshold": definition.threshold.value,
                "unit": definition.unit,
                "met": met,
                "reason": reason,
                "citation": source.citation,
                "url": source.url,
                "verification": source.verification,
                "note": definition.threshold.note,
            }
        )
    return {
        "instrument": instrument,
        "direction": "lower is better; change = baseline - follow-up, positive = improvement",
        "baseline": main["baseline"],
        "follow_up": main["follow_up"],
        "absolute_change": main["absolute_change"],
        "relative_change_percent": main["relative_change_percent"],
        "measures": measures,
        "responders": responders,
    }
