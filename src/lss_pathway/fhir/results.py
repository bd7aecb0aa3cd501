"""What a mapping gives back: the record, and every input it could not use."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from lss_pathway.domain.record import PatientRecord


@dataclass(frozen=True)
class IgnoredInput:
    """A resource, or part of one, that the mapping did not use, and why."""

    resource_type: str
    resource_id: str | None
    path: str
    reason: str
    code: str | None = None
    system: str | None = None
    bears_on: str | None = None
    """What the unused input matters for (antithrombotics, prior spine procedures, diagnosis ...): such
    inputs are shown with the assessment and on the cards, not only listed."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MappingResult:
    record: PatientRecord
    ignored: tuple[IgnoredInput, ...]

    @property
    def relevant_ignored(self) -> tuple[IgnoredInput, ...]:
        """The ignored inputs that bear on a criterion (shown to the clinician, not only listed)."""
        return tuple(item for item in self.ignored if item.bears_on is not None)
