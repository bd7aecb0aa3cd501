"""Wilson intervals against Newcombe's published table, quartiles, and small-cell suppression."""

from __future__ import annotations

import pytest

from lss_pathway.clinical.outcomes.stats import rate_is_suppressed, summarise, suppress_count, wilson


# Newcombe RG. Stat Med 1998;17:857-872, Table I, method 3 (Wilson score interval without correction).
@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_wilson_matches_newcombe(x: int, n: int, low: float, high: float) -> None:
    found = wilson(x, n)
    assert found.low == pytest.approx(low, abs=5e-5)
    assert found.high == pytest.approx(high, abs=5e-5)
    assert found.rate == pytest.approx(x / n)


def test_wilson_of_nobody_is_undefined_and_bad_counts_are_refused() -> None:
    assert wilson(0, 0).rate is None and wilson(0, 0).low is None
    with pytest.raises(ValueError):
        wilson(3, 2)


def test_quartiles_interpolate_like_numpy() -> None:
    s = summarise([1, 2, 3, 4])
    assert (s.n, s.q1, s.median, s.q3) == (4, 1.75, 2.5, 3.25)  # numpy.percentile(..., [25, 50, 75])
    assert summarise([]).median is None and summarise([7]).q3 == 7


def test_small_cells_and_their_complements_are_withheld() -> None:
    assert suppress_count(0, 10) == 0 and suppress_count(9, 10) is None and suppress_count(10, 10) == 10
    assert rate_is_suppressed(5, 40, 10)  # few responders
    assert rate_is_suppressed(35, 40, 10)  # few non-responders give the responders away
    assert rate_is_suppressed(0, 9, 10)  # denominator too small
    assert not rate_is_suppressed(0, 40, 10) and not rate_is_suppressed(20, 40, 10)
