"""Small statistics the registry needs, dependency-free: Wilson intervals, quartiles, suppression."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal


@dataclass(frozen=True, slots=True)
class Proportion:
    """``successes`` of ``n`` with a Wilson score interval (None when n is 0)."""

    successes: int
    n: int
    rate: float | None
    low: float | None
    high: float | None


def wilson(successes: int, n: int, z: float = Z95) -> Proportion:
    """Wilson score interval: unlike the Wald interval it stays in [0, 1] and behaves at 0 and n."""
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got {successes} of {n}")
    if n == 0:
        return Proportion(successes, n, None, None, None)
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return Proportion(successes, n, p, max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True, slots=True)
class Summary:
    """Median and interquartile range (linear interpolation between order statistics, numpy's default)."""

    n: int
    median: float | None
    q1: float | None
    q3: float | None


def summarise(values: Sequence[float]) -> Summary:
    data = sorted(values)
    if not data:
        return Summary(0, None, None, None)
    if len(data) == 1:
        return Summary(1, data[0], data[0], data[0])
    q1, median, q3 = statistics.quantiles(data, n=4, method="inclusive")
    return Summary(len(data), median, q1, q3)


def is_small(count: int, floor: int) -> bool:
    """A count that could identify someone: at least one but fewer than ``floor`` (zero is not suppressed)."""
    return 0 < count < floor


def suppress_count(count: int, floor: int) -> int | None:
    return None if is_small(count, floor) else count


def rate_is_suppressed(successes: int, n: int, floor: int) -> bool:
    """A rate is withheld when its denominator, numerator or complement is a small cell.

    The complement counts too: a shown denominator and a shown non-responder count would give the
    responders away.
    """
    return n < floor or is_small(successes, floor) or is_small(n - successes, floor)
