"""ZCQ: the published vectors (digest sections 6.2 and 8), missing-item rules, satisfaction and errors.

Expected values are hand arithmetic: subscale = mean of answered items (3 decimals); percent =
round(mean / max x 100) with halves rounded up.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lss_pathway.clinical.instruments.outcome_data import outcomes_data
from lss_pathway.clinical.instruments.zcq import ZCQ_ITEMS, score_zcq
from lss_pathway.domain.parsing import InputError

SS_IDS = [f"ss{i}" for i in range(1, 8)]
PF_IDS = [f"pf{i}" for i in range(1, 6)]
SAT_IDS = [f"sat{i}" for i in range(1, 7)]


def items(ids: list[str], values: list[int | None]) -> dict[str, Any]:
    return dict(zip(ids, values, strict=True))


SS = items(SS_IDS, [3, 2, 3, 4, 2, 2, 3])  # 19/7 = 2.714; 2.714/5 x 100 = 54.3 -> 54
PF = items(PF_IDS, [2, 2, 1, 1, 1])  # 7/5 = 1.40; 1.4/4 x 100 = 35


def errors_of(exc: pytest.ExceptionInfo[InputError]) -> dict[str, str]:
    return {e.field: e.message for e in exc.value.errors}


def test_item_ids_and_short_labels() -> None:
    assert [i.id for i in ZCQ_ITEMS] == SS_IDS + PF_IDS + SAT_IDS
    for item in ZCQ_ITEMS:
        assert 1 <= len(item.label.split()) <= 5
    balance = next(i for i in ZCQ_ITEMS if i.id == "ss7")
    assert balance.allowed == (1, 3, 5)


def test_data_tags() -> None:
    zcq = outcomes_data()["zcq"]
    for name, allowed_missing in (("symptom_severity", 2), ("physical_function", 1), ("satisfaction", 1)):
        assert zcq["subscales"][name]["max_missing"] == allowed_missing
        assert zcq["subscales"][name]["verification"] == "V"
    assert zcq["satisfied_at_most"]["value"] == 2.5
    assert zcq["satisfied_at_most"]["verification"] == "V"
    assert zcq["percent"]["verification"] == "V"


# --- published vectors ----------------------------------------------------------------------------------


def test_symptom_severity_vector() -> None:
    result = score_zcq(SS | PF)
    assert result.value == 2.714
    assert result.components["symptom_severity"] == 2.714
    assert result.components["symptom_severity_percent"] == 54


def test_physical_function_vector() -> None:
    result = score_zcq(SS | PF)
    assert result.components["physical_function"] == 1.40
    assert result.components["physical_function_percent"] == 35


def test_without_satisfaction_it_is_not_administered_not_an_error() -> None:
    result = score_zcq(SS | PF)
    assert result.components["satisfaction"] is None
    assert result.components["satisfaction_percent"] is None
    assert result.interpretation is None
    assert (result.answered, result.expected) == (12, 12)
    assert any("not administered" in n for n in result.notes)


def test_symptom_severity_with_3_missing_is_missing() -> None:
    result = score_zcq(items(SS_IDS, [3, 2, 3, 4, None, None, None]) | PF)
    assert result.components["symptom_severity"] is None
    assert result.value is None
    assert any("symptom_severity not scored" in n for n in result.notes)
    assert result.components["physical_function"] == 1.40


def test_symptom_severity_with_2_missing_uses_the_answered_items() -> None:
    # 3+2+3+4+2 = 14 over 5 = 2.8; 2.8/5 x 100 = 56
    result = score_zcq(items(SS_IDS, [3, 2, 3, 4, 2, None, None]))
    assert result.value == 2.8
    assert result.components["symptom_severity_percent"] == 56


def test_physical_function_with_2_missing_is_missing() -> None:
    result = score_zcq(SS | items(PF_IDS, [2, 2, 1, None, None]))
    assert result.components["physical_function"] is None
    assert result.components["physical_function_percent"] is None
    assert result.value == 2.714


def test_physical_function_with_1_missing_and_a_half_percent_rounds_up() -> None:
    # 2+2+1+1 = 6 over 4 = 1.5; 1.5/4 x 100 = 37.5 -> 38 (AO/Stata rounding, not round-half-even)
    result = score_zcq(SS | items(PF_IDS, [2, 2, 1, 1, None]))
    assert result.components["physical_function"] == 1.5
    assert result.components["physical_function_percent"] == 38


@pytest.mark.parametrize(
    ("values", "mean", "percent", "reading"),
    [
        ([2, 2, 3, 2, 3, 2], 2.333, 58, "satisfied"),  # 14/6; 2.333/4 x 100 = 58.3
        ([3, 3, 2, 2, 3, 2], 2.5, 63, "satisfied"),  # 15/6, exactly the cut-off; 62.5 -> 63
        ([3, 3, 3, 2, 2, 3], 2.667, 67, "not satisfied"),  # 16/6; 66.7 -> 67
        ([1, 1, 1, 1, 1, None], 1.0, 25, "satisfied"),  # one missing allowed
    ],
)
def test_satisfaction(values: list[int | None], mean: float, percent: int, reading: str) -> None:
    result = score_zcq(SS | PF | items(SAT_IDS, values))
    assert result.components["satisfaction"] == mean
    assert result.components["satisfaction_percent"] == percent
    assert result.interpretation == reading
    assert result.expected == 18


def test_satisfaction_with_2_missing_is_missing() -> None:
    result = score_zcq(SS | PF | items(SAT_IDS, [1, 1, 1, 1, None, None]))
    assert result.components["satisfaction"] is None
    assert result.interpretation is None
    assert any("satisfaction not scored" in n for n in result.notes)


# --- errors ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [2, 4])
def test_balance_2_or_4_is_rejected(bad: int) -> None:
    with pytest.raises(InputError) as exc:
        score_zcq(SS | {"ss7": bad})
    errors = errors_of(exc)
    assert list(errors) == ["answers.ss7"]
    assert "1, 3 or 5" in errors["answers.ss7"]
    assert f"got {bad}" in errors["answers.ss7"]


@pytest.mark.parametrize("ok", [1, 3, 5])
def test_balance_1_3_5_accepted(ok: int) -> None:
    assert score_zcq(SS | {"ss7": ok}).value is not None


def test_out_of_range_and_wrong_types_all_collected() -> None:
    answers = SS | PF | {"ss1": 6, "ss2": 0, "pf1": 5, "pf2": 2.0, "pf3": "1", "sat1": 0, "sat2": True}
    answers["ss8"] = 3
    with pytest.raises(InputError) as exc:
        score_zcq(answers)
    errors = errors_of(exc)
    assert set(errors) == {
        "answers.ss1",
        "answers.ss2",
        "answers.pf1",
        "answers.pf2",
        "answers.pf3",
        "answers.sat1",
        "answers.sat2",
        "answers.ss8",
    }
    assert "1-5" in errors["answers.ss1"] and "got 6" in errors["answers.ss1"]
    assert "1-4" in errors["answers.pf1"]
    assert "Did you mean" in errors["answers.ss8"]


# --- properties -----------------------------------------------------------------------------------------


def subscale(ids: list[str], codes: list[int]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({i: st.one_of(st.none(), st.sampled_from(codes)) for i in ids})


SS_STRATEGY = st.fixed_dictionaries(
    {i: st.one_of(st.none(), st.integers(1, 5)) for i in SS_IDS[:6]}
    | {"ss7": st.one_of(st.none(), st.sampled_from([1, 3, 5]))}
)


@given(SS_STRATEGY, subscale(PF_IDS, [1, 2, 3, 4]), subscale(SAT_IDS, [1, 2, 3, 4]))
def test_subscales_in_range_and_never_from_too_few_items(
    ss: dict[str, Any], pf: dict[str, Any], sat: dict[str, Any]
) -> None:
    result = score_zcq(ss | pf | sat)
    for name, answers, high, allowed_missing in (
        ("symptom_severity", ss, 5, 2),
        ("physical_function", pf, 4, 1),
        ("satisfaction", sat, 4, 1),
    ):
        missing = sum(1 for v in answers.values() if v is None)
        mean = result.components[name]
        if missing > allowed_missing:
            assert mean is None
        else:
            assert mean is not None
            assert 1.0 <= mean <= high
            given_values = [v for v in answers.values() if v is not None]
            assert abs(mean - sum(given_values) / len(given_values)) <= 0.0005
            percent = result.components[f"{name}_percent"]
            assert percent is not None and 100 / high - 1 <= percent <= 100
    assert result.value == result.components["symptom_severity"]
