"""Zurich Claudication Questionnaire (Stucki 1996), scored as in the AO Stata implementation (2012).

Three subscales, each the unweighted mean of its answered items (higher = worse for symptom severity and
physical function; for satisfaction 1 is very satisfied): symptom severity ss1-ss7 (1-5; the balance item
ss7 has only the codes 1, 3 and 5), physical function pf1-pf5 (1-4) and, after treatment only,
satisfaction sat1-sat6 (1-4). A subscale with more missing items than allowed (2 / 1 / 1) is missing. The
percent form is round(mean / max x 100). A summed 0-79 total is not the validated scoring and is not given.
No item wording is stored: items are ids with short paraphrased topic labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from lss_pathway.clinical.instruments.base import ScoreResult, Threshold, require_mapping, unknown_items
from lss_pathway.clinical.instruments.outcome_data import outcome_citation, outcomes_data, round_half_up
from lss_pathway.domain.parsing import FieldError, InputError

SUBSCALES: tuple[str, ...] = ("symptom_severity", "physical_function", "satisfaction")


@dataclass(frozen=True, slots=True)
class ZcqItem:
    id: str
    label: str
    subscale: str
    allowed: tuple[int, ...]


def _spec() -> dict[str, Any]:
    spec: dict[str, Any] = outcomes_data()["zcq"]
    return spec


ZCQ_ITEMS: list[ZcqItem] = [
    ZcqItem(item["id"], item["label"], name, tuple(item["allowed"]))
    for name in SUBSCALES
    for item in _spec()["subscales"][name]["items"]
]
ZCQ_ITEM_IDS: list[str] = [item.id for item in ZCQ_ITEMS]


def satisfied_threshold() -> Threshold:
    spec = _spec()["satisfied_at_most"]
    return Threshold(
        float(spec["value"]), outcome_citation(spec["source"], spec["verification"]), spec["note"]
    )


def _describe_allowed(allowed: tuple[int, ...]) -> str:
    if list(allowed) == list(range(allowed[0], allowed[-1] + 1)):
        return f"a whole number {allowed[0]}-{allowed[-1]}"
    return ", ".join(str(a) for a in allowed[:-1]) + f" or {allowed[-1]}"


def _check(item: ZcqItem, value: Any) -> FieldError | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value in item.allowed:
        return None
    text = f"must be {_describe_allowed(item.allowed)}, or null if not answered"
    invalid_codes = [
        code for code in range(item.allowed[0], item.allowed[-1] + 1) if code not in item.allowed
    ]
    if invalid_codes:
        text += f"; {' and '.join(str(c) for c in invalid_codes)} are not response options for {item.label}"
    return FieldError(f"answers.{item.id}", f"{text} (got {value!r})")


def score_zcq(answers: Mapping[str, Any]) -> ScoreResult:
    """Score the ZCQ subscales; value is the symptom-severity mean, satisfaction is optional."""
    spec = _spec()
    data = require_mapping(answers, "answers")
    errors = unknown_items(data, ZCQ_ITEM_IDS, "answers")
    for item in ZCQ_ITEMS:
        problem = _check(item, data.get(item.id))
        if problem is not None:
            errors.append(problem)
    if errors:
        raise InputError(errors)

    decimals = int(spec["scoring"]["decimals"])
    notes: list[str] = ["subscale means (not a summed total); higher = worse"]
    components: dict[str, float | None] = {}
    exact: dict[str, Fraction | None] = {}
    answered_total = 0
    expected_total = 0
    for name in SUBSCALES:
        sub = spec["subscales"][name]
        ids = [item.id for item in ZCQ_ITEMS if item.subscale == name]
        values = {i: data.get(i) for i in ids}
        given = [int(v) for v in values.values() if v is not None]
        missing = [i for i, v in values.items() if v is None]
        if name == "satisfaction" and not given:
            notes.append("satisfaction not administered (asked after treatment only)")
            components[name] = components[f"{name}_percent"] = None
            exact[name] = None
            continue
        answered_total += len(given)
        expected_total += len(ids)
        allowed_missing = int(sub["max_missing"])
        if len(missing) > allowed_missing:
            notes.append(
                f"{name} not scored: {len(missing)} of {len(ids)} items missing ({', '.join(missing)});"
                f" at most {allowed_missing} allowed"
            )
            components[name] = components[f"{name}_percent"] = None
            exact[name] = None
            continue
        mean = Fraction(sum(given), len(given))
        exact[name] = mean
        components[name] = round_half_up(mean, decimals)
        components[f"{name}_percent"] = int(round_half_up(mean * 100 / int(sub["max"]), 0))
        if missing:
            notes.append(
                f"{name}: mean of {len(given)} answered items ({', '.join(missing)} missing;"
                f" at most {allowed_missing} allowed)"
            )

    interpretation = None
    satisfaction = exact["satisfaction"]
    if satisfaction is not None:
        threshold = satisfied_threshold()
        satisfied = satisfaction <= Fraction(str(threshold.value))
        interpretation = "satisfied" if satisfied else "not satisfied"
        sign = "<=" if satisfied else ">"
        notes.append(
            f"satisfaction {components['satisfaction']:.3f} {sign} {threshold.value}: {interpretation}"
            f" [{threshold.source.verification}]"
        )
    return ScoreResult(
        "zcq",
        components["symptom_severity"],
        "symptom severity mean (1-5)",
        answered_total,
        expected_total,
        interpretation,
        tuple(notes),
        components,
    )
