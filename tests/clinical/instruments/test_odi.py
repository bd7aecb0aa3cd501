"""ODI v2.1a: the published vectors (digest section 8), bands, missing-section policy and input errors.

Expected values are hand arithmetic: ODI % = sum / (5 x answered) x 100, to 1 decimal.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lss_pathway.clinical.instruments.odi import ODI_SECTIONS, score_odi
from lss_pathway.clinical.instruments.outcome_data import outcomes_data
from lss_pathway.domain.parsing import InputError

IDS = [
    "pain_intensity",
    "personal_care",
    "lifting",
    "walking",
    "sitting",
    "standing",
    "sleeping",
    "sex_life",
    "social_life",
    "travelling",
]

# 3+2+2+1+2+1+2+0+2+1 = 16
SUM_16: dict[str, Any] = {
    "pain_intensity": 3,
    "personal_care": 2,
    "lifting": 2,
    "walking": 1,
    "sitting": 2,
    "standing": 1,
    "sleeping": 2,
    "sex_life": 0,
    "social_life": 2,
    "travelling": 1,
}


def with_sum(total: int) -> dict[str, Any]:
    """Ten answered sections summing to ``total``, filled 5 at a time."""
    out: dict[str, Any] = {}
    left = total
    for sid in IDS:
        out[sid] = min(5, left)
        left -= out[sid]
    assert left == 0
    return out


def errors_of(exc: pytest.ExceptionInfo[InputError]) -> dict[str, str]:
    return {e.field: e.message for e in exc.value.errors}


# --- structure ------------------------------------------------------------------------------------------


def test_sections_are_the_ten_v21a_ids_in_order_with_short_labels() -> None:
    assert [sid for sid, _ in ODI_SECTIONS] == IDS
    for _, label in ODI_SECTIONS:
        assert 1 <= len(label.split()) <= 5


def test_every_number_in_the_odi_data_has_a_source_and_verification_tag() -> None:
    odi = outcomes_data()["odi"]
    sources = outcomes_data()["sources"]
    for block in ("scale", "scoring", "two_ticks", "missing_policy", "bands"):
        assert odi[block]["source"] in sources
        assert odi[block]["verification"] in {"V", "S", "U"}
    assert odi["missing_policy"]["verification"] == "U"
    assert odi["missing_policy"]["max_missing_default"] == 2
    assert odi["bands"]["verification"] == "V"
    assert odi["two_ticks"]["verification"] == "V"
    for source in sources.values():
        assert source["citation"] and source["url"].startswith("http")


# --- published vectors ----------------------------------------------------------------------------------


def test_ten_sections_summing_16_score_32() -> None:
    result = score_odi(SUM_16)
    assert result.value == 32.0
    assert result.unit == "%"
    assert (result.answered, result.expected) == (10, 10)
    assert result.interpretation == "moderate disability"
    assert result.instrument == "odi"


@pytest.mark.parametrize("how", ["null", "absent"])
def test_one_section_missing_sum_16_over_9_scores_35_6(how: str) -> None:
    answers = dict(SUM_16)
    if how == "null":
        answers["sex_life"] = None
    else:
        del answers["sex_life"]
    result = score_odi(answers)
    assert result.value == 35.6  # 16/45 x 100 = 35.555...
    assert (result.answered, result.expected) == (9, 10)
    assert result.components["sex_life"] is None
    assert any("sex_life" in note and "missing" in note for note in result.notes)


def test_two_ticks_take_the_higher_and_say_so() -> None:
    answers = dict(SUM_16, walking=[1, 4])  # 16 - 1 + 4 = 19 -> 38.0
    result = score_odi(answers)
    assert result.value == 38.0
    assert result.components["walking"] == 4
    assert any("walking" in n and "two boxes" in n for n in result.notes)


def test_two_ticks_order_does_not_matter() -> None:
    assert score_odi(dict(SUM_16, walking=[4, 1])).value == 38.0
    assert score_odi(dict(SUM_16, walking=(4, 1))).value == 38.0


def test_more_missing_than_allowed_gives_no_score_and_says_why() -> None:
    answers = dict(SUM_16, sex_life=None, walking=None, standing=None)
    result = score_odi(answers)
    assert result.value is None
    assert result.interpretation is None
    assert result.answered == 7
    note = " ".join(result.notes)
    assert "not scored" in note and "3" in note and "2" in note


def test_the_missing_policy_is_configurable() -> None:
    answers = dict(SUM_16, sex_life=None, walking=None, standing=None)
    # 16 - 0 - 1 - 1 = 14 over 7 sections: 14/35 x 100 = 40.0, the top of "moderate"
    result = score_odi(answers, max_missing=3)
    assert result.value == 40.0
    assert result.interpretation == "moderate disability"
    assert score_odi(dict(SUM_16, sex_life=None), max_missing=0).value is None


def test_exactly_the_default_maximum_missing_is_still_scored() -> None:
    # two missing (sex_life 0, walking 1): 15 over 8 sections = 15/40 x 100 = 37.5
    assert score_odi(dict(SUM_16, sex_life=None, walking=None)).value == 37.5


def test_all_sections_missing_is_never_scored() -> None:
    assert score_odi({}, max_missing=9).value is None


# --- bands ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "value", "band"),
    [
        (0, 0.0, "minimal disability"),
        (10, 20.0, "minimal disability"),
        (11, 22.0, "moderate disability"),
        (20, 40.0, "moderate disability"),
        (21, 42.0, "severe disability"),
        (30, 60.0, "severe disability"),
        (31, 62.0, "crippled"),
        (40, 80.0, "crippled"),
        (41, 82.0, "bed-bound or exaggerating"),
        (50, 100.0, "bed-bound or exaggerating"),
    ],
)
def test_band_edges(total: int, value: float, band: str) -> None:
    result = score_odi(with_sum(total))
    assert result.value == value
    assert result.interpretation == band


def test_a_fractional_score_just_above_an_edge_takes_the_higher_band() -> None:
    # 9 answered sections summing 10: 10/45 x 100 = 22.2 -> moderate
    answers = with_sum(10)
    answers["travelling"] = None  # with_sum(10) fills the first two sections only
    result = score_odi(answers)
    assert result.value == 22.2
    assert result.interpretation == "moderate disability"


# --- errors ---------------------------------------------------------------------------------------------


def test_section_answered_6_is_an_error_naming_the_section() -> None:
    with pytest.raises(InputError) as exc:
        score_odi(dict(SUM_16, walking=6))
    errors = errors_of(exc)
    assert list(errors) == ["answers.walking"]
    assert "0-5" in errors["answers.walking"] and "got 6" in errors["answers.walking"]


def test_every_problem_is_collected() -> None:
    answers = dict(
        SUM_16,
        walking=6,
        sitting=-1,
        lifting="3",
        standing=2.5,
        sleeping=True,
        travelling=[3, 3],
        social_life=[1, 2, 3],
        personal_care=[2, 7],
    )
    answers["walkng"] = 2
    with pytest.raises(InputError) as exc:
        score_odi(answers)
    errors = errors_of(exc)
    assert set(errors) == {
        "answers.walking",
        "answers.sitting",
        "answers.lifting",
        "answers.standing",
        "answers.sleeping",
        "answers.travelling",
        "answers.social_life",
        "answers.personal_care",
        "answers.walkng",
    }
    assert "Did you mean 'walking'?" in errors["answers.walkng"]


def test_answers_must_be_a_mapping() -> None:
    with pytest.raises(InputError):
        score_odi([1, 2, 3])  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-1, 10, True, 2.0])
def test_max_missing_must_be_a_sensible_whole_number(bad: Any) -> None:
    with pytest.raises(InputError) as exc:
        score_odi(SUM_16, max_missing=bad)
    assert "max_missing" in errors_of(exc)


# --- properties -----------------------------------------------------------------------------------------

answer = st.one_of(
    st.none(),
    st.integers(0, 5),
    st.lists(st.integers(0, 5), min_size=2, max_size=2, unique=True),
)


@given(st.fixed_dictionaries({sid: answer for sid in IDS}), st.integers(0, 9))
def test_score_in_range_and_never_from_too_few_sections(answers: dict[str, Any], max_missing: int) -> None:
    result = score_odi(answers, max_missing=max_missing)
    scored = [max(a) if isinstance(a, list) else a for a in answers.values() if a is not None]
    missing = 10 - len(scored)
    assert result.answered == len(scored)
    if missing > max_missing:
        assert result.value is None
        assert result.interpretation is None
    else:
        assert result.value is not None
        assert 0.0 <= result.value <= 100.0
        assert abs(result.value - sum(scored) * 100 / (5 * len(scored))) <= 0.05
        assert result.interpretation is not None
