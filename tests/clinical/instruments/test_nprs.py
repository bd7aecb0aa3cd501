"""NPRS: one whole number 0-10."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lss_pathway.clinical.instruments.nprs import score_nprs
from lss_pathway.domain.parsing import InputError


def test_score_is_the_answer() -> None:
    result = score_nprs({"nprs": 7})
    assert result.value == 7
    assert (result.answered, result.expected) == (1, 1)
    assert result.instrument == "nprs"


@pytest.mark.parametrize("edge", [0, 10])
def test_scale_ends_accepted(edge: int) -> None:
    assert score_nprs({"nprs": edge}).value == edge


@pytest.mark.parametrize("bad", [11, -1, 7.5, 7.0, True, "7", [7]])
def test_invalid_answers_rejected(bad: Any) -> None:
    with pytest.raises(InputError) as exc:
        score_nprs({"nprs": bad})
    [error] = exc.value.errors
    assert error.field == "answers.nprs"
    assert "0-10" in error.message


@pytest.mark.parametrize("answers", [{}, {"nprs": None}])
def test_unanswered_gives_no_score_with_a_note(answers: dict[str, Any]) -> None:
    result = score_nprs(answers)
    assert result.value is None
    assert result.answered == 0
    assert result.notes


def test_unknown_item_is_an_error_not_a_missing_answer() -> None:
    with pytest.raises(InputError) as exc:
        score_nprs({"nprs_": 7})
    [error] = exc.value.errors
    assert error.field == "answers.nprs_"
    assert "Did you mean 'nprs'?" in error.message


@given(st.integers(0, 10))
def test_in_range(n: int) -> None:
    result = score_nprs({"nprs": n})
    assert result.value is not None and 0 <= result.value <= 10
    assert result.value == n


@given(st.integers().filter(lambda n: not 0 <= n <= 10))
def test_out_of_range_always_rejected(n: int) -> None:
    with pytest.raises(InputError):
        score_nprs({"nprs": n})
