"""Kleene's strong three-valued logic, stated as literal truth tables."""

from __future__ import annotations

import pytest

from lss_pathway.criteria.logic import Tri, all_of, any_of

M, N, U = Tri.MET, Tri.NOT_MET, Tri.UNKNOWN

AND_TABLE = [
    (M, M, M),
    (M, N, N),
    (M, U, U),
    (N, M, N),
    (N, N, N),
    (N, U, N),
    (U, M, U),
    (U, N, N),
    (U, U, U),
]

OR_TABLE = [
    (M, M, M),
    (M, N, M),
    (M, U, M),
    (N, M, M),
    (N, N, N),
    (N, U, U),
    (U, M, M),
    (U, N, U),
    (U, U, U),
]

NOT_TABLE = [(M, N), (N, M), (U, U)]


@pytest.mark.parametrize(("a", "b", "expected"), AND_TABLE)
def test_all_of_truth_table(a: Tri, b: Tri, expected: Tri) -> None:
    assert all_of([a, b]) is expected


@pytest.mark.parametrize(("a", "b", "expected"), OR_TABLE)
def test_any_of_truth_table(a: Tri, b: Tri, expected: Tri) -> None:
    assert any_of([a, b]) is expected


@pytest.mark.parametrize(("a", "expected"), NOT_TABLE)
def test_invert_truth_table(a: Tri, expected: Tri) -> None:
    assert ~a is expected


def test_empty_all_of_is_met() -> None:
    assert all_of([]) is Tri.MET


def test_empty_any_of_is_not_met() -> None:
    assert any_of([]) is Tri.NOT_MET


def test_all_of_and_any_of_accept_generators() -> None:
    assert all_of(v for v in (M, U, N)) is N
    assert any_of(v for v in (N, U, M)) is M


def test_unknown_never_makes_a_conjunction_met() -> None:
    for others in ([], [M], [M, M]):
        assert all_of([*others, U]) is not Tri.MET


@pytest.mark.parametrize(("value", "expected"), [(True, M), (False, N), (None, U)])
def test_of_maps_booleans_and_none(value: bool | None, expected: Tri) -> None:
    assert Tri.of(value) is expected


def test_de_morgan_holds_for_every_pair() -> None:
    for a in Tri:
        for b in Tri:
            assert ~all_of([a, b]) is any_of([~a, ~b])
            assert ~any_of([a, b]) is all_of([~a, ~b])
