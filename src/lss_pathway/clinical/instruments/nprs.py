"""Numeric Pain Rating Scale: one whole number, 0 (no pain) to 10 (worst possible pain). Public domain."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lss_pathway.clinical.instruments.base import ScoreResult, require_mapping, unknown_items
from lss_pathway.clinical.instruments.outcome_data import outcomes_data
from lss_pathway.domain.parsing import FieldError, InputError


def _spec() -> dict[str, Any]:
    spec: dict[str, Any] = outcomes_data()["nprs"]
    return spec


NPRS_ITEM: tuple[str, str] = (_spec()["item"]["id"], _spec()["item"]["label"])


def score_nprs(answers: Mapping[str, Any]) -> ScoreResult:
    """Score the NPRS from ``{"nprs": 7}``; value is None (with a note) when the item is unanswered."""
    spec = _spec()
    item_id = NPRS_ITEM[0]
    low, high = int(spec["scale"]["min"]), int(spec["scale"]["max"])
    data = require_mapping(answers, "answers")
    errors = unknown_items(data, [item_id], "answers")
    value = data.get(item_id)
    if value is not None and not (
        isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    ):
        errors.append(
            FieldError(
                f"answers.{item_id}",
                f"must be a whole number {low}-{high}, or null if not answered (got {value!r})",
            )
        )
    if errors:
        raise InputError(errors)
    if value is None:
        return ScoreResult("nprs", None, f"{low}-{high}", 0, 1, None, ("not scored: nprs not answered",))
    return ScoreResult("nprs", float(value), f"{low}-{high}", 1, 1, None, ())
