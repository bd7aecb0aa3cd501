"""The packaged outcome-instrument data (ODI, ZCQ, NPRS, responder definitions) and shared arithmetic."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cache
from typing import Any

from lss_pathway.clinical.instruments.base import Citation
from lss_pathway.domain.packaged import packaged_yaml

OUTCOMES_VERSION = "1.0.0"


@cache
def outcomes_data() -> dict[str, Any]:
    """The packaged outcome-instrument data: scales, missing-item rules, bands and responder thresholds."""
    data: dict[str, Any] = packaged_yaml("lss_pathway.clinical", f"data/outcomes-{OUTCOMES_VERSION}.yaml")
    return data


def outcome_citation(source_id: str, verification: str) -> Citation:
    src = outcomes_data()["sources"][source_id]
    return Citation(str(src["citation"]), str(src["url"]), verification)


def round_half_up(value: Fraction, decimals: int) -> float:
    """Round an exact fraction with halves away from zero (as Stata and hand scoring do), not to even."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return float(exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))
