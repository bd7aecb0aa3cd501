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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MappingResult:
    record: PatientRecord
    ignored: tuple[IgnoredInput, ...]
