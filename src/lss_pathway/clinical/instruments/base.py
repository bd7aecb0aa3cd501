"""What every instrument shares: citations, answer validation errors, and a common result shape."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lss_pathway.domain.parsing import FieldError, InputError


@dataclass(frozen=True, slots=True)
class Citation:
    citation: str
    url: str
    verification: str  # V verified, P partly, S secondary, R/U unverified

    def to_dict(self) -> dict[str, str]:
        return {"citation": self.citation, "url": self.url, "verification": self.verification}


@dataclass(frozen=True, slots=True)
class Threshold:
    """A number that changes a conclusion (a cut-off, an MIC), with where it comes from."""

    value: float
    source: Citation
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """A scored instrument: the value (None when too few answers), the scale, and how it was reached."""

    instrument: str
    value: float | None
    unit: str
    answered: int
    expected: int
    interpretation: str | None = None
    notes: tuple[str, ...] = ()
    components: Mapping[str, float | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "instrument": self.instrument,
            "value": self.value,
            "unit": self.unit,
            "answered": self.answered,
            "expected": self.expected,
            "interpretation": self.interpretation,
            "notes": list(self.notes),
        }
        if self.components:
            out["components"] = dict(self.components)
        return out


def require_mapping(data: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise InputError(
            [FieldError(where, f"expected a mapping of item id to answer, got {type(data).__name__}")]
        )
    return data


def unknown_items(answers: Mapping[str, Any], known: list[str], where: str) -> list[FieldError]:
    """Unknown item ids, each with a 'did you mean' hint, so a typo is never a silently missing answer."""
    import difflib

    errors = []
    for key in answers:
        if key not in known:
            hint = difflib.get_close_matches(str(key), known, n=1)
            suffix = f" Did you mean '{hint[0]}'?" if hint else ""
            errors.append(FieldError(f"{where}.{key}", f"unknown item.{suffix} Items: {', '.join(known)}"))
    return errors
