"""Disc levels along the canal: mid-planes from disc labels (or between vertebra pairs), named by vertebrae.

A level is named from the vertebrae found above and below it in the image (``L4`` + ``L5`` = ``L4-L5``).
Transitional anatomy (an L6 or T13 label, or a lumbar count other than five) is reported and the names
are kept as the labels give them: a level is never renumbered to fit L1-L2..L5-S1, and one that is not a
record level (``L5-L6``, ``C5-C6``) is measured but not written into a record.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lss_pathway.domain.anatomy import LEVELS, Level
from lss_pathway.imaging.centreline import Centreline
from lss_pathway.imaging.profiles import LabelProfile
from lss_pathway.imaging.volume import Study

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

_MAX_POINTS = 4000  # voxels sampled per structure when locating it (plenty for a centroid)
_SUCCESSOR = {"T11": "T12", "T12": "L1", "L1": "L2", "L2": "L3", "L3": "L4", "L4": "L5", "L5": "S1"}
_MIN_VOXELS = 10


@dataclass(frozen=True)
class LevelPlane:
    name: str
    level: Level | None
    s: float  # arc length of the mid-plane on the centreline
    half_height_mm: float
    basis: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Extent:
    s: float  # centroid position
    low: float  # 5th percentile of positions
    high: float  # 95th percentile


def _extent(study: Study, line: Centreline, mask: npt.NDArray[np.bool_]) -> _Extent | None:
    import numpy as np

    ijk = np.argwhere(mask)
    if len(ijk) < _MIN_VOXELS:
        return None
    sample = ijk[:: max(1, len(ijk) // _MAX_POINTS)].astype(np.float64)
    s = line.project(study.world(sample))
    return _Extent(float(np.mean(s)), float(np.percentile(s, 5)), float(np.percentile(s, 95)))


def level_of(name: str) -> Level | None:
    return next((lv for lv in LEVELS if lv.value == name), None)


def _vertebrae(study: Study, line: Centreline, profile: LabelProfile) -> list[tuple[str | None, _Extent]]:
    import numpy as np

    found = []
    for label, name in profile.vertebra_labels().items():
        if not np.any(study.vertebrae == label):
            continue
        extent = _extent(study, line, study.vertebrae == label)
        if extent is not None:
            found.append((name, extent))
    return sorted(found, key=lambda item: item[1].s)


def _superior_is_up(study: Study, line: Centreline) -> bool:
    """Whether arc length grows towards the head (world +z)."""
    import numpy as np

    return bool(np.mean(line.tangents[:, 2]) >= 0)


def find_levels(study: Study, line: Centreline, profile: LabelProfile) -> tuple[list[LevelPlane], list[str]]:
    """The level planes, caudal to cranial, and study-wide notes (transitional anatomy, naming limits)."""
    from scipy import ndimage

    notes: list[str] = []
    vertebrae = _vertebrae(study, line, profile)
    names = [n for n, _ in vertebrae if n]
    for odd in ("L6", "T13"):
        if odd in names:
            notes.append(
                f"transitional anatomy: a vertebra labelled {odd} is present; levels are named as labelled"
            )
    if "T12" in names and "S1" in names:
        lumbar = [n for n in names if n.startswith("L")]
        if len(lumbar) != 5:
            notes.append(f"transitional anatomy: {len(lumbar)} lumbar vertebrae between T12 and S1")
    up = _superior_is_up(study, line)

    def above_below(s: float) -> tuple[str | None, str | None]:
        higher = [(n, e) for n, e in vertebrae if (e.s > s) == up and e.s != s]
        lower = [(n, e) for n, e in vertebrae if (e.s < s) == up and e.s != s]
        upper = min(higher, key=lambda item: abs(item[1].s - s))[0] if higher else None
        below = min(lower, key=lambda item: abs(item[1].s - s))[0] if lower else None
        return upper, below

    planes: list[LevelPlane] = []
    for label, stated in profile.disc_labels().items():
        mask = study.discs == label
        if not mask.any():
            continue
        if stated is None:  # one label for several discs: each connected component is a disc
            parts, count = ndimage.label(mask)
            components = [parts == i for i in range(1, count + 1)]
        else:
            components = [mask]
        for component in components:
            extent = _extent(study, line, component)
            if extent is None:
                continue
            upper, lower = above_below(extent.s)
            plane_notes: list[str] = []
            if stated is not None and stated[0] and upper != stated[0]:
                if upper is None:
                    upper = stated[0]
                    plane_notes.append(f"the vertebra above is outside the mask; named {upper} by disc label")
                else:
                    plane_notes.append(f"disc label {label} says {stated[0]} above; the image shows {upper}")
            if stated is not None and stated[1] and lower is None:
                lower = stated[1]
            if lower is None and upper in _SUCCESSOR and "L6" not in names:
                lower = _SUCCESSOR[upper]
                plane_notes.append(f"the vertebra below is outside the mask; taken as {lower}")
            name = f"{upper}-{lower}" if upper and lower else f"disc label {label} (unnamed)"
            planes.append(
                LevelPlane(
                    name=name,
                    level=level_of(name),
                    s=extent.s,
                    half_height_mm=max((extent.high - extent.low) / 2, 0.5),
                    basis=f"disc label {label}",
                    notes=tuple(plane_notes),
                )
            )
    if not planes:  # no disc labels: mid-planes between consecutive vertebrae
        for (first, x), (second, y) in itertools.pairwise(vertebrae):
            upper_name, lower_name = (second, first) if up else (first, second)
            name = f"{upper_name}-{lower_name}" if upper_name and lower_name else "unnamed vertebra pair"
            planes.append(
                LevelPlane(
                    name=name,
                    level=level_of(name),
                    s=(x.high + y.low) / 2,
                    half_height_mm=max((y.low - x.high) / 2, 1.0),
                    basis=f"between vertebrae {upper_name or '?'} and {lower_name or '?'} (no disc label)",
                )
            )
    planes.sort(key=lambda p: -p.s if up else p.s)  # cranial first, as L1-L2..L5-S1
    if any(p.name.startswith("disc label") for p in planes) or not profile.vertebrae:
        notes.append(f"the {profile.name} labels do not name vertebrae anatomically: levels are not named")
    return planes, notes
