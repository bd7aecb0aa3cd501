"""Central stenosis per level: < 100 mm2 relative (Hamanishi 1994), < 75 mm2 absolute (Schonstrom 1988)."""

from __future__ import annotations

from typing import Any

import pytest

from lss_pathway.clinical.stenosis import Stenosis, grade_level, grade_levels
from lss_pathway.domain.anatomy import Level
from lss_pathway.domain.record import LevelFindings, PatientRecord


def findings(level: str = "L4-L5", **values: Any) -> LevelFindings:
    return LevelFindings.model_validate({"level": level, **values})


def levels(*items: dict[str, Any]) -> PatientRecord:
    return PatientRecord.model_validate({"assessment_date": "2026-11-01", "imaging": {"levels": list(items)}})


@pytest.mark.parametrize(
    ("area", "category"),
    [
        (40, Stenosis.ABSOLUTE),
        (74.9, Stenosis.ABSOLUTE),
        (75, Stenosis.RELATIVE),
        (99.9, Stenosis.RELATIVE),
        (100, Stenosis.NONE),
        (150, Stenosis.NONE),
    ],
)
def test_area_bands(area: float, category: Stenosis) -> None:
    graded = grade_level(findings(canal_area_mm2=area))
    assert graded.category is category
    assert graded.canal_area_mm2 == area
    assert graded.present is (category in (Stenosis.ABSOLUTE, Stenosis.RELATIVE))
    assert len(graded.basis) == 1 and "mm2" in graded.basis[0]


@pytest.mark.parametrize(
    ("grade", "category"),
    [
        ("severe", Stenosis.ABSOLUTE),
        ("moderate", Stenosis.RELATIVE),
        ("mild", Stenosis.MILD),
        ("none", Stenosis.NONE),
    ],
)
def test_stated_grade(grade: str, category: Stenosis) -> None:
    graded = grade_level(findings(central_stenosis=grade))
    assert graded.category is category
    assert graded.canal_area_mm2 is None
    assert any(grade in b for b in graded.basis)


@pytest.mark.parametrize(
    ("schizas", "category"),
    [
        ("D", Stenosis.ABSOLUTE),
        ("C", Stenosis.ABSOLUTE),
        ("B", Stenosis.RELATIVE),
        ("A", Stenosis.NONE),
        ("A3", Stenosis.NONE),
    ],
)
def test_schizas_grade(schizas: str, category: Stenosis) -> None:
    graded = grade_level(findings(schizas=schizas))
    assert graded.category is category
    assert any("Schizas" in b and schizas in b for b in graded.basis)


def test_disagreement_keeps_the_most_severe_and_says_so() -> None:
    graded = grade_level(findings(canal_area_mm2=110, central_stenosis="moderate", schizas="C"))
    assert graded.category is Stenosis.ABSOLUTE
    basis = " | ".join(graded.basis)
    assert "110" in basis and "moderate" in basis and "Schizas" in basis
    assert any("disagree" in b for b in graded.basis)


def test_area_more_severe_than_grade_wins() -> None:
    graded = grade_level(findings(canal_area_mm2=60, central_stenosis="mild"))
    assert graded.category is Stenosis.ABSOLUTE
    assert any("disagree" in b for b in graded.basis)


def test_agreement_does_not_claim_disagreement() -> None:
    graded = grade_level(findings(canal_area_mm2=60, central_stenosis="severe", schizas="D"))
    assert graded.category is Stenosis.ABSOLUTE
    assert not any("disagree" in b for b in graded.basis)


def test_no_area_or_grade_is_unknown() -> None:
    graded = grade_level(
        findings(dominant_cause="lf_hypertrophy", sides=[{"side": "left", "lf_thickness_mm": 5}])
    )
    assert graded.category is Stenosis.UNKNOWN
    assert graded.present is False
    assert graded.basis


def test_no_imaged_levels_gives_nothing() -> None:
    assert grade_levels(PatientRecord()) == []


