"""Load the annotated report corpus and score an extractor against it.

Gold is written per level in a compact form: level fields as scalars; side fields as a scalar (both sides),
or a mapping with ``left`` / ``right`` / ``both``; ``normal: true`` stands for a level stated normal (no
central, foraminal or lateral-recess stenosis, no ligamentum flavum hypertrophy). Any fact not written is
unknown. Scores follow the lumbar-report NLP studies: per finding type, sensitivity (gold-positive cells
read exactly), specificity (gold-negative or unknown cells not read as positive) and F1 over stated values,
plus per level-side exact match.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lss_pathway.domain.anatomy import LEVELS, SIDES
from lss_pathway.domain.record import Imaging

HERE = Path(__file__).resolve().parent
LEVEL_FIELDS = (
    "central_stenosis",
    "canal_area_mm2",
    "ap_diameter_mm",
    "dominant_cause",
    "meyerding_grade",
    "slip_mm",
    "slip_percent",
    "instability",
    "translation_mm",
    "schizas",
)
SIDE_FIELDS = ("foraminal_stenosis", "lateral_recess_stenosis", "lf_hypertrophy", "lf_thickness_mm")
NORMAL = {
    "central_stenosis": "none",
    "foraminal_stenosis": "none",
    "lateral_recess_stenosis": "none",
    "lf_hypertrophy": False,
}
Cell = tuple[str, str, str | None, str]  # report id, level, side, field


@dataclass(frozen=True)
class Report:
    id: str
    text: str
    cells: dict[Cell, Any]
    modality: str | None = None
    notes: tuple[str, ...] = ()
    origin: str = "hand"


def expand_gold(report_id: str, levels: dict[str, dict[str, Any]]) -> dict[Cell, Any]:
    cells: dict[Cell, Any] = {}
    for level, facts in levels.items():
        facts = dict(facts)
        if facts.pop("normal", False):
            facts = {**NORMAL, **facts}
        for name, value in facts.items():
            if name in SIDE_FIELDS:
                per_side = value if isinstance(value, dict) else {"both": value}
                for side_key, side_value in per_side.items():
                    for side in ("left", "right") if side_key == "both" else (side_key,):
                        cells[(report_id, level, side, name)] = side_value
            elif name in LEVEL_FIELDS:
                cells[(report_id, level, None, name)] = value
            else:
                raise ValueError(f"{report_id}: unknown gold field {name}")
    return cells


def load_file(path: Path, origin: str = "hand") -> list[Report]:
    reports: list[Report] = []
    for entry in yaml.safe_load(path.read_text(encoding="utf-8")):
        gold = entry["gold"]
        reports.append(
            Report(
                entry["id"],
                entry["text"],
                expand_gold(entry["id"], gold.get("levels", {})),
                gold.get("modality"),
                tuple(entry.get("notes", ())),
                origin,
            )
        )
    return reports


def load_hand() -> list[Report]:
    reports = [r for path in sorted(HERE.glob("hand_*.yaml")) for r in load_file(path)]
    ids = [r.id for r in reports]
    assert len(ids) == len(set(ids)), "duplicate report ids"
    return reports


def load_blind(part: str) -> list[Report]:
    """The blind corpus (issue 15): ``dev`` may guide rule changes, ``heldout`` is only measured."""
    reports = load_file(HERE / f"blind_{part}.yaml", origin=f"blind-{part}")
    ids = [r.id for r in reports]
    assert len(ids) == len(set(ids)), "duplicate report ids"
    return reports


def predicted_cells(report_id: str, imaging: Imaging) -> dict[Cell, Any]:
    cells: dict[Cell, Any] = {}
    for level in imaging.levels:
        for name in LEVEL_FIELDS:
            value = getattr(level, name)
            if value is not None:
                cells[(report_id, level.level.value, None, name)] = _plain(value)
        for side in level.sides:
            for name in SIDE_FIELDS:
                value = getattr(side, name)
                if value is not None:
                    cells[(report_id, level.level.value, side.side.value, name)] = _plain(value)
    return cells


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) < 1e-6
    return str(a) == str(b)


def positive(value: Any) -> bool:
    """A finding is present: a grade above none, true, a slip grade of 1 or more, any stated measure."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value != "none"
    return float(value) > 0


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    pos: int = 0
    pos_hit: int = 0
    neg: int = 0
    neg_hit: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def f1(self) -> float:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    @property
    def sensitivity(self) -> float:
        return self.pos_hit / self.pos if self.pos else 1.0

    @property
    def specificity(self) -> float:
        return self.neg_hit / self.neg if self.neg else 1.0


@dataclass
class Evaluation:
    by_field: dict[str, Score]
    cells_exact: int
    cells_total: int
    modality_hits: int
    modality_total: int

    @property
    def exact_match(self) -> float:
        return self.cells_exact / self.cells_total if self.cells_total else 1.0

    def table(self) -> str:
        lines = [f"{'finding':26} {'n+':>4} {'sens':>6} {'spec':>6} {'F1':>6}"]
        for name, s in self.by_field.items():
            lines.append(f"{name:26} {s.pos:4d} {s.sensitivity:6.3f} {s.specificity:6.3f} {s.f1:6.3f}")
        lines.append(
            f"level-side exact match: {self.exact_match:.3f} ({self.cells_exact}/{self.cells_total})"
        )
        return "\n".join(lines)


def evaluate(reports: Iterable[Report], read: Callable[[Report], dict[Cell, Any]]) -> Evaluation:
    by_field = {name: Score() for name in (*LEVEL_FIELDS, *SIDE_FIELDS)}
    exact = total = 0
    for report in reports:
        predicted = read(report)
        for level in LEVELS:
            for side in (None, *SIDES):
                names = LEVEL_FIELDS if side is None else SIDE_FIELDS
                cell_ok, cell_any = True, False
                for name in names:
                    key = (report.id, level.value, side.value if side else None, name)
                    gold, pred = report.cells.get(key), predicted.get(key)
                    score = by_field[name]
                    cell_any = cell_any or gold is not None or pred is not None
                    if gold is not None and pred is not None and _same(gold, pred):
                        score.tp += 1
                    else:
                        if pred is not None:
                            score.fp += 1
                        if gold is not None:
                            score.fn += 1
                        if gold is not None or pred is not None:
                            cell_ok = False
                            score.errors.append(
                                f"{report.id} {level.value} {side or ''} {name}: gold {gold} pred {pred}"
                            )
                    if positive(gold):
                        score.pos += 1
                        score.pos_hit += int(pred is not None and _same(gold, pred))
                    else:
                        score.neg += 1
                        score.neg_hit += int(not positive(pred))
                if cell_any:
                    total += 1
                    exact += int(cell_ok)
    return Evaluation(by_field, exact, total, 0, 0)
