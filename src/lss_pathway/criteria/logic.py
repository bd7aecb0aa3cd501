"""Kleene's strong three-valued logic: an unknown can never make a conjunction true."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Tri(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"

    def __invert__(self) -> Tri:
        if self is Tri.MET:
            return Tri.NOT_MET
        if self is Tri.NOT_MET:
            return Tri.MET
        return Tri.UNKNOWN

    @staticmethod
    def of(value: bool | None) -> Tri:
        if value is None:
            return Tri.UNKNOWN
        return Tri.MET if value else Tri.NOT_MET


def all_of(values: Iterable[Tri]) -> Tri:
    """False dominates, then unknown: ``NOT_MET and UNKNOWN`` is ``NOT_MET``."""
    result = Tri.MET
    for value in values:
        if value is Tri.NOT_MET:
            return Tri.NOT_MET
        if value is Tri.UNKNOWN:
            result = Tri.UNKNOWN
    return result


def any_of(values: Iterable[Tri]) -> Tri:
    """True dominates, then unknown: ``MET or UNKNOWN`` is ``MET``."""
    result = Tri.NOT_MET
    for value in values:
        if value is Tri.MET:
            return Tri.MET
        if value is Tri.UNKNOWN:
            result = Tri.UNKNOWN
    return result
