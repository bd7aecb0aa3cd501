"""Measurements into a record: straddled thresholds stay unknown, recorded values are never overwritten."""

from __future__ import annotations

import pytest

from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.record import PatientRecord
from lss_pathway.imaging.measurement import (
    LevelMeasurement,
    Measured,
    SideMeasurement,
    StudyMeasurement,
    unknown,
)
from lss_pathway.imaging.merge import merge_measurements, thresholds_for
from lss_pathway.rulesets.catalog import load_ruleset

TEXTBOOK = load_ruleset("textbook")
TRIAL = load_ruleset("mild-trial")


def _area(value: float, half: float) -> Measured:
    return Measured("canal area", "mm2", value, value - half, value + half, "resliced perpendicular", 5.0)


def _lf(value: float, half: float) -> Measured:
    return Measured("LF thickness", "mm", value, value - half, value + half, "soft-mask EDT")


def _study(area: Measured, left: Measured, right: Measured, name: str = "L4-L5") -> StudyMeasurement:
    level = Level(name) if name in {lv.value for lv in Level} else None
    ap = Measured("AP diameter", "mm", 9.0, 8.7, 9.3, "resliced perpendicular")
    lm = LevelMeasurement(
        name,
        level,
        "disc label 123",
        3.0,
        area,
        area,
        ap,
        (SideMeasurement("left", left), SideMeasurement("right", right)),
    )
    return StudyMeasurement(
        "seg.nii.gz", "manual", (10, 10, 10), (1.0, 1.0, 1.0), "resliced perpendicular", (lm,)
    )


def test_thresholds_come_from_the_rule_set_and_the_stenosis_bands() -> None:
    assert thresholds_for(TEXTBOOK, "level.canal_area_mm2") == (75.0, 100.0)
    assert thresholds_for(TRIAL, "side.lf_thickness_mm") == (2.5,)
    assert thresholds_for(TEXTBOOK, "side.lf_thickness_mm") == (4.0,)


def test_a_decisive_measurement_is_written() -> None:
    merged = merge_measurements(
        PatientRecord(), _study(_area(62.0, 2.0), _lf(5.1, 0.2), _lf(3.0, 0.2)), TEXTBOOK
    )
    level = merged.record.imaging.level(Level.L4_L5)
    assert level is not None and level.canal_area_mm2 == 62.0 and level.ap_diameter_mm == 9.0
    left = level.side(Side.LEFT)
    assert left is not None and left.lf_thickness_mm == 5.1
    assert {d.outcome for d in merged.decisions} == {"written"}


def test_an_interval_containing_a_threshold_leaves_the_fact_unknown_with_the_reason() -> None:
    study = _study(_area(98.5, 2.5), _lf(2.6, 0.2), _lf(4.1, 0.3))
    merged = merge_measurements(PatientRecord(), study, TRIAL)
    level = merged.record.imaging.level(Level.L4_L5)
    assert level is not None and level.canal_area_mm2 is None
    reasons = {d.path: d.detail for d in merged.decisions if d.outcome == "unknown"}
    assert reasons["imaging.levels[L4-L5].canal_area_mm2"] == (
        "interval [96, 101] straddles the rule set threshold 100"
    )
    assert reasons["imaging.levels[L4-L5].sides[left].lf_thickness_mm"] == (
        "interval [2.4, 2.8] straddles the rule set threshold 2.5"
    )
    # the same 4.1 ± 0.3 mm is decisive for the trial's 2.5 mm but not for the textbook's 4 mm
    right_trial = level.side(Side.RIGHT)
    assert right_trial is not None and right_trial.lf_thickness_mm == 4.1
    textbook = merge_measurements(PatientRecord(), study, TEXTBOOK).record.imaging.level(Level.L4_L5)
    assert textbook is not None and textbook.side(Side.RIGHT) is None


def test_a_disagreeing_measurement_is_a_conflict_and_the_recorded_value_is_kept() -> None:
    record = PatientRecord.model_validate(
        {
            "imaging": {
                "levels": [
                    {
                        "level": "L4-L5",
                        "canal_area_mm2": 120,
                        "sides": [{"side": "left", "lf_thickness_mm": 5.0}],
                    }
                ]
            }
        }
    )
    merged = merge_measurements(record, _study(_area(70.0, 3.0), _lf(5.1, 0.3), _lf(3.0, 0.2)), TEXTBOOK)
    level = merged.record.imaging.level(Level.L4_L5)
    assert level is not None and level.canal_area_mm2 == 120
    (conflict,) = merged.conflicts
    assert conflict.path == "imaging.levels[L4-L5].canal_area_mm2"
    assert "disagrees with recorded 120" in conflict.detail
    outcomes = {d.path: d.outcome for d in merged.decisions}
    assert outcomes["imaging.levels[L4-L5].sides[left].lf_thickness_mm"] == "agrees"


def test_unknowns_proxies_and_non_record_levels_are_never_written() -> None:
    proxy = Measured("posterolateral gap (proxy)", "mm", 6.0, 5.0, 7.0, "proxy", proxy=True)
    no_lf = unknown("LF thickness", "mm", "no ligamentum flavum label in this segmentation")
    study = _study(_area(60.0, 2.0), no_lf, no_lf)
    study = StudyMeasurement(
        study.source,
        study.profile,
        study.shape,
        study.voxel_mm,
        study.method,
        (
            LevelMeasurement(
                "L4-L5",
                Level.L4_L5,
                "disc",
                3.0,
                study.levels[0].canal_area_min,
                study.levels[0].canal_area_min,
                study.levels[0].ap_diameter,
                (SideMeasurement("left", no_lf, proxy),),
            ),
            _study(_area(50.0, 2.0), no_lf, no_lf, name="L5-L6").levels[0],
        ),
    )
    merged = merge_measurements(PatientRecord(), study, TRIAL)
    level = merged.record.imaging.level(Level.L4_L5)
    assert level is not None and level.sides == []
    assert [lv.level for lv in merged.record.imaging.levels] == [Level.L4_L5]
    outcomes = [d.outcome for d in merged.decisions]
    assert "not a record level" in outcomes
    proxy_decision = next(d for d in merged.decisions if "proxy" in d.path)
    assert proxy_decision.outcome == "unknown" and "never LF thickness" in proxy_decision.detail


@pytest.mark.parametrize("ruleset", ["textbook", "mild-trial", "cms-ncd-150.13"])
def test_merge_works_with_every_released_rule_set(ruleset: str) -> None:
    merged = merge_measurements(
        PatientRecord(), _study(_area(62.0, 2.0), _lf(5.1, 0.2), _lf(3.0, 0.2)), load_ruleset(ruleset)
    )
    assert merged.record.imaging.level(Level.L4_L5) is not None