# --- ranking ---------------------------------------------------------------------------------------------


def test_ranking_by_severity_first() -> None:
    record = levels(
        {"level": "L4-L5", "canal_area_mm2": 95},
        {"level": "L2-L3", "canal_area_mm2": 70},
        {"level": "L5-S1", "canal_area_mm2": 130},
        {"level": "L3-L4"},
    )
    ranked = grade_levels(record)
    assert [g.level for g in ranked] == [Level.L2_L3, Level.L4_L5, Level.L5_S1, Level.L3_L4]
    assert [g.rank for g in ranked] == [1, 2, 3, 4]
    assert [g.category for g in ranked] == [
        Stenosis.ABSOLUTE,
        Stenosis.RELATIVE,
        Stenosis.NONE,
        Stenosis.UNKNOWN,
    ]


def test_ranking_within_a_category_by_smaller_area() -> None:
    record = levels(
        {"level": "L4-L5", "canal_area_mm2": 72},
        {"level": "L1-L2", "canal_area_mm2": 50},
        {"level": "L3-L4", "canal_area_mm2": 65},
    )
    assert [g.level for g in grade_levels(record)] == [Level.L1_L2, Level.L3_L4, Level.L4_L5]


def test_ranking_ties_broken_by_prevalence() -> None:
    # Prevalence in LSS: L4-L5 > L3-L4 > L5-S1 (> L2-L3 > L1-L2).
    record = levels(
        {"level": "L1-L2", "central_stenosis": "severe"},
        {"level": "L5-S1", "central_stenosis": "severe"},
        {"level": "L2-L3", "central_stenosis": "severe"},
        {"level": "L4-L5", "central_stenosis": "severe"},
        {"level": "L3-L4", "central_stenosis": "severe"},
    )
    assert [g.level for g in grade_levels(record)] == [
        Level.L4_L5,
        Level.L3_L4,
        Level.L5_S1,
        Level.L2_L3,
        Level.L1_L2,
    ]


def test_ranking_equal_areas_broken_by_prevalence() -> None:
    record = levels({"level": "L5-S1", "canal_area_mm2": 80}, {"level": "L3-L4", "canal_area_mm2": 80})
    assert [g.level for g in grade_levels(record)] == [Level.L3_L4, Level.L5_S1]


@pytest.mark.parametrize(
    ("ap", "category"),
    [(9.9, Stenosis.ABSOLUTE), (10.0, Stenosis.RELATIVE), (11.9, Stenosis.RELATIVE), (12.0, Stenosis.NONE)],
)
def test_ap_diameter_is_evidence_of_stenosis_labelled_with_the_modality(
    ap: float, category: Stenosis
) -> None:
    """Issue 9, item 7: an AP-only report is graded (Framingham CT cut points), naming the modality."""
    graded = grade_level(findings(ap_diameter_mm=ap), "CT")
    assert graded.category is category
    assert f"canal AP diameter {ap:g} mm on CT" in graded.basis[0]


def test_an_ap_only_report_is_no_longer_no_stenosis_recorded() -> None:
    record = levels({"level": "L4-L5", "ap_diameter_mm": 8})
    (graded,) = grade_levels(record)
    assert graded.present and graded.category is Stenosis.ABSOLUTE


def test_an_ap_diameter_names_the_modality_it_was_measured_on() -> None:
    """The AP cut points come from CT, so the basis shown says which study the diameter was read on."""
    record = PatientRecord.model_validate(
        {
            "assessment_date": "2026-11-01",
            "imaging": {"modality": "CT", "levels": [{"level": "L4-L5", "ap_diameter_mm": 9}]},
        }
    )
    (graded,) = grade_levels(record)
    assert graded.category is Stenosis.ABSOLUTE
    assert graded.basis == ("canal AP diameter 9 mm on CT < 10 mm",)
    unlabelled = grade_level(findings(ap_diameter_mm=9))
    assert unlabelled.basis == ("canal AP diameter 9 mm < 10 mm",)
