"""Oswestry Disability Index v2.1a (Fairbank & Pynsent 2000): ten sections, each answered 0-5.

ODI % = sum / (5 x sections answered) x 100. A missing or not-applicable section (sex life is often left
blank) reduces the denominator; two boxes ticked in one section count as the higher. How many missing
sections are too many is not published: the default (at most 2) is a convention and is configurable.

This module also owns the loader of the packaged outcome data shared by the ZCQ, NPRS and responder modules.
No item wording is stored: sections are ids with short paraphrased topic labels, answers are 0-5 codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from lss_pathway.clinical.instruments.base import ScoreResult, require_mapping, unknown_items
from lss_pathway.clinical.instruments.outcome_data import outcomes_data, round_half_up
from lss_pathway.domain.parsing import FieldError, InputError


def _spec() -> dict[str, Any]:
    spec: dict[str, Any] = outcomes_data()["odi"]
    return spec


ODI_SECTIONS: list[tuple[str, str]] = [(s["id"], s["label"]) for s in _spec()["sections"]]
ODI_SECTION_IDS: list[str] = [sid for sid, _ in ODI_SECTIONS]


def default_max_missing() -> int:
    return int(_spec()["missing_policy"]["max_missing_default"])


def odi_band(value: float) -> str:
    """The Fairbank band: each band runs above the previous upper edge up to and including its own."""
    for level in _spec()["bands"]["levels"]:
        if value <= level["upper"]:
            return str(level["name"])
    raise ValueError(f"ODI must be 0-100, got {value}")


def _is_code(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _section_score(
    key: str, value: Any, low: int, high: int, errors: list[FieldError], notes: list[str]
) -> int | None:
    if value is None:
        return None
    if _is_code(value, low, high):
        return int(value)
    if isinstance(value, list | tuple) and len(value) == 2 and all(_is_code(v, low, high) for v in value):
        first, second = int(value[0]), int(value[1])
        if first == second:
            errors.append(
                FieldError(
                    f"answers.{key}", f"two ticked boxes must be two different scores (got {list(value)})"
                )
            )
            return None
        higher = max(first, second)
        notes.append(f"{key}: two boxes ticked ({first} and {second}); the higher, {higher}, is scored")
        return higher
    errors.append(
        FieldError(
            f"answers.{key}",
            f"must be a whole number {low}-{high}, a list of the two ticked scores, or null if not answered"
            f" (got {value!r})",
        )
    )
    return None


def score_odi(answers: Mapping[str, Any], *, max_missing: int | None = None) -> ScoreResult:
    """Score ODI v2.1a; value is None when more than ``max_missing`` sections are missing."""
    spec = _spec()
    data = require_mapping(answers, "answers")
    allowed_missing = default_max_missing() if max_missing is None else max_missing
    errors = unknown_items(data, ODI_SECTION_IDS, "answers")
    total = len(ODI_SECTION_IDS)
    if (
        not isinstance(allowed_missing, int)
        or isinstance(allowed_missing, bool)
        or not 0 <= allowed_missing < total
    ):
        errors.append(
            FieldError("max_missing", f"must be a whole number 0-{total - 1} (got {allowed_missing!r})")
        )
    low, high = int(spec["scale"]["min"]), int(spec["scale"]["max"])
    notes: list[str] = [f"ODI version {spec['version']}"]
    scores: dict[str, int | None] = {}
    for key in ODI_SECTION_IDS:
        scores[key] = _section_score(key, data.get(key), low, high, errors, notes)
    if errors:
        raise InputError(errors)

    answered = [s for s in scores.values() if s is not None]
    missing = [k for k, s in scores.items() if s is None]
    components: dict[str, float | None] = {k: None if s is None else float(s) for k, s in scores.items()}
    policy = spec["missing_policy"]
    policy_tag = f"[{policy['verification']}] common practice, no published maximum"
    if len(missing) > allowed_missing:
        notes.append(
            f"not scored: {len(missing)} of {total} sections missing ({', '.join(missing)}); at most"
            f" {allowed_missing} allowed ({policy_tag})"
        )
        return ScoreResult("odi", None, "%", len(answered), total, None, tuple(notes), components)
    if missing:
        notes.append(
            f"{len(missing)} section(s) missing ({', '.join(missing)}): denominator {high * len(answered)}"
            f" instead of {high * total} (at most {allowed_missing} allowed, {policy_tag})"
        )
        if "sex_life" in missing:
            notes.append("sex_life unanswered: treated as missing (it may be not applicable)")
    raw = sum(answered)
    value = round_half_up(Fraction(raw * 100, high * len(answered)), int(spec["scoring"]["decimals"]))
    notes.append(f"{raw}/{high * len(answered)} x 100 = {value}")
    return ScoreResult("odi", value, "%", len(answered), total, odi_band(value), tuple(notes), components)
