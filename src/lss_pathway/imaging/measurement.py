"""The typed measurement report: every value with its interval, method, geometry and source, or a reason.

Plain dataclasses (no numpy) so that the report can be printed, serialised and merged into a record
without the imaging libraries.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lss_pathway.domain.anatomy import Level


@dataclass(frozen=True)
class Measured:
    """One measured quantity; ``value`` is None (unknown) exactly when ``reason`` says why."""

    quantity: str
    unit: str
    value: float | None
    low: float | None = None
    high: float | None = None
    method: str = ""
    tilt_deg: float | None = None
    voxel_mm: tuple[float, float, float] | None = None
    reason: str | None = None
    proxy: bool = False  # a stand-in for another quantity; never written into a record fact

    @property
    def known(self) -> bool:
        return self.value is not None

    def interval_text(self) -> str:
        if self.value is None or self.low is None or self.high is None:
            return "unknown"
        return f"{self.value:.1f} [{self.low:.1f}, {self.high:.1f}] {self.unit}"


def unknown(quantity: str, unit: str, reason: str, method: str = "", **extra: Any) -> Measured:
    return Measured(quantity, unit, None, method=method, reason=reason, **extra)


@dataclass(frozen=True)
class SideMeasurement:
    side: str
    lf_thickness: Measured
    proxy_gap: Measured | None = None


@dataclass(frozen=True)
class LevelMeasurement:
    name: str  # "L4-L5"; a transitional or non-lumbar name such as "L5-L6" or "C5-C6" is kept as is
    level: Level | None  # the record level, when the name is one
    basis: str  # how the level was found, e.g. "disc label 104 between L4 and L5"
    half_height_mm: float | None
    canal_area_midplane: Measured
    canal_area_min: Measured
    ap_diameter: Measured
    sides: tuple[SideMeasurement, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class StudyMeasurement:
    source: str
    profile: str
    shape: tuple[int, int, int]
    voxel_mm: tuple[float, float, float]
    method: str
    levels: tuple[LevelMeasurement, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def level(self, name: str) -> LevelMeasurement | None:
        return next((m for m in self.levels if m.name == name), None)
